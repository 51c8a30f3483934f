/**
 * The snapshot at one million customers (docs/metrics.md §6: `snapshot.seconds1M`,
 * `snapshot.peakRssMb1M`), as the deployed state machine runs it (lib/snapshot-definition.ts): Plan,
 * then each part (one per 100k customers), then Finish, every step the snapshot code itself with the
 * real AWS SDK clients, each in its own child process whose V8 heap is limited as the function's
 * NODE_OPTIONS limit it (lib/snapshot-sizing.ts), as each step is its own invocation. On AWS the parts
 * run at once (MaxConcurrency 10), so the run takes Plan + the slowest part + Finish.
 *
 * S3 is the embedded s3rver in the parent process (the parts' files really travel to Finish). DynamoDB
 * has no network: the client's request handler answers in-process whatever the scan asks (Scan pages
 * of the keys-only profile index, honouring Limit and the 1 MB page, then BatchGetItem of those
 * profiles, in the shape the profile store writes them, marshalled). Each part draws its customers from
 * its own generator (which segment a customer falls in does not matter to the snapshot), so the book is
 * ten books of 100k. That in-process DynamoDB's work (generating, marshalling, serialising each
 * response: DynamoDB's own work in AWS) is timed apart and subtracted.
 *
 *   npx tsx bench/snapshot-1m.ts --job '<json>'   (one step; `npm run bench -- --only snapshot-1m` runs them all)
 */
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addDays } from '../lambdas/domain/dates';
import { DEFAULT_MODEL } from '../lambdas/domain/forecast/default-model';
import { parseConfig } from '../lambdas/shared/config';
import { finishSnapshot, planSnapshot, runSnapshotPart, type SnapshotPart, type SnapshotPlan } from '../lambdas/snapshot/fan-out';
import { keys } from '../lambdas/store/keys';
import { ModelStore } from '../lambdas/store/model-store';
import type { DayActivity } from '../lambdas/domain/types';
import { LOCAL_CREDENTIALS } from '../local/local-env';
import { startS3Emulator } from '../local/s3-emulator';
import {
  SNAPSHOT_HEAP_MB,
  SNAPSHOT_MEMORY_MB,
  SNAPSHOT_SEMI_SPACE_MB,
  SNAPSHOT_TIMEOUT_SECONDS,
  SNAPSHOT_V8_FLAGS,
} from '../lib/snapshot-sizing';
import { isMain, measureInChild, peakRssMb, reportToParent, type BenchModule, type Figure } from './harness';
import { prng, profileItem, SYNTHETIC_FEATURES, SYNTHETIC_SETTINGS, syntheticCustomers } from './synthetic';

const AS_OF = '2026-11-20';
/** The bar for one run (the function's timeout, SNAPSHOT_TIMEOUT_SECONDS, leaves twice that). */
const TARGET_SECONDS = 300;
/** The heap V8 is given by the function's NODE_OPTIONS: old space plus three semi-spaces. */
const HEAP_LIMIT_MB = SNAPSHOT_HEAP_MB + 3 * SNAPSHOT_SEMI_SPACE_MB;
const BUCKET = 'bench';
/** DynamoDB returns at most 1 MB of items per Scan page. */
const PAGE_BYTES = 1024 * 1024;
/** The single invocation before the fan-out, at 1M on this bench: CPU seconds and peak RSS. */
const SINGLE_RUN = { cpuSeconds: 395, peakRssMb: 1_253 };
/** Customers whose activity the in-process DynamoDB remembers for history Queries: the pages in flight. */
const RECENT_CUSTOMERS = 20_000;
/** Days of daily rollups per customer the refit reads: 13 months, as a customer's own baseline needs. */
const HISTORY_DAYS = 400;
const CUSTOMER_PK = keys.customerPk('');

type Job =
  | { step: 'plan'; size: number; s3: string; profilesPerPart?: number }
  | { step: 'part'; s3: string; plan: SnapshotPlan; part: SnapshotPart; customers: number; seed: number; firstId: number }
  | { step: 'finish'; s3: string; plan: SnapshotPlan }
  | { step: 'refit'; size: number; s3: string; maxTrainingCustomers?: number };

interface StepMeasurement {
  step: string;
  customers: number;
  seconds: number;
  cpuSeconds: number;
  serverSeconds: number;
  peakRssMb: number;
  atRisk: number;
  scanPages: number;
  /** Plan's answer. */
  planned?: { plan: SnapshotPlan; parts: SnapshotPart[] };
  /** The refit's stored sample and model. */
  refit?: { sample?: { customers: number; share: number }; model: string; trainingRows: number; dayItems: number };
}

type HandlerRequest = {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
};
const ok = (body: string | Buffer, headers: Record<string, string> = {}) => ({
  response: {
    statusCode: 200,
    headers: { 'content-type': 'application/x-amz-json-1.0', ...headers },
    body: Readable.from([Buffer.from(body)]),
  },
});

type Attr = { S: string } | { N: string };
/** The profile store writes flat items of strings and numbers; anything else means this bench needs updating. */
function marshal(item: Record<string, unknown>): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  for (const [k, v] of Object.entries(item)) {
    if (typeof v === 'string') out[k] = { S: v };
    else if (typeof v === 'number') out[k] = { N: String(v) };
    else if (v !== undefined) throw new Error(`snapshot-1m: profile attribute ${k} is a ${typeof v}; teach marshal() its DynamoDB type`);
  }
  return out;
}

/**
 * DynamoDB without the network: Scan pages of synthetic profiles drawn from one generator (which
 * segment a customer falls in does not matter to the snapshot), GetItem/PutItem on a small map (the
 * stored model), and an empty Query (no earlier snapshot, no rollups needed).
 */
class InProcessDynamo {
  /** Wall time spent answering (generating, marshalling, serialising), to subtract from the run's. */
  serverSeconds = 0;
  /** CPU (user + system) spent answering, to subtract from the run's CPU time. */
  serverCpuSeconds = 0;
  pages = 0;
  private readonly customers: Generator<ReturnType<typeof profileItem>>;
  private readonly items = new Map<string, unknown>();
  /** Profiles whose keys a Scan page returned, until a BatchGetItem fetches them. */
  private readonly scanned = new Map<string, Record<string, Attr>>();
  private done = false;

  /** `size` customers numbered from `firstId`; `count` is what a COUNT scan answers (the whole book, for Plan). */
  constructor(
    size: number,
    seed: number,
    firstId: number,
    private readonly count = size,
    /** Days of daily rollups a history Query answers per customer (the refit's read); 0: none. */
    private readonly historyDays = 0,
  ) {
    const timelines = syntheticCustomers({ customers: size, asOf: AS_OF, seed, firstId });
    const recent = this.recent;
    this.customers = (function* () {
      for (const t of timelines) {
        if (historyDays > 0) {
          recent.set(t.customerId, t.activity);
          // Only the customers of the pages in flight are queried: forget the oldest beyond that.
          if (recent.size > RECENT_CUSTOMERS) recent.delete(recent.keys().next().value!);
        }
        yield profileItem(t);
      }
    })();
  }

  /** History Queries that found their customer forgotten: must stay 0, or the refit read less than it asked. */
  historyMisses = 0;
  historyItems = 0;
  private readonly recent = new Map<string, Record<string, DayActivity>>();

  /**
   * A customer's daily rollups as the usage store writes them (`n` and `f:<feature>`): its profile's
   * recent days, and before them `historyDays` of steady usage drawn from a generator seeded by its id.
   */
  private history(customerId: string): Record<string, Attr>[] | undefined {
    const activity = this.recent.get(customerId);
    if (!activity) return undefined;
    this.recent.delete(customerId);
    const random = prng([...customerId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
    const days: [string, DayActivity][] = [];
    const keep = Object.keys(activity).sort();
    const first = keep[0] ?? AS_OF;
    for (let i = this.historyDays - keep.length; i > 0; i--) {
      if (random() < 0.35) continue;
      const features: Record<string, number> = {};
      let events = 0;
      for (const f of SYNTHETIC_FEATURES)
        if (random() < 0.45) {
          features[f] = 1 + Math.floor(random() * 20);
          events += features[f]!;
        }
      if (events > 0) days.push([addDays(first, -i), { events, features }]);
    }
    for (const day of keep) days.push([day, activity[day]!]);
    return days.map(([day, a]) => {
      const item: Record<string, unknown> = { ...keys.day(customerId, day), type: 'day', n: a.events };
      for (const [f, n] of Object.entries(a.features)) item[`f:${f}`] = n;
      return marshal(item);
    });
  }

  /** Answers one request, timing the work DynamoDB would do (the answer is built before it resolves). */
  handle(request: HandlerRequest) {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    try {
      return this.answer(request);
    } finally {
      this.serverSeconds += Number(process.hrtime.bigint() - started) / 1e9;
      const used = process.cpuUsage(cpu);
      this.serverCpuSeconds += (used.user + used.system) / 1e6;
    }
  }

  private answer(request: HandlerRequest) {
    const target = request.headers['x-amz-target'] ?? '';
    const raw = request.body;
    // The SDK's body is a Uint8Array that warns when used as a string: read its bytes.
    const body = JSON.parse(
      raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8') : String(raw),
    ) as Record<string, unknown>;
    const op = target.split('.')[1];
    const keyOf = (key: unknown) => JSON.stringify(key);
    switch (op) {
      case 'Scan':
        if (body.Select === 'COUNT') {
          const n = body.Segment === 0 ? this.count : 0;
          return Promise.resolve(ok(JSON.stringify({ Count: n, ScannedCount: n })));
        }
        return Promise.resolve(ok(this.page(typeof body.Limit === 'number' ? body.Limit : Infinity)));
      case 'BatchGetItem': {
        // The profiles of the keys a keys-only index page listed (at most 100 a request, as DynamoDB allows).
        const responses: Record<string, unknown[]> = {};
        for (const [table, request] of Object.entries(body.RequestItems as Record<string, { Keys: unknown[] }>)) {
          responses[table] = request.Keys.map((key) => {
            const k = keyOf(key);
            const item = this.scanned.get(k);
            this.scanned.delete(k);
            return item;
          }).filter((item) => item !== undefined);
        }
        return Promise.resolve(ok(JSON.stringify({ Responses: responses, UnprocessedKeys: {} })));
      }
      case 'PutItem': {
        const item = body.Item as Record<string, unknown>;
        this.items.set(keyOf({ pk: item.pk, sk: item.sk }), item);
        return Promise.resolve(ok('{}'));
      }
      case 'GetItem': {
        const item = this.items.get(keyOf(body.Key));
        return Promise.resolve(ok(JSON.stringify(item ? { Item: item } : {})));
      }
      case 'Query': {
        const pk = (body.ExpressionAttributeValues as Record<string, { S?: string }> | undefined)?.[':pk']?.S ?? '';
        if (this.historyDays === 0 || !pk.startsWith(CUSTOMER_PK))
          return Promise.resolve(ok(JSON.stringify({ Items: [], Count: 0, ScannedCount: 0 })));
        const items = this.history(pk.slice(CUSTOMER_PK.length));
        if (!items) this.historyMisses++;
        this.historyItems += items?.length ?? 0;
        return Promise.resolve(ok(JSON.stringify({ Items: items ?? [], Count: items?.length ?? 0, ScannedCount: items?.length ?? 0 })));
      }
      default:
        return Promise.reject(new Error(`snapshot-1m: the in-process DynamoDB does not answer ${target}`));
    }
  }

  /** A page of the keys-only profile index: keys only, full items kept for the BatchGetItem that follows. */
  private page(limit: number): string {
    const parts: string[] = [];
    let bytes = 0;
    let last: Record<string, Attr> | undefined;
    while (!this.done && bytes < PAGE_BYTES && parts.length < limit) {
      const next = this.customers.next();
      if (next.done) {
        this.done = true;
        break;
      }
      last = marshal(next.value);
      const key = { pk: last.pk, sk: last.sk };
      this.scanned.set(JSON.stringify(key), last);
      // A sampled read (the refit) never fetches most keys: forget all but the pages in flight.
      if (this.scanned.size > RECENT_CUSTOMERS) this.scanned.delete(this.scanned.keys().next().value!);
      const json = JSON.stringify(key);
      parts.push(json);
      bytes += json.length;
    }
    this.pages++;
    const lastKey = !this.done && last ? `,"LastEvaluatedKey":${JSON.stringify({ pk: last.pk, sk: last.sk })}` : '';
    return `{"Items":[${parts.join(',')}],"Count":${parts.length},"ScannedCount":${parts.length},"ConsumedCapacity":{"CapacityUnits":${bytes / 4096 / 2}}${lastKey}}`;
  }
}

async function runJob(job: Job): Promise<StepMeasurement> {
  const clientConfig = {
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  } as const;
  const fakeDynamo =
    job.step === 'part'
      ? new InProcessDynamo(job.customers, job.seed, job.firstId)
      : job.step === 'refit'
        ? new InProcessDynamo(job.size, 7, 0, job.size, HISTORY_DAYS)
        : new InProcessDynamo(0, 1, 0, job.step === 'plan' ? job.size : 0);
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...clientConfig, endpoint: 'http://dynamodb.bench', requestHandler: fakeDynamo }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const s3 = new S3Client({ ...clientConfig, endpoint: job.s3, forcePathStyle: true });
  const config = parseConfig({
    ...SYNTHETIC_SETTINGS,
    ...(job.step === 'refit' && job.maxTrainingCustomers ? { risk: { maxTrainingCustomers: job.maxTrainingCustomers } } : {}),
  });
  const deps = { dynamo, s3, tableName: 'bench', bucketName: BUCKET, config };
  // A model fitted yesterday: the daily run, not the monthly refit (bench/backtest.ts measures that).
  await new ModelStore(dynamo, deps.tableName).save({
    model: { ...DEFAULT_MODEL, horizonDays: config.risk.horizonDays, fittedAt: addDays(AS_OF, -1) },
    backtest: null,
    storedAt: `${addDays(AS_OF, -1)}T06:00:00Z`,
  });
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let customers = 0;
  let atRisk = 0;
  let planned: StepMeasurement['planned'];
  let refit: StepMeasurement['refit'];
  if (job.step === 'refit') {
    // The monthly run: Plan refits first, reading the histories of its sample of the book.
    planned = await planSnapshot(deps, AS_OF, 'bench-refit', { refit: true });
    if (!planned.plan.refitted) throw new Error('snapshot-1m: the refit job did not refit');
    if (fakeDynamo.historyMisses > 0)
      throw new Error(`snapshot-1m: ${fakeDynamo.historyMisses} history queries found their customer forgotten`);
    const stored = await new ModelStore(dynamo, deps.tableName).current();
    refit = {
      sample: stored?.backtest?.sample,
      model: stored?.model.kind ?? 'none',
      trainingRows: stored?.model.trainingRows ?? 0,
      dayItems: fakeDynamo.historyItems,
    };
    customers = stored?.backtest?.sample?.customers ?? 0;
  } else if (job.step === 'plan') {
    planned = await planSnapshot(deps, AS_OF, 'bench', { profilesPerPart: job.profilesPerPart });
    if (planned.plan.refitted) throw new Error('snapshot-1m: the plan refitted the model; the bench measures the daily run');
  } else if (job.step === 'part') {
    const part = await runSnapshotPart(deps, job.plan, job.part);
    if (part.customers !== job.customers)
      throw new Error(`snapshot-1m: part ${job.part.index} folded ${part.customers} customers of ${job.customers}`);
    ({ customers, atRisk } = part);
  } else {
    const run = await finishSnapshot(deps, job.plan);
    customers = run.stats.customers;
    atRisk = run.atRiskCount;
  }
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return {
    refit,
    step: job.step === 'part' ? `part ${job.part.index}` : job.step,
    customers,
    seconds: wall - fakeDynamo.serverSeconds,
    cpuSeconds: (used.user + used.system) / 1e6 - fakeDynamo.serverCpuSeconds,
    serverSeconds: fakeDynamo.serverSeconds,
    peakRssMb: peakRssMb(),
    atRisk,
    scanPages: fakeDynamo.pages,
    planned,
  };
}

/** Plan, every part, Finish: each step in its own child, one after the other. */
async function measureRun(size: number, profilesPerPart?: number, maxTrainingCustomers?: number) {
  const s3 = await startS3Emulator({ buckets: [BUCKET] });
  try {
    const step = (job: Job) => measureInChild<StepMeasurement>('snapshot-1m.ts', ['--job', JSON.stringify(job)], SNAPSHOT_V8_FLAGS);
    const plan = await step({ step: 'plan', size, s3: s3.endpoint, profilesPerPart });
    const { plan: planned, parts } = plan.planned!;
    const results: StepMeasurement[] = [];
    let firstId = 0;
    for (const part of parts) {
      // Customers spread over the parts as the segments spread them: evenly.
      const customers = Math.floor(size / parts.length) + (part.index < size % parts.length ? 1 : 0);
      results.push(await step({ step: 'part', s3: s3.endpoint, plan: planned, part, customers, seed: 42 + part.index, firstId }));
      firstId += customers;
    }
    const finish = await step({ step: 'finish', s3: s3.endpoint, plan: planned });
    if (finish.customers !== size) throw new Error(`snapshot-1m: the merged snapshot has ${finish.customers} customers of ${size}`);
    // The month-end run: the same Plan, refitting the model first on its sample of the book's histories.
    const refit = await step({ step: 'refit', size, s3: s3.endpoint, maxTrainingCustomers });
    return { plan, parts: results, finish, refit };
  } finally {
    await s3.stop();
  }
}

const label = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : `${n / 1000}k`);

export const snapshot1mBench: BenchModule = {
  name: 'snapshot-1m',
  async run({ quick }) {
    // The 1M run takes minutes on a shared machine: --quick runs the same path on 20k customers, in 2 parts.
    const size = quick ? 20_000 : 1_000_000;
    // --quick: the same sampled refit on a smaller sample (the bench's time is mostly the backtest's).
    const { plan, parts, finish, refit } = await measureRun(size, quick ? 10_000 : undefined, quick ? 1_000 : undefined);
    const slowest = parts.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    const steps = [plan, ...parts, finish];
    const largest = steps.reduce((a, b) => (b.peakRssMb > a.peakRssMb ? b : a));
    const seconds = plan.seconds + slowest.seconds + finish.seconds;
    const cpuSeconds = steps.reduce((sum, m) => sum + m.cpuSeconds, 0);
    const L = label(size);
    // The quick run's 20k must not overwrite snapshot-engine's snapshot.seconds20k (the engine alone).
    const name = (figure: 'seconds' | 'peakRssMb' | 'atRisk' | 'refitSeconds' | 'refitPeakRssMb') =>
      quick ? `snapshot.quick.lambda${figure[0]!.toUpperCase()}${figure.slice(1)}${L}` : `snapshot.${figure}${L}`;
    const partRange = (pick: (m: StepMeasurement) => number, digits = 1) =>
      `${Math.min(...parts.map(pick)).toFixed(digits)}–${Math.max(...parts.map(pick)).toFixed(digits)}`;
    const figures: Figure[] = [
      {
        name: name('seconds'),
        value: seconds,
        unit: 's',
        note:
          `Plan ${plan.seconds.toFixed(1)} s + slowest of ${parts.length} parts ${slowest.seconds.toFixed(1)} s (parts ${partRange((m) => m.seconds)} s, cpu ${partRange((m) => m.cpuSeconds)} s) + Finish ${finish.seconds.toFixed(1)} s (cpu ${finish.cpuSeconds.toFixed(1)} s); ` +
          `${(seconds / TARGET_SECONDS).toFixed(2)} of the ${TARGET_SECONDS} s target (timeout ${SNAPSHOT_TIMEOUT_SECONDS} s per step); cpu of all steps ${cpuSeconds.toFixed(1)} s` +
          (quick ? '' : `, ${(cpuSeconds / SINGLE_RUN.cpuSeconds).toFixed(2)} × the single run's ${SINGLE_RUN.cpuSeconds} s`),
      },
      {
        name: name('peakRssMb'),
        value: largest.peakRssMb,
        unit: 'MB',
        note:
          `${largest.step}; ${(largest.peakRssMb / SNAPSHOT_MEMORY_MB).toFixed(2)} of the ${SNAPSHOT_MEMORY_MB} MB function (target ≤ 0.5), heap limit ${HEAP_LIMIT_MB} MB; parts ${partRange((m) => m.peakRssMb, 0)} MB, Finish ${finish.peakRssMb.toFixed(0)} MB` +
          (quick ? '' : `; ${(largest.peakRssMb / SINGLE_RUN.peakRssMb).toFixed(2)} × the single run's ${SINGLE_RUN.peakRssMb} MB`),
      },
      { name: name('atRisk'), value: finish.atRisk, unit: 'rows', note: `at-risk rows merged from ${parts.length} parts` },
      {
        name: name('refitSeconds'),
        value: refit.seconds,
        unit: 's',
        note:
          `the month-end Plan, refitting first: ${refit.customers.toLocaleString('en-US')} customers' histories (share ${(refit.refit?.sample?.share ?? 1).toFixed(4)} of ${label(size)}, ` +
          `${refit.refit?.dayItems.toLocaleString('en-US')} daily rollups, ${HISTORY_DAYS} days each at most), ${refit.refit?.model} model on ${refit.refit?.trainingRows.toLocaleString('en-US')} rows; ` +
          `cpu ${refit.cpuSeconds.toFixed(1)} s; ${(refit.seconds / SNAPSHOT_TIMEOUT_SECONDS).toFixed(2)} of the ${SNAPSHOT_TIMEOUT_SECONDS} s timeout`,
      },
      {
        name: name('refitPeakRssMb'),
        value: refit.peakRssMb,
        unit: 'MB',
        note: `${(refit.peakRssMb / SNAPSHOT_MEMORY_MB).toFixed(2)} of the ${SNAPSHOT_MEMORY_MB} MB function (the in-process DynamoDB's generator included)`,
      },
    ];
    return figures;
  },
};

if (isMain(import.meta.url)) {
  const at = process.argv.indexOf('--job');
  if (at < 0) throw new Error("usage: npx tsx bench/snapshot-1m.ts --job '<json>' (or npm run bench -- --only snapshot-1m)");
  reportToParent(await runJob(JSON.parse(process.argv[at + 1]!) as Job));
}
