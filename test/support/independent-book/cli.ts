/**
 * Writes an independent synthetic book: `npx tsx test/support/independent-book/cli.ts --out DIR
 * [--customers N] [--months N] [--seed N] [--as-of YYYY-MM-DD]`.
 */
import { parseArgs } from 'node:util';
import { DEFAULTS, generateIndependentBook, writeIndependentBook } from './index';

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      customers: { type: 'string' },
      months: { type: 'string' },
      seed: { type: 'string' },
      'as-of': { type: 'string' },
    },
  });
  if (!values.out) throw new Error('usage: cli.ts --out DIR [--customers N] [--months N] [--seed N] [--as-of YYYY-MM-DD]');
  const started = performance.now();
  const book = generateIndependentBook({
    customers: integer(values.customers, 'customers') ?? DEFAULTS.customers,
    months: integer(values.months, 'months') ?? DEFAULTS.months,
    seed: integer(values.seed, 'seed') ?? DEFAULTS.seed,
    asOf: values['as-of'] ?? DEFAULTS.asOf,
  });
  const generated = performance.now();
  void writeIndependentBook(book, values.out).then((files) => {
    const s = book.truth.summary;
    const lines = [
      `independent book: ${book.truth.customers} customers, ${book.truth.historyStart} .. ${book.truth.asOf} (seed ${book.truth.seed})`,
      `  invoice lines ${s.invoiceLines}, cancellations ${s.cancellations}, events ${s.events}`,
      `  churns ${s.churns} (${pct(s.noticeShareOfChurns)} with notice), mean monthly logo churn ${pct(s.meanMonthlyLogoChurn)}, active at as-of ${s.activeAtAsOf}`,
      `  causes ${JSON.stringify(s.churnsByCause)}`,
      `  generated in ${((generated - started) / 1000).toFixed(1)} s, written in ${((performance.now() - generated) / 1000).toFixed(1)} s`,
      `  billing: ${files.billingDir}  events: ${files.eventsDir}  config (FX): ${files.config}  truth: ${files.truth}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }, fail);
}

function integer(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

function fail(error: unknown): void {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

try {
  main();
} catch (error) {
  fail(error);
}
