/**
 * The snapshot as one self-contained HTML page: inline CSS and inline SVG only, no script, no external
 * font, stylesheet or image, so it opens offline, from S3 or an email attachment, and prints. All text
 * that came from the data goes through escapeHtml.
 */
import type { Segment, Snapshot, SnapshotSummary } from '../domain/types';
import { escapeHtml } from './escape';
import { formatCount, formatMoney, formatMoneyChange, formatMonth, formatRate, plural } from './format';
import { atRiskOverview, backtestSection, earlyWarningSection, type AtRiskOverview, type BacktestFigures } from './forecast-html';
import { REPORT_CSS } from './report-css';
import { lineChartSvg, PALETTE, waterfallSvg } from './svg-charts';

export interface ReportOptions {
  title?: string;
  /** ISO timestamp shown in the footer; omitted when not given so the output is reproducible. */
  generatedAt?: string;
  /** The latest backtest of the forecast model, for "How well the warnings worked". */
  backtest?: BacktestFigures | null;
}

/**
 * The page for a snapshot. Given a summary without the at-risk list (a large book), pass the list's
 * overview (atRiskOverview, one pass over the rows); the page shows the first rows of each band.
 */
export function renderReportHtml(snapshot: Snapshot, opts?: ReportOptions): string;
export function renderReportHtml(snapshot: SnapshotSummary, opts: ReportOptions & { atRisk: AtRiskOverview }): string;
export function renderReportHtml(snapshot: Snapshot | SnapshotSummary, opts: ReportOptions & { atRisk?: AtRiskOverview } = {}): string {
  const overview = opts.atRisk ?? atRiskOverview('atRisk' in snapshot ? snapshot.atRisk : []);
  const title = opts.title ?? `Churnwatch report — ${formatMonth(snapshot.period.start)}`;
  const body = [
    header(snapshot, title),
    headlineCards(snapshot),
    movementsSection(snapshot),
    earlyWarningSection(snapshot, overview),
    backtestSection(opts.backtest ?? null, snapshot.risk.horizonDays),
    trendSection(snapshot),
    cohortSection(snapshot),
    segmentsSection(snapshot),
    churnReasonsSection(snapshot),
    footer(opts.generatedAt),
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function header(s: SnapshotSummary, title: string): string {
  return `<header class="page-head">
<p class="eyebrow">Churnwatch</p>
<h1>${escapeHtml(title)}</h1>
<p class="sub">Period ${escapeHtml(s.period.start)} to ${escapeHtml(s.period.end)} · as of ${escapeHtml(s.asOf)} · amounts in ${escapeHtml(s.currency)}</p>
</header>`;
}

function card(label: string, value: string, note: string, tone: 'good' | 'bad' | 'plain' = 'plain'): string {
  return `<div class="card"><div class="card-label">${escapeHtml(label)}</div><div class="card-value ${tone}">${escapeHtml(value)}</div><div class="card-note">${escapeHtml(note)}</div></div>`;
}

function headlineCards(s: SnapshotSummary): string {
  const c = s.currency;
  const netNew = s.mrr.end - s.mrr.start;
  const tone = (v: number | null, goodWhenAbove: number, higherIsGood: boolean) =>
    v == null ? 'plain' : v >= goodWhenAbove === higherIsGood ? 'good' : 'bad';
  const cards = [
    card('MRR at start', formatMoney(s.mrr.start, c), `${plural(s.customers.start, 'paying customer')}`),
    card('MRR at end', formatMoney(s.mrr.end, c), `${plural(s.customers.end, 'paying customer')}`),
    card(
      'Net new MRR',
      formatMoneyChange(netNew, c),
      `new ${formatMoney(s.mrr.new, c)} · churned ${formatMoney(s.mrr.churned, c)}`,
      netNew >= 0 ? 'good' : 'bad',
    ),
    card(
      'Logo churn',
      formatRate(s.logoChurnRate),
      `${formatCount(s.customers.churned)} of ${formatCount(s.customers.start)} customers` +
        (s.customers.newChurned ? ` (+${formatCount(s.customers.newChurned)} new & gone)` : ''),
      s.logoChurnRate == null ? 'plain' : s.logoChurnRate > 0 ? 'bad' : 'good',
    ),
    card('NDR (month)', formatRate(s.ndr), `net MRR churn ${formatRate(s.netMrrChurnRate)}`, tone(s.ndr, 1, true)),
    card('GRR (month)', formatRate(s.grr), `gross MRR churn ${formatRate(s.grossMrrChurnRate)}`),
    card('NDR (12 months)', formatRate(s.ndr12m), 'MRR now of customers paying a year ago', tone(s.ndr12m, 1, true)),
    card('GRR (12 months)', formatRate(s.grr12m), 'without expansion'),
    card('Annualised logo churn', formatRate(s.annualizedLogoChurn), `from this month alone ${formatRate(s.annualizedFromMonth)}`),
  ];
  return `<section class="cards" aria-label="Headline figures">${cards.join('')}</section>`;
}

function movementsSection(s: SnapshotSummary): string {
  const c = s.currency;
  const m = s.mrr;
  const svg = waterfallSvg(
    [
      { label: 'Start', value: m.start, kind: 'total', display: formatMoney(m.start, c) },
      { label: 'New', value: m.new, kind: 'up', display: formatMoneyChange(m.new, c) },
      { label: 'Expansion', value: m.expansion, kind: 'up', display: formatMoneyChange(m.expansion, c) },
      { label: 'Reactivation', value: m.reactivation, kind: 'up', display: formatMoneyChange(m.reactivation, c) },
      { label: 'Contraction', value: m.contraction, kind: 'down', display: formatMoneyChange(-m.contraction, c) },
      { label: 'Churned', value: m.churned, kind: 'down', display: formatMoneyChange(-m.churned, c) },
      { label: 'End', value: m.end, kind: 'total', display: formatMoney(m.end, c) },
    ],
    'MRR movements over the period',
  );
  const cu = s.customers;
  const rows: [string, number][] = [
    ['At start', cu.start],
    ['New', cu.new],
    ['Reactivated', cu.reactivated],
    ['Churned', cu.churned],
    ['Started and churned within the month', cu.newChurned],
    ['At end', cu.end],
  ];
  return `<section>
<h2>MRR movements</h2>
<div class="split">
<figure class="chart">${svg}</figure>
<table class="compact"><caption>Customers</caption><tbody>${rows
    .map(([label, n]) => `<tr><th scope="row">${escapeHtml(label)}</th><td class="num">${formatCount(n)}</td></tr>`)
    .join('')}</tbody></table>
</div>
</section>`;
}

function trendSection(s: SnapshotSummary): string {
  const trend = s.trend ?? [];
  if (!trend.length) return '';
  const labels = trend.map((t) => formatMonth(t.month));
  const churn = lineChartSvg(
    trend.map((t, i) => ({ label: labels[i]!, value: t.logoChurnRate })),
    { title: 'Monthly logo churn rate, last 12 months', format: (v) => formatRate(v), color: PALETTE.down },
  );
  const ndr = lineChartSvg(
    trend.map((t, i) => ({ label: labels[i]!, value: t.ndr })),
    { title: 'Monthly net dollar retention, last 12 months', format: (v) => formatRate(v), color: PALETTE.accent, reference: 1 },
  );
  return `<section>
<h2>Twelve-month trend</h2>
<div class="pair">
<figure class="chart"><figcaption>Logo churn per month</figcaption>${churn}</figure>
<figure class="chart"><figcaption>NDR per month <span class="muted">(dashed: 100%)</span></figcaption>${ndr}</figure>
</div>
<p class="note">Months without customers at their start have no rate and show as a gap.</p>
</section>`;
}

/**
 * Background for a retention share: pale to deep blue; dark cells get white text. Squared, because
 * retention lives mostly between 60% and 100% and a linear scale would paint all of it the same blue.
 */
export function heatColor(share: number): { background: string; color: string } {
  const t = Math.max(0, Math.min(1, share)) ** 2;
  const from = [239, 244, 252];
  const to = [30, 64, 175];
  const mix = from.map((f, i) => Math.round(f + (to[i]! - f) * t));
  return { background: `rgb(${mix.join(',')})`, color: t > 0.55 ? '#ffffff' : PALETTE.ink };
}

function cohortSection(s: SnapshotSummary): string {
  if (!s.cohorts.length) return `<section><h2>Cohort retention</h2><p class="empty">No cohorts yet.</p></section>`;
  const width = Math.max(0, ...s.cohorts.map((c) => c.retention.length));
  const head = Array.from({ length: width }, (_, i) => `<th scope="col" class="num">+${i + 1}</th>`).join('');
  const rows = s.cohorts
    .map((c) => {
      const cells = Array.from({ length: width }, (_, i) => {
        const share = c.retention[i];
        if (share == null) return `<td class="heat-empty"></td>`;
        const { background, color } = heatColor(share);
        return `<td class="heat" style="background:${background};color:${color}">${escapeHtml(formatRate(share))}</td>`;
      }).join('');
      return `<tr><th scope="row">${escapeHtml(formatMonth(c.cohort))}</th><td class="num">${formatCount(c.size)}</td>${cells}</tr>`;
    })
    .join('');
  return `<section>
<h2>Cohort retention</h2>
<p class="note">Share of each cohort (by month of first activity) still paying at the end of each following month.</p>
<div class="scroll"><table class="heatmap" style="width:auto"><thead><tr><th scope="col">Cohort</th><th scope="col" class="num">Size</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>
</section>`;
}

/** Colour a movement only when there is one: a column of red zeros reads as alarm. */
const tint = (amount: number, cls: 'pos' | 'neg') => (Math.abs(amount) >= 0.005 ? ` ${cls}` : ' muted');

function segmentTable(caption: string, segments: Record<string, Segment | undefined>, currency: string, order?: string[]): string {
  const keys = order
    ? order.filter((k) => segments[k])
    : Object.keys(segments).sort((a, b) => segments[b]!.mrrStart - segments[a]!.mrrStart || a.localeCompare(b));
  if (!keys.length) return `<h3>${escapeHtml(caption)}</h3><p class="empty">No data.</p>`;
  const rows = keys
    .map((k) => {
      const g = segments[k]!;
      return `<tr><th scope="row">${escapeHtml(k)}</th><td class="num">${formatCount(g.customersStart)}</td><td class="num">${formatCount(g.churned)}</td><td class="num">${formatRate(g.logoChurnRate)}</td><td class="num">${formatMoney(g.mrrStart, currency)}</td><td class="num${tint(g.expansion, 'pos')}">${formatMoney(g.expansion, currency)}</td><td class="num${tint(g.contraction, 'neg')}">${formatMoney(g.contraction, currency)}</td><td class="num${tint(g.churnedMrr, 'neg')}">${formatMoney(g.churnedMrr, currency)}</td><td class="num">${formatRate(g.ndr)}</td></tr>`;
    })
    .join('');
  return `<h3>${escapeHtml(caption)}</h3>
<div class="scroll"><table class="data"><thead><tr><th scope="col"></th><th scope="col" class="num">Customers at start</th><th scope="col" class="num">Churned</th><th scope="col" class="num">Logo churn</th><th scope="col" class="num">MRR at start</th><th scope="col" class="num">Expansion</th><th scope="col" class="num">Contraction</th><th scope="col" class="num">Churned MRR</th><th scope="col" class="num">NDR</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function segmentsSection(s: SnapshotSummary): string {
  return `<section>
<h2>Segments</h2>
${segmentTable('By plan', s.byPlan, s.currency)}
${segmentTable('By tier (open MRR)', s.byTier, s.currency, ['A', 'B', 'C'])}
${segmentTable('By lifecycle stage', s.byLifecycle, s.currency, ['onboarding', 'adoption', 'mature'])}
</section>`;
}

function churnReasonsSection(s: SnapshotSummary): string {
  const entries = Object.entries(s.churnReasons).sort(([a, x], [b, y]) => y.mrr - x.mrr || y.customers - x.customers || a.localeCompare(b));
  if (!entries.length) return `<section><h2>Churn reasons</h2><p class="empty">No customer churned this period.</p></section>`;
  const total = entries.reduce((sum, [, r]) => sum + r.mrr, 0);
  const rows = entries
    .map(([reason, r]) => {
      const share = total > 0 ? r.mrr / total : 0;
      return `<tr><th scope="row">${escapeHtml(reason)}</th><td class="num">${formatCount(r.customers)}</td><td class="num">${formatMoney(r.mrr, s.currency)}</td><td class="bar-cell"><span class="bar" style="width:${Math.round(share * 100)}%"></span></td></tr>`;
    })
    .join('');
  return `<section>
<h2>Churn reasons</h2>
<table class="data narrow"><thead><tr><th scope="col">Reason</th><th scope="col" class="num">Customers</th><th scope="col" class="num">Churned MRR</th><th scope="col">Share of churned MRR</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function footer(generatedAt?: string): string {
  return `<footer>Generated by Churnwatch${generatedAt ? ` at ${escapeHtml(generatedAt)}` : ''}. Figures follow the Churnwatch specification: MRR from invoice lines, rates as fractions of the period's opening MRR or customers.</footer>`;
}
