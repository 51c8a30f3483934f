import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ObjectCreated } from './s3-notification';

/** Starts the large-file state machine on one export (docs/metrics.md §1.4). */
export type StartLargeFile = (object: ObjectCreated) => Promise<void>;

/**
 * One execution per S3 event of a file: the name is derived from the key, ETag and event time, so a
 * notification delivered twice starts one execution, while the same file dropped again starts another
 * (as the small-file path ingests a re-drop again). Names allow 80 characters of [A-Za-z0-9_-].
 */
export function largeFileExecutionName(object: ObjectCreated): string {
  const key = createHash('sha256').update(object.key).digest('hex').slice(0, 20);
  const etag = object.eTag.replace(/[^A-Za-z0-9]/g, '').slice(0, 32) || 'none';
  return `${key}-${etag}-${object.eventTime}`;
}

export function startLargeFileExecution(sfn: SFNClient, stateMachineArn: string): StartLargeFile {
  return async (object) => {
    try {
      await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name: largeFileExecutionName(object), input: JSON.stringify({ file: object }) }),
      );
    } catch (err) {
      // The same notification again, after the first started the execution: nothing more to do.
      if (!(err instanceof ExecutionAlreadyExists)) throw err;
    }
  };
}
