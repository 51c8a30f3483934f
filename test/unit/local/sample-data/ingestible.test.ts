import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBillingExport } from '../../../../lambdas/formats';
import { validateUsageEvent } from '../../../../lambdas/formats/usage-event';
import { parseConfig } from '../../../../lambdas/shared/config';
import { generateSampleSaas, sampleConfig, writeSampleSaas, type SampleSaas } from '../../../../local/sample-data/generate';

/** The sample must go through the real readers without a single quarantined row or rejected event. */
describe('the sample data set is accepted by the pipeline readers', () => {
  let dir: string;
  let sample: SampleSaas;
  let files: { billingFiles: string[]; eventFiles: string[] };
  const config = parseConfig(sampleConfig);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sample-ingest-'));
    sample = generateSampleSaas({ asOf: '2026-03-15', customers: 150 });
    files = await writeSampleSaas(sample, dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads every billing row as a valid record of the right kind', async () => {
    const kinds: Record<string, number> = {};
    const bad: unknown[] = [];
    for (const path of files.billingFiles) {
      for await (const row of readBillingExport(createReadStream(path), `exports/${basename(path)}`, config)) {
        if (row.ok) kinds[row.record.kind] = (kinds[row.record.kind] ?? 0) + 1;
        else bad.push({ file: basename(path), ...row });
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(kinds).toEqual({
      customer: sample.customers.length,
      invoice_line: sample.invoiceLines.length,
      cancellation: sample.cancellations.length,
    });
  });

  it('reads the special names back exactly', async () => {
    const names: string[] = [];
    const path = files.billingFiles.find((p) => basename(p) === 'customers.csv')!;
    for await (const row of readBillingExport(createReadStream(path), 'exports/customers.csv', config)) {
      if (row.ok && row.record.kind === 'customer') names.push(row.record.attributes.name ?? '');
    }
    expect(names).toEqual(sample.customers.map((c) => c.name));
  });

  it('has no usage event the API would reject on asOf', () => {
    const now = new Date('2026-03-15T23:59:59Z');
    const rejected = sample.events
      .map((e) => validateUsageEvent(e, now))
      .filter((r) => !r.ok)
      .slice(0, 5);
    expect(rejected).toEqual([]);
  });
});
