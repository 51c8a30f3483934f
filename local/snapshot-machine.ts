import { randomUUID } from 'node:crypto';
import { createSnapshotHandler, snapshotResult, type SnapshotHandlerDeps, type SnapshotResult } from '../lambdas/snapshot/handler';
import { SNAPSHOT_MAX_CONCURRENCY, snapshotDefinition } from '../lib/snapshot-definition';
import { SNAPSHOT_TIMEOUT_SECONDS } from '../lib/snapshot-sizing';
import { lambdaContext } from './lambda-context';
import { runStateMachine, type ExecutionEvent } from './state-machine';

/** The function ARN the local definition names; the runner maps it to the in-process handler. */
export const LOCAL_SNAPSHOT_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:churnwatch-snapshot';

export interface LocalSnapshotOptions {
  executionName?: string;
  onEvent?: (event: ExecutionEvent) => void;
}

/**
 * Runs the snapshot state machine on the embedded stack, as the schedule does on AWS: the deployed
 * definition (lib/snapshot-definition.ts), every step by the snapshot handler in-process. `input` is
 * the execution's input: `{"asOf": …, "refit": …}` or a scheduled event.
 */
export async function runSnapshotLocally(
  deps: SnapshotHandlerDeps,
  input: unknown,
  options: LocalSnapshotOptions = {},
): Promise<SnapshotResult> {
  const definition = snapshotDefinition({ functionArn: LOCAL_SNAPSHOT_ARN, maxConcurrency: SNAPSHOT_MAX_CONCURRENCY });
  const handler = createSnapshotHandler(deps);
  const execution = await runStateMachine(definition, input, options.executionName ?? randomUUID(), {
    s3: deps.s3,
    retryDelayScale: 0.1,
    onEvent: options.onEvent,
    invoke: (functionArn, payload) => {
      if (functionArn !== LOCAL_SNAPSHOT_ARN) throw new Error(`the local runner has no function ${functionArn}`);
      return handler(payload, lambdaContext('churnwatch-snapshot', SNAPSHOT_TIMEOUT_SECONDS * 1000));
    },
  });
  if (execution.status !== 'SUCCEEDED') throw new Error(`the snapshot state machine failed: ${execution.error}: ${execution.cause}`);
  return snapshotResult((execution.output as { snapshot?: unknown }).snapshot);
}
