import * as z from 'zod';
import { LINE_STATUSES } from '../domain/types';
import { MAX_ID, MAX_NAME, MAX_TEXT } from './fields';

/**
 * The schema of record for what the readers produce. The readers validate with the hand-written
 * field parsers in fields.ts (zod per row costs several times the parse itself); the tests check that
 * every record they produce satisfies these schemas, so the two cannot drift apart.
 */
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const id = z.string().min(1).max(MAX_ID);
const name = z.string().min(1).max(MAX_NAME);
const text = z.string().min(1).max(MAX_TEXT);
const currency = z.string().regex(/^[A-Z]{3}$/);

export const ledgerLineSchema = z
  .object({
    invoiceId: id,
    // A given line_id starting with "#" is stored with one more "#" (records.ts, explicitLineId).
    lineId: z
      .string()
      .min(1)
      .max(MAX_ID + 1),
    subscriptionId: id.optional(),
    plan: id.optional(),
    amount: z.number().finite(),
    currency,
    periodStart: day.optional(),
    periodEnd: day.optional(),
    status: z.enum(LINE_STATUSES),
    quantity: z.number().positive().optional(),
    issuedAt: day.optional(),
  })
  .strict()
  .refine((l) => (l.periodStart === undefined) === (l.periodEnd === undefined), 'period bounds come in pairs')
  .refine((l) => l.periodStart === undefined || l.periodEnd! > l.periodStart, 'period_end after period_start');

export const cancellationSchema = z
  .object({ subscriptionId: id, effectiveAt: day, canceledAt: day.optional(), reason: text.optional(), feedback: text.optional() })
  .strict();

export const billingRecordSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('invoice_line'),
      customerId: id,
      line: ledgerLineSchema,
      customerName: name.optional(),
      ownerEmail: name.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('cancellation'), customerId: id, cancellation: cancellationSchema }).strict(),
  z
    .object({
      kind: z.literal('customer'),
      customerId: id,
      attributes: z
        .object({
          name: name.optional(),
          ownerEmail: name.optional(),
          plan: id.optional(),
          segment: id.optional(),
          createdAt: day.optional(),
        })
        .strict(),
    })
    .strict(),
]);
