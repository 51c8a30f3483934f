/**
 * Turns a customer's story into invoice lines: recurring charges per anchored period, proration
 * credit/charge pairs on plan changes, setup fees, and the statuses (open, failed, void, refunded)
 * that a real export carries.
 */
import { anchoredMonth, toDay, toNum } from './calendar';
import { INTERVAL_DISCOUNT, INTERVAL_MONTHS, MONTHLY_PRICE, SETUP_FEE, type Currency, type Plan } from './catalog';
import type { CustomerStory, Timeline } from './lifecycle';
import type { Rng } from './prng';
import type { SampleInvoiceLine, SampleSubscription } from './types';

type LineKind = 'recurring' | 'proration' | 'setup' | 'void_copy';
interface Draft {
  kind: LineKind;
  subscriptionId: string;
  line: SampleInvoiceLine;
}

const money = (x: number) => (Math.round(x * 100) / 100).toFixed(2);

function periodPrice(plan: Plan, currency: Currency, sub: SampleSubscription): number {
  const months = INTERVAL_MONTHS[sub.interval];
  return MONTHLY_PRICE[plan][currency] * months * INTERVAL_DISCOUNT[sub.interval];
}

class InvoiceBook {
  readonly drafts: Draft[] = [];
  private seq = 0;
  constructor(
    private readonly customerNo: string,
    private readonly customerId: string,
    private readonly currency: Currency,
  ) {}

  /** Opens a new invoice; returns a function adding lines to it. */
  invoice(issuedAt: number): (kind: LineKind, sub: SampleSubscription, plan: Plan, amount: number, period?: [number, number]) => void {
    const invoiceId = `INV-${this.customerNo}-${String(++this.seq).padStart(4, '0')}`;
    let lineNo = 0;
    return (kind, sub, plan, amount, period) => {
      this.drafts.push({
        kind,
        subscriptionId: sub.subscriptionId,
        line: {
          invoiceId,
          lineId: `L${++lineNo}`,
          customerId: this.customerId,
          subscriptionId: sub.subscriptionId,
          plan,
          amount: money(amount),
          currency: this.currency,
          periodStart: period ? toDay(period[0]) : '',
          periodEnd: period ? toDay(period[1]) : '',
          status: 'paid',
          quantity: 1,
          issuedAt: toDay(issuedAt),
        },
      });
    };
  }
}

/** The plan billed for a period starting on `day`: the latest change on or before it. */
function planOn(sub: SampleSubscription, day: number): Plan {
  return sub.planChanges.filter((c) => c.day <= day).at(-1)?.to ?? sub.plan;
}

function billSubscription(book: InvoiceBook, sub: SampleSubscription, currency: Currency, t: Timeline, firstEver: boolean): void {
  const months = INTERVAL_MONTHS[sub.interval];
  for (let i = 0; ; i++) {
    const start = anchoredMonth(sub.start, i * months);
    const end = anchoredMonth(sub.start, (i + 1) * months);
    if (start > t.asOf || (sub.end !== undefined && start >= sub.end)) break;
    if (end <= t.historyStart) continue;
    const plan = planOn(sub, start);
    const add = book.invoice(start);
    add('recurring', sub, plan, periodPrice(plan, currency, sub), [start, end]);
    const fee = SETUP_FEE[sub.plan];
    if (i === 0 && firstEver && fee && start >= t.historyStart) add('setup', sub, sub.plan, fee);
    for (const change of sub.planChanges.filter((c) => c.day > start && c.day < end && c.day <= t.asOf)) {
      // Mid-period plan change: credit the unused rest of the old plan, charge the rest of the new one.
      const from = planOn(sub, change.day - 1);
      const share = (end - change.day) / (end - start);
      const prorate = book.invoice(change.day);
      prorate('proration', sub, from, -periodPrice(from, currency, sub) * share, [change.day, end]);
      prorate('proration', sub, change.to, periodPrice(change.to, currency, sub) * share, [change.day, end]);
    }
  }
}

/**
 * Statuses as the export shows them on asOf: the story's payment failures, net-terms invoices still
 * open, refunded setup fees.
 */
function applyStatuses(rng: Rng, drafts: Draft[], story: CustomerStory, t: Timeline): void {
  const recurring = drafts.filter((d) => d.kind === 'recurring');
  const prepaid = new Set(story.subscriptions.filter((s) => s.interval === 'year').map((s) => s.subscriptionId));
  for (const d of recurring) {
    // Large and prepaid accounts pay by bank transfer on net-30 terms: recent invoices are still open.
    const netTerms = d.line.plan === 'enterprise' || prepaid.has(d.subscriptionId);
    if (netTerms && toNum(d.line.issuedAt) >= t.asOf - 14) d.line.status = 'open';
  }
  for (const failure of story.failures.filter((f) => f.showsFailed)) {
    const start = toDay(failure.periodStart);
    const line = recurring.find((d) => d.subscriptionId === failure.subscriptionId && d.line.periodStart === start);
    if (line) line.line.status = 'failed';
  }
  for (const d of drafts) {
    if (d.kind === 'setup' && rng.chance(0.25)) d.line.status = 'refunded';
  }
}

/** An invoice sent in error and voided; the real one stays. */
function voidCopies(rng: Rng, book: InvoiceBook, drafts: Draft[], story: CustomerStory): void {
  for (const d of drafts.filter((x) => x.kind === 'recurring' && x.line.status === 'paid')) {
    if (!rng.chance(0.012)) continue;
    const sub = story.subscriptions.find((s) => s.subscriptionId === d.subscriptionId)!;
    const add = book.invoice(toNum(d.line.issuedAt));
    add('void_copy', sub, d.line.plan, Number(d.line.amount), [toNum(d.line.periodStart), toNum(d.line.periodEnd)]);
    book.drafts[book.drafts.length - 1]!.line.status = 'void';
  }
}

export function billCustomer(rng: Rng, customerId: string, story: CustomerStory, t: Timeline): SampleInvoiceLine[] {
  const book = new InvoiceBook(customerId.slice(4), customerId, story.currency);
  story.subscriptions.forEach((sub, i) => billSubscription(book, sub, story.currency, t, i === 0));
  applyStatuses(rng, book.drafts, story, t);
  voidCopies(rng, book, [...book.drafts], story);
  return book.drafts.map((d) => d.line);
}
