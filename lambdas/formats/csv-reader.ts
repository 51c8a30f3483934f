import { Parser, type CsvError } from 'csv-parse';
import { UnreadableFileError, RowError } from './errors';
import { detectCsvLayout, type CsvLayout } from './csv-header';
import { BUILDERS, BuildContext, type Field, type RowSource } from './records';
import { clipRaw, type ReadOptions, type ReadResult } from './read-result';

type Parsed = { record: string[]; info: { lines: number; empty_lines: number } };
type Queued = { ok: true; parsed: Parsed } | { ok: false; error: CsvError };

/** Line breaks inside a record's fields: all of them, and the CRLF pairs among them. */
function breaksIn(fields: string[]): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (const f of fields) {
    for (let i = 0; i < f.length; i++) {
      const c = f.charCodeAt(i);
      if (c === 10) breaks++;
      else if (c === 13) {
        breaks++;
        if (f.charCodeAt(i + 1) === 10) {
          crlf++;
          i++;
        }
      }
    }
  }
  return { breaks, crlf };
}

const csvField = (f: string): string => (/[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f);

/**
 * The quarantined text of a bad record. Rebuilt from its fields rather than kept by csv-parse
 * (`raw: true` costs on every byte of every row, and bad rows are rare); quoting may differ from the
 * original but the content is the same.
 */
const rawOf = (fields: string[]): string => clipRaw(fields.map(csvField).join(','));

/**
 * Physical line numbers. csv-parse's `info.lines` is the line a record ends on, and it counts a CRLF
 * inside a quoted field as two lines; this tracks the correction and finds where each record starts.
 */
class LineTracker {
  private prevLines = 0;
  private prevEmpty = 0;
  private extra = 0;

  startOf(fields: string[], info: Parsed['info']): number {
    const expected = this.prevLines + 1 + (info.empty_lines - this.prevEmpty);
    this.prevLines = info.lines;
    this.prevEmpty = info.empty_lines;
    // Fast path: the record is the single line right after the previous one (and any blank lines).
    if (info.lines === expected) return info.lines - this.extra;
    const { breaks, crlf } = breaksIn(fields);
    this.extra += crlf;
    return info.lines - this.extra - breaks;
  }

  /** Line of a syntax error (csv-parse's count there includes the CRLF correction so far). */
  errorLine(lines: number): number {
    this.prevLines = lines;
    return lines - this.extra;
  }
}

class CsvRow implements RowSource {
  row: string[] = [];
  constructor(private readonly columns: Partial<Record<Field, number | number[]>>) {}
  get(field: Field): unknown {
    const i = this.columns[field];
    if (typeof i === 'number') return this.row[i];
    if (i === undefined) return undefined;
    for (const j of i) {
      const v = this.row[j];
      if (v !== undefined && v.trim() !== '') return v;
    }
    return undefined;
  }
}

/** Streams an RFC 4180 CSV (bytes, any chunking) into validated records, header first. */
export async function* readCsv(chunks: AsyncIterable<Buffer>, opts: ReadOptions): AsyncGenerator<ReadResult> {
  const queue: Queued[] = [];
  let fatal: Error | undefined;
  const parser = new Parser({
    bom: true,
    info: true,
    skip_empty_lines: true,
    // Tolerates trailing delimiters and short rows: missing columns read as absent fields.
    relax_column_count: true,
    // A syntax error (e.g. a stray quote) quarantines that record instead of failing the whole file.
    skip_records_with_error: true,
    // With `info` on, csv-parse hands on_record {record, info} (its typings say string[]).
    on_record: ((parsed: Parsed) => {
      queue.push({ ok: true, parsed });
      return null; // consumed here: nothing accumulates in the stream's buffer
    }) as unknown as (record: string[]) => null,
  });
  parser.on('skip', (error: CsvError) => queue.push({ ok: false, error }));
  parser.on('error', (err: Error) => {
    fatal = err;
  });

  let layout: CsvLayout | undefined;
  let ctx: BuildContext | undefined;
  let row: CsvRow | undefined;
  const lines = new LineTracker();

  function* drain(): Generator<ReadResult> {
    if (fatal) throw new UnreadableFileError(`Not a readable CSV file: ${fatal.message}`, undefined, { cause: fatal });
    for (let q = 0; q < queue.length; q++) {
      const item = queue[q]!;
      if (!item.ok) {
        const line = lines.errorLine(Number(item.error.lines));
        if (!layout) throw new UnreadableFileError(`The CSV header is malformed: ${item.error.message}`, line);
        const fields = Array.isArray(item.error.record) ? (item.error.record as string[]) : [];
        yield { ok: false, line, reason: `CSV syntax: ${item.error.message}`, raw: rawOf(fields) };
        continue;
      }
      const { record, info } = item.parsed;
      const line = lines.startOf(record, info);
      // A line of only spaces is blank too, not a row with every field missing.
      if (record.length === 1 && record[0]!.trim() === '') continue;
      if (!layout) {
        layout = detectCsvLayout(record);
        ctx = new BuildContext(opts.reportingCurrency, opts.fxRates, layout.stripeDates);
        row = new CsvRow(layout.columns);
        continue;
      }
      row!.row = record;
      try {
        yield { ok: true, line, record: BUILDERS[layout.builder](row!, ctx!) };
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        yield { ok: false, line, reason: err.reason, raw: rawOf(record) };
      }
    }
    queue.length = 0;
  }

  for await (const chunk of chunks) {
    parser.write(chunk);
    yield* drain();
  }
  await new Promise<void>((resolve) => parser.end(resolve));
  yield* drain();
  if (!layout) throw new UnreadableFileError('The CSV file has no header line (it is blank)', 1);
}
