import { UnreadableFileError, RowError } from './errors';
import { detectCsvLayout, type CsvLayout } from './csv-header';
import { CsvTokenizer } from './csv-tokenizer';
import { BUILDERS, BuildContext, FIELDS, type Field, type RowSource } from './records';
import { INVALID_UTF8, clipRaw, type ReadOptions, type ReadResult } from './read-result';

const ABSENT = -1;
const FALLBACK = -2;

class CsvRow implements RowSource {
  row: string[] = [];
  /** Column per FIELD number; ABSENT, or FALLBACK when several columns are tried in turn (`fallbacks`). */
  private readonly index: Int32Array;
  private readonly fallbacks: number[][];

  constructor(columns: Partial<Record<Field, number | number[]>>) {
    this.index = Int32Array.from(FIELDS, (f) => {
      const c = columns[f];
      return typeof c === 'number' ? c : c === undefined ? ABSENT : FALLBACK;
    });
    this.fallbacks = FIELDS.map((f) => {
      const c = columns[f];
      return Array.isArray(c) ? c : [];
    });
  }

  get(field: number): unknown {
    const i = this.index[field]!;
    if (i >= 0) return this.row[i];
    if (i === ABSENT) return undefined;
    for (const j of this.fallbacks[field]!) {
      const v = this.row[j];
      if (v !== undefined && v.trim() !== '') return v;
    }
    return undefined;
  }
}

/**
 * Bytes handed to the tokenizer at a time. Whatever the source's chunk size, a batch then holds a few
 * hundred rows: they die young, which keeps garbage collection cheap, and memory stays flat.
 */
const SLICE_BYTES = 64 * 1024;

/**
 * Streams an RFC 4180 CSV (bytes, any chunking) into validated records, header first, in batches (one
 * per slice of input). Records are built as the tokenizer finds them, and the original text of a row is
 * sliced out only when the row is quarantined.
 */
export async function* readCsvBatches(chunks: AsyncIterable<Buffer>, opts: ReadOptions): AsyncGenerator<ReadResult[]> {
  let results: ReadResult[] = [];
  let layout: CsvLayout | undefined;
  let ctx: BuildContext | undefined;
  let row: CsvRow | undefined;
  let build: (typeof BUILDERS)[keyof typeof BUILDERS] | undefined;

  const tokenizer = new CsvTokenizer(
    {
      record(fields, line, text, start, end) {
        // A line of only spaces is blank too, not a row with every field missing.
        if (fields.length === 1 && fields[0]!.trim() === '') return;
        if (!layout) {
          layout = detectCsvLayout(fields);
          ctx = new BuildContext(opts.reportingCurrency, opts.fxRates, layout.stripeDates);
          row = new CsvRow(layout.columns);
          build = BUILDERS[layout.builder];
          return;
        }
        row!.row = fields;
        if (tokenizer.invalidUtf8 && text.slice(start, end).includes('\uFFFD')) {
          results.push({ ok: false, line, reason: INVALID_UTF8, raw: clipRaw(text.slice(start, end)) });
          return;
        }
        try {
          results.push({ ok: true, line, record: build!(row!, ctx!) });
        } catch (err) {
          if (!(err instanceof RowError)) throw err;
          results.push({ ok: false, line, reason: err.reason, raw: clipRaw(text.slice(start, end)) });
        }
      },
      error(reason, line, raw) {
        if (!layout) throw new UnreadableFileError(`The CSV header is malformed: ${reason}`, line);
        results.push({ ok: false, line, reason: `CSV syntax: ${reason}`, raw: clipRaw(raw) });
      },
    },
    opts.firstLine,
  );

  for await (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
      try {
        tokenizer.write(offset === 0 && chunk.length <= SLICE_BYTES ? chunk : chunk.subarray(offset, offset + SLICE_BYTES));
      } catch (err) {
        if (results.length > 0) yield results; // the rows before the damage, as for a truncated gzip
        throw err;
      }
      if (results.length > 0) {
        const batch = results;
        results = [];
        yield batch;
      }
    }
  }
  try {
    tokenizer.end();
  } finally {
    if (results.length > 0) yield results;
  }
  if (!layout) throw new UnreadableFileError('The CSV file has no header line (it is blank)', 1);
}
