/**
 * Walk-forward backtest (docs/metrics.md §3.7). At every month-end the customers are seen as they
 * were known then (lines issued by that day, cancellations on file by then, events up to then), the
 * model is fitted only on outcomes observable by then, and the forecast is compared with what
 * happened next. The same training rows give the model the snapshot uses (`trainModel`).
 */
import { activityWindowDays, windowIndex, ACTIVITY_DAYS } from '../activity';
import { dayFromNum, dayNum, monthEndNum, monthIndexOfNum } from '../dates';
import { buildCustomerMrr, MRR_EPSILON, type MrrSeries } from '../mrr';
import { LEGACY_RISK_POINTS } from '../risk';
import type { Cancellation, CustomerTimeline, Day, EngineSettings, LedgerLine, RiskCode } from '../types';
import { assessCustomer, type WindowCalendar } from './assess';
import { bandOf } from './bands';
import { evaluate, medianDaysListed, rocAuc, type Evaluation, type ScoredOutcome } from './evaluate';
import { modelFor } from './model';
import { probabilityOf } from './scorecard';
import type { Band, ModelKind, RiskSettings, ScorecardModel } from './types';

export interface BacktestPrediction {
  customerId: string;
  /** Null for customers on the save list: they are not forecast. */
  probability: number | null;
  band: Band | null;
  mrr: number;
  scheduled: boolean;
  /** Whether MRR reached 0 within the horizon; null when the data ends before the horizon does. */
  churned: boolean | null;
}

export interface BacktestDate {
  asOf: Day;
  risk: { model: ModelKind; fittedAt: Day | null; trainingRows: number; trainingChurns: number; horizonDays: number };
  predictions: BacktestPrediction[];
}

export interface BacktestResult {
  horizonDays: number;
  dataEnd: Day;
  dates: BacktestDate[];
  evaluation: Evaluation;
  /** The same evaluation for the old fixed-points score and for counting active days. */
  baselines: { fixedPoints: Evaluation; activeDaysAuc: number | null };
  /** Churners (within the horizon of a date) that were on the save list on that date. */
  saveList: { churners: number; onSaveList: number };
  /** The model of the last date. */
  model: ScorecardModel;
}

export interface BacktestInput {
  /** Full histories: every known line and cancellation, daily activity (with users where known). */
  customers: readonly CustomerTimeline[];
  settings: EngineSettings;
  risk: RiskSettings;
  from: Day;
  to: Day;
}

/** What one customer looked like at one month-end. */
interface Row {
  customerId: string;
  date: number;
  values: number[] | null;
  mrr: number;
  signals: RiskCode[];
  activeDays: number;
  /** Churned within the horizon, as known at date + horizon (training label); undefined if not yet known. */
  label: boolean | undefined;
}

interface Known {
  customer: CustomerTimeline;
  lines: { line: LedgerLine; known: number }[];
  cancellations: { cancellation: Cancellation; known: number }[];
  full: MrrSeries;
}

const knownDayOfLine = (l: LedgerLine) => ((l.issuedAt ?? l.periodStart) ? dayNum((l.issuedAt ?? l.periodStart)!) : -Infinity);
const knownDayOfCancellation = (c: Cancellation) => dayNum(c.canceledAt ?? c.effectiveAt);

/** First day in [from, to] with MRR 0, or undefined. */
export function firstZeroDay(series: MrrSeries, from: number, to: number): number | undefined {
  if (series.at(from) === 0) return from;
  const { days, values } = series;
  for (let i = 0; i < days.length; i++) {
    if (days[i]! <= from) continue;
    if (days[i]! > to) break;
    if (!(values[i]! > MRR_EPSILON)) return days[i];
  }
  return undefined;
}

export function windowCalendar(asOf: number): WindowCalendar {
  const windowDays = activityWindowDays(asOf);
  return { asOf, windowDays, windowIndex: windowIndex(windowDays), windowStart: asOf - ACTIVITY_DAYS + 1 };
}

function prepare(
  customers: readonly CustomerTimeline[],
  settings: EngineSettings,
  rateCache: Map<string, number | undefined>,
): { known: Known[]; dataEnd: number; dataStart: number } {
  let dataEnd = -Infinity;
  let dataStart = Infinity;
  const seen = (d: number) => {
    if (d > dataEnd) dataEnd = d;
    if (d < dataStart) dataStart = d;
  };
  const known = customers.map((customer) => {
    const lines = (customer.lines ?? []).map((line) => ({ line, known: knownDayOfLine(line) }));
    const cancellations = (customer.cancellations ?? []).map((cancellation) => ({
      cancellation,
      known: knownDayOfCancellation(cancellation),
    }));
    for (const l of lines) if (Number.isFinite(l.known)) seen(l.known);
    for (const c of cancellations) seen(c.known);
    for (const day in customer.activity ?? {}) seen(dayNum(day));
    const full = buildCustomerMrr(customer.lines ?? [], customer.cancellations ?? [], settings, rateCache).series;
    return { customer, lines, cancellations, full };
  });
  return { known, dataEnd, dataStart };
}

function viewAt(k: Known, day: number, settings: EngineSettings, rateCache: Map<string, number | undefined>) {
  return buildCustomerMrr(
    k.lines.filter((l) => l.known <= day).map((l) => l.line),
    k.cancellations.filter((c) => c.known <= day).map((c) => c.cancellation),
    settings,
    rateCache,
  );
}

const earliest = (a: number | undefined, archived: Day | undefined) =>
  archived === undefined ? a : a === undefined ? dayNum(archived) : Math.min(a, dayNum(archived));

/** Every month-end from the first month with data to `to`: each customer as known that day. */
function rowsByMonthEnd(
  known: readonly Known[],
  until: number,
  dataStart: number,
  dataEnd: number,
  input: Pick<BacktestInput, 'settings' | 'risk'>,
  rateCache: Map<string, number | undefined>,
): Map<number, Row[]> {
  const h = input.risk.horizonDays;
  const out = new Map<number, Row[]>();
  for (let m = monthIndexOfNum(dataStart); monthEndNum(m) <= until; m++) {
    const date = monthEndNum(m);
    const cal = windowCalendar(date);
    const rows: Row[] = [];
    for (const k of known) {
      const built = viewAt(k, date, input.settings, rateCache);
      const firstActive = earliest(built.series.firstActiveDay(), k.customer.archivedFirstActiveDay);
      const a = assessCustomer(k.customer, built, firstActive, cal, input.settings, h);
      if (!a) continue;
      let label: boolean | undefined;
      if (a.row && date + h <= dataEnd) {
        label = firstZeroDay(viewAt(k, date + h, input.settings, rateCache).series, date + 1, date + h) !== undefined;
      }
      rows.push({
        customerId: k.customer.customerId,
        date,
        values: a.row?.values ?? null,
        mrr: a.mrr,
        signals: a.signals.map((s) => s.code),
        activeDays: a.windows.activeDaysCurrent,
        label,
      });
    }
    out.set(date, rows);
  }
  return out;
}

function trainingSet(rowsByDate: ReadonlyMap<number, Row[]>, asOf: number, horizon: number) {
  const rows: number[][] = [];
  const labels: number[] = [];
  for (const [date, list] of rowsByDate) {
    if (date + horizon > asOf) continue;
    for (const r of list) {
      if (r.values === null || r.label === undefined) continue;
      rows.push(r.values);
      labels.push(r.label ? 1 : 0);
    }
  }
  return { rows, labels };
}

const legacyScore = (signals: readonly RiskCode[]) =>
  Math.min(
    100,
    signals.reduce((s, c) => s + LEGACY_RISK_POINTS[c], 0),
  );
/** The old list: any signal listed it; its "red" was a score of 50 or more. */
const legacyBand = (signals: readonly RiskCode[]): Band => (legacyScore(signals) >= 50 ? 'red' : signals.length ? 'yellow' : 'green');

export function runBacktest(input: BacktestInput): BacktestResult {
  const from = dayNum(input.from);
  const to = dayNum(input.to);
  if (to < from) throw new RangeError(`--to (${input.to}) is before --from (${input.from})`);
  const h = input.risk.horizonDays;
  const rateCache = new Map<string, number | undefined>();
  const { known, dataEnd, dataStart } = prepare(input.customers, input.settings, rateCache);
  if (!Number.isFinite(dataEnd)) throw new RangeError('no billing lines or usage events to backtest');
  const fullSeries = new Map(known.map((k) => [k.customer.customerId, k.full]));
  const rowsByDate = rowsByMonthEnd(known, to, dataStart, dataEnd, input, rateCache);

  const dates: BacktestDate[] = [];
  const scored: ScoredOutcome[] = [];
  const legacy: ScoredOutcome[] = [];
  const activeDays: { score: number; churned: boolean }[] = [];
  const listed = new Map<string, Set<number>>();
  const saveList = { churners: 0, onSaveList: 0 };
  let previousBands = new Map<string, Band>();
  let model: ScorecardModel | undefined;
  const evaluationDates: number[] = [];

  for (const [date, rows] of rowsByDate) {
    if (date < from) continue;
    evaluationDates.push(date);
    model = modelFor(trainingSet(rowsByDate, date, h), dayFromNum(date), input.risk);
    const bands = new Map<string, Band>();
    const predictions: BacktestPrediction[] = [];
    const outcomeKnown = date + h <= dataEnd;
    for (const r of rows) {
      const churned = outcomeKnown ? firstZeroDay(fullSeries.get(r.customerId)!, date + 1, date + h) !== undefined : undefined;
      if (r.values === null) {
        predictions.push({
          customerId: r.customerId,
          probability: null,
          band: null,
          mrr: r.mrr,
          scheduled: true,
          churned: churned ?? null,
        });
        if (churned) {
          saveList.churners++;
          saveList.onSaveList++;
        }
        continue;
      }
      const probability = probabilityOf(model, r.values);
      const band = bandOf(probability, previousBands.get(r.customerId), input.risk);
      bands.set(r.customerId, band);
      if (band !== 'green') {
        let set = listed.get(r.customerId);
        if (!set) listed.set(r.customerId, (set = new Set()));
        set.add(date);
      }
      predictions.push({ customerId: r.customerId, probability, band, mrr: r.mrr, scheduled: false, churned: churned ?? null });
      if (churned === undefined) continue;
      if (churned) saveList.churners++;
      scored.push({ date, customerId: r.customerId, probability, band, mrr: r.mrr, churned });
      legacy.push({
        date,
        customerId: r.customerId,
        probability: legacyScore(r.signals) / 100,
        band: legacyBand(r.signals),
        mrr: r.mrr,
        churned,
      });
      activeDays.push({ score: -r.activeDays, churned });
    }
    previousBands = bands;
    dates.push({
      asOf: dayFromNum(date),
      risk: {
        model: model.kind,
        fittedAt: model.fittedAt,
        trainingRows: model.trainingRows,
        trainingChurns: model.trainingChurns,
        horizonDays: h,
      },
      predictions,
    });
  }
  if (!model) throw new RangeError(`no month-end between ${input.from} and ${input.to}`);

  const churnDays = churnDaysOf(fullSeries, from, to + h);
  return {
    horizonDays: h,
    dataEnd: dayFromNum(dataEnd),
    dates,
    evaluation: evaluate(scored, medianDaysListed(listed, churnDays, evaluationDates)),
    baselines: {
      fixedPoints: evaluate(legacy, null),
      activeDaysAuc: rocAuc(
        activeDays.map((a) => a.score),
        activeDays.map((a) => a.churned),
      ),
    },
    saveList,
    model,
  };
}

/** Days on which each customer's MRR fell to 0, within [from, to]. */
function churnDaysOf(series: ReadonlyMap<string, MrrSeries>, from: number, to: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [customerId, s] of series) {
    const days: number[] = [];
    for (let i = 1; i < s.days.length; i++) {
      const d = s.days[i]!;
      if (d < from || d > to) continue;
      if (!(s.values[i]! > MRR_EPSILON) && s.values[i - 1]! > MRR_EPSILON) days.push(d);
    }
    if (days.length) out.set(customerId, days);
  }
  return out;
}

/**
 * The training rows a model fitted on `asOf` sees: every month-end whose outcome is known by asOf,
 * each customer as known on that month-end, labelled with what it had done 90 days later.
 */
export function trainingRows(
  customers: readonly CustomerTimeline[],
  settings: EngineSettings,
  risk: RiskSettings,
  asOf: Day,
): { rows: number[][]; labels: number[] } {
  const rateCache = new Map<string, number | undefined>();
  const { known, dataEnd, dataStart } = prepare(customers, settings, rateCache);
  const until = dayNum(asOf);
  if (!Number.isFinite(dataEnd)) return { rows: [], labels: [] };
  const rows = rowsByMonthEnd(known, until - risk.horizonDays, dataStart, Math.min(dataEnd, until), { settings, risk }, rateCache);
  return trainingSet(rows, until, risk.horizonDays);
}

/** The model the snapshot uses on `asOf` (the same rows the backtest trains on), or the default. */
export function trainModel(
  customers: readonly CustomerTimeline[],
  settings: EngineSettings,
  risk: RiskSettings,
  asOf: Day,
): ScorecardModel {
  return modelFor(trainingRows(customers, settings, risk, asOf), asOf, risk);
}
