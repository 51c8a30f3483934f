import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { RowError, UnreadableFileError } from './errors';
import { BUILDERS, BuildContext, FIELD, FIELDS, type BuilderName, type Field, type RowSource } from './records';
import { clipRaw, type ReadOptions, type ReadResult } from './read-result';

/**
 * Stripe Data Pipeline drops (docs/metrics.md §1.2): Parquet tables `invoice_line_items`,
 * `subscriptions` and `customers`, read as the Stripe Dashboard CSV presets are, with amounts in minor
 * units. Read one row group at a time and only the columns a preset uses, through an AsyncBuffer
 * (S3 range reads in Lambda), so memory is bounded by a row group, not the file.
 */

export type PipelineTable = 'invoice_line_items' | 'subscriptions' | 'customers';
export const PIPELINE_TABLES: readonly PipelineTable[] = ['invoice_line_items', 'subscriptions', 'customers'];

/** Where a key under `exports/` sits in the Data Pipeline layout (`<livemode|testmode>/<run>/<table>/<part>.parquet`). */
export type PipelineRoute =
  | { kind: 'table'; table: PipelineTable; mode: 'livemode' | 'testmode' }
  /** `_SUCCESS` (or `<dataset>_SUCCESS`) marker: says a run is complete, holds no rows. */
  | { kind: 'marker' }
  /** A part of the drop that is not read (another table, test-mode data): skipped, not failed. */
  | { kind: 'skip'; reason: string };

/** The route of a Data Pipeline key, or undefined for any other file (read as CSV/JSONL/Parquet by content). */
export function pipelineRoute(key: string, opts: { includeTestmode: boolean }): PipelineRoute | undefined {
  const parts = key.split('/');
  const name = parts.at(-1) ?? '';
  const modeAt = parts.findIndex((p) => p === 'livemode' || p === 'testmode');
  if (/(^|_)SUCCESS$/.test(name)) return modeAt >= 0 || name === '_SUCCESS' ? { kind: 'marker' } : undefined;
  if (modeAt < 0) return undefined;
  const mode = parts[modeAt] as 'livemode' | 'testmode';
  // Spark-style writers leave `_temporary/`, `.crc` and `_committed_` files beside the data.
  if (name.startsWith('.') || name.startsWith('_') || parts.some((p) => p === '_temporary')) {
    return { kind: 'skip', reason: 'a writer’s bookkeeping file, not data' };
  }
  const table = PIPELINE_TABLES.find((t) => parts.slice(modeAt + 1, -1).includes(t));
  if (!table) return { kind: 'skip', reason: `not one of the tables read (${PIPELINE_TABLES.join(', ')})` };
  if (mode === 'testmode' && !opts.includeTestmode) {
    return { kind: 'skip', reason: 'test-mode data is not ingested (set stripeDataPipeline.includeTestmode to read it)' };
  }
  return { kind: 'table', table, mode };
}

export const isParquetKey = (key: string): boolean => key.toLowerCase().endsWith('.parquet');

interface Preset {
  builder: BuilderName;
  /** Candidate Parquet columns per field, first non-empty wins (row by row). */
  columns: Partial<Record<Field, string[]>>;
  required: Field[];
  /** Fields holding amounts in minor units of the row's currency. */
  money: Field[];
}

/** Keys of the `metadata` JSON column where teams keep the account owner (as the CSV presets read `owner_email (metadata)`). */
const OWNER_KEYS = ['owner_email', 'owner', 'csm_email', 'csm'];

const PRESETS: Record<PipelineTable, Preset> = {
  invoice_line_items: {
    builder: 'invoice_line',
    columns: {
      line_id: ['id'],
      invoice_id: ['invoice_id', 'invoice'],
      customer_id: ['customer_id', 'customer', 'invoice_customer_id'],
      amount: ['amount'],
      currency: ['currency'],
      period_start: ['period_start'],
      period_end: ['period_end'],
      status: ['invoice_status', 'status'],
      subscription_id: ['subscription_id', 'subscription'],
      plan: ['price_id', 'plan_id', 'price', 'plan'],
      quantity: ['quantity'],
      issued_at: ['invoice_created', 'created'],
    },
    required: ['invoice_id', 'customer_id', 'amount', 'currency', 'period_start', 'period_end', 'status'],
    money: ['amount'],
  },
  subscriptions: {
    builder: 'stripe_subscription',
    columns: {
      subscription_id: ['id'],
      customer_id: ['customer_id', 'customer'],
      status: ['status'],
      ended_at: ['ended_at'],
      canceled_at: ['canceled_at'],
      current_period_start: ['current_period_start'],
      // The customer's own words first, Stripe's mechanism as the fallback (as the CSV preset).
      reason: ['cancellation_details_feedback', 'cancellation_feedback', 'cancellation_details_reason', 'cancellation_reason'],
      feedback: ['cancellation_details_comment', 'cancellation_comment'],
    },
    required: ['subscription_id', 'customer_id', 'status'],
    money: [],
  },
  customers: {
    builder: 'customer',
    columns: {
      customer_id: ['id'],
      name: ['name', 'description'],
      created_at: ['created'],
    },
    required: ['customer_id'],
    money: [],
  },
};

/**
 * Digits after the decimal point of Stripe's minor units: 0 for zero-decimal currencies (JPY, KRW, …),
 * 3 for the three-decimal ones, 2 for the rest (Stripe's "Zero-decimal currencies" list).
 */
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

export function minorUnitDigits(currency: string): number {
  const code = currency.toUpperCase();
  return ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2;
}

/** Minor units as exact decimal text in major units: 2999 USD → "29.99", -5 USD → "-0.05", 500 JPY → "500". */
export function minorToMajor(value: bigint | number | string, currency: string): string {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) n = BigInt(value.trim());
  else throw new RowError(`amount: ${JSON.stringify(String(value))} is not a whole number of minor units`);
  const digits = minorUnitDigits(currency);
  const negative = n < 0n;
  const abs = (negative ? -n : n).toString().padStart(digits + 1, '0');
  const text = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return negative ? `-${text}` : text;
}

/** A Parquet value as the text the builders read: days as `YYYY-MM-DD` (UTC), everything else as written. */
function asText(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'invalid date' : value.toISOString().slice(0, 10);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Epoch seconds (Stripe's API timestamps, when a pipeline writes them as plain integers) as a day. */
function dayOf(value: unknown): unknown {
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
    const seconds = Number(value);
    // Milliseconds when too large to be seconds of a plausible year.
    const ms = Math.abs(seconds) > 1e11 ? seconds : seconds * 1000;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? String(value) : d.toISOString().slice(0, 10);
  }
  return asText(value);
}

const DAY_FIELDS = new Set<Field>([
  'period_start',
  'period_end',
  'issued_at',
  'ended_at',
  'canceled_at',
  'current_period_start',
  'created_at',
  'effective_at',
]);

/** Metadata owner: `{"owner_email": "csm@acme.io"}` as a JSON string (or a map column read as an object). */
function ownerFromMetadata(metadata: unknown): string | undefined {
  let m: unknown = metadata;
  if (typeof metadata === 'string') {
    try {
      m = JSON.parse(metadata);
    } catch {
      return undefined;
    }
  }
  if (typeof m !== 'object' || m === null) return undefined;
  for (const key of OWNER_KEYS) {
    if (Object.prototype.hasOwnProperty.call(m, key)) {
      const v = (m as Record<string, unknown>)[key];
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
    }
  }
  return undefined;
}

class ParquetRow implements RowSource {
  row: Record<string, unknown> = {};
  private readonly sources: (string[] | undefined)[];

  constructor(
    private readonly preset: Preset,
    present: ReadonlySet<string>,
    private readonly hasMetadata: boolean,
  ) {
    this.sources = FIELDS.map((f) => preset.columns[f]?.filter((c) => present.has(c)));
  }

  get(field: number): unknown {
    const name = FIELDS[field]!;
    if (name === 'owner_email') return this.hasMetadata ? ownerFromMetadata(this.row.metadata) : undefined;
    for (const column of this.sources[field] ?? []) {
      const raw = this.row[column];
      if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) continue;
      if (this.preset.money.includes(name)) {
        const currency = this.row[this.sources[FIELD.currency]?.[0] ?? 'currency'];
        if (typeof currency !== 'string') return undefined; // the currency check names the problem
        return minorToMajor(raw as bigint, currency);
      }
      return DAY_FIELDS.has(name) ? dayOf(raw) : asText(raw);
    }
    return undefined;
  }
}

function columnNames(metadata: FileMetaData): string[] {
  // Top-level columns only: nested groups (a metadata map) are read whole by their name.
  const names: string[] = [];
  let i = 1;
  const schema = metadata.schema;
  const skip = (n: number): number => {
    let at = n;
    const children = schema[at]!.num_children ?? 0;
    at++;
    for (let c = 0; c < children; c++) at = skip(at);
    return at;
  };
  while (i < schema.length) {
    names.push(schema[i]!.name);
    i = skip(i);
  }
  return names;
}

/** The table a Parquet file holds: from its folder when the key names one, else from its columns. */
export function detectPipelineTable(key: string, columns: readonly string[]): PipelineTable {
  const fromKey = PIPELINE_TABLES.find((t) => key.split('/').slice(0, -1).includes(t));
  if (fromKey) return fromKey;
  const has = (c: string) => columns.includes(c);
  if ((has('invoice_id') || has('invoice')) && has('amount') && has('period_start')) return 'invoice_line_items';
  if (has('id') && has('status') && (has('canceled_at') || has('ended_at'))) return 'subscriptions';
  if (has('id') && has('created') && (has('email') || has('name') || has('description')) && !has('customer') && !has('customer_id'))
    return 'customers';
  throw new UnreadableFileError(
    `Unrecognised Parquet columns (${columns.slice(0, 12).join(', ')}${columns.length > 12 ? ', …' : ''}): expected Stripe Data Pipeline's ` +
      `${PIPELINE_TABLES.join(', ')} (put it under a folder of that name, as Data Pipeline does)`,
    1,
  );
}

const PARQUET_MAGIC = 'PAR1';
/** First read of the footer: most footers fit; a larger one costs a second read, not a wasted 512 KB one. */
const FOOTER_FETCH_BYTES = 64 * 1024;

function rawOf(row: Record<string, unknown>): string {
  return clipRaw(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/**
 * Streams a Stripe Data Pipeline Parquet file into validated records, one batch per row group; the
 * `line` of a row is its 1-based row number in the file.
 */
export async function* readParquetBatches(file: AsyncBuffer, key: string, opts: ReadOptions): AsyncGenerator<ReadResult[]> {
  if (file.byteLength < 12) throw new UnreadableFileError(`Not a Parquet file: ${file.byteLength} bytes`);
  const tail = Buffer.from(await file.slice(file.byteLength - 4, file.byteLength)).toString('latin1');
  if (tail !== PARQUET_MAGIC) throw new UnreadableFileError('Not a Parquet file: no PAR1 footer (damaged, truncated or another format)');
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file, { initialFetchSize: FOOTER_FETCH_BYTES });
  } catch (err) {
    throw new UnreadableFileError(`The Parquet footer cannot be read: ${(err as Error).message}`, undefined, { cause: err });
  }
  const names = columnNames(metadata);
  const table = detectPipelineTable(key, names);
  const preset = PRESETS[table];
  const present = new Set(names);
  const missing = preset.required.filter((f) => !preset.columns[f]!.some((c) => present.has(c)));
  if (missing.length > 0) {
    throw new UnreadableFileError(
      `A Stripe Data Pipeline ${table} file needs ${missing.map((f) => preset.columns[f]!.join(' or ')).join(', ')}; its columns are ${names.join(', ')}`,
      1,
    );
  }
  const wanted = [...new Set(Object.values(preset.columns).flat())].filter((c) => present.has(c));
  const hasMetadata = present.has('metadata');
  if (hasMetadata) wanted.push('metadata');
  const ctx = new BuildContext(opts.reportingCurrency, opts.fxRates, true);
  const build = BUILDERS[preset.builder];
  const row = new ParquetRow(preset, present, hasMetadata);

  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    if (rowEnd === rowStart) continue;
    let rows: Record<string, unknown>[];
    try {
      rows = (await parquetReadObjects({ file, metadata, columns: wanted, rowStart, rowEnd })) as Record<string, unknown>[];
    } catch (err) {
      throw new UnreadableFileError(`Row group at row ${rowStart + 1} cannot be decoded: ${(err as Error).message}`, rowStart + 1, {
        cause: err,
      });
    }
    const results: ReadResult[] = [];
    rows.forEach((values, i) => {
      const line = rowStart + i + 1;
      row.row = values;
      try {
        results.push({ ok: true, line, record: build(row, ctx) });
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        results.push({ ok: false, line, reason: err.reason, raw: rawOf(values) });
      }
    });
    if (results.length > 0) yield results;
    rowStart = rowEnd;
  }
}
