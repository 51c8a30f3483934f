import type { StartLargeFile } from '../lambdas/ingest-billing/start-large-file';
import { largeFileExecutionName } from '../lambdas/ingest-billing/start-large-file';
import type { ObjectCreated } from '../lambdas/ingest-billing/s3-notification';
import { createLargeFileHandler, type LargeFileDeps, type LargeFileEvent } from '../lambdas/ingest-large/handler';
import { INGEST_LARGE_TIMEOUT_SECONDS, largeFileDefinition } from '../lib/large-file-definition';
import { lambdaContext } from './lambda-context';
import { runStateMachine, type ExecutionEvent, type ExecutionResult } from './state-machine';

/** The function ARN the local definition names; the runner maps it to the in-process handler. */
export const LOCAL_INGEST_LARGE_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:churnwatch-ingest-large';

export interface LocalLargeFileOptions extends LargeFileDeps {
  /** The function's timeout per invocation, emulated (default: the deployed one, 300 s). */
  timeoutMs?: number;
  /** Multiplies the definition's retry intervals (default 0.1: seconds become a tenth). */
  retryDelayScale?: number;
  onEvent?: (event: ExecutionEvent) => void;
  /** Runs each invocation (default: the handler itself); tests wrap it to inject a crash. */
  invoke?: (event: LargeFileEvent, run: (event: LargeFileEvent) => Promise<unknown>) => Promise<unknown>;
}

/** Raised for an invocation that outlived the emulated timeout, as Lambda names it. */
class SandboxTimedout extends Error {
  override name = 'Sandbox.Timedout';
}

/**
 * Runs the large-file state machine for one export on the embedded stack: the same definition as
 * deployed (lib/large-file-definition.ts), its Lambda steps by the same handler, in-process. An
 * invocation that runs past the emulated timeout fails as Lambda's would (the step is then retried);
 * the range step itself stops at a checkpoint before that.
 */
export async function runLargeFileLocally(options: LocalLargeFileOptions, file: ObjectCreated): Promise<ExecutionResult> {
  const definition = largeFileDefinition({ functionArn: LOCAL_INGEST_LARGE_ARN, maxConcurrency: options.config.largeFiles.maxConcurrency });
  const handler = createLargeFileHandler(options);
  const timeoutMs = options.timeoutMs ?? INGEST_LARGE_TIMEOUT_SECONDS * 1000;
  const run = async (event: LargeFileEvent): Promise<unknown> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SandboxTimedout(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)), timeoutMs);
    });
    try {
      return await Promise.race([handler(event, lambdaContext('churnwatch-ingest-large', timeoutMs)), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
  return runStateMachine(definition, { file }, largeFileExecutionName(file), {
    s3: options.s3,
    retryDelayScale: options.retryDelayScale ?? 0.1,
    onEvent: options.onEvent,
    invoke: async (functionArn, payload) => {
      if (functionArn !== LOCAL_INGEST_LARGE_ARN) throw new Error(`the local runner has no function ${functionArn}`);
      const event = payload as LargeFileEvent;
      return options.invoke ? options.invoke(event, run) : run(event);
    },
  });
}

/**
 * The billing ingest handler's `startLargeFile` on the embedded stack: runs the execution to its end
 * (on AWS it runs on after the SQS message is done). A failed execution has already moved the file
 * to failed/ with its report, as on AWS; it is kept in `executions` for whoever watches.
 */
export function localLargeFileStarter(options: LocalLargeFileOptions): StartLargeFile & { executions: ExecutionResult[] } {
  const executions: ExecutionResult[] = [];
  const start = async (file: ObjectCreated) => {
    executions.push(await runLargeFileLocally(options, file));
  };
  return Object.assign(start, { executions });
}
