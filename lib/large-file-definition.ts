/**
 * The large-file state machine in Amazon States Language (docs/metrics.md §1.4), as plain JSON: the CDK
 * stack deploys exactly this (lib/large-files.ts), and the embedded stack runs the same object with
 * local/state-machine.ts. test/infra/large-files.test.ts checks the synthesised definition against it.
 * No CDK import here: local runs load it without aws-cdk-lib.
 */
import { lambdaInvoke, lambdaRetry, type AslDefinition } from './asl';
export interface LargeFileDefinitionProps {
  /** ARN (or CDK token) of the ingest-large function that runs every step. */
  functionArn: string;
  /** Ranges ingested at once. */
  maxConcurrency: number;
}

/** How long one large file may take end to end: far above a gigabyte's few minutes, below a day. */
export const LARGE_FILE_EXECUTION_TIMEOUT_SECONDS = 6 * 3600;

/** Timeout of the ingest-large function (one step, e.g. one range); the embedded stack emulates it. */
export const INGEST_LARGE_TIMEOUT_SECONDS = 300;

export const LARGE_FILE_STATES = {
  split: 'Split',
  ranges: 'IngestRanges',
  range: 'IngestRange',
  merge: 'Merge',
  fail: 'MoveToFailed',
  failed: 'Failed',
} as const;

export function largeFileDefinition(props: LargeFileDefinitionProps): AslDefinition {
  const S = LARGE_FILE_STATES;
  const invoke = (payload: Record<string, unknown>) => lambdaInvoke(props.functionArn, payload);
  const retry = lambdaRetry;
  const toFailed = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.fail }];

  return {
    Comment:
      'Churnwatch: a billing export too large for one invocation, split into byte ranges ingested in parallel (docs/metrics.md §1.4)',
    StartAt: S.split,
    TimeoutSeconds: LARGE_FILE_EXECUTION_TIMEOUT_SECONDS,
    States: {
      [S.split]: {
        ...invoke({ step: 'split', 'file.$': '$.file', 'executionName.$': '$$.Execution.Name' }),
        ResultSelector: { 'Payload.$': '$.Payload' },
        ResultPath: '$.split',
        Retry: retry(2),
        Catch: toFailed,
        Next: S.ranges,
      },
      [S.ranges]: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { 'Bucket.$': '$.split.Payload.run.bucket', 'Key.$': '$.split.Payload.manifestKey' },
        },
        ItemSelector: { step: 'range', 'file.$': '$.file', 'run.$': '$.split.Payload.run', 'range.$': '$$.Map.Item.Value' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: S.range,
          States: {
            [S.range]: {
              ...invoke({ 'step.$': '$.step', 'file.$': '$.file', 'run.$': '$.run', 'range.$': '$.range' }),
              // Each range's result is in S3 (staging/…/ranges/): the map keeps only a few numbers per item.
              ResultSelector: { 'index.$': '$.Payload.index', 'rows.$': '$.Payload.rows' },
              Retry: [
                // Stopped at a checkpoint to stay inside its timeout: resume at once, as often as it takes.
                { ErrorEquals: ['RangeIncomplete'], IntervalSeconds: 1, MaxAttempts: 20, BackoffRate: 1 },
                ...retry(4),
              ],
              End: true,
            },
          },
        },
        MaxConcurrency: props.maxConcurrency,
        Label: 'Ranges',
        ResultPath: null,
        Catch: toFailed,
        Next: S.merge,
      },
      [S.merge]: {
        ...invoke({ step: 'merge', 'file.$': '$.file', 'split.$': '$.split.Payload' }),
        ResultSelector: { 'status.$': '$.Payload.status', 'rows.$': '$.Payload.rows', 'quarantined.$': '$.Payload.quarantined' },
        ResultPath: '$.report',
        Retry: retry(3),
        Catch: toFailed,
        End: true,
      },
      [S.fail]: {
        // The whole state: a Split that failed left no $.split, and a missing path would fail this step too.
        ...invoke({ step: 'fail', 'state.$': '$' }),
        ResultPath: null,
        Retry: retry(3),
        Next: S.failed,
      },
      [S.failed]: {
        Type: 'Fail',
        Error: 'LargeFileIngestFailed',
        Cause: 'A step failed after its retries; the export was moved to failed/ with a report beside it.',
      },
    },
  };
}
