import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import { MAX_EVENTS_PER_REQUEST } from '../formats/usage-event';
import { ingestUsageEvents, type UsageStoreDeps } from './usage-store';

/**
 * JSONL files of usage events (S3 prefix `events/`, and the bulk loader): read as a stream, one JSON
 * object per line, optionally gzip (detected by the magic bytes, whatever the key says).
 */

export interface FileRejection {
  /** 1-based line number in the (decompressed) file. */
  line: number;
  reason: string;
}

export interface UsageFileResult {
  accepted: number;
  duplicates: number;
  rejected: FileRejection[];
  lines: number;
}

/** The stream's bytes, gunzipped when they start with the gzip magic number. */
export async function decompressIfGzip(stream: Readable): Promise<Readable> {
  const iterator = stream[Symbol.asyncIterator]();
  const out = new PassThrough();
  // The magic number may be split over chunks: gather at least two bytes first.
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await iterator.next();
    if (next.done) {
      out.end(head);
      return out;
    }
    head = Buffer.concat([head, Buffer.from(next.value as Buffer)]);
  }
  const isGzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  void (async () => {
    out.write(head);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      if (!out.write(next.value)) await new Promise((r) => out.once('drain', r));
    }
    out.end();
  })().catch((err: unknown) => out.destroy(err as Error));
  if (!isGzip) return out;
  const gunzip = createGunzip();
  out.on('error', (err) => gunzip.destroy(err));
  return out.pipe(gunzip);
}

export interface JsonLine {
  line: number;
  value?: unknown;
  error?: string;
  /** The raw text, for size checks. */
  text: string;
}

/** A line this long is no event (the API takes 1 MB per request); it is rejected, not buffered on. */
const MAX_LINE_BYTES = 1_048_576;

/**
 * Yields each non-blank line parsed as JSON (or with the reason it cannot be), with its line number.
 * Lines are split on the bytes and checked as UTF-8 before decoding: a decoder would turn bad bytes into
 * U+FFFD and make `cus_\xff` and `cus_\xfe` one customer. CRLF and a leading BOM are tolerated.
 */
export async function* readJsonLines(stream: Readable): AsyncGenerator<JsonLine> {
  let line = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;

  function parse(bytes: Buffer): JsonLine | undefined {
    line++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 13) end--;
    let start = 0;
    if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    const raw = bytes.subarray(start, end);
    if (!isUtf8(raw)) return { line, error: 'line is not valid UTF-8 (the file must be UTF-8 encoded)', text: raw.toString('utf8') };
    const text = raw.toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return { line, value: JSON.parse(text), text };
    } catch (err) {
      return { line, error: `malformed JSON: ${(err as Error).message}`, text };
    }
  }

  for await (const chunk of await decompressIfGzip(stream)) {
    const buf = chunk as Buffer;
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      const piece = buf.subarray(start, nl);
      start = nl + 1;
      if (overlong) {
        line++;
        overlong = false;
        pending = [];
        pendingBytes = 0;
        yield { line, error: `line is longer than ${MAX_LINE_BYTES} bytes`, text: '' };
        continue;
      }
      const whole = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingBytes = 0;
      const l = parse(whole);
      if (l) yield l;
    }
    if (start < buf.length && !overlong) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
      if (pendingBytes > MAX_LINE_BYTES) overlong = true;
    }
  }
  if (overlong) {
    line++;
    yield { line, error: `line is longer than ${MAX_LINE_BYTES} bytes`, text: '' };
  } else if (pending.length > 0) {
    const l = parse(Buffer.concat(pending));
    if (l) yield l;
  }
}

/** Ingests a JSONL event file straight into the table, in batches of up to 1000 events. */
export async function ingestUsageFile(stream: Readable, key: string, deps: UsageStoreDeps): Promise<UsageFileResult> {
  const result: UsageFileResult = { accepted: 0, duplicates: 0, rejected: [], lines: 0 };
  let batch: unknown[] = [];
  let batchLines: number[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await ingestUsageEvents(batch, deps);
    result.accepted += r.accepted;
    result.duplicates += r.duplicates;
    for (const rej of r.rejected) result.rejected.push({ line: batchLines[rej.index]!, reason: rej.reason });
    batch = [];
    batchLines = [];
  };
  try {
    for await (const l of readJsonLines(stream)) {
      result.lines = l.line;
      if (l.error !== undefined) {
        result.rejected.push({ line: l.line, reason: l.error });
        continue;
      }
      batch.push(l.value);
      batchLines.push(l.line);
      if (batch.length >= MAX_EVENTS_PER_REQUEST) await flush();
    }
    await flush();
  } catch (err) {
    throw new Error(`cannot read usage events from ${key}: ${(err as Error).message}`, { cause: err });
  }
  result.rejected.sort((a, b) => a.line - b.line);
  return result;
}
