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

const startsWith = (head: Uint8Array, bytes: number[]): boolean => bytes.every((b, i) => head[i] === b);

/** Formats people drop by mistake, by their magic numbers. */
const BINARY_MAGIC: [number[], string][] = [
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive (an .xlsx spreadsheet is one: save it as CSV)'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'an old Excel/Office file (save it as CSV)'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x50, 0x41, 0x52, 0x31], 'a Parquet file (name it .parquet to have it read as a Stripe Data Pipeline table)'],
];

/**
 * Why `head` (the first bytes once decompressed) is not UTF-8 text, or undefined when it may be.
 * UTF-16/32 is recognised by its byte-order mark, or without one by its pattern (a NUL in every other
 * byte); other binaries by their magic number or by NULs in more than 1 in 8 bytes. A stray NUL or two
 * in a text export does not condemn the file: the rows holding them are quarantined (an id with a
 * NUL is rejected by the field checks).
 */
export function binaryReason(head: Uint8Array): string | undefined {
  const n = Math.min(head.length, 4096);
  if (startsWith(head, [0xff, 0xfe, 0, 0]) || startsWith(head, [0, 0, 0xfe, 0xff])) return 'UTF-32 encoded (save it as UTF-8)';
  if (startsWith(head, [0xff, 0xfe]) || startsWith(head, [0xfe, 0xff])) return 'UTF-16 encoded (save it as UTF-8)';
  for (const [magic, what] of BINARY_MAGIC) if (startsWith(head, magic)) return what;
  let nul = 0;
  let nulEven = 0;
  let nulOdd = 0;
  for (let i = 0; i < n; i++) {
    if (head[i] !== 0) continue;
    nul++;
    if (i % 2 === 0) nulEven++;
    else nulOdd++;
  }
  if (nul === 0) return undefined;
  const pairs = Math.floor(n / 2);
  // ASCII text in UTF-16 without a BOM: the high (or low) byte of nearly every unit is 0.
  if (pairs >= 8 && (nulOdd >= pairs * 0.4 || nulEven >= pairs * 0.4) && Math.min(nulOdd, nulEven) < pairs * 0.1) {
    return 'UTF-16 encoded without a byte-order mark (save it as UTF-8)';
  }
  if (nul * 8 > n) return 'binary data (NUL bytes throughout)';
  return undefined;
}

/** Whether `head` cannot be a UTF-8 text export (see binaryReason). */
export function looksBinary(head: Uint8Array): boolean {
  return binaryReason(head) !== undefined;
}
