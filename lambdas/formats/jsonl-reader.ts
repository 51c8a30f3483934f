import { UnreadableFileError, RowError } from './errors';
import { BUILDERS, BuildContext, FIELDS, type BuilderName, type RowSource } from './records';
import { isUtf8 } from 'node:buffer';
import { INVALID_UTF8, clipRaw, type ReadOptions, type ReadResult } from './read-result';

const TYPES: Record<string, BuilderName> = {
  invoice_line: 'invoice_line',
  cancellation: 'cancellation',
  customer: 'customer',
};

/** A line this long is not an export record; stop rather than buffer without bound. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

class JsonRow implements RowSource {
  obj: Record<string, unknown> = {};
  get(field: number): unknown {
    return this.obj[FIELDS[field]!];
  }
}

function parseLine(text: string, row: JsonRow, ctx: BuildContext): ReturnType<(typeof BUILDERS)[BuilderName]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RowError(`not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RowError(`expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  const type = (value as Record<string, unknown>).type;
  if (type === undefined || type === null || type === '') {
    throw new RowError('type is missing (expected "invoice_line", "cancellation" or "customer")');
  }
  const builder = typeof type === 'string' && Object.hasOwn(TYPES, type) ? TYPES[type]! : undefined;
  if (!builder) throw new RowError(`type: ${JSON.stringify(type)} is not one of invoice_line|cancellation|customer`);
  // Stripe-only subscription logic never applies to JSONL: `type` says what the record is.
  row.obj = value as Record<string, unknown>;
  return BUILDERS[builder](row, ctx);
}

/** Streams JSON Lines: one record per physical line, blank lines skipped, CRLF tolerated; one batch per chunk. */
export async function* readJsonlBatches(chunks: AsyncIterable<Buffer>, opts: ReadOptions): AsyncGenerator<ReadResult[]> {
  const ctx = new BuildContext(opts.reportingCurrency, opts.fxRates, false);
  const row = new JsonRow();
  let pending: Buffer | undefined;
  const firstLine = opts.firstLine ?? 1;
  let lineNo = firstLine - 1;

  function handle(bytes: Buffer): ReadResult | undefined {
    lineNo++;
    let text = bytes.toString('utf8');
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return undefined;
    if (!isUtf8(bytes)) return { ok: false, line: lineNo, reason: INVALID_UTF8, raw: clipRaw(text) };
    try {
      return { ok: true, line: lineNo, record: parseLine(text, row, ctx) };
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      return { ok: false, line: lineNo, reason: err.reason, raw: clipRaw(text) };
    }
  }

  for await (const chunk of chunks) {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    const batch: ReadResult[] = [];
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      const result = handle(buf.subarray(start, nl));
      if (result) batch.push(result);
      start = nl + 1;
    }
    if (batch.length > 0) yield batch;
    pending = start < buf.length ? buf.subarray(start) : undefined;
    if (pending && pending.length > MAX_LINE_BYTES) {
      throw new UnreadableFileError(`Line ${lineNo + 1} is longer than 16 MB: not a JSON Lines export`, lineNo + 1);
    }
  }
  if (pending) {
    const result = handle(pending);
    if (result) yield [result];
  }
}
