import { addMonths, isoOf, type DayNumber } from './calendar';
import { ONBOARDING_FEE, PRIORITY_SUPPORT, TERM_MONTHS, planName, priceCents, type Currency, type Term, type Tier } from './catalog';
import type { CancellationRecord, InvoiceLineRecord, InvoiceStatus } from './types';

/** A subscription's current billing cycle. Cycles step by calendar months from the anchor day. */
export interface Subscription {
  id: string;
  tier: Tier;
  term: Term;
  anchor: DayNumber;
  cycle: number;
  periodStart: DayNumber;
  periodEnd: DayNumber;
  prioritySupport: boolean;
}

export function openSubscription(id: string, tier: Tier, term: Term, anchor: DayNumber, prioritySupport: boolean): Subscription {
  return { id, tier, term, anchor, cycle: 0, periodStart: anchor, periodEnd: addMonths(anchor, TERM_MONTHS[term]), prioritySupport };
}

/** The cycle containing `day`, for accounts whose subscription began before the history does. */
export function seekCycle(sub: Subscription, day: DayNumber): void {
  while (sub.periodEnd <= day) advanceCycle(sub);
}

export function advanceCycle(sub: Subscription): void {
  sub.cycle++;
  sub.periodStart = sub.periodEnd;
  sub.periodEnd = addMonths(sub.anchor, (sub.cycle + 1) * TERM_MONTHS[sub.term]);
}

/**
 * A term change restarts the cycle stepping at the renewal day, as billing systems re-anchor a
 * subscription when its interval changes.
 */
export function changeTerm(sub: Subscription, term: Term): void {
  sub.term = term;
  sub.anchor = sub.periodStart;
  sub.cycle = 0;
  sub.periodEnd = addMonths(sub.anchor, TERM_MONTHS[term]);
}

/** Monthly recurring revenue of the subscription, in cents of its currency. */
export function mrrCents(sub: Subscription, currency: Currency): number {
  const months = TERM_MONTHS[sub.term];
  const base = priceCents(sub.tier, sub.term, currency) / months;
  return base + (sub.prioritySupport ? PRIORITY_SUPPORT.monthlyCents[currency] : 0);
}

const amountText = (cents: number): string => (cents / 100).toFixed(2);

/** Writes one customer's invoice lines and cancellations in the canonical shape. */
export class CustomerLedger {
  private invoiceSeq = 0;

  constructor(
    private readonly customerId: string,
    private readonly currency: Currency,
    private readonly lines: InvoiceLineRecord[],
    private readonly cancellations: CancellationRecord[],
  ) {}

  private nextInvoiceId(): string {
    return `ibi_${this.customerId.slice(4)}_${String(++this.invoiceSeq).padStart(3, '0')}`;
  }

  /** The invoice for the subscription's current cycle, issued on its first day. */
  invoiceCycle(sub: Subscription, status: InvoiceStatus, withOnboardingFee = false): string {
    const invoiceId = this.nextInvoiceId();
    const common = {
      invoice_id: invoiceId,
      customer_id: this.customerId,
      subscription_id: sub.id,
      currency: this.currency,
      status,
      issued_at: isoOf(sub.periodStart),
    };
    const period = { period_start: isoOf(sub.periodStart), period_end: isoOf(sub.periodEnd) };
    this.lines.push({
      ...common,
      line_id: '1',
      plan: planName(sub.tier, sub.term),
      amount: amountText(priceCents(sub.tier, sub.term, this.currency)),
      ...period,
    });
    if (sub.prioritySupport) {
      const cents = PRIORITY_SUPPORT.monthlyCents[this.currency] * TERM_MONTHS[sub.term];
      this.lines.push({ ...common, line_id: '2', plan: PRIORITY_SUPPORT.plan, amount: amountText(cents), ...period });
    }
    if (withOnboardingFee) {
      const day = isoOf(sub.periodStart);
      this.lines.push({
        ...common,
        line_id: '3',
        plan: ONBOARDING_FEE.plan,
        amount: amountText(ONBOARDING_FEE.cents[this.currency]),
        period_start: day,
        period_end: day,
      });
    }
    return invoiceId;
  }

  /**
   * A billing mistake voided and reissued: the void invoice must count nothing, the reissue counts once.
   */
  invoiceCycleVoidedAndReissued(sub: Subscription): string {
    this.invoiceCycle(sub, 'void');
    return this.invoiceCycle(sub, 'paid');
  }

  /**
   * A mid-cycle upgrade: the price difference for the rest of the cycle, as Stripe prorates it
   * (rounded to the cent), on the new plan's name.
   */
  invoiceUpgradeProration(sub: Subscription, from: Tier, on: DayNumber): void {
    const cycleDays = sub.periodEnd - sub.periodStart;
    const remaining = sub.periodEnd - on;
    const difference = priceCents(sub.tier, sub.term, this.currency) - priceCents(from, sub.term, this.currency);
    this.lines.push({
      invoice_id: this.nextInvoiceId(),
      line_id: '1',
      customer_id: this.customerId,
      subscription_id: sub.id,
      plan: planName(sub.tier, sub.term),
      amount: amountText(Math.round((difference * remaining) / cycleDays)),
      currency: this.currency,
      period_start: isoOf(on),
      period_end: isoOf(sub.periodEnd),
      status: 'paid',
      issued_at: isoOf(on),
    });
  }

  cancel(sub: Subscription, effective: DayNumber, canceledAt: DayNumber, reason: string): void {
    this.cancellations.push({
      customer_id: this.customerId,
      subscription_id: sub.id,
      effective_at: isoOf(effective),
      canceled_at: isoOf(canceledAt),
      reason,
    });
  }
}
