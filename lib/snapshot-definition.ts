/**
 * The snapshot state machine in Amazon States Language (docs/metrics.md §5): the CDK stack deploys
 * exactly this (lib/snapshot.ts) and the embedded stack runs the same object with
 * local/state-machine.ts. One invocation cannot fold a million customers in its time limit, so:
 *
 *   Plan      folds the usage inbox, refits the forecast when due, and splits the profile scan's
 *             segments into parts (one per ~100k customers);
 *   FoldParts an inline Map: each part folds its segments into a partial snapshot in S3;
 *   Finish    merges the parts into exactly the single-run snapshot and writes the reports, then
 *             hands over to the digest.
 *
 * Inline, not distributed: at most 40 parts, whose items and results are a few numbers each.
 */
import { lambdaInvoke, lambdaRetry, type AslDefinition } from './asl';

export interface SnapshotDefinitionProps {
  /** ARN (or CDK token) of the snapshot function that runs every step. */
  functionArn: string;
  /** Parts folded at once. */
  maxConcurrency: number;
}

export const SNAPSHOT_STATES = {
  plan: 'Plan',
  parts: 'FoldParts',
  part: 'FoldPart',
  finish: 'Finish',
  failed: 'Failed',
} as const;

/** Parts folded at once: each part reads DynamoDB at its own pace, ten keep the table's reads modest. */
export const SNAPSHOT_MAX_CONCURRENCY = 10;

/** One run end to end: a few minutes at a million customers, far below the next day's run. */
export const SNAPSHOT_EXECUTION_TIMEOUT_SECONDS = 2 * 3600;

export function snapshotDefinition(props: SnapshotDefinitionProps): AslDefinition {
  const S = SNAPSHOT_STATES;
  const invoke = (payload: Record<string, unknown>) => lambdaInvoke(props.functionArn, payload);
  const toFailed = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: S.failed }];
  return {
    Comment: 'Churnwatch: the daily snapshot, its customers folded in parts and merged exactly (docs/metrics.md §5)',
    StartAt: S.plan,
    TimeoutSeconds: SNAPSHOT_EXECUTION_TIMEOUT_SECONDS,
    States: {
      [S.plan]: {
        // The execution's input as is: the schedule's event, or {"asOf": …, "refit": …} from a person.
        ...invoke({ step: 'plan', 'input.$': '$', 'executionName.$': '$$.Execution.Name' }),
        ResultSelector: { 'Payload.$': '$.Payload' },
        ResultPath: '$.plan',
        Retry: lambdaRetry(2),
        Catch: toFailed,
        Next: S.parts,
      },
      [S.parts]: {
        Type: 'Map',
        ItemsPath: '$.plan.Payload.parts',
        ItemSelector: { step: 'part', 'plan.$': '$.plan.Payload.plan', 'part.$': '$$.Map.Item.Value' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: S.part,
          States: {
            [S.part]: {
              ...invoke({ 'step.$': '$.step', 'plan.$': '$.plan', 'part.$': '$.part' }),
              // The part's state and rows are in S3: the map keeps a few numbers per part.
              ResultSelector: { 'index.$': '$.Payload.index', 'customers.$': '$.Payload.customers' },
              Retry: lambdaRetry(3),
              End: true,
            },
          },
        },
        MaxConcurrency: props.maxConcurrency,
        ResultPath: null,
        Catch: toFailed,
        Next: S.finish,
      },
      [S.finish]: {
        ...invoke({ step: 'finish', 'plan.$': '$.plan.Payload.plan' }),
        ResultSelector: { 'asOf.$': '$.Payload.asOf', 'atRisk.$': '$.Payload.atRisk', 'reportKeys.$': '$.Payload.reportKeys' },
        ResultPath: '$.snapshot',
        Retry: lambdaRetry(2),
        Catch: toFailed,
        End: true,
      },
      [S.failed]: {
        Type: 'Fail',
        Error: 'SnapshotFailed',
        Cause: 'A step failed after its retries; the previous snapshot and reports stay as they were.',
      },
    },
  };
}
