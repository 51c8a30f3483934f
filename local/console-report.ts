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
export function formatConsoleReport(snapshot: Snapshot, digest?: DigestSummary, fallbackOwner = '(no owner)'): string {
  const m = money(snapshot.currency);
  const out: string[] = [];
  const { mrr, customers } = snapshot;
  out.push(`Churnwatch snapshot as of ${snapshot.asOf} (period ${snapshot.period.start} → ${snapshot.period.end}, ${snapshot.currency})`);
  out.push('');
  out.push('Headline');
  out.push(`  MRR              ${padStart(m(mrr.start), 12)} → ${padStart(m(mrr.end), 12)}   (${mrr.end >= mrr.start ? '+' : ''}${m(mrr.end - mrr.start)})`);
  out.push(`  Customers        ${padStart(String(customers.start), 12)} → ${padStart(String(customers.end), 12)}   (+${customers.new} new, +${customers.reactivated} reactivated, −${customers.churned} churned, ${customers.newChurned} new-and-gone)`);
  out.push(`  Logo churn       ${padStart(pct(snapshot.logoChurnRate, 2), 12)}   annualised ${pct(snapshot.annualizedLogoChurn)} (trailing 12 months), ${pct(snapshot.annualizedFromMonth)} (this month × 12)`);
  out.push(`  Revenue churn    ${padStart(pct(snapshot.grossMrrChurnRate, 2), 12)} gross   ${pct(snapshot.netMrrChurnRate, 2)} net`);
  out.push(`  NDR / GRR        ${padStart(pct(snapshot.ndr), 12)} / ${pct(snapshot.grr)} this month   ${pct(snapshot.ndr12m)} / ${pct(snapshot.grr12m)} trailing 12 months`);
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
    for (const [reason, r] of reasons) out.push(`  ${pad(clean(reason), 28)}${padStart(String(r.customers), 4)} customers  ${padStart(m(r.mrr), 10)}`);
  }
  out.push('');
  out.push(`At risk: ${snapshot.atRisk.length} customers, ${m(snapshot.atRisk.reduce((s, c) => s + c.mrr, 0))} MRR`);
  const byOwner = new Map<string, AtRiskCustomer[]>();
  for (const c of snapshot.atRisk) {
    const owner = c.owner ?? fallbackOwner;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), c]);
  }
  for (const [owner, list] of [...byOwner].sort((a, b) => a[0].localeCompare(b[0]))) {
    out.push(`  ${clean(owner)} (${list.length})`);
    for (const c of list.slice(0, 8)) {
      const name = clean(c.name ?? c.customerId);
      out.push(`    ${padStart(String(c.riskScore), 3)}  ${pad(name, 30)} ${c.tier}  ${padStart(m(c.mrr), 9)}  ${c.reasons.map((r) => r.code).join(', ')}`);
    }
    if (list.length > 8) out.push(`    … and ${list.length - 8} more (see the digest email)`);
  }
  if (digest) {
    out.push('');
    out.push(`Digests: ${digest.sent} sent, ${digest.skipped} already sent, ${digest.failed} failed`);
  }
  return out.join('\n');
}
