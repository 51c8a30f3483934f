export type TextFormat = 'csv' | 'jsonl';

export interface FileKind {
  gzip: boolean;
  /** From the extension (before `.gz`); undefined when the content must be sniffed. */
  format: TextFormat | undefined;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

export function formatFromKey(key: string): TextFormat | undefined {
  const name = key.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  return undefined;
}

/** Compression by `.gz` extension or gzip magic bytes; text format by extension (`.csv`, `.jsonl`, `.ndjson`). */
export function detectFileKind(key: string, head: Uint8Array): FileKind {
  const gzip = key.toLowerCase().endsWith('.gz') || (head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1);
  return { gzip, format: formatFromKey(key) };
}

/** The first byte that is not a UTF-8 BOM or whitespace, or undefined when there is none in `head`. */
export function firstSignificantByte(head: Uint8Array): number | undefined {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  for (; i < head.length; i++) {
    const b = head[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return undefined;
}

/** Content sniffing for keys without a known extension: a JSON object first means JSONL, anything else CSV. */
export function sniffFormat(head: Uint8Array): TextFormat {
  return firstSignificantByte(head) === 0x7b /* { */ ? 'jsonl' : 'csv';
}

/** Text exports have no NUL bytes; spreadsheets (xlsx, a zip), PDFs and images do within the first KB. */
export function looksBinary(head: Uint8Array): boolean {
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) if (head[i] === 0) return true;
  return false;
}
