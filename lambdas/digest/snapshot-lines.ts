/**
 * Reads snapshot.json line by line into the digest's owner books (docs/metrics.md §5: one at-risk row
 * per line). At a million customers the file is ~280 MB, several times the digest function's heap as
 * a string and far more parsed; streamed, memory holds the current line and what the digest mails.
 *
 * Layout, as lambdas/report/snapshot-json.ts writes it:
 *   {"asOf":…,…,"atRisk":[        the summary's fields before the list
 *   {row},                         one at-risk row per line, a comma after all but the last
 *   ],"scheduledChurn":[…],…}      the list's end and the fields after it
 */
import { byteLines, OVERLONG } from '../formats/byte-lines';
import { buffers, type ByteSource } from '../formats/byte-stream';
import type { ScheduledChurn } from '../domain/forecast/types';
import type { AtRiskCustomer, Snapshot } from '../domain/types';
import { OwnerBooksBuilder, snapshotBooks, type SnapshotBooks } from './owner-books';

/**
 * The longest line read: far above a row (~1 KB) or the tail (the save list, ~200 bytes an entry:
 * ~4 MB at a million customers), and low enough that a file in another layout fails with a clear
 * error before it fills the function's memory.
 */
export const MAX_SNAPSHOT_LINE_BYTES = 64 * 1024 * 1024;

const LIST_START = '"atRisk":[';
const COMMA = 0x2c;

export class SnapshotFileError extends Error {
  override name = 'SnapshotFileError';
}

export interface ReadSnapshotOptions {
  fallbackTo: string;
  allowedDomains?: readonly string[];
  /** Where the file came from, for the errors. */
  key?: string;
  /** Defaults to MAX_SNAPSHOT_LINE_BYTES. */
  maxLineBytes?: number;
  log?: (level: 'warn', message: string, data: Record<string, unknown>) => void;
}

/** The digest's books of a snapshot.json read as a stream of bytes (an S3 GetObject body). */
export async function readSnapshotBooks(body: ByteSource, opts: ReadSnapshotOptions): Promise<SnapshotBooks> {
  const file = opts.key ?? 'snapshot.json';
  const maxLineBytes = opts.maxLineBytes ?? MAX_SNAPSHOT_LINE_BYTES;
  const fail = (line: number, what: string) => new SnapshotFileError(`${file} line ${line}: ${what}`);
  const parse = (line: number, text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw fail(line, `not valid JSON (${(err as Error).message})`);
    }
  };

  const books = new OwnerBooksBuilder(opts.fallbackTo, opts.allowedDomains);
  let head: Pick<Snapshot, 'asOf' | 'currency'> | undefined;
  let whole: SnapshotBooks | undefined;
  let ended = false;
  let line = 0;
  for await (const bytes of byteLines(buffers(body), maxLineBytes)) {
    line++;
    if (bytes === OVERLONG) {
      throw fail(
        line,
        `longer than ${maxLineBytes} bytes. snapshot.json must have one at-risk row per line ` +
          '(docs/metrics.md §5); a file written before that layout is one line: run the snapshot again for that date to rewrite it',
      );
    }
    if (ended || whole) {
      if (bytes.toString('utf8').trim() !== '') throw fail(line, 'text after the end of the document');
      continue;
    }
    if (!head) {
      const text = bytes.toString('utf8');
      if (text.endsWith(LIST_START)) {
        head = header(line, parse(line, `${text}]}`), fail);
        continue;
      }
      // An older file (the whole document on one line): small enough to have got here, so read it whole.
      opts.log?.('warn', 'snapshot.json is not one at-risk row per line (written before the digest streamed it): parsing it whole', {
        key: file,
        bytes: bytes.length,
      });
      const snapshot = parse(line, text) as Snapshot;
      header(line, snapshot, fail);
      if (!Array.isArray(snapshot.atRisk)) throw fail(line, 'atRisk is not a list');
      whole = snapshotBooks(snapshot, opts.fallbackTo, opts.allowedDomains);
      continue;
    }
    if (bytes[0] === 0x7b /* { */) {
      const json = bytes[bytes.length - 1] === COMMA ? bytes.subarray(0, -1) : bytes;
      books.addAtRisk(atRiskRow(line, parse(line, json.toString('utf8')), fail), json);
      continue;
    }
    const text = bytes.toString('utf8');
    if (!text.startsWith(']'))
      throw fail(line, `expected an at-risk row or the end of the list, found ${JSON.stringify(text.slice(0, 40))}`);
    const tail = parse(line, `{${text.slice(text.startsWith('],') ? 2 : 1)}`) as { scheduledChurn?: ScheduledChurn[] };
    const scheduled = tail.scheduledChurn ?? [];
    if (!Array.isArray(scheduled)) throw fail(line, 'scheduledChurn is not a list');
    for (const entry of scheduled) books.addScheduled(entry);
    ended = true;
  }
  if (whole) return whole;
  if (!head) throw new SnapshotFileError(`${file} is empty`);
  if (!ended) throw new SnapshotFileError(`${file} ends inside the at-risk list after line ${line}: the file is truncated`);
  return books.finish(head);
}

function header(line: number, value: unknown, fail: (line: number, what: string) => Error): Pick<Snapshot, 'asOf' | 'currency'> {
  const h = value as Partial<Snapshot> | null;
  if (typeof h?.asOf !== 'string' || typeof h.currency !== 'string') throw fail(line, 'the summary has no asOf and currency');
  return { asOf: h.asOf, currency: h.currency };
}

/** The fields routing depends on are checked; the rest is the snapshot's own output, rendered as it is. */
function atRiskRow(line: number, value: unknown, fail: (line: number, what: string) => Error): AtRiskCustomer {
  const row = value as Partial<AtRiskCustomer> | null;
  if (
    typeof row?.customerId !== 'string' ||
    !(row.owner === null || typeof row.owner === 'string') ||
    !(row.band === null || row.band === 'red' || row.band === 'yellow' || row.band === 'green')
  ) {
    throw fail(line, 'an at-risk row needs a customerId, an owner (or null) and a band (red, yellow, green or null)');
  }
  return row as AtRiskCustomer;
}
