import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { damagedGzip, openTextExport, UnreadableFileError, type TextExport } from '../formats';
import { isZlibError } from '../formats/byte-stream';
import type { ObjectCreated } from '../ingest-billing/s3-notification';
import { boundaryFinder, type Boundary } from './boundaries';
import { manifestKey, partKey, putJson, runFor, type RangeItem, type Run, type SplitResult } from './staging';

export interface SplitDeps {
  s3: S3Client;
  /** Text bytes per range (docs/metrics.md §1.4, `largeFiles.rangeBytes`). */
  rangeBytes: number;
}

/** Staged parts uploading at once while the splitter reads on: bounds memory at a few parts. */
const PARTS_IN_FLIGHT = 2;

/**
 * The split step of the large-file state machine: reads the export once, finds range boundaries
 * (record starts, with their physical line numbers), stages a gzip export's text as one decompressed
 * part per range, and writes the manifest the Distributed Map reads. A file that cannot be read at all
 * gets an empty manifest and the reason, which the merge step reports as the small-file path does.
 */
export async function splitExport(deps: SplitDeps, input: { file: ObjectCreated; executionName: string }): Promise<SplitResult> {
  const { s3, rangeBytes } = deps;
  const { file } = input;
  const run = runFor(file.bucket, input.executionName);
  const startedAt = new Date().toISOString();
  const done = async (items: RangeItem[], textBytes: number, format?: TextExport['format'], error?: string): Promise<SplitResult> => {
    await putJson(s3, run.bucket, manifestKey(run), items);
    return {
      run,
      manifestKey: manifestKey(run),
      ranges: items.length,
      format,
      textBytes,
      startedAt,
      ...(error === undefined ? {} : { error }),
    };
  };

  let text: TextExport;
  try {
    const body = await s3.send(new GetObjectCommand({ Bucket: file.bucket, Key: file.key }));
    if (!body.Body) throw new UnreadableFileError('the object has no body');
    text = await openTextExport(body.Body as Readable, file.key);
  } catch (err) {
    if (!(err instanceof UnreadableFileError)) throw err;
    return done([], 0, undefined, err.message);
  }

  const finder = boundaryFinder(text.format, rangeBytes);
  const stager = text.gzip ? new PartStager(s3, run) : undefined;
  const starts: Boundary[] = [{ offset: 0, line: 1 }];
  let bytes = 0;
  let error: string | undefined;
  const taken = async () => {
    for (const boundary of finder.take()) {
      await stager?.cut(boundary.offset);
      starts.push(boundary);
    }
  };
  try {
    for await (const chunk of text.text) {
      bytes += chunk.length;
      stager?.append(chunk);
      finder.push(chunk);
      await taken();
      // The reader of the first range will say what is wrong with the header; nothing more to split.
      if (finder.unusableHeader) break;
    }
    if (!finder.unusableHeader) finder.end();
    await taken();
  } catch (err) {
    if (isZlibError(err)) {
      // The ranges before the damage are complete and are ingested; the rest of the file is not.
      const last = starts.pop()!;
      bytes = last.offset;
      error = damagedGzip(err, last.line - 1).message;
    } else if (!(err instanceof UnreadableFileError)) {
      throw err;
    }
    // An UnreadableFileError is a record over 16 MB: the last range runs to here, and its reader stops
    // on that record with the same words as the small-file path.
  }
  if (error === undefined) await stager?.cut(bytes);
  await stager?.finish();

  const header = finder.header;
  const items = starts.map((start, index): RangeItem => {
    const end = index + 1 < starts.length ? starts[index + 1]!.offset : bytes;
    const item: RangeItem = stager
      ? { index, format: text.format, key: partKey(run, index), start: 0, end: end - start.offset, line: start.line }
      : { index, format: text.format, key: file.key, start: start.offset, end, line: start.line };
    if (index > 0 && header) item.header = { key: stager ? partKey(run, 0) : file.key, bytes: header.bytes, lines: header.lines };
    return item;
  });
  return done(
    items.filter((item) => item.end > item.start),
    bytes,
    text.format,
    error,
  );
}

/** Writes a gzip export's decompressed text as one object per range, while the splitter reads on. */
class PartStager {
  private chunks: Buffer[] = [];
  /** Absolute offset of the first byte of `chunks`. */
  private from = 0;
  private index = 0;
  private inFlight: Promise<void>[] = [];

  constructor(
    private readonly s3: S3Client,
    private readonly run: Run,
  ) {}

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  /** Stages the bytes before absolute offset `at` as the next part. */
  async cut(at: number): Promise<void> {
    const all = Buffer.concat(this.chunks);
    const body = all.subarray(0, at - this.from);
    this.chunks = at - this.from < all.length ? [all.subarray(at - this.from)] : [];
    this.from = at;
    if (body.length === 0) return;
    const upload = this.s3
      .send(new PutObjectCommand({ Bucket: this.run.bucket, Key: partKey(this.run, this.index++), Body: body, ContentLength: body.length }))
      .then(() => undefined);
    upload.catch(() => undefined); // awaited below or in finish(); not an unhandled rejection meanwhile
    this.inFlight.push(upload);
    if (this.inFlight.length >= PARTS_IN_FLIGHT) await this.inFlight.shift();
  }

  async finish(): Promise<void> {
    await Promise.all(this.inFlight);
    this.inFlight = [];
  }
}
