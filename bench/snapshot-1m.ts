/**
 * The snapshot Lambda's work at one million customers (docs/metrics.md §6: `snapshot.seconds1M`,
 * `snapshot.peakRssMb1M`): `runSnapshot` itself, with the real AWS SDK clients, in a child process
 * whose V8 heap is limited as the function's NODE_OPTIONS limit it (lib/snapshot-sizing.ts). The only
 * thing missing is the network: the DynamoDB client's
 * request handler answers in-process whatever scanProfiles asks (Scan pages of the keys-only profile
 * index, honouring Limit and the 1 MB page, then BatchGetItem of those profiles, in the shape the
 * profile store writes them, marshalled),
 * and the S3 client's handler is a sink that counts the bytes of PutObject and multipart parts.
 * So the figure is everything the Lambda does (SDK parsing and unmarshalling, profileToTimeline, the
 * builder, the report writers) except DynamoDB's and S3's own time. The in-process DynamoDB's work
 * (generating the synthetic profiles, marshalling them, serialising each response: DynamoDB's own work
 * in AWS) happens in the same process and is timed apart and subtracted.
 *
 *   npx tsx bench/snapshot-1m.ts [--size N]   (prints one measurement; `npm run bench` runs it in a child)
 */
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addDays } from '../lambdas/domain/dates';
import { DEFAULT_MODEL } from '../lambdas/domain/forecast/default-model';
import { parseConfig } from '../lambdas/shared/config';
import { runSnapshot } from '../lambdas/snapshot/run-snapshot';
import { ModelStore } from '../lambdas/store/model-store';
import {
  SNAPSHOT_HEAP_MB,
  SNAPSHOT_MEMORY_MB,
  SNAPSHOT_SEMI_SPACE_MB,
  SNAPSHOT_TIMEOUT_SECONDS,
  SNAPSHOT_V8_FLAGS,
} from '../lib/snapshot-sizing';
import { isMain, measureInChild, parseArgs, peakRssMb, reportToParent, type BenchModule, type Figure } from './harness';
import { profileItem, SYNTHETIC_SETTINGS, syntheticCustomers } from './synthetic';

const AS_OF = '2026-11-20';
/** The issue's bar for one run (the function's timeout, SNAPSHOT_TIMEOUT_SECONDS, leaves twice that). */
const TARGET_SECONDS = 300;
/** The heap V8 is given by the function's NODE_OPTIONS: old space plus three semi-spaces. */
const HEAP_LIMIT_MB = SNAPSHOT_HEAP_MB + 3 * SNAPSHOT_SEMI_SPACE_MB;
/** Segments the scan uses at this size (profile-reader: one per 2,500 profiles, at most 64). */
const SCAN_SEGMENTS = 64;
/** DynamoDB returns at most 1 MB of items per Scan page. */
const PAGE_BYTES = 1024 * 1024;
/** The peak RSS of the streamed engine alone at 1M before the builder folded customers on arrival. */
const BEFORE_PEAK_RSS_MB = 1_800;

interface Measurement {
  customers: number;
  seconds: number;
  cpuSeconds: number;
  serverSeconds: number;
  peakRssMb: number;
  heapLimitMb: number;
  atRisk: number;
  scanPages: number;
  writes: { key: string; bytes: number; requests: number }[];
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

  constructor(size: number) {
    const timelines = syntheticCustomers({ customers: size, asOf: AS_OF, seed: 42 });
    this.customers = (function* () {
      for (const t of timelines) yield profileItem(t);
    })();
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
      case 'Query':
        return Promise.resolve(ok(JSON.stringify({ Items: [], Count: 0, ScannedCount: 0 })));
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
      const json = JSON.stringify(key);
      parts.push(json);
      bytes += json.length;
    }
    this.pages++;
    const lastKey = !this.done && last ? `,"LastEvaluatedKey":${JSON.stringify({ pk: last.pk, sk: last.sk })}` : '';
    return `{"Items":[${parts.join(',')}],"Count":${parts.length},"ScannedCount":${parts.length},"ConsumedCapacity":{"CapacityUnits":${bytes / 4096 / 2}}${lastKey}}`;
  }
}

/** S3 without the network: counts what each object receives (PutObject, or its multipart parts) and keeps nothing. */
class S3Sink {
  readonly objects = new Map<string, { bytes: number; requests: number }>();

  handle(request: HandlerRequest) {
    const key = decodeURIComponent(request.path.split('/').slice(2).join('/'));
    const query = request.query ?? {};
    const entry = this.objects.get(key) ?? { bytes: 0, requests: 0 };
    this.objects.set(key, entry);
    entry.requests++;
    const body = request.body;
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.length : 0;
    if (request.method === 'PUT') {
      entry.bytes += size;
      return Promise.resolve(ok('', { etag: `"${entry.requests}"`, 'content-type': 'application/xml' }));
    }
    if (request.method === 'POST' && 'uploads' in query) {
      return Promise.resolve(
        ok(`<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>${key}</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>`, {
          'content-type': 'application/xml',
        }),
      );
    }
    if (request.method === 'POST' && 'uploadId' in query) {
      return Promise.resolve(
        ok(`<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>${key}</Key><ETag>"x"</ETag></CompleteMultipartUploadResult>`, {
          'content-type': 'application/xml',
        }),
      );
    }
    return Promise.reject(new Error(`snapshot-1m: the S3 sink does not answer ${request.method} ${request.path}`));
  }
}

async function measure(size: number): Promise<Measurement> {
  const clientConfig = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  } as const;
  const fakeDynamo = new InProcessDynamo(size);
  const sink = new S3Sink();
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...clientConfig, endpoint: 'http://dynamodb.bench', requestHandler: fakeDynamo }),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
  const s3 = new S3Client({ ...clientConfig, endpoint: 'http://s3.bench', forcePathStyle: true, requestHandler: sink });
  const config = parseConfig({ ...SYNTHETIC_SETTINGS });
  const tableName = 'bench';
  // A model fitted yesterday: the daily run, not the monthly refit (bench/backtest.ts measures that).
  await new ModelStore(dynamo, tableName).save({
    model: { ...DEFAULT_MODEL, horizonDays: config.risk.horizonDays, fittedAt: addDays(AS_OF, -1) },
    backtest: null,
    storedAt: `${addDays(AS_OF, -1)}T06:00:00Z`,
  });
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const run = await runSnapshot({ dynamo, s3, tableName, bucketName: 'bench', config, scanSegments: SCAN_SEGMENTS }, AS_OF);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  if (run.refitted) throw new Error('snapshot-1m: the run refitted the model; the bench measures the daily run');
  if (run.stats.customers !== size) throw new Error(`snapshot-1m: scanned ${run.stats.customers} customers of ${size}`);
  return {
    customers: size,
    seconds: wall - fakeDynamo.serverSeconds,
    cpuSeconds: (used.user + used.system) / 1e6 - fakeDynamo.serverCpuSeconds,
    serverSeconds: fakeDynamo.serverSeconds,
    peakRssMb: peakRssMb(),
    heapLimitMb: HEAP_LIMIT_MB,
    atRisk: run.atRiskCount,
    scanPages: fakeDynamo.pages,
    writes: [...sink.objects].map(([key, o]) => ({ key: key.split('/').pop()!, ...o })),
  };
}

const label = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : `${n / 1000}k`);

export const snapshot1mBench: BenchModule = {
  name: 'snapshot-1m',
  async run({ quick }) {
    // The 1M run takes minutes on a shared machine: --quick runs the same path on 20k customers.
    const size = quick ? 20_000 : 1_000_000;
    const m = await measureInChild<Measurement>('snapshot-1m.ts', ['--size', String(size)], SNAPSHOT_V8_FLAGS);
    const L = label(size);
    // The quick run's 20k must not overwrite snapshot-engine's snapshot.seconds20k (the engine alone).
    const name = (figure: 'seconds' | 'peakRssMb' | 'atRisk') =>
      quick ? `snapshot.quick.lambda${figure[0]!.toUpperCase()}${figure.slice(1)}${L}` : `snapshot.${figure}${L}`;
    const files = m.writes.map((w) => `${w.key} ${(w.bytes / 1e6).toFixed(1)} MB in ${w.requests} requests`).join(', ');
    const figures: Figure[] = [
      {
        name: name('seconds'),
        value: m.seconds,
        unit: 's',
        note: `runSnapshot minus ${m.serverSeconds.toFixed(1)} s of the in-process DynamoDB; ${(m.seconds / TARGET_SECONDS).toFixed(2)} of the ${TARGET_SECONDS} s target (timeout ${SNAPSHOT_TIMEOUT_SECONDS} s); cpu ${m.cpuSeconds.toFixed(1)} s; ${m.scanPages} scan pages`,
      },
      {
        name: name('peakRssMb'),
        value: m.peakRssMb,
        unit: 'MB',
        note: `${(m.peakRssMb / SNAPSHOT_MEMORY_MB).toFixed(2)} of the ${SNAPSHOT_MEMORY_MB} MB function (target ≤ 0.5), heap limit ${m.heapLimitMb} MB${quick ? '' : `; ${(m.peakRssMb / BEFORE_PEAK_RSS_MB).toFixed(2)} × the engine alone before (${BEFORE_PEAK_RSS_MB} MB)`}`,
      },
      { name: name('atRisk'), value: m.atRisk, unit: 'rows', note: files },
    ];
    return figures;
  },
};

if (isMain(import.meta.url)) {
  const { size } = parseArgs();
  reportToParent(await measure(size ?? 1_000_000));
}
