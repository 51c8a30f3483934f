import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';

/** Set by the stack (lib/function.ts STAGE_ENV): the stage every metric is dimensioned by. */
export const STAGE_ENV = 'CHURNWATCH_STAGE';

/**
 * Structured logs and EMF metrics for every function. Service names and the namespace come from the
 * standard Powertools variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE) set by the
 * stack; the defaults keep local runs readable. Every metric carries a `stage` dimension beside
 * `service`, so two stages in one account never feed each other's alarms.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });
}

export function createMetrics(serviceName: string, env: NodeJS.ProcessEnv = process.env): Metrics {
  return new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'Churnwatch',
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? serviceName,
    defaultDimensions: { stage: env[STAGE_ENV] ?? 'local' },
  });
}

/**
 * A count published only when it is not zero. CloudWatch bills a custom metric for every hour it
 * receives a value, zeros included: on the functions that run all day (the usage API, the
 * aggregator) a count that is nearly always zero (duplicates, rejections) would be billed every
 * hour to say nothing. Their alarms treat missing data as "not breaching".
 */
export function addCountIfAny(metrics: Metrics, name: string, count: number): void {
  if (count !== 0) metrics.addMetric(name, MetricUnit.Count, count);
}
