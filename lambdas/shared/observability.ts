import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

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
