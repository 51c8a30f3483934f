import { simulateAccount } from './account-story';
import { addMonths, dayOf, isoOf, type DayNumber } from './calendar';
import { FEATURES, FX_RATES } from './catalog';
import { monthlyLogoChurn, summarise } from './book-truth';
import { Rng } from './prng';
import type { BookOptions, CancellationRecord, CustomerRecord, CustomerTruth, IndependentBook, InvoiceLineRecord } from './types';
import { UsageLog } from './usage-log';

export const DEFAULTS = { seed: 1, customers: 1000, months: 24, asOf: '2025-12-31' } as const;

/** Share of the customers already in the book when the history starts; the rest sign up during it. */
const IN_BOOK_AT_START = 0.4;
/** Signups grow over the history (the vendor is growing): density rises by this factor end to end. */
const SIGNUP_GROWTH = 0.6;

export function generateIndependentBook(options: BookOptions = {}): IndependentBook {
  const seed = options.seed ?? DEFAULTS.seed;
  const customers = options.customers ?? DEFAULTS.customers;
  const months = options.months ?? DEFAULTS.months;
  const asOf = dayOf(options.asOf ?? DEFAULTS.asOf);
  if (!Number.isInteger(customers) || customers < 1) throw new Error(`customers must be a positive integer, got ${customers}`);
  if (!Number.isInteger(months) || months < 1) throw new Error(`months must be a positive integer, got ${months}`);
  const historyStart = addMonths(asOf, -months) + 1;

  const signups = drawSignups(Rng.stream(seed, 0x5160), customers, historyStart, asOf);
  const customerIds = signups.map((_, i) => `ibk_${String(i + 1).padStart(5, '0')}`);
  const usage = new UsageLog(
    customerIds,
    FEATURES.map((f) => f.name),
  );
  const invoiceLines: InvoiceLineRecord[] = [];
  const cancellations: CancellationRecord[] = [];
  const customerRecords: CustomerRecord[] = [];
  const accounts: CustomerTruth[] = [];
  signups.forEach((signup, i) => {
    const {
      truth,
      customer,
      lines,
      cancellations: canceled,
    } = simulateAccount({
      seed,
      customerNumber: i + 1,
      customerIndex: i,
      createdOn: signup.createdOn,
      inBookAtStart: signup.inBookAtStart,
      historyStart,
      asOf,
      log: usage,
    });
    for (const line of lines) invoiceLines.push(line);
    for (const c of canceled) cancellations.push(c);
    accounts.push(truth);
    customerRecords.push(customer);
  });

  const monthly = monthlyLogoChurn(accounts, historyStart, asOf);
  const summary = summarise(accounts, monthly, asOf, {
    invoiceLines: invoiceLines.length,
    cancellations: cancellations.length,
    events: usage.size,
  });
  return {
    truth: {
      generator: 'independent-book',
      seed,
      customers,
      months,
      historyStart: isoOf(historyStart),
      asOf: isoOf(asOf),
      fxRates: { ...FX_RATES },
      monthly,
      summary,
      accounts,
    },
    invoiceLines,
    cancellations,
    customers: customerRecords,
    usage,
  };
}

/** Signup days in ascending order, so customer numbers follow signup order as real IDs would. */
function drawSignups(
  rng: Rng,
  customers: number,
  historyStart: DayNumber,
  asOf: DayNumber,
): { createdOn: DayNumber; inBookAtStart: boolean }[] {
  const inBook = Math.round(customers * IN_BOOK_AT_START);
  const span = asOf - historyStart + 1;
  const days: { createdOn: DayNumber; inBookAtStart: boolean }[] = [];
  for (let i = 0; i < inBook; i++) {
    // Tenures of a book built over years: many recent accounts, a long tail of old ones.
    const tenure = 1 + Math.min(5 * 365, Math.floor(rng.exponential(420)));
    days.push({ createdOn: historyStart - tenure, inBookAtStart: true });
  }
  for (let i = inBook; i < customers; i++) {
    let t: number;
    do t = rng.next();
    while (rng.next() * (1 + SIGNUP_GROWTH) > 1 + SIGNUP_GROWTH * t);
    days.push({ createdOn: historyStart + Math.floor(t * span), inBookAtStart: false });
  }
  return days.sort((a, b) => a.createdOn - b.createdOn);
}
