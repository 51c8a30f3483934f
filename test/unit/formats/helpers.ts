import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { billingRecordSchema, readBillingExport, type ReadOptions, type ReadResult } from '../../../lambdas/formats';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/billing/', import.meta.url));

export const OPTS: ReadOptions = { reportingCurrency: 'USD', fxRates: { EUR: 1.08 } };

/** Every result of a file, each good record also checked against the schema of record. */
export async function readAll(body: Parameters<typeof readBillingExport>[0], key: string, opts: ReadOptions = OPTS): Promise<ReadResult[]> {
  const out: ReadResult[] = [];
  for await (const r of readBillingExport(body, key, opts)) {
    if (r.ok) billingRecordSchema.parse(r.record);
    out.push(r);
  }
  return out;
}

export const readFixture = (name: string, opts: ReadOptions = OPTS): Promise<ReadResult[]> =>
  readAll(createReadStream(FIXTURES + name, { highWaterMark: 64 }), name, opts);

/** Bytes delivered in small chunks, so every test also crosses chunk boundaries. */
export async function* chunked(data: Uint8Array | string, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export const bad = (rs: ReadResult[]) => rs.filter((r): r is Extract<ReadResult, { ok: false }> => !r.ok);
export const good = (rs: ReadResult[]) => rs.filter((r): r is Extract<ReadResult, { ok: true }> => r.ok);
