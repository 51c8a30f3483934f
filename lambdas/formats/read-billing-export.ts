import { buffers, gunzip, isZlibError, peek, type ByteSource } from './byte-stream';
import { readCsvBatches } from './csv-reader';
import { binaryReason, detectFileKind, sniffFormat, type TextFormat } from './detect';
import { UnreadableFileError } from './errors';
import { Flatten } from './flatten';
import { readJsonlBatches } from './jsonl-reader';
import type { ReadOptions, ReadResult } from './read-result';

/**
 * Streams a billing export (CSV or JSONL, gzip or not) row by row; memory stays bounded however large
 * the file. Bad rows come out as `{ ok: false }` with their line and reason; a file that cannot be read
 * at all throws UnreadableFileError, possibly after yielding the rows before the damage (truncated gzip).
 */
export function readBillingExport(body: ByteSource, key: string, opts: ReadOptions): AsyncIterableIterator<ReadResult> {
  return new Flatten(readBillingExportBatches(body, key, opts));
}

/**
 * The same rows in batches (a few hundred, in file order, never empty): one await per batch instead of
 * per row, for consumers that work in batches anyway.
 */
export async function* readBillingExportBatches(body: ByteSource, key: string, opts: ReadOptions): AsyncGenerator<ReadResult[]> {
  const { format, text } = await openTextExport(body, key);
  let lastLine = 0;
  try {
    const batches = format === 'csv' ? readCsvBatches(text, opts) : readJsonlBatches(text, opts);
    for await (const batch of batches) {
      yield batch;
      lastLine = batch[batch.length - 1]!.line;
    }
  } catch (err) {
    if (!isZlibError(err)) throw err;
    throw damagedGzip(err, lastLine);
  }
}

/** The error for an export whose gzip stream broke after `lastLine` was read. */
export function damagedGzip(err: unknown, lastLine: number): UnreadableFileError {
  return new UnreadableFileError(
    `The gzip data is damaged or truncated after line ${lastLine}: ${(err as Error).message}. ` +
      `Rows up to line ${lastLine} were read; upload the complete file again.`,
    lastLine + 1,
    { cause: err },
  );
}

export interface TextExport {
  format: TextFormat;
  gzip: boolean;
  /** The decompressed bytes, from the first; zlib errors of a damaged gzip surface from the iteration. */
  text: AsyncIterable<Buffer>;
}

/**
 * The checks every export passes before its rows are read (empty, bad gzip, binary, a .jsonl with no
 * JSON object) and its text format: shared by the row reader and the large-file splitter, so both
 * refuse the same files with the same words.
 */
export async function openTextExport(body: ByteSource, key: string): Promise<TextExport> {
  const raw = await peek(buffers(body));
  if (!raw.head) throw new UnreadableFileError('The file is empty (0 bytes)');
  const kind = detectFileKind(key, raw.head);

  let text: { head: Buffer | undefined; all: AsyncIterable<Buffer> };
  try {
    text = kind.gzip ? await peek(gunzip(raw.all)) : raw;
  } catch (err) {
    if (!isZlibError(err)) throw err;
    throw new UnreadableFileError(`Not a valid gzip file: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!text.head) throw new UnreadableFileError('The file is empty once decompressed');
  const binary = binaryReason(text.head);
  if (binary) {
    throw new UnreadableFileError(`Not a text file: ${binary}; expected CSV or JSON Lines in UTF-8`);
  }
  const format = kind.format ?? sniffFormat(text.head);
  // A named .jsonl whose first line is not an object ([1,2], a stray header) is still JSON Lines: that
  // line is quarantined like any other bad line. Only a head with no JSON object line at all is not.
  if (format === 'jsonl' && kind.format === 'jsonl' && !hasJsonObjectLine(text.head)) {
    throw new UnreadableFileError(`Named ${key} but no line of its first ${text.head.length} bytes is a JSON object: not JSON Lines`, 1);
  }
  return { format, gzip: kind.gzip, text: text.all };
}

/** Whether some line of `head` starts with `{` (its last line may be cut off where `head` ends). */
function hasJsonObjectLine(head: Buffer): boolean {
  let start = 0;
  while (start < head.length) {
    let end = head.indexOf(10, start);
    if (end === -1) end = head.length;
    const text = head
      .subarray(start, end)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim();
    if (text.startsWith('{')) return true;
    start = end + 1;
  }
  return false;
}
