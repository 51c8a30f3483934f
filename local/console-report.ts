import type { BacktestResult } from '../lambdas/domain/forecast/backtest';
import type { StoredModel } from '../lambdas/store/model-store';
import type { AtRiskCustomer, Snapshot } from '../lambdas/domain/types';
import type { DigestSummary } from '../lambdas/digest/send-digests';

const pct = (x: number | null, digits = 1) => (x === null ? '—' : `${(x * 100).toFixed(digits)} %`);

function money(currency: string) {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 });
  return (x: number) => format.format(x);
}

const pad = (text: string, width: number) => (text.length >= width ? text.slice(0, width - 1) + '…' : text.padEnd(width));
const padStart = (text: string, width: number) => text.padStart(width);

/** Terminal text: control characters from untrusted names must not reach the terminal. */
// eslint-disable-next-line no-control-regex
const clean = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');

/** The demo's readable summary: headline figures, MRR movements, the at-risk list by owner. */
export function formatConsoleReport(snapshot: Snapshot, digest?: DigestSummary, fallbackOwner = '(no owner)', model?: StoredModel): string {
  const m = money(snapshot.currency);
  const out: string[] = [];
  const { mrr, customers } = snapshot;
  out.push(`Churnwatch snapshot as of ${snapshot.asOf} (period ${snapshot.period.start} → ${snapshot.period.end}, ${snapshot.currency})`);
  out.push('');
  out.push('Headline');
  out.push(
    `  MRR              ${padStart(m(mrr.start), 12)} → ${padStart(m(mrr.end), 12)}   (${mrr.end >= mrr.start ? '+' : ''}${m(mrr.end - mrr.start)})`,
  );
  out.push(
    `  Customers        ${padStart(String(customers.start), 12)} → ${padStart(String(customers.end), 12)}   (+${customers.new} new, +${customers.reactivated} reactivated, −${customers.churned} churned, ${customers.newChurned} new-and-gone)`,
  );
  out.push(
    `  Logo churn       ${padStart(pct(snapshot.logoChurnRate, 2), 12)}   annualised ${pct(snapshot.annualizedLogoChurn)} (trailing 12 months), ${pct(snapshot.annualizedFromMonth)} (this month × 12)`,
  );
  out.push(`  Revenue churn    ${padStart(pct(snapshot.grossMrrChurnRate, 2), 12)} gross   ${pct(snapshot.netMrrChurnRate, 2)} net`);
  out.push(
    `  NDR / GRR        ${padStart(pct(snapshot.ndr), 12)} / ${pct(snapshot.grr)} this month   ${pct(snapshot.ndr12m)} / ${pct(snapshot.grr12m)} trailing 12 months`,
  );
  out.push('');
  out.push('MRR movements');
  const rows: [string, number][] = [
    ['start', mrr.start],
    ['+ new', mrr.new],
    ['+ expansion', mrr.expansion],
    ['+ reactivation', mrr.reactivation],
    ['− contraction', -mrr.contraction],
    ['− churned', -mrr.churned],
    ['end', mrr.end],
  ];
  const scale = Math.max(1, ...rows.slice(1, -1).map(([, v]) => Math.abs(v)));
  for (const [label, value] of rows) {
    const bar = label === 'start' || label === 'end' ? '' : '█'.repeat(Math.round((Math.abs(value) / scale) * 30));
    out.push(`  ${pad(label, 16)}${padStart(m(value), 12)}  ${bar}`);
  }
  const reasons = Object.entries(snapshot.churnReasons).sort((a, b) => b[1].mrr - a[1].mrr);
  if (reasons.length > 0) {
    out.push('');
    out.push('Churn reasons this month');
    for (const [reason, r] of reasons)
      out.push(`  ${pad(clean(reason), 28)}${padStart(String(r.customers), 4)} customers  ${padStart(m(r.mrr), 10)}`);
  }
  out.push('');
  const { risk } = snapshot;
  const listed = snapshot.atRisk.filter((c) => c.band === 'red' || c.band === 'yellow');
  const weights =
    risk.model === 'fitted'
      ? `fitted on ${risk.trainingRows} customer-months with ${risk.trainingChurns} churns (${risk.fittedAt})`
      : 'built-in default weights';
  out.push(`Early warnings (churn within ${risk.horizonDays} days; model: ${weights})`);
  out.push(
    `  red ${risk.bands.red.customers} (${m(risk.bands.red.mrr)} MRR), yellow ${risk.bands.yellow.customers} (${m(risk.bands.yellow.mrr)}), green ${risk.bands.green.customers}; save list ${snapshot.scheduledChurn.length}`,
  );
  const byOwner = new Map<string, AtRiskCustomer[]>();
  for (const c of listed) {
    const owner = c.owner ?? fallbackOwner;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), c]);
  }
  for (const [owner, list] of [...byOwner].sort((a, b) => a[0].localeCompare(b[0]))) {
    out.push(`  ${clean(owner)} (${list.length})`);
    for (const c of list.slice(0, 8)) {
      const name = clean(c.name ?? c.customerId);
      const why = c.factors
        .filter((f) => f.points > 0)
        .slice(0, 2)
        .map((f) => f.code)
        .join(', ');
      out.push(`    ${pad(c.band ?? '', 7)} ${padStart(`${c.riskScore}%`, 4)}  ${pad(name, 30)} ${padStart(m(c.mrr), 9)}  ${why}`);
    }
    if (list.length > 8) out.push(`    … and ${list.length - 8} more (see the digest email)`);
  }
  if (snapshot.scheduledChurn.length) {
    out.push('  Save list (cancellations on file):');
    for (const c of snapshot.scheduledChurn.slice(0, 8)) {
      out.push(`    ${c.effectiveAt}  ${pad(clean(c.name ?? c.customerId), 30)} ${padStart(m(c.mrr), 9)}  ${clean(c.reason ?? '')}`);
    }
    if (snapshot.scheduledChurn.length > 8) out.push(`    … and ${snapshot.scheduledChurn.length - 8} more`);
  }
  const backtest = model?.backtest;
  if (backtest) {
    const e = backtest.evaluation;
    const r2 = (x: number | null) => (x === null ? '—' : x.toFixed(2));
    out.push('');
    out.push(
      `How well the warnings worked (walk-forward backtest, month-ends ${backtest.from} to ${backtest.to}, ${e.customers} customer-months, ${e.churners} churned)`,
    );
    out.push(
      `  AUC ${r2(e.auc)} (old fixed points ${r2(backtest.baselines.fixedPoints.auc)}, active days alone ${r2(backtest.baselines.activeDaysAuc)}); red precision ${pct(e.precisionRed)}, recall ${pct(e.recallRed)}; top-10 precision ${pct(e.precisionTop10)}`,
    );
    out.push(
      `  red + yellow ${pct(e.flaggedShare)} of customers (old list ${pct(backtest.baselines.fixedPoints.flaggedShare)}); worst calibration gap ${pct(e.calibrationError)}; ${backtest.saveList.onSaveList} of ${backtest.saveList.churners} churners were on the save list`,
    );
  }
  if (digest) {
    out.push('');
    out.push(`Digests: ${digest.sent} sent, ${digest.skipped} already sent, ${digest.failed} failed`);
  }
  return out.join('\n');
}

/** The readable evaluation table of `churnwatch backtest`. */
export function formatBacktestReport(result: BacktestResult, range: { from: string; to: string }): string {
  const e = result.evaluation;
  const b = result.baselines.fixedPoints;
  const r2 = (x: number | null) => (x === null ? '—' : x.toFixed(2));
  const out: string[] = [];
  out.push(
    `Backtest ${range.from} to ${range.to}: ${result.dates.length} month-ends, horizon ${result.horizonDays} days, data up to ${result.dataEnd}`,
  );
  out.push(
    `  ${e.customers} customer-months with a known outcome, ${e.churners} churned (base rate ${pct(e.baseRate)}); ${result.saveList.onSaveList} of ${result.saveList.churners} churners were on the save list`,
  );
  out.push('');
  out.push(`  ${pad('', 36)}${padStart('forecast', 10)}${padStart('old points', 12)}`);
  const row = (label: string, a: string, c: string) => out.push(`  ${pad(label, 36)}${padStart(a, 10)}${padStart(c, 12)}`);
  row('ROC AUC', r2(e.auc), r2(b.auc));
  row('precision of red', pct(e.precisionRed), pct(b.precisionRed));
  row('recall of red', pct(e.recallRed), pct(b.recallRed));
  row('lift of red', r2(e.liftRed), r2(b.liftRed));
  row('precision of red + yellow', pct(e.precisionFlagged), pct(b.precisionFlagged));
  row('share listed (red + yellow)', pct(e.flaggedShare), pct(b.flaggedShare));
  row('precision of the top 10 per date', pct(e.precisionTop10), pct(b.precisionTop10));
  row('worst calibration gap (quintiles)', pct(e.calibrationError), '—');
  row('median days listed before churn', e.medianDaysListedBeforeChurn === null ? '—' : String(e.medianDaysListedBeforeChurn), '—');
  out.push(`  (counting active days alone ranks with AUC ${r2(result.baselines.activeDaysAuc)})`);
  out.push('');
  out.push('  Calibration by quintile: predicted → observed (customers)');
  for (const bin of e.calibration)
    out.push(`    ${padStart(pct(bin.predicted), 7)} → ${padStart(pct(bin.observed), 7)}  (${bin.customers})`);
  return out.join('\n');
}
