/**
 * The snapshot (docs/metrics.md §3, §5): one pass over the customers computes each one's facts (a few numbers
 * plus its MRR step function) and folds them into running totals at once, so memory grows only with
 * what the output lists. The sums are exact and the lists sorted at the end, so the JSON does not
 * depend on the order customers arrive in.
 */
import { activityWindowDays, frequencyOf, windowIndex, ACTIVITY_DAYS } from './activity';
import { assessCustomer } from './forecast/assess';
import { bandOf } from './forecast/bands';
import { DEFAULT_MODEL } from './forecast/default-model';
import { interceptPoints, score } from './forecast/scorecard';
import {
  BANDS,
  DEFAULT_RISK_SETTINGS,
  type Band,
  type RiskSettings,
  type RiskSummary,
  type ScheduledChurn,
  type ScorecardModel,
} from './forecast/types';
import { CohortTable } from './cohorts';
import { ExactSum } from './exact-sum';
export { InvalidSnapshotPartial, type SnapshotPartial } from './snapshot-partial';
import { addMonthsClamped, dayNum, dayFromNum, monthEndNum, monthIndexOfNum, monthKey, monthStartNum } from './dates';
import { classifyMovement, MovementSums, type Movement } from './movements';
import { buildCustomerMrr, dominantPlan, type MrrSeries } from './mrr';
import { annualizedFromMonth, compoundChurn, periodRates, ratio } from './rates';
import { count, entries, InvalidSnapshotPartial, list, oneOf, record, text } from './partial-state';
import { LIFECYCLES, lifecycleOf, SegmentTable, tierOf, TIERS } from './segments';
import {
  checkPartHeader,
  countedState,
  readBand,
  readCounted,
  readHysteresisBand,
  readRowLine,
  readScheduledChurn,
  rowLine,
  SNAPSHOT_PARTIAL_VERSION,
  type Counted,
  type SnapshotPartial,
} from './snapshot-partial';
import type {
  AtRiskCustomer,
  Cancellation,
  CustomerTimeline,
  Day,
  EngineSettings,
  Lifecycle,
  Snapshot,
  SnapshotSummary,
  Tier,
} from './types';

/** Months in the annualised churn and the trend, ending with the period's month. */
export const TREND_MONTHS = 12;

/** The days a snapshot for `asOf` looks at, as day numbers. */
export interface SnapshotCalendar {
  asOf: number;
  periodMonth: number;
  periodStart: number;
  /** open(c) = MRR on this day (the day before the period). */
  openDay: number;
  /** close(c) = MRR on this day: min(asOf, last day of the month), which is asOf. */
  closeDay: number;
  /** asOf − 12 months, for ndr12m / grr12m. */
  d0: number;
  /** MRR sampling days of the trend: the day before its first month, then each month's close day. */
  trendDays: number[];
  trendMonths: number[];
  windowDays: string[];
  windowIndex: Map<string, number>;
  windowStart: number;
}

export function snapshotCalendar(asOfDay: Day): SnapshotCalendar {
  const asOf = dayNum(asOfDay);
  const periodMonth = monthIndexOfNum(asOf);
  const periodStart = monthStartNum(periodMonth);
  const closeDay = Math.min(asOf, monthEndNum(periodMonth));
  const trendMonths: number[] = [];
  for (let m = periodMonth - TREND_MONTHS + 1; m <= periodMonth; m++) trendMonths.push(m);
  const windowDays = activityWindowDays(asOf);
  const trendDays = [monthStartNum(trendMonths[0]!) - 1, ...trendMonths.map((m) => (m === periodMonth ? closeDay : monthEndNum(m)))];
  return {
    asOf,
    periodMonth,
    periodStart,
    openDay: periodStart - 1,
    closeDay,
    d0: dayNum(addMonthsClamped(asOfDay, -12)),
    trendDays,
    trendMonths,
    windowDays,
    windowIndex: windowIndex(windowDays),
    windowStart: asOf - ACTIVITY_DAYS + 1,
  };
}

/** What the aggregation needs to know about one customer. */
export interface CustomerFacts {
  customerId: string;
  open: number;
  close: number;
  movement: Movement;
  firstActiveDay: number | undefined;
  series: MrrSeries;
  archivedActiveOn: ((day: number) => boolean) | undefined;
  /** Plan carrying most of the open MRR (customers with open > 0 only). */
  openPlan: string | undefined;
  /** MRR on each of calendar.trendDays. */
  trend: number[];
  mrrAtD0: number;
  /** Cancellation reason, for customers that logo-churned in the period. */
  churnReason: string | undefined;
  atRisk: AtRiskCustomer | undefined;
  scheduled: ScheduledChurn | undefined;
  /** Band and MRR of a forecast customer (active on asOf, not on the save list). */
  forecast: { band: Band; mrr: number } | undefined;
  linesWithoutFxRate: Map<string, number> | undefined;
}

/** What the forecast needs besides the customer: the model, the bands' thresholds, last run's bands. */
export interface ForecastContext {
  model: ScorecardModel;
  risk: RiskSettings;
  /** Bands of the previous snapshot (red and yellow only), for hysteresis. */
  previousBands: ReadonlyMap<string, Band>;
}

export const defaultForecastContext = (risk: RiskSettings = DEFAULT_RISK_SETTINGS): ForecastContext => ({
  model: { ...DEFAULT_MODEL, horizonDays: risk.horizonDays },
  risk,
  previousBands: new Map(),
});

export function customerFacts(
  customer: CustomerTimeline,
  settings: EngineSettings,
  cal: SnapshotCalendar,
  rateCache: Map<string, number | undefined> = new Map(),
  forecastContext: ForecastContext = defaultForecastContext(),
): CustomerFacts {
  // Profiles written before a customer had lines, cancellations or usage may lack those parts.
  const built = buildCustomerMrr(customer.lines ?? [], customer.cancellations ?? [], settings, rateCache);
  const { series } = built;
  const open = series.at(cal.openDay);
  const close = series.at(cal.closeDay);
  const firstActiveDay = earliest(series.firstActiveDay(), customer.archivedFirstActiveDay);
  const activeBefore = firstActiveDay !== undefined && firstActiveDay < cal.periodStart;
  const activeDuring = open > 0 || close > 0 || series.activeWithin(cal.periodStart, cal.closeDay);
  const movement = classifyMovement(open, close, activeBefore, activeDuring);

  const trend: number[] = new Array(cal.trendDays.length);
  for (let i = 0; i < trend.length; i++) trend[i] = series.at(cal.trendDays[i]!);

  const openPlan = open > 0 ? (dominantPlan(built.contributions, cal.openDay, customer.plan) ?? 'unknown') : undefined;
  const churnReason = movement.kind === 'churned' ? churnReasonOf(built.cancellations, cal.periodStart, cal.closeDay) : undefined;

  const { atRisk, scheduled, forecast } = riskOf(customer, built, firstActiveDay, cal, settings, forecastContext);
  return {
    customerId: customer.customerId,
    open,
    close,
    movement,
    firstActiveDay,
    series,
    archivedActiveOn: archivedMonthEndLookup(customer.archivedMonthEnds),
    openPlan,
    trend,
    mrrAtD0: series.at(cal.d0),
    churnReason,
    atRisk,
    scheduled,
    forecast,
    linesWithoutFxRate: built.skippedByCurrency,
  };
}

/**
 * Signals, forecast and save list of a customer active on asOf (docs/metrics.md §3.5–3.6). It is at
 * risk with at least one signal or a red/yellow band; a customer whose cancellation is on file goes
 * to the save list instead of being forecast (and stays listed with its signals, if any).
 */
function riskOf(
  customer: CustomerTimeline,
  built: ReturnType<typeof buildCustomerMrr>,
  firstActiveDay: number | undefined,
  cal: SnapshotCalendar,
  settings: EngineSettings,
  ctx: ForecastContext,
): Pick<CustomerFacts, 'atRisk' | 'scheduled' | 'forecast'> {
  const a = assessCustomer(customer, built, firstActiveDay, cal, settings, ctx.risk.horizonDays);
  if (!a) return { atRisk: undefined, scheduled: undefined, forecast: undefined };
  const name = customer.name ?? null;
  const owner = customer.ownerEmail ?? null;
  const scheduled: ScheduledChurn | undefined = a.scheduled
    ? { customerId: customer.customerId, name, owner, mrr: a.mrr, ...a.scheduled }
    : undefined;
  const scored = a.row ? score(ctx.model, a.row, settings.reportingCurrency) : undefined;
  const band = scored ? bandOf(scored.probability, ctx.previousBands.get(customer.customerId), ctx.risk) : null;
  if (!a.signals.length && (band === null || band === 'green')) {
    return { atRisk: undefined, scheduled, forecast: band ? { band, mrr: a.mrr } : undefined };
  }
  const atRisk: AtRiskCustomer = {
    customerId: customer.customerId,
    name,
    owner,
    mrr: a.mrr,
    riskScore: scored ? Math.round(100 * scored.probability) : null,
    churnProbability: scored?.probability ?? null,
    band,
    frequency: frequencyOf(a.windows.activeDaysCurrent),
    reasons: a.signals,
    factors: scored?.factors ?? [],
    tier: tierOf(a.mrr, settings),
    mrrPrevious: a.mrrPrevious,
    plan: dominantPlan(built.contributions, cal.asOf, customer.plan, null) ?? customer.plan ?? null,
    activity: a.windows.counts,
    activeDaysCurrent: a.windows.activeDaysCurrent,
    activeDaysPrevious: a.windows.activeDaysPrevious,
  };
  return { atRisk, scheduled, forecast: band ? { band, mrr: a.mrr } : undefined };
}

/** Reads the archived month-end bitmap: active on the last day of an archived month. */
function archivedMonthEndLookup(archived: CustomerTimeline['archivedMonthEnds']): ((day: number) => boolean) | undefined {
  if (!archived) return undefined;
  const from = monthIndexOfNum(dayNum(`${archived.from}-01`));
  return (day) => archived.bits[monthIndexOfNum(day) - from] === '1' && day === monthEndNum(monthIndexOfNum(day));
}

function earliest(day: number | undefined, archived: Day | undefined): number | undefined {
  if (archived === undefined) return day;
  const a = dayNum(archived);
  return day === undefined || a < day ? a : day;
}

/**
 * Reason of the latest cancellation that took effect in the period (`from`..`to`, trimmed), or
 * 'unknown'. A cancellation from before the period (an add-on dropped a year ago) did not cause
 * this month's churn, even if it is the customer's latest one.
 */
export function churnReasonOf(cancellations: readonly Cancellation[], from: number, to: number): string {
  let latest: Cancellation | undefined;
  let latestDay = -Infinity;
  for (const c of cancellations) {
    const d = dayNum(c.effectiveAt);
    // Ties on the day go to the later subscription id; cancellations arrive ordered by it.
    if (d >= from && d <= to && d >= latestDay) {
      latest = c;
      latestDay = d;
    }
  }
  const reason = latest?.reason?.trim();
  return reason ? reason : 'unknown';
}

export function computeSnapshot(
  customers: Iterable<CustomerTimeline>,
  settings: EngineSettings,
  asOf: Day,
  forecast: ForecastContext = defaultForecastContext(),
): Snapshot {
  const builder = new SnapshotBuilder(settings, asOf, forecast);
  for (const customer of customers) builder.add(customer);
  return builder.finish();
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The at-risk list in its order (docs/metrics.md §3.6), each row kept as its JSON text in UTF-8
 * bytes: a third of a large book is at risk, and a row as objects takes ~2 KB of JS heap, as a JS
 * string often twice its length (the details hold non-Latin-1 characters such as →), as bytes
 * ~0.85 KB outside the heap. snapshot.json is made of these texts.
 */
export class AtRiskRows implements Iterable<AtRiskCustomer> {
  constructor(private readonly rows: readonly Uint8Array[]) {}

  get length(): number {
    return this.rows.length;
  }

  /** The rows as JSON texts, in list order. */
  *texts(): Generator<string> {
    for (const row of this.rows) yield utf8.decode(row);
  }

  *[Symbol.iterator](): Iterator<AtRiskCustomer> {
    for (const text of this.texts()) yield JSON.parse(text) as AtRiskCustomer;
  }
}

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** A finished snapshot with its at-risk list apart, so a large list need never be all objects at once. */
export interface SnapshotParts {
  summary: SnapshotSummary;
  atRisk: AtRiskRows;
}

/** The summary's fields before and after the place of `atRisk` among them, as docs/metrics.md §5 lists them. */
export function aroundAtRisk(summary: SnapshotSummary) {
  const { scheduledChurn, risk, trend, diagnostics, ...head } = summary;
  return [head, { scheduledChurn, risk, trend, diagnostics }] as const;
}

/** Sort key of a kept at-risk row, and the row as JSON text. */
interface KeptRow {
  probability: number;
  mrr: number;
  customerId: string;
  json: Uint8Array;
}

/** A trend month's running totals. */
interface MonthSums {
  customersStart: number;
  churned: number;
  mrrStart: ExactSum;
  retained: ExactSum;
  mrrEnd: ExactSum;
}

const newMonthSums = (): MonthSums => ({
  customersStart: 0,
  churned: 0,
  mrrStart: new ExactSum(),
  retained: new ExactSum(),
  mrrEnd: new ExactSum(),
});

/**
 * Folds customers one at a time (e.g. page by page from a parallel DynamoDB scan) into running
 * totals: per customer it keeps only what the output lists (the at-risk row as text, the save-list
 * entry, the red/yellow band for the next run's hysteresis). The sums are exact (ExactSum) and the
 * lists are sorted at the end, so the snapshot is the same whatever order the customers arrive in,
 * and the same when parts of the customers are folded by other builders and merged in (see
 * snapshot-partial.ts).
 */
export class SnapshotBuilder {
  private readonly cal: SnapshotCalendar;
  private readonly rateCache = new Map<string, number | undefined>();
  private customers = 0;
  private readonly movements = new MovementSums();
  private readonly byPlan = new SegmentTable<string>();
  private readonly byTier = new SegmentTable<Tier>();
  private readonly byLifecycle = new SegmentTable<Lifecycle>();
  // Maps, not objects: reasons and currencies are data from exports (a reason may be "__proto__").
  private readonly churnReasons = new Map<string, Counted>();
  private readonly months: MonthSums[];
  private readonly d0 = { mrr: new ExactSum(), retained: new ExactSum(), floor: new ExactSum() };
  private readonly bandTotals = new Map<Band, Counted>(BANDS.map((b) => [b, { customers: 0, mrr: new ExactSum() }]));
  private readonly cohorts: CohortTable;
  private readonly linesWithoutFxRate = new Map<string, number>();
  private readonly atRisk: KeptRow[] = [];
  private readonly scheduledChurn: ScheduledChurn[] = [];
  private readonly forecastBands = new Map<string, Band>();

  constructor(
    private readonly settings: EngineSettings,
    private readonly asOf: Day,
    private readonly forecast: ForecastContext = defaultForecastContext(),
  ) {
    this.cal = snapshotCalendar(asOf);
    this.months = this.cal.trendMonths.map(newMonthSums);
    this.cohorts = new CohortTable(this.cal.periodMonth, this.cal.closeDay);
  }

  add(customer: CustomerTimeline): void {
    this.fold(customerFacts(customer, this.settings, this.cal, this.rateCache, this.forecast));
  }

  get size(): number {
    return this.customers;
  }

  /** Red and yellow bands of the forecast customers: the next run's hysteresis. */
  bands(): Map<string, Band> {
    return new Map(this.forecastBands);
  }

  /** This builder's state, without the at-risk rows. */
  partialState(): SnapshotPartial {
    const sum = (e: ExactSum) => e.toState();
    return {
      version: SNAPSHOT_PARTIAL_VERSION,
      asOf: this.asOf,
      currency: this.settings.reportingCurrency,
      customers: this.customers,
      movements: this.movements.toState(),
      byPlan: this.byPlan.toState(),
      byTier: this.byTier.toState(),
      byLifecycle: this.byLifecycle.toState(),
      churnReasons: [...this.churnReasons].map(([reason, c]) => [reason, countedState(c)]),
      trend: this.months.map((m) => ({
        customersStart: m.customersStart,
        churned: m.churned,
        mrrStart: sum(m.mrrStart),
        retained: sum(m.retained),
        mrrEnd: sum(m.mrrEnd),
      })),
      d0: { mrr: sum(this.d0.mrr), retained: sum(this.d0.retained), floor: sum(this.d0.floor) },
      bands: [...this.bandTotals].map(([band, c]) => [band, countedState(c)]),
      cohorts: this.cohorts.toState(),
      linesWithoutFxRate: [...this.linesWithoutFxRate],
      scheduledChurn: this.scheduledChurn.map((s) => ({ ...s })),
      forecastBands: [...this.forecastBands],
    };
  }

  /** The kept at-risk rows, one self-contained text line each (no newline inside), in any order. */
  *partialRows(): Generator<string> {
    for (const r of this.atRisk)
      yield rowLine({ probability: r.probability, mrr: r.mrr, customerId: r.customerId, json: utf8.decode(r.json) });
  }

  /**
   * Folds another builder's state in (its rows come through mergeRow). The whole state is read and
   * checked first, so a part that is malformed or of another snapshot throws and changes nothing.
   */
  mergeState(state: SnapshotPartial): void {
    const part = this.readPart(state);
    this.customers += part.customers;
    this.movements.merge(part.movements);
    this.byPlan.merge(part.byPlan);
    this.byTier.merge(part.byTier);
    this.byLifecycle.merge(part.byLifecycle);
    for (const [reason, c] of part.churnReasons) {
      let r = this.churnReasons.get(reason);
      if (!r) this.churnReasons.set(reason, (r = { customers: 0, mrr: new ExactSum() }));
      r.customers += c.customers;
      r.mrr.merge(c.mrr);
    }
    part.trend.forEach((p, i) => {
      const m = this.months[i]!;
      m.customersStart += p.customersStart;
      m.churned += p.churned;
      m.mrrStart.merge(p.mrrStart);
      m.retained.merge(p.retained);
      m.mrrEnd.merge(p.mrrEnd);
    });
    this.d0.mrr.merge(part.d0.mrr);
    this.d0.retained.merge(part.d0.retained);
    this.d0.floor.merge(part.d0.floor);
    for (const [band, c] of part.bands) {
      const t = this.bandTotals.get(band)!;
      t.customers += c.customers;
      t.mrr.merge(c.mrr);
    }
    this.cohorts.mergeState(part.cohorts);
    for (const [currency, n] of part.linesWithoutFxRate)
      this.linesWithoutFxRate.set(currency, (this.linesWithoutFxRate.get(currency) ?? 0) + n);
    this.scheduledChurn.push(...part.scheduledChurn);
    for (const [customerId, band] of part.forecastBands) this.forecastBands.set(customerId, band);
  }

  /** Adds one line of another builder's partialRows(). */
  mergeRow(line: string): void {
    const row = readRowLine(line);
    this.atRisk.push({ probability: row.probability, mrr: row.mrr, customerId: row.customerId, json: utf8Encoder.encode(row.json) });
  }

  private readPart(state: SnapshotPartial) {
    const s = checkPartHeader(state, { asOf: this.asOf, currency: this.settings.reportingCurrency });
    const trend = list(s.trend, 'state.trend');
    if (trend.length !== this.months.length)
      throw new InvalidSnapshotPartial(`snapshot partial: state.trend has ${trend.length} months, not ${this.months.length}`);
    const d0 = record(s.d0, 'state.d0');
    return {
      customers: count(s.customers, 'state.customers'),
      movements: MovementSums.fromState(s.movements, 'state.movements'),
      byPlan: SegmentTable.fromState(s.byPlan, 'state.byPlan', text),
      byTier: SegmentTable.fromState(s.byTier, 'state.byTier', (v, at) => oneOf(TIERS, v, at)),
      byLifecycle: SegmentTable.fromState(s.byLifecycle, 'state.byLifecycle', (v, at) => oneOf(LIFECYCLES, v, at)),
      churnReasons: entries(s.churnReasons, 'state.churnReasons', text, readCounted),
      trend: trend.map((v, i): MonthSums => {
        const at = `state.trend[${i}]`;
        const m = record(v, at);
        return {
          customersStart: count(m.customersStart, `${at}.customersStart`),
          churned: count(m.churned, `${at}.churned`),
          mrrStart: ExactSum.fromState(m.mrrStart, `${at}.mrrStart`),
          retained: ExactSum.fromState(m.retained, `${at}.retained`),
          mrrEnd: ExactSum.fromState(m.mrrEnd, `${at}.mrrEnd`),
        };
      }),
      d0: {
        mrr: ExactSum.fromState(d0.mrr, 'state.d0.mrr'),
        retained: ExactSum.fromState(d0.retained, 'state.d0.retained'),
        floor: ExactSum.fromState(d0.floor, 'state.d0.floor'),
      },
      bands: entries(s.bands, 'state.bands', readBand, readCounted),
      cohorts: this.cohorts.readState(s.cohorts, 'state.cohorts'),
      linesWithoutFxRate: entries(s.linesWithoutFxRate, 'state.linesWithoutFxRate', text, count),
      scheduledChurn: list(s.scheduledChurn, 'state.scheduledChurn').map((v, i) => readScheduledChurn(v, `state.scheduledChurn[${i}]`)),
      forecastBands: entries(s.forecastBands, 'state.forecastBands', text, readHysteresisBand),
    };
  }

  finish(): Snapshot {
    const { summary, atRisk } = this.finishParts();
    const [head, tail] = aroundAtRisk(summary);
    return { ...head, atRisk: [...atRisk], ...tail };
  }

  finishParts(): SnapshotParts {
    const { cal, settings } = this;
    const { model, risk } = this.forecast;
    const totals = this.movements.totals();
    const rates = periodRates(totals);
    const trend = this.months.map((m, i) => {
      const mrrStart = m.mrrStart.value();
      return {
        month: monthKey(cal.trendMonths[i]!),
        logoChurnRate: ratio(m.churned, m.customersStart),
        ndr: ratio(m.retained.value(), mrrStart),
        mrrStart,
        mrrEnd: m.mrrEnd.value(),
      };
    });
    // By probability, then MRR; customers on the save list (not forecast) after the forecast ones.
    const atRisk = this.atRisk
      .slice()
      .sort((a, b) => b.probability - a.probability || b.mrr - a.mrr || byId(a.customerId, b.customerId))
      .map((r) => r.json);
    // Ties on the date and MRR in customer-id order, as the customers were aggregated before.
    const scheduledChurn = this.scheduledChurn
      .slice()
      .sort((a, b) =>
        a.effectiveAt < b.effectiveAt ? -1 : a.effectiveAt > b.effectiveAt ? 1 : b.mrr - a.mrr || byId(a.customerId, b.customerId),
      );
    const d0Mrr = this.d0.mrr.value();
    const bands = Object.fromEntries(
      BANDS.map((b) => {
        const t = this.bandTotals.get(b)!;
        return [b, { customers: t.customers, mrr: t.mrr.value() }];
      }),
    ) as RiskSummary['bands'];
    const summary: SnapshotSummary = {
      asOf: this.asOf,
      period: { start: dayFromNum(cal.periodStart), end: dayFromNum(cal.closeDay) },
      currency: settings.reportingCurrency,
      customers: totals.customers,
      mrr: totals.mrr,
      ...rates,
      ndr12m: ratio(this.d0.retained.value(), d0Mrr),
      grr12m: ratio(this.d0.floor.value(), d0Mrr),
      annualizedLogoChurn: compoundChurn(trend.map((t) => t.logoChurnRate)),
      annualizedFromMonth: annualizedFromMonth(rates.logoChurnRate),
      byPlan: this.byPlan.finish() as Record<string, NonNullable<Snapshot['byPlan'][string]>>,
      byTier: this.byTier.finish(),
      byLifecycle: this.byLifecycle.finish(),
      cohorts: this.cohorts.finish(),
      churnReasons: Object.fromEntries(
        [...this.churnReasons]
          .sort(([a], [b]) => byId(a, b))
          .map(([reason, r]) => [reason, { customers: r.customers, mrr: r.mrr.value() }]),
      ),
      scheduledChurn,
      risk: {
        model: model.kind,
        fittedAt: model.fittedAt,
        trainingRows: model.trainingRows,
        trainingChurns: model.trainingChurns,
        horizonDays: risk.horizonDays,
        interceptPoints: interceptPoints(model),
        bands,
        thresholds: { red: risk.red, yellow: risk.yellow },
        provenance: model.provenance,
      },
      trend,
      diagnostics: {
        customers: this.customers,
        linesWithoutFxRate: Object.fromEntries([...this.linesWithoutFxRate].sort(([a], [b]) => byId(a, b))),
      },
    };
    return { summary, atRisk: new AtRiskRows(atRisk) };
  }

  private fold(f: CustomerFacts): void {
    const { cal, settings } = this;
    this.customers++;
    this.movements.add(f.open, f.close, f.movement);
    if (f.open > 0) {
      this.byPlan.add(f.openPlan ?? 'unknown', f.open, f.close);
      this.byTier.add(tierOf(f.open, settings), f.open, f.close);
      this.byLifecycle.add(lifecycleOf(cal.periodStart - f.firstActiveDay!), f.open, f.close);
    }
    if (f.churnReason !== undefined) {
      let r = this.churnReasons.get(f.churnReason);
      if (!r) this.churnReasons.set(f.churnReason, (r = { customers: 0, mrr: new ExactSum() }));
      r.customers++;
      r.mrr.add(f.open);
    }
    for (let i = 0; i < this.months.length; i++) {
      const open = f.trend[i]!;
      const close = f.trend[i + 1]!;
      const m = this.months[i]!;
      m.mrrEnd.add(close);
      if (open > 0) {
        m.customersStart++;
        m.mrrStart.add(open);
        m.retained.add(close);
        if (close === 0) m.churned++;
      }
    }
    if (f.mrrAtD0 > 0) {
      this.d0.mrr.add(f.mrrAtD0);
      this.d0.retained.add(f.close);
      this.d0.floor.add(Math.min(f.close, f.mrrAtD0));
    }
    if (f.atRisk) {
      this.atRisk.push({
        probability: f.atRisk.churnProbability ?? -1,
        mrr: f.atRisk.mrr,
        customerId: f.customerId,
        json: utf8Encoder.encode(JSON.stringify(f.atRisk)),
      });
    }
    if (f.scheduled) this.scheduledChurn.push(f.scheduled);
    if (f.forecast) {
      const t = this.bandTotals.get(f.forecast.band)!;
      t.customers++;
      t.mrr.add(f.forecast.mrr);
      if (f.forecast.band !== 'green') this.forecastBands.set(f.customerId, f.forecast.band);
    }
    if (f.linesWithoutFxRate) {
      for (const [currency, n] of f.linesWithoutFxRate)
        this.linesWithoutFxRate.set(currency, (this.linesWithoutFxRate.get(currency) ?? 0) + n);
    }
    if (f.firstActiveDay !== undefined && f.firstActiveDay <= cal.closeDay) {
      this.cohorts.add({ cohortMonth: monthIndexOfNum(f.firstActiveDay), series: f.series, archivedActiveOn: f.archivedActiveOn });
    }
  }
}
