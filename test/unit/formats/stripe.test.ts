import { describe, expect, it } from 'vitest';
import { UnreadableFileError } from '../../../lambdas/formats/errors';
import { bad, good, readFixture } from './helpers';

async function readError(name: string): Promise<UnreadableFileError> {
  const err = await readFixture(name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnreadableFileError);
  return err as UnreadableFileError;
}

describe('Stripe Dashboard export presets', () => {
  // plan: the product name (readable in byPlan) is preferred to the price id.
  it('invoice line items map onto invoice_line (timestamps to UTC days, currency upper-cased, metadata owner)', async () => {
    const rs = await readFixture('stripe-invoice-line-items.csv');
    expect(good(rs).map((r) => [r.line, r.record])).toEqual([
      [
        2,
        {
          kind: 'invoice_line',
          customerId: 'cus_R1',
          customerName: 'Acme GmbH',
          ownerEmail: 'ana@vendor.example',
          line: {
            invoiceId: 'in_1Qa',
            lineId: 'il_1Qa',
            subscriptionId: 'sub_1Qa',
            plan: 'Pro',
            amount: 297,
            currency: 'USD',
            periodStart: '2026-01-01',
            periodEnd: '2026-02-01',
            status: 'paid',
            quantity: 3,
            issuedAt: '2026-01-01',
          },
        },
      ],
      [
        3,
        {
          kind: 'invoice_line',
          customerId: 'cus_R2',
          customerName: 'Zürich Ölwerke AG',
          line: {
            invoiceId: 'in_1Qb',
            lineId: 'il_1Qb',
            subscriptionId: 'sub_1Qb',
            plan: 'Team',
            amount: 1200,
            currency: 'EUR',
            periodStart: '2026-01-15',
            periodEnd: '2027-01-15',
            status: 'open',
            quantity: 10,
            issuedAt: '2026-01-15',
          },
        },
      ],
      [
        4,
        {
          kind: 'invoice_line',
          customerId: 'cus_R1',
          customerName: 'Acme GmbH',
          ownerEmail: 'ana@vendor.example',
          line: {
            invoiceId: 'in_1Qc',
            lineId: 'il_1Qc',
            subscriptionId: 'sub_1Qa',
            plan: 'Pro',
            amount: -35,
            currency: 'USD',
            periodStart: '2026-01-20',
            periodEnd: '2026-02-01',
            status: 'paid',
            quantity: 1,
            issuedAt: '2026-01-20',
          },
        },
      ],
    ]);
    // A draft invoice is not billed yet: quarantined with the reason, not silently dropped.
    expect(bad(rs).map((r) => [r.line, r.reason])).toEqual([
      [5, 'status: "draft" is not one of paid|open|failed|void|refunded|uncollectible'],
    ]);
  });

  it('subscriptions: canceled and unpaid ones become cancellations, the others (past_due included) customer records', async () => {
    const rs = await readFixture('stripe-subscriptions.csv');
    expect(rs.map((r) => (r.ok ? [r.line, r.record] : [r.line, r.reason]))).toEqual([
      [2, { kind: 'customer', customerId: 'cus_R1', attributes: { name: 'Acme GmbH' } }],
      [
        3,
        {
          kind: 'cancellation',
          customerId: 'cus_R4',
          cancellation: {
            subscriptionId: 'sub_1Qe',
            effectiveAt: '2026-01-01',
            canceledAt: '2025-12-10',
            reason: 'too_expensive',
            feedback: 'Moving to a cheaper tool, sorry',
          },
        },
      ],
      [
        4,
        {
          kind: 'cancellation',
          customerId: 'cus_R5',
          cancellation: { subscriptionId: 'sub_1Qf', effectiveAt: '2025-11-14', canceledAt: '2025-11-14', reason: 'payment_failed' },
        },
      ],
      [5, 'status is canceled but Ended At (UTC) and Canceled At (UTC) are both empty'],
      // Unpaid: churned from the start of its current period, as Stripe's MRR leaves it out (docs/metrics.md §1.2).
      [
        6,
        {
          kind: 'cancellation',
          customerId: 'cus_R7',
          cancellation: { subscriptionId: 'sub_1Qh', effectiveAt: '2026-01-05', reason: 'unpaid' },
        },
      ],
      // past_due keeps counting: no cancellation.
      [7, { kind: 'customer', customerId: 'cus_R8', attributes: { name: 'Eta Co' } }],
      [8, 'status is unpaid but Current Period Start (UTC) is empty: the day it stopped counting is unknown'],
    ]);
  });

  it('customers: id, name (or description), created day, plan and metadata', async () => {
    const rs = await readFixture('stripe-customers.csv');
    expect(rs.map((r) => (r.ok ? [r.line, r.record] : [r.line, r.reason]))).toEqual([
      [
        2,
        {
          kind: 'customer',
          customerId: 'cus_R1',
          attributes: { name: 'Acme GmbH', ownerEmail: 'ana@vendor.example', plan: 'price_pro_m', segment: 'smb', createdAt: '2025-06-01' },
        },
      ],
      [
        3,
        {
          kind: 'customer',
          customerId: 'cus_R2',
          attributes: { name: 'Zürich Ölwerke AG (enterprise)', segment: 'enterprise', createdAt: '2025-12-20' },
        },
      ],
    ]);
  });

  it('a payments export is rejected naming it and what to send instead, not as line items lacking a period', async () => {
    const err = await readError('stripe-payments.csv');
    expect(err.message).toMatch(/Stripe payments export/);
    expect(err.message).toMatch(/invoice line items export instead/);
    expect(err.message).not.toMatch(/lacks/);
  });

  it('a customers export with only an id column is told what a Stripe export needs, not that customer_id is missing', async () => {
    const err = await readError('stripe-customers-id-only.csv');
    expect(err.message).toMatch(/customers export needs Created \(UTC\) and Name, Email or Description beside id/);
    expect(err.message).not.toMatch(/missing/);
  });
});
