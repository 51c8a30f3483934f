import { describe, expect, it } from 'vitest';
import { MAX_DIGEST_CUSTOMERS, renderDigest } from '../../../lambdas/digest/render';
import { atRiskCustomer } from '../report/fixtures';

describe('a digest for an owner with very many at-risk customers', () => {
  const customers = Array.from({ length: MAX_DIGEST_CUSTOMERS + 50 }, (_, i) =>
    atRiskCustomer({
      customerId: `cus_${String(i).padStart(4, '0')}`,
      name: `Customer ${i}`,
      mrr: 1000 - i,
      churnProbability: 0.5,
      band: 'red',
      tier: 'B',
    }),
  );
  const email = renderDigest({
    owner: 'cs@example.com',
    asOf: '2026-11-24',
    currency: 'USD',
    customers,
    scheduled: [],
    previous: null,
    recovered: [],
  });

  it('describes the highest-priority ones, counts them all, and points to the CSV for the rest', () => {
    expect(email.subject).toMatch(/150 red/);
    expect(email.text).toContain('Customer 99');
    expect(email.text).not.toContain('Customer 100\n');
    expect(email.text).not.toMatch(/Customer 149\b/);
    expect(email.text).toMatch(/and 50 more listed customers, lower in probability, in at-risk\.csv/);
    expect(email.html).toMatch(/and 50 more listed customers/);
  });

  it('stays far below the SES message limit', () => {
    expect(Buffer.byteLength(email.html) + Buffer.byteLength(email.text)).toBeLessThan(5 * 1024 * 1024);
  });
});
