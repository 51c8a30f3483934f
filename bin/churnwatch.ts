import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dayNum, dayFromNum } from '../lambdas/domain/dates';
import { ConfigError, configNotes, parseConfig, type Config } from '../lambdas/shared/config';
import { renderBacktestHtml } from '../lambdas/report/backtest-html';
import { runLocalBacktest } from '../local/backtest';
import { formatBacktestReport, formatConsoleReport } from '../local/console-report';
import { writeOutbox } from '../local/outbox';
import { readText, runPipeline, type PipelineResult } from '../local/pipeline';
import { generateSampleSaas, sampleConfig, writeSampleSaas } from '../local/sample-data/generate';
import { startViewer } from '../local/viewer';

const USAGE = `churnwatch — churn early warnings from billing exports and product usage

Usage:
  churnwatch demo [--outbox DIR] [--serve] [--as-of YYYY-MM-DD] [--seed N] [--customers N] [--data DIR]
      Runs the whole pipeline on an embedded local AWS stack with a generated sample SaaS
      (no AWS account needed): billing exports through S3, usage events through the HTTP API,
      the snapshot, and one digest email per account owner written to the outbox (default ./outbox).
      --serve keeps the stack, the report and the mail viewer running until Ctrl-C.
      --data DIR keeps the generated files (and churnwatch.json) there, e.g. to backtest them.

  churnwatch local run [--billing PATH]... [--events PATH]... --as-of YYYY-MM-DD
                       [--config FILE] [--outbox DIR] [--json]
      Runs your own files through a fresh embedded stack. PATH is a file or a folder.
      --json prints exactly one JSON document, the snapshot, on stdout.

  churnwatch backtest [--billing PATH]... [--events PATH]... --from YYYY-MM-DD --to YYYY-MM-DD
                      [--horizon DAYS] [--config FILE] [--outbox DIR] [--json]
      Loads your files once into a fresh embedded stack, then forecasts every month-end from
      --from to --to with only what was known on that day and compares with what happened.
      Prints the evaluation (and writes backtest.html with a calibration chart to the outbox,
      default ./outbox); --json prints exactly one JSON document on stdout.

  churnwatch help
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** A real calendar day in YYYY-MM-DD, or a UsageError naming the flag. */
export function parseDay(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required (YYYY-MM-DD)`);
  let real = false;
  try {
    real = /^\d{4}-\d{2}-\d{2}$/.test(value) && dayFromNum(dayNum(value)) === value;
  } catch {
    real = false;
  }
  if (!real) throw new UsageError(`${flag} must be a real date in the form YYYY-MM-DD, got "${value}"`);
  return value;
}

async function loadConfig(path: string | undefined): Promise<Config> {
  if (!path) return parseConfig({});
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`--config file not found or unreadable: ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const config = parseConfig(json, `configuration in ${path}`);
  for (const note of configNotes(json)) process.stderr.write(`note: ${path}: ${note}\n`);
  return config;
}

async function mustExist(paths: string[], flag: string): Promise<void> {
  for (const path of paths) {
    try {
      await stat(path);
    } catch {
      throw new UsageError(`${flag} path not found: ${path}`);
    }
  }
}

const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

function progressWriter(enabled: boolean) {
  return enabled ? (message: string) => process.stderr.write(`· ${message}\n`) : undefined;
}

async function localRun(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      billing: { type: 'string', multiple: true, default: [] },
      events: { type: 'string', multiple: true, default: [] },
      'as-of': { type: 'string' },
      config: { type: 'string' },
      outbox: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const asOf = parseDay(values['as-of'], '--as-of');
  const config = await loadConfig(values.config);
  await mustExist(values.billing, '--billing');
  await mustExist(values.events, '--events');
  if (values.billing.length === 0 && values.events.length === 0) {
    throw new UsageError('give at least one --billing or --events path');
  }
  const result = await runPipeline({
    billing: values.billing,
    events: values.events,
    asOf,
    config,
    progress: progressWriter(process.stderr.isTTY && !values.json),
  });
  try {
    if (values.outbox) await writeOutbox(resolve(values.outbox), result.mail, await readText(result.stack, result.reportKeys.html));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result.snapshot, null, 2)}\n`);
      // stdout holds only the snapshot; what was refused still has to be said somewhere.
      printIngestSummary(result, process.stderr);
    } else {
      process.stdout.write(`${formatConsoleReport(result.snapshot, result.digest, config.digest.fallbackTo, result.model)}\n`);
      printIngestSummary(result);
    }
  } finally {
    await result.stop();
  }
}

function printIngestSummary(result: PipelineResult, out: NodeJS.WritableStream = process.stdout): void {
  const quarantined = result.files.filter((f) => f.quarantined > 0 || f.status === 'failed');
  for (const f of quarantined) {
    const where =
      f.status === 'failed' ? `moved to ${f.failedKey}: ${f.error}` : `${f.quarantined} row(s) quarantined in ${f.quarantineKey}`;
    out.write(`! ${f.key}: ${where}\n`);
  }
  if (result.usage.rejected.length > 0) {
    out.write(
      `! ${result.usage.rejected.length} usage event(s) rejected, e.g. ${result.usage.rejected
        .slice(0, 3)
        .map((r) => `${r.file}:${r.line} ${r.reason}`)
        .join('; ')}\n`,
    );
  }
}

async function backtest(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      billing: { type: 'string', multiple: true, default: [] },
      events: { type: 'string', multiple: true, default: [] },
      from: { type: 'string' },
      to: { type: 'string' },
      horizon: { type: 'string' },
      config: { type: 'string' },
      outbox: { type: 'string', default: 'outbox' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const from = parseDay(values.from, '--from');
  const to = parseDay(values.to, '--to');
  if (to < from) throw new UsageError(`--to (${to}) must not be before --from (${from})`);
  let config = await loadConfig(values.config);
  if (values.horizon !== undefined) {
    const horizon = Number(values.horizon);
    if (!Number.isInteger(horizon) || horizon < 14 || horizon > 365)
      throw new UsageError('--horizon must be a whole number of days from 14 to 365');
    config = { ...config, risk: { ...config.risk, horizonDays: horizon } };
  }
  await mustExist(values.billing, '--billing');
  await mustExist(values.events, '--events');
  if (values.billing.length === 0) throw new UsageError('give at least one --billing path: the outcomes come from billing');
  const progress = progressWriter(process.stderr.isTTY && !values.json);
  const run = await runLocalBacktest({ billing: values.billing, events: values.events, config, from, to, progress });
  const outbox = resolve(values.outbox);
  await mkdir(outbox, { recursive: true });
  const page = join(outbox, 'backtest.html');
  await writeFile(page, renderBacktestHtml(run.result, { from, to }));
  const { result } = run;
  if (values.json) {
    const { horizonDays, dates, evaluation, baselines, saveList, dataEnd, model } = result;
    process.stdout.write(`${JSON.stringify({ horizonDays, dates, evaluation, baselines, saveList, dataEnd, model }, null, 2)}\n`);
    process.stderr.write(`backtest page: ${page}\n`);
  } else {
    process.stdout.write(`${formatBacktestReport(result, { from, to })}\n\nPage with the calibration chart and the lift table: ${page}\n`);
    process.stdout.write(
      `Loaded in ${run.seconds.load.toFixed(1)} s, histories read in ${run.seconds.read.toFixed(1)} s, backtest in ${run.seconds.backtest.toFixed(1)} s.\n`,
    );
  }
  const rejected = run.loaded.usage.rejected.length;
  const quarantined = run.loaded.files.reduce((n, f) => n + f.quarantined, 0);
  if (rejected || quarantined)
    process.stderr.write(`! ${quarantined} billing row(s) quarantined, ${rejected} usage event(s) rejected while loading\n`);
}

async function demo(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      outbox: { type: 'string', default: 'outbox' },
      serve: { type: 'boolean', default: false },
      'as-of': { type: 'string' },
      seed: { type: 'string' },
      customers: { type: 'string' },
      data: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const asOf = values['as-of'] ? parseDay(values['as-of'], '--as-of') : yesterday();
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  const customers = values.customers === undefined ? undefined : Number(values.customers);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  if (customers !== undefined && (!Number.isInteger(customers) || customers < 10 || customers > 20_000)) {
    throw new UsageError('--customers must be an integer between 10 and 20000');
  }
  const config = parseConfig(sampleConfig, 'demo configuration');
  const started = Date.now();
  const log = (message: string) => process.stderr.write(`· ${message}\n`);
  const dir = values.data ? resolve(values.data) : await mkdtemp(join(tmpdir(), 'churnwatch-demo-'));
  let result: PipelineResult | undefined;
  try {
    const sample = generateSampleSaas({ asOf, seed, customers });
    const files = await writeSampleSaas(sample, dir);
    if (values.data) await writeFile(join(dir, 'churnwatch.json'), `${JSON.stringify(sampleConfig, null, 2)}\n`);
    log(
      `generated a sample SaaS: ${sample.customers.length} customers, ${sample.invoiceLines.length} invoice lines, ${sample.events.length} usage events (as of ${asOf})`,
    );
    result = await runPipeline({ billing: files.billingFiles, events: files.eventFiles, asOf, config, progress: log });
    const reportHtml = await readText(result.stack, result.reportKeys.html);
    const outbox = await writeOutbox(resolve(values.outbox), result.mail, reportHtml);
    process.stdout.write(`\n${formatConsoleReport(result.snapshot, result.digest, config.digest.fallbackTo, result.model)}\n\n`);
    process.stdout.write(
      `Outbox: ${outbox.emails.length} digest email(s) in ${resolve(values.outbox)} (.html and .eml), report: ${outbox.report}\n`,
    );
    process.stdout.write(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
    if (values.serve) await serve(result, reportHtml);
  } finally {
    await result?.stop();
    if (!values.data) await rm(dir, { recursive: true, force: true });
  }
}

async function serve(result: PipelineResult, reportHtml: string): Promise<void> {
  const links = {
    'Usage API (POST /events, header x-api-key)': `${result.usageApi.url}/events`,
    'API key': result.apiKey,
    'Unsubscribe (List-Unsubscribe of every email; GET shows the page, POST opts out)': result.unsubscribeUrl,
    'S3 endpoint (path style)': `${result.stack.endpoints.s3} bucket ${result.stack.bucketName}`,
    'DynamoDB endpoint': `${result.stack.endpoints.dynamodb} table ${result.stack.tableName}`,
    'SES emulator (sent mail viewer)': result.stack.endpoints.ses ?? '',
    'Slack webhook receiver (POST /hooks/<name>)': result.stack.slack?.url ?? '',
  };
  const viewer = await startViewer({ reportHtml, mail: result.mail, slack: result.slack, links });
  process.stdout.write(`\nServing (Ctrl-C to stop):\n  Report and mail viewer  ${viewer.url}\n`);
  for (const [label, url] of Object.entries(links)) process.stdout.write(`  ${label}: ${url}\n`);
  await new Promise<void>((resolveWait) => {
    process.once('SIGINT', resolveWait);
    process.once('SIGTERM', resolveWait);
  });
  await viewer.stop();
}

export async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'demo') await demo(argv.slice(1));
    else if (command === 'local' && sub === 'run') await localRun(rest);
    else if (command === 'backtest') await backtest(argv.slice(1));
    else throw new UsageError(`unknown command "${argv.join(' ')}"`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`churnwatch: ${(err as Error).message}\n\nRun "churnwatch help" for usage.\n`);
      return 2;
    }
    process.stderr.write(`churnwatch: failed: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything is stopped by now; should a library keep a handle open, do not hang the terminal.
setTimeout(() => process.exit(code), 2_000).unref();
