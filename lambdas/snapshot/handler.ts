import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { addDays } from '../domain/dates';
import type { Day } from '../domain/types';
import { dynamo, s3Client } from '../shared/aws-clients';
import { createLogger, createMetrics } from '../shared/observability';
import { lazyHandler } from '../shared/lazy-handler';
import { foldUsageInbox } from '../store/usage-inbox';
import { finishSnapshot, planSnapshot, runSnapshotPart, snapshotPartSchema, snapshotPlanSchema, type PlanOptions } from './fan-out';
import { runSnapshot, type SnapshotDeps, type SnapshotRun, type WrittenSnapshot } from './run-snapshot';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'asOf must be YYYY-MM-DD');

/**
 * A manual run or backfill (`{"asOf": "2026-10-31"}`, with `"refit": true` to refit the forecast
 * first, e.g. right after loading the history), or the EventBridge schedule.
 */
export const snapshotInputSchema = z.union([
  z.object({ asOf: day, refit: z.boolean().optional() }),
  z.object({ 'detail-type': z.literal('Scheduled Event'), time: z.iso.datetime({ offset: true }) }),
]);
export type SnapshotInput = z.infer<typeof snapshotInputSchema>;

/** The steps of the snapshot state machine (lib/snapshot-definition.ts), each an invocation. */
export const snapshotStepSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('plan'), input: snapshotInputSchema, executionName: z.string().min(1).max(80) }),
  z.object({ step: z.literal('part'), plan: snapshotPlanSchema, part: snapshotPartSchema }),
  z.object({ step: z.literal('finish'), plan: snapshotPlanSchema }),
]);

/** What the snapshot hands to the digest. */
export interface DigestRequest {
  asOf: Day;
  snapshotKey: string;
}

/**
 * The schedule snapshots "as of yesterday": month to date on most days, and on the 1st, yesterday is
 * the last day of the previous month, so that run is the month's closing snapshot.
 */
export function asOfFor(input: SnapshotInput): Day {
  if ('asOf' in input) return input.asOf;
  return addDays(input.time.slice(0, 10), -1);
}

export interface SnapshotHandlerDeps extends SnapshotDeps {
  handOver?: (request: DigestRequest) => Promise<void>;
  /** Customers per part of the fan-out (tests make it small). */
  profilesPerPart?: PlanOptions['profilesPerPart'];
}

/** What a whole run (a single invocation, or the state machine's Finish) answers. */
export interface SnapshotResult {
  asOf: Day;
  reportKeys: SnapshotRun['reportKeys'];
  atRisk: number;
}

const snapshotResultSchema = z.object({
  asOf: day,
  reportKeys: z.object({ json: z.string(), csv: z.string(), html: z.string(), bands: z.string() }),
  atRisk: z.number().int().min(0),
});

/** The answer of a whole run, from a handler (or an execution) that also answers steps: checked, not cast. */
export function snapshotResult(value: unknown): SnapshotResult {
  const parsed = snapshotResultSchema.safeParse(value);
  if (!parsed.success) throw new Error(`not the result of a whole snapshot run: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

type Context = { getRemainingTimeInMillis?: () => number } | undefined;

export function createSnapshotHandler(deps: SnapshotHandlerDeps) {
  const logger = createLogger('snapshot');
  const metrics = createMetrics('snapshot');

  // Usage received since the last run is counted first, so the snapshot sees every event that
  // arrived before it started. Half the remaining time at most: the snapshot needs the rest.
  const foldUsage = async (context: Context) => {
    const remaining = context?.getRemainingTimeInMillis?.() ?? 600_000;
    const fold = await foldUsageInbox({ ...deps, deadline: Date.now() + remaining / 2 });
    metrics.addMetric('UsageEventsCounted', MetricUnit.Count, fold.accepted);
    metrics.addMetric('UsageEventsDuplicate', MetricUnit.Count, fold.duplicates);
    metrics.addMetric('UsageEventsRejected', MetricUnit.Count, fold.rejected.length);
    logger.info('usage inbox folded', { ...fold, rejected: fold.rejected.length, firstRejections: fold.rejected.slice(0, 5) });
  };

  const written = async (asOf: Day, run: WrittenSnapshot): Promise<SnapshotResult> => {
    const { summary: snapshot, stats, atRiskCount } = run;
    metrics.addMetric('CustomersScanned', MetricUnit.Count, stats.customers);
    metrics.addMetric('CustomersAtRisk', MetricUnit.Count, atRiskCount);
    metrics.addMetric('SnapshotReadUnits', MetricUnit.Count, stats.readUnits);
    metrics.addMetric('CustomersRed', MetricUnit.Count, snapshot.risk.bands.red.customers);
    if (run.refitted)
      logger.info('forecast model refitted', {
        model: snapshot.risk,
        backtest: run.model?.backtest?.evaluation ?? null,
        sample: run.model?.backtest?.sample ?? null,
      });
    logger.info('snapshot written', {
      asOf,
      customers: stats.customers,
      readUnits: stats.readUnits,
      mrrEnd: snapshot.mrr.end,
      logoChurnRate: snapshot.logoChurnRate,
      ndr: snapshot.ndr,
      atRisk: atRiskCount,
      reportKeys: run.reportKeys,
    });
    if (deps.handOver) await deps.handOver({ asOf, snapshotKey: run.reportKeys.json });
    return { asOf, reportKeys: run.reportKeys, atRisk: atRiskCount };
  };

  const handler = async (event: unknown, context?: Context) => {
    if (typeof event === 'object' && event !== null && 'step' in event) {
      const parsed = snapshotStepSchema.safeParse(event);
      if (!parsed.success) throw new Error(`Snapshot step input is malformed: ${z.prettifyError(parsed.error)}`);
      const step = parsed.data;
      if (step.step === 'plan') {
        await foldUsage(context);
        const { input } = step;
        const planned = await planSnapshot(deps, asOfFor(input), step.executionName, {
          refit: 'refit' in input && input.refit === true,
          profilesPerPart: deps.profilesPerPart,
        });
        logger.info('snapshot planned', { ...planned.plan });
        return planned;
      }
      if (step.step === 'part') {
        const part = await runSnapshotPart(deps, step.plan, step.part);
        logger.info('snapshot part folded', part);
        return part;
      }
      return written(step.plan.asOf, await finishSnapshot(deps, step.plan));
    }
    const parsed = snapshotInputSchema.safeParse(event);
    if (!parsed.success) {
      throw new Error(`Snapshot input must be {"asOf": "YYYY-MM-DD"} or a scheduled event: ${parsed.error.issues[0]?.message}`);
    }
    const asOf = asOfFor(parsed.data);
    await foldUsage(context);
    return written(asOf, await runSnapshot(deps, asOf, { refit: 'refit' in parsed.data && parsed.data.refit === true }));
  };
  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/**
 * The digest runs as an asynchronous invocation: the snapshot does not wait for email, the digest has
 * its own retries and failure destination, and the hand-over needs no extra bus or rule.
 */
export function invokeDigestAsync(functionName: string, lambda = new LambdaClient({})) {
  return async (request: DigestRequest) => {
    await lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: JSON.stringify(request) }));
  };
}

export const handler = lazyHandler((runtime) =>
  createSnapshotHandler({
    dynamo: dynamo(),
    s3: s3Client(),
    tableName: runtime.tableName,
    bucketName: runtime.bucketName,
    config: runtime.config,
    handOver: runtime.digestFunctionName ? invokeDigestAsync(runtime.digestFunctionName) : undefined,
  }),
);
