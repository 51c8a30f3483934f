/**
 * `cost.monthlyUsd` (docs/metrics.md §6.1): the monthly AWS bill at list prices for 10,000 customers,
 * 10M usage events a month in requests of 20 spread over customers, one billing export a day and the
 * daily snapshot and digests. One day of that workload runs on the embedded stack through the real
 * handlers (API → queue → aggregator → inbox; billing export → S3 → ingest; snapshot with its fold;
 * digests), every DynamoDB, S3 and SES request and capacity unit counted; the deployed resources
 * (alarms, keys, functions' memory) are read from the synthesized template. The day is then multiplied
 * out to a month and priced line by line, with the arithmetic printed.
 *
 * What is not measured but assumed (stated in the printed lines): Lambda durations on AWS (local
 * timings of an emulator are no guide), how often the SQS pollers receive, and log bytes per invocation.
 *
 *   npx tsx bench/cost-model.ts [--quick]
 */
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context, SQSEvent } from 'aws-lambda';
import { createDigestHandler } from '../lambdas/digest/handler';
import { addDays } from '../lambdas/domain/dates';
import { createBillingIngestHandler } from '../lambdas/ingest-billing/handler';
import { parseConfig } from '../lambdas/shared/config';
import { planParts } from '../lambdas/snapshot/fan-out';
import { segmentsForProfiles } from '../lambdas/store/profile-reader';
import { buildApp } from '../lib/app';
import { DIGEST_MEMORY_MB } from '../lib/digest-sizing';
import { USAGE_BATCHING_WINDOW } from '../lib/usage-api';
import { lambdaContext } from '../local/lambda-context';
import { runSnapshotLocally } from '../local/snapshot-machine';
import { sumOps, type DynamoCounters } from './dynamo-counters';
import { formatTable, isMain, recordResults, type BenchModule, type Figure } from './harness';
import { SYNTHETIC_SETTINGS } from './synthetic';
import { COST_MODEL, EVENTS_PER_CUSTOMER_DAY, measureSpread, type Phase } from './usage-spread';

/**
 * AWS list prices, us-east-1, as published on the services' pricing pages on 2026-12-01 (on-demand
 * DynamoDB at the November 2024 rates; Lambda on arm64, which the stack deploys). Free tiers ignored.
 */
export const PRICES = {
  date: '2026-12-01',
  region: 'us-east-1',
  dynamoWriteUnitPerMillion: 0.625,
  dynamoReadUnitPerMillion: 0.125,
  dynamoStorageGbMonth: 0.25,
  dynamoPitrGbMonth: 0.2,
  lambdaGbSecondArm: 0.0000133334,
  lambdaRequestsPerMillion: 0.2,
  apiGatewayRestPerMillion: 3.5,
  s3PutPer1000: 0.005,
  s3GetPer1000: 0.0004,
  s3ListPer1000: 0.005,
  sqsRequestsPerMillion: 0.4,
  cloudwatchMetricMonth: 0.3,
  cloudwatchAlarmMonth: 0.1,
  cloudwatchLogsIngestGb: 0.5,
  cloudwatchLogsStoreGbMonth: 0.03,
  sesPer1000: 0.1,
  stepFunctionsTransitionsPer1000: 0.025,
  kmsKeyMonth: 1,
  secretMonth: 0.4,
  xrayTracesPerMillion: 5,
} as const;

/** Assumptions: warm Lambda durations on AWS (ms), and log bytes per invocation (platform lines + ours). */
const ASSUMED = {
  apiMs: 25, // validation + one SQS SendMessage round trip
  aggregatorMs: 120, // one S3 PUT of a batch
  ingestBillingMs: 3_000, // one daily export of a few hundred rows
  digestMs: 2_000,
  /** SQS event source pollers idle-poll with 20 s long polls; 5 pollers is Lambda's floor. */
  pollers: 5,
  logBytesPerInvocation: 1_200,
  accessLogBytesPerRequest: 450,
};
const DAYS = COST_MODEL.daysPerMonth;
const HOURS_PER_MONTH = DAYS * 24;

interface DayMeasured {
  customers: number;
  events: number;
  apiRequests: number;
  sqsMessages: number;
  aggregatorBatchesLocal: number;
  fold: DynamoCounters;
  billing: { dynamo: DynamoCounters; s3: Record<string, number>; rows: number };
  snapshot: { dynamo: DynamoCounters; s3: Record<string, number>; seconds: number };
  digest: { dynamo: DynamoCounters; s3: Record<string, number>; mails: number };
  foldS3: Record<string, number>;
  profileBytes: number;
}

/** One day of the workload on the embedded stack. */
async function measureDay(customers: number): Promise<DayMeasured> {
  const events = Math.round(customers * EVENTS_PER_CUSTOMER_DAY);
  const config = parseConfig({ ...SYNTHETIC_SETTINGS, digest: { from: 'churnwatch@example.com', fallbackTo: 'ops@example.com' } });
  const ctx = (name: string): Context => lambdaContext(name);
  const m = await measureSpread({
    customers,
    events,
    after: async (stack, phase: Phase) => {
      const deps = { dynamo: stack.clients.dynamo, s3: stack.clients.s3, tableName: stack.tableName, bucketName: stack.bucketName, config };
      // One billing export a day: monthly invoices renew on every day of the month, ~customers/30 rows.
      const rows = Math.max(1, Math.round(customers / DAYS));
      const today = new Date().toISOString().slice(0, 10);
      const next = new Date(Date.parse(`${today}T00:00:00Z`) + 31 * 86_400_000).toISOString().slice(0, 10);
      const csv = ['invoice_id,customer_id,amount,currency,period_start,period_end,status'];
      for (let i = 0; i < rows; i++)
        csv.push(`in_daily_${i},cus_${((i * 29) % customers).toString(36).padStart(6, '0')},199.00,USD,${today},${next},paid`);
      const ingest = createBillingIngestHandler(deps);
      stack.subscribe((event: SQSEvent) => ingest(event, ctx('churnwatch-ingest-billing')));
      const billing = await phase(async () => {
        await stack.clients.s3.send(
          new PutObjectCommand({ Bucket: stack.bucketName, Key: `exports/${today}.csv`, Body: `${csv.join('\n')}\n` }),
        );
        await stack.queue.drain();
      });
      const snapshot = await phase(async () =>
        // As the schedule runs it: the state machine's Plan (with its COUNT scan), parts and Finish.
        runSnapshotLocally(deps, { 'detail-type': 'Scheduled Event', time: `${addDays(today, 1)}T06:00:00Z` }),
      );
      await stack.clearMail();
      const digest = await phase(() =>
        createDigestHandler({ ...deps, ses: stack.clients.ses! })(
          { asOf: today, snapshotKey: snapshot.result.reportKeys.json },
          ctx('churnwatch-digest'),
        ),
      );
      const mails = (await stack.sentMail()).length;
      return { billing: { ...billing, rows }, snapshot, digest: { ...digest, mails } };
    },
    ses: true,
  });
  const after = m.after as { billing: DayMeasured['billing']; snapshot: DayMeasured['snapshot']; digest: DayMeasured['digest'] };
  return {
    customers,
    events,
    apiRequests: m.requests,
    sqsMessages: m.messages,
    aggregatorBatchesLocal: m.s3Requests.PutObject ?? 0,
    fold: m.foldDynamo,
    foldS3: m.s3Requests,
    billing: after.billing,
    snapshot: after.snapshot,
    digest: after.digest,
    profileBytes: m.avgProfileBytes,
  };
}

interface Line {
  service: string;
  item: string;
  usd: number;
  arithmetic: string;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const usd = (n: number) => `$${n.toFixed(2)}`;

function resourcesOf(template: Record<string, { Type: string; Properties?: Record<string, unknown> }>, type: string) {
  return Object.values(template).filter((r) => r.Type === type);
}

/** Prices a month of `scale` × the measured day (customers and events scale together). */
export function monthlyLines(
  day: DayMeasured,
  scale: number,
  deployed: { alarms: number; kmsKeys: number; secrets: number; snapshotMemoryGb: number; tracing: boolean; apiTraceRate: number },
): Line[] {
  const perMonth = DAYS * scale;
  const events = day.events * perMonth;
  const requests = day.apiRequests * perMonth;
  const lines: Line[] = [];
  const add = (service: string, item: string, usdValue: number, arithmetic: string) =>
    lines.push({ service, item, usd: usdValue, arithmetic });

  // DynamoDB: the fold (usage), the billing export, the snapshot and digest.
  const wu =
    (day.fold.writeUnits + day.billing.dynamo.writeUnits + day.snapshot.dynamo.writeUnits + day.digest.dynamo.writeUnits) * perMonth;
  const ru = (day.fold.readUnits + day.billing.dynamo.readUnits + day.snapshot.dynamo.readUnits + day.digest.dynamo.readUnits) * perMonth;
  add(
    'DynamoDB',
    'write units (on demand)',
    (wu / 1e6) * PRICES.dynamoWriteUnitPerMillion,
    `(${fmt(day.fold.writeUnits)} fold + ${fmt(day.billing.dynamo.writeUnits)} billing + ${fmt(day.snapshot.dynamo.writeUnits)} snapshot + ${fmt(day.digest.dynamo.writeUnits)} digest WU/day) × ${fmt(perMonth, 1)} = ${fmt(wu)} WU × $${PRICES.dynamoWriteUnitPerMillion}/M (transactions doubled and GSI writes as DynamoDB reports them)`,
  );
  add(
    'DynamoDB',
    'read units (on demand)',
    (ru / 1e6) * PRICES.dynamoReadUnitPerMillion,
    `${fmt(ru)} RU × $${PRICES.dynamoReadUnitPerMillion}/M`,
  );
  // Storage after a year: profiles plus a DAY# item per customer-day (~0.7 KB with 33 event ids) plus 8 days of SEEN#.
  const storageGb = (day.customers * scale * (day.profileBytes + 365 * 700 + 8 * 300)) / 1e9;
  add(
    'DynamoDB',
    'storage + PITR (after a year)',
    storageGb * (PRICES.dynamoStorageGbMonth + PRICES.dynamoPitrGbMonth),
    `${fmt(storageGb, 2)} GB (profiles ${fmt(day.profileBytes)} B + 365 DAY# × 700 B + SEEN# per customer) × ($${PRICES.dynamoStorageGbMonth} + $${PRICES.dynamoPitrGbMonth} PITR)`,
  );

  add(
    'API Gateway',
    'REST requests',
    (requests / 1e6) * PRICES.apiGatewayRestPerMillion,
    `${fmt(requests)} requests (${fmt(events)} events / ${COST_MODEL.eventsPerRequest}) × $${PRICES.apiGatewayRestPerMillion}/M`,
  );

  // Lambda: the API per request, the aggregator once per batching window per poller, the daily runs.
  const windows = (HOURS_PER_MONTH * 3600) / USAGE_BATCHING_WINDOW.toSeconds();
  const aggregatorRuns = Math.min(day.sqsMessages * perMonth, windows * ASSUMED.pollers);
  const gbS =
    requests * 0.5 * (ASSUMED.apiMs / 1000) +
    aggregatorRuns * 0.5 * (ASSUMED.aggregatorMs / 1000) +
    DAYS *
      (1 * (ASSUMED.ingestBillingMs / 1000) +
        deployed.snapshotMemoryGb * day.snapshot.seconds * scale +
        (DIGEST_MEMORY_MB / 1024) * (ASSUMED.digestMs / 1000));
  const invocations = requests + aggregatorRuns + DAYS * 3;
  add(
    'Lambda',
    'GB-seconds (arm64)',
    gbS * PRICES.lambdaGbSecondArm,
    `${fmt(requests)} API × 0.5 GB × ${ASSUMED.apiMs} ms (assumed) + ${fmt(aggregatorRuns)} aggregator runs (≤ ${ASSUMED.pollers} pollers × one ${USAGE_BATCHING_WINDOW.toSeconds()} s window) × 0.5 GB × ${ASSUMED.aggregatorMs} ms + daily snapshot ${deployed.snapshotMemoryGb} GB × ${fmt(day.snapshot.seconds * scale, 1)} s (measured locally, an upper bound) + ingest and digest = ${fmt(gbS)} GB-s × $${PRICES.lambdaGbSecondArm}`,
  );
  add(
    'Lambda',
    'requests',
    (invocations / 1e6) * PRICES.lambdaRequestsPerMillion,
    `${fmt(invocations)} invocations × $${PRICES.lambdaRequestsPerMillion}/M`,
  );

  // SQS: the API's sends, the pollers' receives (20 s long polls, more when busy: one per batch), deletes per batch; S3 notifications.
  const receives = Math.max((HOURS_PER_MONTH * 3600 * ASSUMED.pollers) / 20, aggregatorRuns);
  const sqs = day.sqsMessages * perMonth + receives + aggregatorRuns + DAYS * 3;
  add(
    'SQS',
    'requests',
    (sqs / 1e6) * PRICES.sqsRequestsPerMillion,
    `${fmt(day.sqsMessages * perMonth)} SendMessage + ${fmt(receives)} ReceiveMessage (${ASSUMED.pollers} pollers, 20 s long polls) + ${fmt(aggregatorRuns)} DeleteMessageBatch + export notifications = ${fmt(sqs)} × $${PRICES.sqsRequestsPerMillion}/M`,
  );

  // S3: one inbox PUT per aggregator run; the fold's GET per object and LISTs; reports and exports daily.
  const dailyS3 = (k: string) => (day.billing.s3[k] ?? 0) + (day.snapshot.s3[k] ?? 0) + (day.digest.s3[k] ?? 0);
  const puts = aggregatorRuns + DAYS * (dailyS3('PutObject') + 1);
  const gets = aggregatorRuns + DAYS * dailyS3('GetObject');
  const lists = DAYS * (dailyS3('ListObjectsV2') + 1);
  const s3Usd = (puts / 1000) * PRICES.s3PutPer1000 + (gets / 1000) * PRICES.s3GetPer1000 + (lists / 1000) * PRICES.s3ListPer1000;
  add(
    'S3',
    'requests',
    s3Usd,
    `${fmt(puts)} PUT (inbox, reports, the export) × $${PRICES.s3PutPer1000}/1k + ${fmt(gets)} GET × $${PRICES.s3GetPer1000}/1k + ${fmt(lists)} LIST × $${PRICES.s3ListPer1000}/1k (inbox objects are deleted once folded: storage ≈ 0)`,
  );

  // CloudWatch: custom metrics are billed by the hour they receive data; alarms per month; logs by the GB.
  // Those two run all day: what they publish every hour. Counts that are nearly always zero
  // (duplicates, rejections, refusals, malformed messages) are published only when not zero.
  const hourly = { 'ingest-usage': 1, 'usage-aggregator': 2 };
  const daily = { 'ingest-billing': 4, snapshot: 7, digest: 3 };
  const metricMonths =
    Object.values(hourly).reduce((a, b) => a + b, 0) + (Object.values(daily).reduce((a, b) => a + b, 0) * DAYS) / HOURS_PER_MONTH;
  add(
    'CloudWatch',
    'custom metrics (EMF)',
    metricMonths * PRICES.cloudwatchMetricMonth,
    `${Object.values(hourly).reduce((a, b) => a + b, 0)} metrics sent every hour (ingest-usage, usage-aggregator) + ${Object.values(daily).reduce((a, b) => a + b, 0)} sent once a day (1 h of 730 each) = ${fmt(metricMonths, 2)} metric-months × $${PRICES.cloudwatchMetricMonth}`,
  );
  // Step Functions (Standard): Plan, the Map, one FoldPart per part, Finish, and the execution's start and end.
  const parts = planParts(day.customers * scale, segmentsForProfiles(day.customers * scale)).length;
  const transitions = DAYS * (5 + parts);
  add(
    'Step Functions',
    'state transitions',
    (transitions / 1000) * PRICES.stepFunctionsTransitionsPer1000,
    `${DAYS} snapshot runs × (5 + ${parts} part${parts === 1 ? '' : 's'}) = ${fmt(transitions)} transitions × $${PRICES.stepFunctionsTransitionsPer1000}/1000 (large exports add theirs)`,
  );
  add(
    'CloudWatch',
    'alarms',
    deployed.alarms * PRICES.cloudwatchAlarmMonth,
    `${deployed.alarms} standard alarms in the template × $${PRICES.cloudwatchAlarmMonth}`,
  );
  const logGb = (invocations * ASSUMED.logBytesPerInvocation + requests * ASSUMED.accessLogBytesPerRequest) / 1e9;
  add(
    'CloudWatch',
    'logs',
    logGb * (PRICES.cloudwatchLogsIngestGb + PRICES.cloudwatchLogsStoreGbMonth),
    `(${fmt(invocations)} invocations × ${ASSUMED.logBytesPerInvocation} B + ${fmt(requests)} access-log lines × ${ASSUMED.accessLogBytesPerRequest} B) = ${fmt(logGb, 2)} GB × ($${PRICES.cloudwatchLogsIngestGb} ingest + $${PRICES.cloudwatchLogsStoreGbMonth} stored)`,
  );

  const mails = day.digest.mails * DAYS;
  add(
    'SES',
    'digest emails',
    (mails / 1000) * PRICES.sesPer1000,
    `${fmt(mails)} emails (${day.digest.mails} CSMs a day) × $${PRICES.sesPer1000}/1k`,
  );
  add(
    'KMS',
    'customer-managed keys',
    deployed.kmsKeys * PRICES.kmsKeyMonth,
    `${deployed.kmsKeys} key (the alarm topic's; queues use SQS-managed encryption) × $${PRICES.kmsKeyMonth}; requests negligible (alarm notifications only)`,
  );
  add(
    'Secrets Manager',
    'secrets',
    deployed.secrets * PRICES.secretMonth,
    `${deployed.secrets} secrets the stack generates (signing and write keys) × $${PRICES.secretMonth}; reads negligible (cached 5 minutes per function instance)`,
  );
  if (deployed.tracing) {
    const traces = requests * deployed.apiTraceRate + aggregatorRuns;
    add(
      'X-Ray',
      'traces (churnwatch.tracing on)',
      (traces / 1e6) * PRICES.xrayTracesPerMillion,
      `${fmt(requests)} API requests × ${deployed.apiTraceRate} (the stage's sampling rule) + ${fmt(aggregatorRuns)} aggregator runs (inside the default 1/s reservoir) = ${fmt(traces)} traces × $${PRICES.xrayTracesPerMillion}/M`,
    );
  }
  return lines;
}

/** The stack `cdk deploy` would create from the repository's cdk.json (bundling skipped: only resources count). */
function deployedResources() {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
  const { stack } = buildApp({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } }, { nag: false });
  const template = (
    stack.node.root as unknown as {
      synth(): {
        getStackByName(n: string): { template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> } };
      };
    }
  )
    .synth()
    .getStackByName(stack.stackName).template.Resources;
  const snapshotFn = resourcesOf(template, 'AWS::Lambda::Function').find(
    (f) => (f.Properties?.Environment as { Variables?: Record<string, string> })?.Variables?.POWERTOOLS_SERVICE_NAME === 'snapshot',
  );
  const tracing = resourcesOf(template, 'AWS::Lambda::Function').some(
    (f) => (f.Properties?.TracingConfig as { Mode?: string })?.Mode === 'Active',
  );
  return {
    alarms: resourcesOf(template, 'AWS::CloudWatch::Alarm').length,
    kmsKeys: resourcesOf(template, 'AWS::KMS::Key').length,
    secrets: resourcesOf(template, 'AWS::SecretsManager::Secret').length,
    snapshotMemoryGb: ((snapshotFn?.Properties?.MemorySize as number | undefined) ?? 2048) / 1024,
    tracing,
    // No sampling rule: X-Ray's default (1 a second, 5 % beyond) records nearly every request here.
    apiTraceRate:
      (resourcesOf(template, 'AWS::XRay::SamplingRule')[0]?.Properties?.SamplingRule as { FixedRate?: number } | undefined)?.FixedRate ?? 1,
  };
}

function print(title: string, lines: Line[]): number {
  const total = lines.reduce((n, l) => n + l.usd, 0);
  console.error(`\n${title}`);
  for (const l of [...lines].sort((a, b) => b.usd - a.usd))
    console.error(`  ${usd(l.usd).padStart(8)}  ${`${l.service}: ${l.item}`.padEnd(44)} ${l.arithmetic}`);
  console.error(`  ${usd(total).padStart(8)}  total`);
  return total;
}

export const costModelBench: BenchModule = {
  name: 'cost-model',
  async run({ quick }) {
    // The quick run measures a day of 200 customers and scales it ×50: per-customer and per-event
    // costs do not depend on the customer count (each customer's day is the same shape).
    const customers = quick ? 200 : COST_MODEL.customers;
    const day = await measureDay(customers);
    const deployed = deployedResources();
    const scale10k = COST_MODEL.customers / customers;
    console.error(
      `\nmeasured day: ${day.customers} customers, ${day.events} events in ${day.apiRequests} requests, ${day.sqsMessages} SQS messages; fold ${fmt(day.fold.writeUnits)} WU / ${fmt(day.fold.readUnits)} RU (${fmt(sumOps(day.fold, 'writes'))} write requests); snapshot ${day.snapshot.seconds.toFixed(1)} s locally, ${fmt(day.snapshot.dynamo.readUnits)} RU; ${day.digest.mails} digests; prices us-east-1 list as of ${PRICES.date}`,
    );
    const total10k = print(
      `cost.monthlyUsd — 10k customers, 10M events/month (measured day × ${fmt(DAYS * scale10k, 1)})`,
      monthlyLines(day, scale10k, deployed),
    );
    const total100k = print(
      '100k customers, 100M events/month (the same day × 10 more customers and events)',
      monthlyLines(day, scale10k * 10, deployed),
    );
    return [
      {
        name: 'cost.monthlyUsd',
        value: Math.round(total10k * 100) / 100,
        unit: 'USD/month',
        note: `10k customers, 10M events/month, us-east-1 list prices ${PRICES.date}; measured on ${customers} customers${quick ? ' (quick, scaled)' : ''}`,
      },
      {
        name: 'cost.monthlyUsd100k',
        value: Math.round(total100k * 100) / 100,
        unit: 'USD/month',
        note: '100k customers, 100M events/month',
      },
    ] satisfies Figure[];
  },
};

if (isMain(import.meta.url)) {
  const figures = await costModelBench.run({ quick: process.argv.includes('--quick') });
  recordResults(figures);
  console.log(formatTable(figures));
}
