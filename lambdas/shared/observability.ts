import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Structured logs and EMF metrics for every function. Service names and the namespace come from the
 * standard Powertools variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE) set by the
 * stack; the defaults keep local runs readable.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });
}

export function createMetrics(serviceName: string): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Churnwatch',
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
  });
}
