import { describe, expect, it } from 'vitest';
import { addCountIfAny, createMetrics } from '../../../lambdas/shared/observability';

const published = (metrics: ReturnType<typeof createMetrics>) =>
  metrics
    .serializeMetrics()
    ._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)
    .sort();

describe('addCountIfAny', () => {
  it('publishes a count only when it is not zero (CloudWatch bills each hour a metric receives a value)', () => {
    const metrics = createMetrics('test', { CHURNWATCH_STAGE: 'unit' });
    metrics.addMetric('EventsAccepted', 'Count', 3);
    addCountIfAny(metrics, 'EventsDuplicate', 0);
    addCountIfAny(metrics, 'EventsRejected', 2);
    expect(published(metrics)).toEqual(['EventsAccepted', 'EventsRejected']);
    expect(metrics.serializeMetrics().EventsRejected).toBe(2);
  });
});
