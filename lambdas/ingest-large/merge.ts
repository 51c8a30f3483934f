import { emptyCounts, finishFile, type FileReport, type IngestDeps, type RowCounts } from '../ingest-billing/ingest-file';
import type { ObjectCreated } from '../ingest-billing/s3-notification';
import { getJson, rangeStateKey, type RangeState, type SplitResult } from './staging';

export interface MergeInput {
  file: ObjectCreated;
  split: SplitResult;
}

/** Bound of the merged quarantine file, as on the small-file path (docs/metrics.md §1.3). */
const MAX_QUARANTINE_BYTES = 64 * 1024 * 1024;

const COUNT_FIELDS = ['rows', 'ingested', 'unchanged', 'quarantined', 'writeRequests', 'ledgerItemsWritten'] as const;

/**
 * The last step: the ranges' counts summed and their quarantine entries joined in line order into the
 * same `FILE#` record and `quarantine/<key>.errors.jsonl` the small-file path writes; a file that could
 * not be read (at the split, or in a range) is moved to `failed/` with its report. Safe to run again:
 * it only reads the ranges' saved results, which stay under `staging/` until the bucket's lifecycle
 * rule expires them.
 */
export async function mergeRanges(
  deps: Pick<IngestDeps, 'dynamo' | 's3' | 'tableName' | 'maxQuarantineBytes'>,
  input: MergeInput,
): Promise<FileReport> {
  const { split, file } = input;
  const { counts, quarantine, errors, attempts } = await collect(deps, split, true);
  const error = split.error ?? errors[0];
  const report = await finishFile(deps, file, {
    counts,
    quarantine,
    error,
    startedAt: split.startedAt,
    extra: { path: 'large-file', ranges: split.ranges, rangeAttempts: attempts },
  });
  return report;
}

export interface FailInput {
  file: ObjectCreated;
  split?: SplitResult;
  /** What the state machine's Catch hands on: the error name and its cause (a Lambda error as JSON). */
  error: { Error?: string; Cause?: string };
}

/**
 * The Catch of the state machine: a step failed after its retries. The file is moved to `failed/` with
 * a report, and its `FILE#` record says what was stored before the failure (rows already folded in stay:
 * they are valid, and dropping the fixed file again counts them as unchanged).
 */
export async function failLargeFile(
  deps: Pick<IngestDeps, 'dynamo' | 's3' | 'tableName' | 'maxQuarantineBytes'>,
  input: FailInput,
): Promise<FileReport> {
  const { file, split } = input;
  const collected = split ? await collect(deps, split, false) : { counts: emptyCounts(), quarantine: [], errors: [], attempts: 0 };
  const report = await finishFile(deps, file, {
    counts: collected.counts,
    quarantine: collected.quarantine,
    error: `The large-file ingest did not complete: ${describeStepError(input.error)}`,
    startedAt: split?.startedAt ?? new Date().toISOString(),
    extra: { path: 'large-file', ranges: split?.ranges ?? 0 },
  });
  return report;
}

/** `Error: message` of a failed step, from the Catch output (the Cause of a Lambda error is its JSON). */
export function describeStepError(error: FailInput['error']): string {
  let message = error.Cause ?? '';
  try {
    const cause = JSON.parse(message) as { errorType?: string; errorMessage?: string };
    if (cause.errorMessage) message = cause.errorMessage;
  } catch {
    // a plain-text cause
  }
  return [error.Error, message].filter(Boolean).join(': ') || 'unknown error';
}

async function collect(
  deps: Pick<IngestDeps, 's3' | 'maxQuarantineBytes'>,
  split: SplitResult,
  requireAll: boolean,
): Promise<{ counts: RowCounts; quarantine: string[]; errors: string[]; attempts: number }> {
  const counts = emptyCounts();
  const quarantine: string[] = [];
  const errors: string[] = [];
  const bound = deps.maxQuarantineBytes ?? MAX_QUARANTINE_BYTES;
  let bytes = 0;
  let attempts = 0;
  for (let index = 0; index < split.ranges; index++) {
    const state = await getJson<RangeState>(deps.s3, split.run.bucket, rangeStateKey(split.run, index));
    if (!state || !state.done) {
      if (requireAll) throw new Error(`range ${index} of ${split.ranges} has no result: the map did not finish it`);
      if (!state) continue;
    }
    for (const field of COUNT_FIELDS) counts[field] += state.counts[field];
    const notListed = (counts.quarantineNotListed ?? 0) + (state.counts.quarantineNotListed ?? 0);
    let over = 0;
    for (const entry of state.quarantine) {
      if (bytes + entry.length <= bound) {
        quarantine.push(entry);
        bytes += entry.length + 1;
      } else over++;
    }
    if (notListed + over > 0) counts.quarantineNotListed = notListed + over;
    if (state.error) errors.push(state.error);
    attempts += state.attempts;
  }
  return { counts, quarantine, errors, attempts };
}
