/**
 * The digest at one million customers (`digest.seconds1M`, `digest.peakRssMb1M`): the digest handler
 * itself, with the real AWS SDK clients, over a snapshot.json of 1M customers written by the real
 * writer (snapshotJsonChunks), in a child process whose V8 heap is limited as the function's memory
 * limits it (lib/digest-sizing.ts). The file is ~280 MB, served to the S3 client by an in-process
 * request handler streaming it from disk (so S3's own work and the file's bytes stay out of the
 * child's memory); DynamoDB (digest records, opt-outs) and SES are the embedded stack's emulators, in
 * the parent, over real sockets.
 *
 * The rows are the real snapshot's: 20,000 synthetic customers through the SnapshotBuilder give the
 * shape and proportions (a third at risk, ~4 % red or yellow, ~1.7 % on the save list), then each row
 * is repeated 50 times under new ids, spread over 200 owners and one customer in ten with none.
 *
 *   npx tsx bench/digest-1m.ts   (the child: reads CHURNWATCH_DIGEST_BENCH; `npm run bench` starts it)
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDigestHandler, tableOptOuts } from '../lambdas/digest/handler';
import type { ScheduledChurn } from '../lambdas/domain/forecast/types';
import { AtRiskRows, SnapshotBuilder } from '../lambdas/domain/snapshot';
import type { AtRiskCustomer } from '../lambdas/domain/types';
import { snapshotJsonChunks } from '../lambdas/report/snapshot-json';
import { parseConfig } from '../lambdas/shared/config';
import { UnsubscribeStore } from '../lambdas/store/unsubscribe-store';
import { DIGEST_HEAP_MB, DIGEST_MEMORY_MB } from '../lib/digest-sizing';
import { lambdaContext } from '../local/lambda-context';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-env';
import { startEmbeddedStack } from '../local/stack';
import { isMain, measureInChild, peakRssMb, reportToParent, type BenchModule, type Figure } from './harness';
import { SYNTHETIC_SETTINGS, syntheticCustomers } from './synthetic';

const AS_OF = '2026-11-20';
const TEMPLATE_CUSTOMERS = 20_000;
const OWNERS = 200;
const FALLBACK = 'cs@example.com';
const KEY = `reports/${AS_OF}/snapshot.json`;
const ENV = 'CHURNWATCH_DIGEST_BENCH';
const config = parseConfig({ ...SYNTHETIC_SETTINGS, digest: { from: 'churnwatch@example.com', fallbackTo: FALLBACK } });

interface ChildInput {
  file: string;
  dynamodb: string;
  ses: string;
  tableName: string;
}

interface Measurement {
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  sent: number;
  skipped: number;
  failed: number;
}

const utf8 = new TextEncoder();

/** Row `i` of the template, copy `k`: a new id and name, and its owner among OWNERS (none for one in ten). */
function ownerOf(n: number): string | null {
  return n % 10 === 0 ? null : `csm${n % OWNERS}@example.com`;
}

/** snapshot.json of `customers` customers in the real snapshot's shape, written by the real writer. */
async function writeSyntheticSnapshot(file: string, customers: number): Promise<{ bytes: number; atRisk: number; listed: number }> {
  const builder = new SnapshotBuilder(SYNTHETIC_SETTINGS, AS_OF);
  const template = Math.min(customers, TEMPLATE_CUSTOMERS);
  for (const c of syntheticCustomers({ customers: template, asOf: AS_OF, seed: 42 })) builder.add(c);
  const { summary, atRisk } = builder.finishParts();
  const copies = Math.ceil(customers / template);
  // Copies of a row stay together, so the list keeps the writer's order (probability, then MRR).
  const rows: Uint8Array[] = [];
  let listed = 0;
  let i = 0;
  for (const row of atRisk) {
    for (let k = 0; k < copies; k++) {
      const n = i * copies + k;
      const copy: AtRiskCustomer = { ...row, customerId: `${row.customerId}_${k}`, name: `${row.name} ${k}`, owner: ownerOf(n) };
      if (copy.band === 'red' || copy.band === 'yellow') listed++;
      rows.push(utf8.encode(JSON.stringify(copy)));
    }
    i++;
  }
  const scheduledChurn: ScheduledChurn[] = summary.scheduledChurn.flatMap((entry, j) =>
    Array.from({ length: copies }, (_, k) => ({ ...entry, customerId: `${entry.customerId}_${k}`, owner: ownerOf(j * copies + k) })),
  );
  const out = createWriteStream(file);
  for (const chunk of snapshotJsonChunks({ ...summary, scheduledChurn }, new AtRiskRows(rows))) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
  return { bytes: (await stat(file)).size, atRisk: rows.length, listed };
}

type HandlerRequest = { method: string; path: string };

/** S3 without the network: GetObject of the one key, streamed from the file. */
function s3FromFile(file: string, size: number) {
  return {
    handle(request: HandlerRequest) {
      const key = decodeURIComponent(request.path.split('/').slice(2).join('/'));
      if (request.method !== 'GET' || key !== KEY)
        return Promise.reject(new Error(`digest-1m: the in-process S3 does not answer ${request.method} ${key}`));
      return Promise.resolve({
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/json', 'content-length': String(size) },
          body: createReadStream(file),
        },
      });
    },
  };
}

/** In the child: the digest handler as Lambda runs it, timed. */
async function measure(input: ChildInput): Promise<Measurement> {
  const clientConfig = {
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  } as const;
  const size = (await stat(input.file)).size;
  const s3 = new S3Client({
    ...clientConfig,
    endpoint: 'http://s3.bench',
    forcePathStyle: true,
    requestHandler: s3FromFile(input.file, size),
  });
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ ...clientConfig, endpoint: input.dynamodb }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const ses = new SESv2Client({ ...clientConfig, endpoint: input.ses });
  const handler = createDigestHandler({
    dynamo,
    s3,
    ses,
    tableName: input.tableName,
    bucketName: 'bench',
    config,
    optOuts: tableOptOuts(new UnsubscribeStore(dynamo, input.tableName), 'http://127.0.0.1:9/unsubscribe', () =>
      Promise.resolve('bench-key'),
    ),
  });
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const summary = await handler({ asOf: AS_OF, snapshotKey: KEY }, lambdaContext('churnwatch-digest'));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakRssMb: peakRssMb(),
    sent: summary.sent,
    skipped: summary.skipped,
    failed: summary.failed,
  };
}

const label = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : `${n / 1000}k`);

export const digest1mBench: BenchModule = {
  name: 'digest-1m',
  async run({ quick }) {
    const customers = quick ? 50_000 : 1_000_000;
    const dir = await mkdtemp(join(tmpdir(), 'churnwatch-bench-digest-'));
    const stack = await startEmbeddedStack({ namePrefix: 'bench-digest' });
    try {
      const file = join(dir, 'snapshot.json');
      const written = await writeSyntheticSnapshot(file, customers);
      const input: ChildInput = { file, dynamodb: stack.endpoints.dynamodb, ses: stack.endpoints.ses!, tableName: stack.tableName };
      process.env[ENV] = JSON.stringify(input);
      // The SES emulator's outbox can hold an earlier bench's mail (cost-model sends digests): count only this run's.
      await stack.clearMail();
      // No heap flag: the function runs with V8's own limit from its memory, and so does the child.
      const m = await measureInChild<Measurement>('digest-1m.ts', [], [`--max-old-space-size=${DIGEST_HEAP_MB}`]).finally(
        () => delete process.env[ENV],
      );
      const mails = (await stack.sentMail()).length;
      if (m.failed > 0 || mails !== m.sent) throw new Error(`digest-1m: ${m.failed} digests failed; ${mails} mails for ${m.sent} sent`);
      const L = label(customers);
      const name = (figure: string) => (quick ? `digest.quick.${figure}${L}` : `digest.${figure}${L}`);
      const shape = `${(written.bytes / 1e6).toFixed(0)} MB snapshot.json, ${written.atRisk.toLocaleString('en-US')} at-risk rows (${written.listed.toLocaleString('en-US')} red/yellow), ${m.sent} digests sent, ${m.skipped} skipped`;
      const figures: Figure[] = [
        { name: name('seconds'), value: m.seconds, unit: 's', note: `digest handler, cpu ${m.cpuSeconds.toFixed(1)} s; ${shape}` },
        {
          name: name('peakRssMb'),
          value: m.peakRssMb,
          unit: 'MB',
          note: `${(m.peakRssMb / DIGEST_MEMORY_MB).toFixed(2)} of the ${DIGEST_MEMORY_MB} MB function (target ≤ 0.5), old space ${DIGEST_HEAP_MB} MB`,
        },
      ];
      return figures;
    } finally {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

if (isMain(import.meta.url)) {
  const raw = process.env[ENV];
  if (!raw) throw new Error(`digest-1m: the child reads its input from ${ENV}; run it with npm run bench -- --only digest-1m`);
  reportToParent(await measure(JSON.parse(raw) as ChildInput));
}
