/**
 * The forecast in the report: the early-warning lists (red, yellow, the save list) and "how well the
 * warnings worked" from the latest walk-forward backtest (lift table and calibration chart). The
 * backtest page of `churnwatch backtest` reuses the same sections.
 */
import type { Evaluation } from '../domain/forecast/evaluate';
import type { Factor, ScheduledChurn } from '../domain/forecast/types';
import type { AtRiskCustomer, SnapshotSummary } from '../domain/types';
import { escapeHtml } from './escape';
import { formatCount, formatMoney, formatRate, NULL_MARK, plural } from './format';
import { PALETTE, sparklineSvg } from './svg-charts';

export interface BacktestFigures {
  from: string;
  to: string;
  evaluation: Evaluation;
  baselines: { fixedPoints: Evaluation; activeDaysAuc: number | null };
  saveList: { churners: number; onSaveList: number };
  /** Set when the refit read a sample of a large book (lambdas/store/training-sample.ts). */
  sample?: { customers: number; share: number };
}

/** Rows per band shown in the page; the CSV beside the report has them all. */
export const BAND_ROWS = 100;
const TOP_FACTORS = 3;

const percent = (p: number | null) => (p === null ? NULL_MARK : `${Math.round(p * 100)}%`);
const ratio2 = (x: number | null) => (x === null ? NULL_MARK : x.toFixed(2));

/** Factors that raise the risk, in words: what a CSM reads first. */
export function topRiskFactors(factors: readonly Factor[], n = TOP_FACTORS): Factor[] {
  return factors.filter((f) => f.points > 0).slice(0, n);
}

function customerCell(c: { customerId: string; name: string | null; owner: string | null }): string {
  const name = c.name
    ? `<strong>${escapeHtml(c.name)}</strong><br><span class="muted id">${escapeHtml(c.customerId)}</span>`
    : `<strong>${escapeHtml(c.customerId)}</strong>`;
  return `${name}<div class="owner">${c.owner ? `Owner ${escapeHtml(c.owner)}` : '<span class="muted">No owner</span>'}</div>`;
}

function bandRow(c: AtRiskCustomer, currency: string): string {
  const factors = topRiskFactors(c.factors)
    .map((f) => `<li><span class="code">${escapeHtml(f.code)} +${escapeHtml(f.points.toFixed(1))}</span> ${escapeHtml(f.detail)}</li>`)
    .join('');
  const signals = c.reasons.map((r) => `<span class="code" title="${escapeHtml(r.detail)}">${escapeHtml(r.code)}</span>`).join(' ');
  const activity = c.activity?.length ? sparklineSvg(c.activity, `Daily events over the last ${c.activity.length} days`) : NULL_MARK;
  return `<tr>
<td>${customerCell(c)}</td>
<td class="num"><span class="score ${c.band === 'red' ? 'risk-high' : 'risk-mid'}">${escapeHtml(percent(c.churnProbability))}</span></td>
<td class="num">${escapeHtml(formatMoney(c.mrr, currency))}</td>
<td><ul class="reasons">${factors || '<li class="muted">no single factor stands out</li>'}</ul>${signals ? `<div class="tags">${signals}</div>` : ''}</td>
<td class="spark">${activity}<small class="muted">${escapeHtml(c.frequency)} · active days ${formatCount(c.activeDaysPrevious)} → ${formatCount(c.activeDaysCurrent)}</small></td>
</tr>`;
}

/** What the page shows of the at-risk list: per band its size, MRR and first rows; the customers with signals only. */
export interface AtRiskOverview {
  bands: Record<'red' | 'yellow', { customers: number; mrr: number; first: AtRiskCustomer[] }>;
  signalsOnly: number;
}

/** One pass over the at-risk list in its order, keeping `BAND_ROWS` rows per band: the list may be any length. */
export function atRiskOverview(rows: Iterable<AtRiskCustomer>): AtRiskOverview {
  const bands: AtRiskOverview['bands'] = { red: { customers: 0, mrr: 0, first: [] }, yellow: { customers: 0, mrr: 0, first: [] } };
  let signalsOnly = 0;
  for (const c of rows) {
    if (c.band === 'green') signalsOnly++;
    if (c.band !== 'red' && c.band !== 'yellow') continue;
    const b = bands[c.band];
    b.customers++;
    b.mrr += c.mrr;
    if (b.first.length < BAND_ROWS) b.first.push(c);
  }
  return { bands, signalsOnly };
}

function bandTable(overview: AtRiskOverview, currency: string, band: 'red' | 'yellow', title: string, note: string): string {
  const { customers, mrr, first } = overview.bands[band];
  if (!customers) return `<h3>${escapeHtml(title)} <span class="count">0</span></h3><p class="empty">None today.</p>`;
  return `<h3>${escapeHtml(title)} <span class="count">${formatCount(customers)}</span></h3>
<p class="note">${escapeHtml(`${formatMoney(mrr, currency)} MRR. ${note}`)}</p>
<div class="scroll"><table class="data at-risk"><thead><tr><th scope="col">Customer</th><th scope="col" class="num">Churn probability</th><th scope="col" class="num">MRR</th><th scope="col">Why (scorecard points; 20 points double the odds)</th><th scope="col">Activity (56 days)</th></tr></thead>
<tbody>${first.map((c) => bandRow(c, currency)).join('')}</tbody></table></div>
${customers > first.length ? `<p class="note">The first ${formatCount(BAND_ROWS)} are shown; all are in at-risk.csv.</p>` : ''}`;
}

function saveListTable(list: readonly ScheduledChurn[], currency: string): string {
  if (!list.length) return `<h3>Save list <span class="count">0</span></h3><p class="empty">No cancellation on file.</p>`;
  const rows = list
    .map(
      (c) =>
        `<tr><td>${customerCell(c)}</td><td class="num">${escapeHtml(c.effectiveAt)}</td><td class="num">${escapeHtml(formatMoney(c.mrr, currency))}</td><td>${c.reason ? escapeHtml(c.reason) : '<span class="muted">no reason given</span>'}</td></tr>`,
    )
    .join('');
  const mrr = list.reduce((sum, c) => sum + c.mrr, 0);
  return `<h3>Save list: cancellations on file <span class="count">${formatCount(list.length)}</span></h3>
<p class="note">${escapeHtml(`${formatMoney(mrr, currency)} MRR ends on these dates unless the customer is won back.`)}</p>
<div class="scroll"><table class="data"><thead><tr><th scope="col">Customer</th><th scope="col" class="num">Effective</th><th scope="col" class="num">MRR</th><th scope="col">Reason</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function earlyWarningSection(s: SnapshotSummary, overview: AtRiskOverview): string {
  const { risk } = s;
  const { signalsOnly } = overview;
  const model =
    risk.model === 'fitted'
      ? `fitted on your history on ${risk.fittedAt} (${formatCount(risk.trainingRows)} customer-months, ${formatCount(risk.trainingChurns)} churns)`
      : 'the built-in default weights (not enough churns in your history to fit yet)';
  return `<section>
<h2>Early warnings</h2>
<p class="note">${escapeHtml(`Churn probability: the chance that a customer's MRR reaches zero within ${risk.horizonDays} days. Red from ${percent(risk.thresholds.red)}, yellow from ${percent(risk.thresholds.yellow)}. Model: ${model}. The average customer scores ${risk.interceptPoints} points; add a customer's factor points, times ln 2 / 20, for the logit of its probability.`)}</p>
${bandTable(overview, s.currency, 'red', 'Red: likely to churn', 'Call these first.')}
${bandTable(overview, s.currency, 'yellow', 'Yellow: watch', 'Worth a check-in.')}
${saveListTable(s.scheduledChurn, s.currency)}
<p class="note">${escapeHtml(`${plural(signalsOnly, 'other customer')} ${signalsOnly === 1 ? 'shows' : 'show'} a signal (listed in at-risk.csv) with a low churn probability; ${formatCount(risk.bands.green.customers)} customers are green.`)}</p>
</section>`;
}

/** Predicted against observed churn per quintile, with the diagonal of perfect calibration. */
export function calibrationSvg(bins: Evaluation['calibration']): string {
  const size = 260;
  const pad = 36;
  const plot = size - 2 * pad;
  const top = Math.max(0.05, ...bins.flatMap((b) => [b.predicted, b.observed])) * 1.1;
  const x = (v: number) => pad + (v / top) * plot;
  const y = (v: number) => size - pad - (v / top) * plot;
  const points = bins
    .map(
      (b) =>
        `<circle cx="${x(b.predicted).toFixed(1)}" cy="${y(b.observed).toFixed(1)}" r="5" fill="${PALETTE.accent}"><title>${escapeHtml(`predicted ${percent(b.predicted)}, observed ${percent(b.observed)}, ${b.customers} customers`)}</title></circle>`,
    )
    .join('');
  const axis = (v: number) => `${Math.round(v * 100)}%`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="Calibration: predicted against observed churn by quintile">
<rect x="${pad}" y="${pad}" width="${plot}" height="${plot}" fill="none" stroke="${PALETTE.grid}"/>
<line x1="${x(0)}" y1="${y(0)}" x2="${x(top)}" y2="${y(top)}" stroke="${PALETTE.muted}" stroke-dasharray="4 4"/>
${points}
<text x="${size / 2}" y="${size - 6}" text-anchor="middle" font-size="11" fill="${PALETTE.muted}">predicted (0–${axis(top)})</text>
<text x="12" y="${size / 2}" text-anchor="middle" font-size="11" fill="${PALETTE.muted}" transform="rotate(-90 12 ${size / 2})">observed</text>
</svg>`;
}

function evaluationRows(model: Evaluation, baseline: Evaluation, activeDaysAuc: number | null): string {
  const row = (label: string, a: string, b: string) =>
    `<tr><th scope="row">${escapeHtml(label)}</th><td class="num">${escapeHtml(a)}</td><td class="num">${escapeHtml(b)}</td></tr>`;
  return [
    row('ROC AUC (ranking)', ratio2(model.auc), `${ratio2(baseline.auc)} (active days alone: ${ratio2(activeDaysAuc)})`),
    row('Precision of red', formatRate(model.precisionRed), formatRate(baseline.precisionRed)),
    row('Recall of red', formatRate(model.recallRed), formatRate(baseline.recallRed)),
    row('Lift of red over the base rate', ratio2(model.liftRed), ratio2(baseline.liftRed)),
    row('Precision of red + yellow', formatRate(model.precisionFlagged), formatRate(baseline.precisionFlagged)),
    row('Share of customers listed', formatRate(model.flaggedShare), formatRate(baseline.flaggedShare)),
    row('Precision of the top 10 per date', formatRate(model.precisionTop10), formatRate(baseline.precisionTop10)),
    row('Worst calibration gap (quintiles)', formatRate(model.calibrationError), NULL_MARK),
    row(
      'Median days listed before churn',
      model.medianDaysListedBeforeChurn === null ? NULL_MARK : String(model.medianDaysListedBeforeChurn),
      NULL_MARK,
    ),
  ].join('');
}

const sampleNote = (sample: BacktestFigures['sample']): string =>
  sample && sample.share < 1
    ? ` The model was fitted on, and these figures measured on, a fixed sample of ${formatCount(sample.customers)} customers (${formatRate(sample.share)} of the book).`
    : '';

export function backtestSection(b: BacktestFigures | null, horizonDays: number): string {
  if (!b)
    return `<section><h2>How well the warnings worked</h2><p class="empty">No backtest yet: it runs with the first model fit, once the history holds month-ends to evaluate.</p></section>`;
  const e = b.evaluation;
  return `<section>
<h2>How well the warnings worked</h2>
<p class="note">${escapeHtml(`Walk-forward backtest, month-ends ${b.from} to ${b.to}: each month's forecast used only what was known that day and was compared with what happened in the next ${horizonDays} days. ${formatCount(e.customers)} customer-months, ${formatCount(e.churners)} churned (base rate ${formatRate(e.baseRate)}). ${b.saveList.onSaveList} of ${b.saveList.churners} churners were already on the save list.${sampleNote(b.sample)}`)}</p>
<div class="split">
<div class="scroll"><table class="data narrow"><thead><tr><th scope="col">Figure</th><th scope="col" class="num">Forecast</th><th scope="col" class="num">Old fixed points</th></tr></thead><tbody>${evaluationRows(e, b.baselines.fixedPoints, b.baselines.activeDaysAuc)}</tbody></table></div>
<figure class="chart"><figcaption>Calibration by quintile</figcaption>${calibrationSvg(e.calibration)}</figure>
</div>
</section>`;
}
