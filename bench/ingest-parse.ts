/**
 * Billing-export parse benchmark (docs/metrics.md §6: ingest.mbPerSec, ingest.ratioToBareParser, ingest.peakRssMb).
 *
 * Generates a canonical invoice_line CSV (1,000,000 rows; --quick 100,000) and its gzip in a temp dir,
 * then measures, each in a fresh child process for a clean peak RSS, best of three runs (the machine is
 * shared; CPU seconds are reported beside wall time):
 *   bare      the parser readBillingExport uses (CsvTokenizer) streaming the file, no validation;
 *   plain     readBillingExport on the CSV, row by row (what the ingest handler does);
 *   batches   readBillingExportBatches on the CSV;
 *   gzip      readBillingExport on the .csv.gz;
 *   csvparse  csv-parse 7 streaming the file with the options the reader used before (one run; reference).
 * MB/s is always computed on the uncompressed size.
 *
 *   npx tsx bench/ingest-parse.ts [--quick]          (standalone; prints the table)
 *   npx tsx bench/ingest-parse.ts --child MODE FILE  (used by the parent)
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Parser } from 'csv-parse';
import { readBillingExport, readBillingExportBatches } from '../lambdas/formats';
import { CsvTokenizer } from '../lambdas/formats/csv-tokenizer';
import { formatTable, isMain, measureInChild, peakRssMb, reportToParent, time, type BenchModule, type Figure } from './harness';

type Mode = 'bare' | 'plain' | 'batches' | 'gzip' | 'csvparse';
interface Measurement {
  mode: Mode;
  rows: number;
  bad: number;
  seconds: number;
  /** User + system CPU seconds: steadier than wall time on a machine shared with other work. */
  cpuSeconds: number;
  peakRssMb: number;
}

const REPS = 3;
const OPTIONS = { reportingCurrency: 'USD', fxRates: { EUR: 1.08 } };

const PLANS = ['starter', 'pro', 'team', 'enterprise'];
const STATUSES = ['paid', 'paid', 'paid', 'open', 'failed', 'refunded'];

/** Streams `rows` realistic invoice lines to `file` (about 170 bytes a row), honouring backpressure. */
async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(
    'invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status,quantity,issued_at,customer_name\n',
  );
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const c = (i * 7919) % 50_000;
    const m = 1 + (i % 12);
    const start = `2025-${String(m).padStart(2, '0')}-01`;
    const end = m === 12 ? '2026-01-01' : `2025-${String(m + 1).padStart(2, '0')}-01`;
    const amount = ((c % 900) + 9.99).toFixed(2);
    buf += `in_${1_000_000 + Math.floor(i / 2)},li_${i},cus_${c},sub_${c},${PLANS[c % 4]},${amount},${c % 10 === 0 ? 'EUR' : 'USD'},${start},${end},${STATUSES[i % 6]},${1 + (c % 20)},${start},"Customer ${c}, Inc."\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

async function child(mode: Mode, file: string): Promise<Measurement> {
  let rows = 0;
  let bad = 0;
  const input = () => createReadStream(file, { highWaterMark: 1 << 20 });
  const cpu0 = process.cpuUsage();
  const { seconds } = await time(async () => {
    if (mode === 'bare') {
      const tokenizer = new CsvTokenizer({
        record: () => void rows++,
        error: () => void bad++,
      });
      for await (const chunk of input()) tokenizer.write(chunk as Buffer);
      tokenizer.end();
      rows--; // header
    } else if (mode === 'csvparse') {
      const parser = new Parser({
        bom: true,
        info: true,
        skip_empty_lines: true,
        relax_column_count: true,
        skip_records_with_error: true,
        on_record: () => {
          rows++;
          return null;
        },
      });
      parser.on('skip', () => bad++);
      await pipeline(input(), parser);
      rows--;
    } else if (mode === 'batches') {
      for await (const batch of readBillingExportBatches(input(), file, OPTIONS)) {
        for (const r of batch) {
          if (r.ok) rows++;
          else bad++;
        }
      }
    } else {
      for await (const r of readBillingExport(input(), file, OPTIONS)) {
        if (r.ok) rows++;
        else bad++;
      }
    }
  });
  const cpu = process.cpuUsage(cpu0);
  return { mode, rows, bad, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: peakRssMb() };
}

export const ingestParseBench: BenchModule = {
  name: 'ingest-parse',
  async run({ quick }) {
    const rows = quick ? 100_000 : 1_000_000;
    const dir = mkdtempSync(join(tmpdir(), 'churnwatch-ingest-parse-'));
    try {
      const csv = join(dir, 'invoice-lines.csv');
      const gz = `${csv}.gz`;
      process.stderr.write(`   generating ${rows.toLocaleString('en-US')} rows…\n`);
      await writeCsv(csv, rows);
      await pipeline(createReadStream(csv), createGzip(), createWriteStream(gz));
      const mb = statSync(csv).size / 1e6;
      const measured = {} as Record<Mode, Measurement>;
      for (const mode of ['bare', 'plain', 'batches', 'gzip', 'csvparse'] as const) {
        for (let rep = 0; rep < (mode === 'csvparse' ? 1 : REPS); rep++) {
          process.stderr.write(`   ${mode} ${rep + 1}…\n`);
          const m = await measureInChild<Measurement>('ingest-parse.ts', ['--child', mode, mode === 'gzip' ? gz : csv]);
          if (m.rows !== rows || m.bad !== 0) throw new Error(`${mode}: read ${m.rows} good and ${m.bad} bad rows, expected ${rows} good`);
          const best = measured[mode];
          if (!best || m.seconds < best.seconds) measured[mode] = { ...m, peakRssMb: Math.max(m.peakRssMb, best?.peakRssMb ?? 0) };
          else best.peakRssMb = Math.max(best.peakRssMb, m.peakRssMb);
        }
      }
      const { bare, plain, batches, gzip, csvparse } = measured;
      const size = `${rows.toLocaleString('en-US')} rows, ${mb.toFixed(1)} MB, best of ${REPS}`;
      const figures: Figure[] = [
        { name: 'ingest.mbPerSec', value: mb / plain.seconds, unit: 'MB/s', note: `readBillingExport, plain CSV, ${size} (target ≥ 100)` },
        {
          name: 'ingest.ratioToBareParser',
          value: plain.seconds / bare.seconds,
          unit: 'x',
          note: 'readBillingExport time / bare CsvTokenizer time (target ≤ 2)',
        },
        {
          name: 'ingest.peakRssMb',
          value: Math.max(plain.peakRssMb, batches.peakRssMb, gzip.peakRssMb),
          unit: 'MB',
          note: 'max over plain, batches and gzip runs, whole process incl. tsx (target ≤ 256)',
        },
        {
          name: 'ingest.bareParserMbPerSec',
          value: mb / bare.seconds,
          unit: 'MB/s',
          note: 'CsvTokenizer alone, no validation: the floor here',
        },
        { name: 'ingest.batchesMbPerSec', value: mb / batches.seconds, unit: 'MB/s', note: 'readBillingExportBatches, plain CSV' },
        { name: 'ingest.gzipMbPerSec', value: mb / gzip.seconds, unit: 'MB/s', note: 'readBillingExport on the .csv.gz (uncompressed MB)' },
        { name: 'ingest.rowsPerSec', value: rows / plain.seconds, unit: 'rows/s', note: 'readBillingExport, plain CSV' },
        {
          name: 'ingest.cpuRatioToBareParser',
          value: plain.cpuSeconds / bare.cpuSeconds,
          unit: 'x',
          note: 'same ratio on CPU seconds (less sensitive to a busy machine)',
        },
        { name: 'ingest.cpuMbPerSec', value: mb / plain.cpuSeconds, unit: 'MB/s', note: 'readBillingExport MB per CPU second' },
        { name: 'ingest.bareParserPeakRssMb', value: bare.peakRssMb, unit: 'MB', note: 'CsvTokenizer alone' },
        {
          name: 'ingest.csvParseMbPerSec',
          value: mb / csvparse.seconds,
          unit: 'MB/s',
          note: 'csv-parse 7 alone, as the reader used it before (one run)',
        },
        {
          name: 'ingest.ratioToCsvParse',
          value: plain.seconds / csvparse.seconds,
          unit: 'x',
          note: 'readBillingExport time / csv-parse alone',
        },
      ];
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    child(argv[1] as Mode, argv[2]!).then(reportToParent, (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  } else {
    ingestParseBench.run({ quick: argv.includes('--quick') }).then(
      (figures) => console.log(formatTable(figures)),
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  }
}
