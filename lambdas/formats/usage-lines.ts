import { isUtf8 } from 'node:buffer';
import { byteLines, OVERLONG } from './byte-lines';
import { buffers, gunzip, peek, type ByteSource } from './byte-stream';

/**
 * JSON lines of usage events (S3 `events/` files, the usage inbox, the CLI's bulk load): one JSON
 * object per line, gzip or not (detected by the magic bytes, whatever the key says). Unlike a billing
 * export, whose reader stops at an overlong line, a bad line here is one rejected event: its number
 * and reason are yielded and reading goes on.
 */

export interface JsonLine {
  /** 1-based line number in the (decompressed) file. */
  line: number;
  value?: unknown;
  error?: string;
  /** The raw text, for size checks. */
  text: string;
}

/** A line this long is no event (the API takes 1 MB per request); it is rejected, not buffered on. */
const MAX_LINE_BYTES = 1_048_576;
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** The bytes of `source`, gunzipped when they start with the gzip magic number. */
async function decompressed(source: ByteSource): Promise<AsyncIterable<Buffer>> {
  const { head, all } = await peek(buffers(source), GZIP_MAGIC.length);
  return head?.[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1] ? gunzip(all) : all;
}

/**
 * Yields each non-blank line parsed as JSON (or with the reason it cannot be), with its line number.
 * Lines are split on the bytes and checked as UTF-8 before decoding: a decoder would turn bad bytes into
 * U+FFFD and make `cus_\xff` and `cus_\xfe` one customer. CRLF and a leading BOM are tolerated.
 */
export async function* readJsonLines(source: ByteSource): AsyncGenerator<JsonLine> {
  let line = 0;
  const tooLong = (): JsonLine => ({ line, error: `line is longer than ${MAX_LINE_BYTES} bytes`, text: '' });

  function parse(bytes: Buffer): JsonLine | undefined {
    line++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 13) end--;
    const start = line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
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

  for await (const bytes of byteLines(await decompressed(source), MAX_LINE_BYTES)) {
    if (bytes === OVERLONG) {
      line++;
      yield tooLong();
      continue;
    }
    const l = parse(bytes);
    if (l) yield l;
  }
}
