import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { readCsvBatches, readJsonlBatches, UnreadableFileError } from '../formats';
import { buffers } from '../formats/byte-stream';
import { emptyCounts, RowFolder, type IngestDeps } from '../ingest-billing/ingest-file';
import type { ObjectCreated } from '../ingest-billing/s3-notification';
import { getJson, putJson, rangeStateKey, type RangeItem, type RangeState, type Run } from './staging';

export interface RangeInput {
  file: ObjectCreated;
  run: Run;
  range: RangeItem;
}

/**
 * Thrown when a range stops short of its end to stay inside the invocation's time: its checkpoint is
 * saved, and the state machine's retry of this error resumes it from there.
 */
export class RangeIncomplete extends Error {
  override name = 'RangeIncomplete';
}

/** Time kept in hand at a checkpoint: the next chunk must fit it (twice the last chunk's time, at least this). */
const MIN_TIME_IN_HAND_MS = 10_000;

/**
 * One item of the Distributed Map: the rows of one byte range of the export, read with the file's header
 * and line numbers and folded into the table by the same code as a small file. After each stored chunk
 * the range's counts and quarantine entries are checkpointed to S3; a retried range (after a crash or a
 * timeout) skips the rows the checkpoint covers, so no row is counted twice, and a finished range
 * returns its saved result.
 */
export async function ingestRange(
  deps: IngestDeps,
  input: RangeInput,
  remainingMs: () => number = () => Number.POSITIVE_INFINITY,
): Promise<{ index: number; rows: number; attempts: number }> {
  const { s3 } = deps;
  const { file, run, range } = input;
  const stateKey = rangeStateKey(run, range.index);
  const saved = await getJson<RangeState>(s3, run.bucket, stateKey);
  if (saved?.done) return { index: range.index, rows: saved.counts.rows, attempts: saved.attempts };

  const attempts = (saved?.attempts ?? 0) + 1;
  const skipThrough = saved?.doneThroughLine ?? 0;
  const save = (state: Omit<RangeState, 'index' | 'attempts' | 'counts' | 'quarantine'>) =>
    putJson(s3, run.bucket, stateKey, {
      index: range.index,
      attempts,
      counts: folder.counts,
      quarantine: folder.quarantine,
      ...state,
    } satisfies RangeState);

  let chunkStarted = Date.now();
  let outOfTime = false;
  const folder = new RowFolder(deps, file, saved ?? { counts: emptyCounts(), quarantine: [] }, async (lastLine) => {
    // Past its timeout an invocation is gone (Lambda stops it); in-process it must not checkpoint over its retry.
    if (remainingMs() <= 0) throw new RangeIncomplete(`range ${range.index}: the invocation ran past its timeout`);
    await save({ done: false, doneThroughLine: lastLine });
    const chunkMs = Date.now() - chunkStarted;
    chunkStarted = Date.now();
    if (remainingMs() < Math.max(MIN_TIME_IN_HAND_MS, 2 * chunkMs)) outOfTime = true;
  });

  // Counted before any work: a crash before the first checkpoint still shows as an attempt.
  await save({ done: false, doneThroughLine: skipThrough });

  const firstLine = range.header ? range.line - range.header.lines : range.line;
  const text = rangeText(s3, file.bucket, range);
  const options = { ...deps.readOptions, firstLine };
  let error: string | undefined;
  try {
    for await (const rows of range.format === 'csv' ? readCsvBatches(text, options) : readJsonlBatches(text, options)) {
      for (const row of rows) {
        if (row.line <= skipThrough) continue;
        await folder.add(row);
        if (outOfTime)
          throw new RangeIncomplete(
            `range ${range.index} stopped at line ${row.line} to stay inside the invocation's time; resumed by the retry`,
          );
      }
    }
    await folder.flush();
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) throw err;
    await folder.flush();
    error = err.message;
  }
  await save({ done: true, doneThroughLine: Number.MAX_SAFE_INTEGER, ...(error === undefined ? {} : { error }) });
  return { index: range.index, rows: folder.counts.rows, attempts };
}

/** The range's bytes, after the file's header bytes when the range does not start with them. */
async function* rangeText(s3: S3Client, bucket: string, range: RangeItem): AsyncGenerator<Buffer> {
  if (range.header) yield* getRange(s3, bucket, range.header.key, 0, range.header.bytes);
  yield* getRange(s3, bucket, range.key, range.start, range.end);
}

async function* getRange(s3: S3Client, bucket: string, key: string, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
  if (!out.Body) throw new Error(`s3://${bucket}/${key} bytes ${start}-${end - 1}: no body`);
  yield* buffers(out.Body as Readable);
}
