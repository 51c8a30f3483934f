import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktest, trainModel } from '../../lambdas/domain/forecast/backtest';
import { computeSnapshot } from '../../lambdas/domain/snapshot';
import { lastMonthEnd } from '../../lambdas/snapshot/refit';
import type { Snapshot } from '../../lambdas/domain/types';
import { parseConfig } from '../../lambdas/shared/config';
import { fileNameFor } from '../../local/outbox';
import { generateSampleSaas, sampleConfig, writeSampleSaas } from '../../local/sample-data/generate';
import { startChild, runChild } from '../support/child-process';
import { expectClose } from '../support/expect-close';
import { referenceTimelines } from '../support/reference-timelines';
import { scaled } from '../support/timeouts';

const BIN = join(__dirname, '../../bin/churnwatch.mjs');
/**
 * A whole pipeline in a child process (load, refit, snapshot, digests) takes about 40 s on a quiet
 * 2-core machine; the test allows 4× that, stretched further on a loaded one. The child is killed
 * (with everything it started) a little before the test would time out, so nothing is left behind.
 */
const FULL_RUN_MS = scaled(160_000);
const CHILD_GRACE_MS = 5_000;

/** Runs the CLI as a user would, in its own process (asynchronously: never block the emulators). */
function churnwatch(args: string[], cwd: string, testTimeoutMs = FULL_RUN_MS) {
  return runChild(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, CI: 'true' },
    timeoutMs: testTimeoutMs - CHILD_GRACE_MS,
  });
}

const AS_OF = '2026-10-31';
let dir: string;
let files: { billingFiles: string[]; eventFiles: string[] };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'churnwatch-e2e-'));
  files = await writeSampleSaas(generateSampleSaas({ asOf: AS_OF, seed: 7, customers: 60, months: 14 }), join(dir, 'data'));
  await writeFile(join(dir, 'config.json'), JSON.stringify(sampleConfig));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('churnwatch local run', () => {
  it(
    'prints exactly one JSON document, the snapshot the engine computes from the same files',
    async () => {
      const run = await churnwatch(
        [
          'local',
          'run',
          '--billing',
          join(dir, 'data/billing'),
          '--events',
          join(dir, 'data/events'),
          '--as-of',
          AS_OF,
          '--config',
          join(dir, 'config.json'),
          '--outbox',
          join(dir, 'outbox'),
          '--json',
        ],
        dir,
      );
      expect(run.stderr).not.toMatch(/failed/);
      expect(run.code).toBe(0);
      const snapshot = JSON.parse(run.stdout) as Snapshot;

      const config = parseConfig(sampleConfig);
      const reference = await referenceTimelines(files.billingFiles, files.eventFiles, config);
      // The run fits the forecast on the loaded history before its snapshot: the same fit on the files.
      const model = trainModel(reference, config, config.risk, lastMonthEnd(AS_OF));
      const expected = computeSnapshot(reference, config, AS_OF, { model, risk: config.risk, previousBands: new Map() });
      expectClose(snapshot, expected);
      expect(snapshot.customers.start).toBeGreaterThan(20);
      expect(snapshot.atRisk.length).toBeGreaterThan(0);
      expect(snapshot.risk.bands.red.customers + snapshot.risk.bands.yellow.customers).toBeGreaterThan(0);

      // One email per owner with red or yellow customers or a cancellation on file (the fallback
      // recipient for those without an owner).
      const listed = [...snapshot.atRisk.filter((c) => c.band === 'red' || c.band === 'yellow'), ...snapshot.scheduledChurn];
      const owners = new Set(listed.map((c) => c.owner ?? config.digest.fallbackTo));
      const written = await readdir(join(dir, 'outbox'));
      expect(written.filter((f) => f.endsWith('.eml')).sort()).toEqual([...owners].map((o) => `${fileNameFor(o)}.eml`).sort());
      expect(written).toContain('report.html');
      const eml = await readFile(join(dir, 'outbox', `${fileNameFor([...owners][0]!)}.eml`), 'utf8');
      expect(eml).toMatch(/^From: churnwatch@demo\.example/m);
      expect(eml).toMatch(/Content-Type: multipart\/alternative/);
    },
    FULL_RUN_MS,
  );

  it(
    'refuses bad arguments with a clear message and a non-zero exit',
    async () => {
      const cases: [string[], RegExp][] = [
        [['local', 'run', '--billing', join(dir, 'data/billing')], /--as-of is required/],
        [['local', 'run', '--billing', join(dir, 'data/billing'), '--as-of', '2026-02-30'], /real date/],
        [['local', 'run', '--billing', join(dir, 'nope.csv'), '--as-of', AS_OF], /--billing path not found: .*nope\.csv/],
        [
          ['local', 'run', '--as-of', AS_OF, '--billing', join(dir, 'data/billing'), '--config', join(dir, 'missing.json')],
          /--config file not found/,
        ],
        [['local', 'run', '--as-of', AS_OF, '--frobnicate'], /Unknown option '--frobnicate'/],
        [['launch'], /unknown command/],
      ];
      for (const [args, message] of cases) {
        const run = await churnwatch(args, dir);
        expect(run.code, args.join(' ')).toBe(2);
        expect(run.stderr).toMatch(message);
        expect(run.stdout).toBe('');
      }
    },
    FULL_RUN_MS,
  );

  it('names the bad configuration field', async () => {
    await writeFile(join(dir, 'bad-config.json'), JSON.stringify({ tierA: 50, tierB: 100, fxRates: { EUR: -1 } }));
    const run = await churnwatch(
      ['local', 'run', '--billing', join(dir, 'data/billing'), '--as-of', AS_OF, '--config', join(dir, 'bad-config.json')],
      dir,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/fxRates\.EUR: must be a positive number/);
  });
});

describe('churnwatch backtest', () => {
  it(
    'prints exactly one JSON document: walk-forward forecasts at every month-end, as the engine computes them from the same files',
    async () => {
      const outbox = join(dir, 'backtest-outbox');
      const run = await churnwatch(
        [
          'backtest',
          '--billing',
          join(dir, 'data/billing'),
          '--events',
          join(dir, 'data/events'),
          '--config',
          join(dir, 'config.json'),
          '--from',
          '2026-01-31',
          '--to',
          '2026-07-31',
          '--outbox',
          outbox,
          '--json',
        ],
        dir,
      );
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout) as ReturnType<typeof runBacktest>;
      const config = parseConfig(sampleConfig);
      const reference = (await referenceTimelines(files.billingFiles, files.eventFiles, config)).sort((a, b) =>
        a.customerId < b.customerId ? -1 : 1,
      );
      const expected = runBacktest({ customers: reference, settings: config, risk: config.risk, from: '2026-01-31', to: '2026-07-31' });
      expectClose(out, JSON.parse(JSON.stringify(expected)));
      expect(out.horizonDays).toBe(90);
      expect(out.dates.map((d) => d.asOf)).toEqual([
        '2026-01-31',
        '2026-02-28',
        '2026-03-31',
        '2026-04-30',
        '2026-05-31',
        '2026-06-30',
        '2026-07-31',
      ]);
      for (const key of [
        'auc',
        'precisionRed',
        'recallRed',
        'liftRed',
        'precisionFlagged',
        'flaggedShare',
        'precisionTop10',
        'calibration',
        'medianDaysListedBeforeChurn',
      ]) {
        expect(out.evaluation).toHaveProperty(key);
      }
      const page = await readFile(join(outbox, 'backtest.html'), 'utf8');
      expect(page).toContain('aria-label="Calibration: predicted against observed churn by quintile"');
      expect(page).toContain('Lift by decile');
    },
    FULL_RUN_MS,
  );

  it(
    'refuses a range that ends before it starts, and a run without billing',
    async () => {
      const backwards = await churnwatch(
        ['backtest', '--billing', join(dir, 'data/billing'), '--from', '2026-05-31', '--to', '2026-01-31'],
        dir,
      );
      expect(backwards.code).toBe(2);
      expect(backwards.stderr).toMatch(/--to \(2026-01-31\) must not be before --from/);
      const noBilling = await churnwatch(
        ['backtest', '--events', join(dir, 'data/events'), '--from', '2026-01-31', '--to', '2026-05-31'],
        dir,
      );
      expect(noBilling.code).toBe(2);
      expect(noBilling.stderr).toMatch(/give at least one --billing path/);
    },
    FULL_RUN_MS,
  );
});

describe('churnwatch demo', () => {
  it(
    'runs the whole pipeline, prints the report and writes one email per owner and the report',
    async () => {
      const outbox = join(dir, 'demo-outbox');
      const run = await churnwatch(['demo', '--outbox', outbox, '--customers', '60', '--as-of', AS_OF], dir);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/Churnwatch snapshot as of 2026-10-31/);
      expect(run.stdout).toMatch(/MRR movements/);
      expect(run.stdout).toMatch(/Early warnings \(churn within 90 days; model: /);
      expect(run.stdout).toMatch(/red \d+ \(\$[\d,]+ MRR\), yellow \d+/);
      const written = await readdir(outbox);
      const emails = written.filter((f) => f.endsWith('.eml'));
      expect(emails.length).toBeGreaterThan(1);
      expect(written.filter((f) => f.endsWith('.html') && f !== 'report.html')).toHaveLength(emails.length);
      const report = await readFile(join(outbox, 'report.html'), 'utf8');
      expect(report).toMatch(/<svg/);
      expect(report).not.toMatch(/<script/i);
    },
    FULL_RUN_MS,
  );

  it(
    'serves the report, the mail and the usage API with --serve, and stops cleanly on Ctrl-C',
    async () => {
      const served = startChild(
        process.execPath,
        [BIN, 'demo', '--serve', '--outbox', join(dir, 'serve-outbox'), '--customers', '30', '--as-of', AS_OF],
        {
          cwd: dir,
          timeoutMs: FULL_RUN_MS - CHILD_GRACE_MS,
        },
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (/Report and mail viewer\s+http/.test(served.output()) && /API key: /.test(served.output())) {
            clearInterval(timer);
            resolve();
          }
        }, 100);
        void served.done.then((run) => {
          clearInterval(timer);
          reject(new Error(`demo --serve exited early${run.timedOut ? ' (killed at its deadline)' : ''}:\n${run.stdout}\n${run.stderr}`));
        });
      });
      const stdout = served.output();
      const viewer = /Report and mail viewer\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
      const api = /\(POST \/events, header x-api-key\): (http:\/\/127\.0\.0\.1:\d+\/events)/.exec(stdout)![1]!;
      const key = /API key: (\S+)/.exec(stdout)![1]!;

      expect(await (await fetch(`${viewer}/report`)).text()).toMatch(/<svg/);
      expect(await (await fetch(`${viewer}/`)).text()).toMatch(/Digest emails \(\d+\)/);
      const post = (apiKey: string) =>
        fetch(api, {
          method: 'POST',
          headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
          body: JSON.stringify({
            events: [{ eventId: 'live-1', customerId: 'cus_live', feature: 'reports', timestamp: new Date().toISOString() }],
          }),
        });
      const accepted = await post(key);
      expect(accepted.status).toBe(202);
      expect(await accepted.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
      expect((await post('wrong-key')).status).toBe(403);

      served.child.kill('SIGINT');
      const stopped = await served.done;
      expect(stopped.code, stopped.stderr).toBe(0);
      await expect(fetch(`${viewer}/`)).rejects.toThrow();
      await expect(fetch(api, { method: 'POST' })).rejects.toThrow();
    },
    FULL_RUN_MS,
  );

  it(
    'lets two runs go at once without colliding',
    async () => {
      const args = (out: string) => [
        'local',
        'run',
        '--billing',
        join(dir, 'data/billing'),
        '--events',
        join(dir, 'data/events'),
        '--as-of',
        AS_OF,
        '--config',
        join(dir, 'config.json'),
        '--outbox',
        join(dir, out),
        '--json',
      ];
      const [a, b] = await Promise.all([
        churnwatch(args('twin-a'), dir, 2 * FULL_RUN_MS),
        churnwatch(args('twin-b'), dir, 2 * FULL_RUN_MS),
      ]);
      // The stderr of a failed run is the only clue to what collided.
      expect([a.code, b.code], `${a.stderr.slice(-2000)}\n---\n${b.stderr.slice(-2000)}`).toEqual([0, 0]);
      expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
      expect(await readdir(join(dir, 'twin-a'))).toEqual(await readdir(join(dir, 'twin-b')));
      // Two full runs share the machine, each loading more than a year of usage.
    },
    2 * FULL_RUN_MS,
  );
});
