/**
 * A canonical invoice-line CSV of any size, generated as a stream, with what reading it must give:
 * rows grouped by customer (an export of subscriptions, month after month), an ignored `description`
 * column that is sometimes a quoted field spanning lines (with commas and doubled quotes), and planted
 * bad rows right after such fields, so their physical line numbers prove the reader counted the lines
 * inside quotes. Used by the ingest.largeFileSeconds benchmark and the large-file integration tests.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface LargeExportSpec {
  rows: number;
  /** Monthly lines per customer (default 24). */
  linesPerCustomer?: number;
  /** Every n-th row is bad (default 997); the row before it carries a multi-line quoted description. */
  badEvery?: number;
  /** Line break of the file (default LF). */
  eol?: '\n' | '\r\n';
  /** Customer (and invoice) ids start with this (default "cust"): two exports need not share customers. */
  idPrefix?: string;
}

export interface LargeExportTruth {
  rows: number;
  customers: number;
  bytes: number;
  physicalLines: number;
  /** Bad rows: physical line and a fragment of the reason the reader must give. */
  bad: { line: number; reason: string }[];
}

export const LARGE_EXPORT_HEADER =
  'invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status,description';

const BAD_KINDS = [
  { amount: 'twelve', reason: 'amount' },
  { amount: '49.00', end: '2020-01-01', reason: 'period_end' },
  { amount: '49.00', description: 'a "stray" quote', reason: 'CSV syntax' },
] as const;

function month(index: number): { start: string; end: string } {
  const y = 2024 + Math.floor(index / 12);
  const m = (index % 12) + 1;
  const start = `${y}-${String(m).padStart(2, '0')}-01`;
  const end = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return { start, end };
}

/** The export's text in pieces of about `pieceBytes`; `truth` is complete once the iteration ends. */
export function* largeExportText(spec: LargeExportSpec, truth: LargeExportTruth, pieceBytes = 1 << 20): Generator<string> {
  const perCustomer = spec.linesPerCustomer ?? 24;
  const badEvery = spec.badEvery ?? 997;
  const eol = spec.eol ?? '\n';
  const id = spec.idPrefix ?? 'cust';
  Object.assign(truth, { rows: spec.rows, customers: Math.ceil(spec.rows / perCustomer), bytes: 0, physicalLines: 0, bad: [] });
  let piece = LARGE_EXPORT_HEADER + eol;
  let line = 2;
  for (let i = 0; i < spec.rows; i++) {
    const c = Math.floor(i / perCustomer);
    const { start, end } = month(i % perCustomer);
    const amount = (29 + (c % 9) * 10).toFixed(2);
    let row: string;
    const badIndex = (i + 1) % badEvery === 0 ? Math.floor(i / badEvery) % BAD_KINDS.length : -1;
    if (badIndex >= 0) {
      const bad = BAD_KINDS[badIndex]!;
      row = `${id}_in_${i},1,${id}_${c},${id}_sub_${c},pro,${bad.amount},USD,${start},${'end' in bad ? bad.end : end},paid,${'description' in bad ? bad.description : 'bad row'}`;
      truth.bad.push({ line, reason: bad.reason });
    } else if ((i + 2) % badEvery === 0) {
      // Just before a bad row: a quoted description over three lines, with a comma and a doubled quote.
      row = `${id}_in_${i},1,${id}_${c},${id}_sub_${c},pro,${amount},USD,${start},${end},paid,"Seats changed${eol}by ""ops"", see ticket${eol}closed"`;
    } else {
      row = `${id}_in_${i},1,${id}_${c},${id}_sub_${c},pro,${amount},USD,${start},${end},paid,Pro plan monthly subscription fee for customer account ${c}`;
    }
    piece += row + eol;
    line += 1 + (row.split(eol).length - 1);
    if (piece.length >= pieceBytes) {
      truth.bytes += Buffer.byteLength(piece);
      yield piece;
      piece = '';
    }
  }
  truth.bytes += Buffer.byteLength(piece);
  truth.physicalLines = line - 1;
  yield piece;
}

/** The whole export in memory (tests). */
export function largeExport(spec: LargeExportSpec): { text: string; truth: LargeExportTruth } {
  const truth = {} as LargeExportTruth;
  const text = [...largeExportText(spec, truth)].join('');
  return { text, truth };
}

/** Streams the export to `path` (gzip-compressed when `gzip`), without holding it in memory. */
export async function writeLargeExport(path: string, spec: LargeExportSpec, gzip = false): Promise<LargeExportTruth> {
  const truth = {} as LargeExportTruth;
  const source = Readable.from(largeExportText(spec, truth));
  if (gzip) await pipeline(source, createGzip({ level: 6 }), createWriteStream(path));
  else await pipeline(source, createWriteStream(path));
  return truth;
}
