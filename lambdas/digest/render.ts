/**
 * The digest email one account owner (CSM) receives: their at-risk customers, most urgent first, each
 * with its reasons in plain words and a picture of its recent activity, plus what changed since the
 * last digest. Pure: the handler decides who gets what and sends it.
 *
 * The HTML part is built for mail clients, not browsers: table layout, inline styles only (no <style>,
 * no classes), bgcolor attributes beside background styles, no images or SVG, max 640px wide.
 */
import type { AtRiskCustomer } from '../domain/types';
import { escapeHtml } from '../report/escape';
import { formatMoney, formatMoneyChange, plural } from '../report/format';
import { activityGridHtml, activityTextBlock } from './render-activity';
import { TEXT_WIDTH, wrapText } from './render-text';

export interface DigestInput {
  owner: string;
  asOf: string;
  currency: string;
  customers: AtRiskCustomer[];
  /** Customer ids that were not at risk in the previous digest; ids not among `customers` are ignored. */
  newlyAtRisk: string[];
  /** Customers at risk in the previous digest that are no longer. */
  recovered: { customerId: string; name: string | null }[];
  reportUrl?: string;
  /** Defaults to "[Churnwatch]". */
  subjectPrefix?: string;
  /** The recipient is the fallback for customers without an owner. */
  isFallback?: boolean;
}

export interface DigestEmail {
  subject: string;
  html: string;
  text: string;
}

const priority = (c: AtRiskCustomer) => c.riskScore * c.mrr;

/** Tier A first, then by riskScore × MRR descending; ties by riskScore, then id, so the order is stable. */
export function compareForDigest(a: AtRiskCustomer, b: AtRiskCustomer): number {
  const tierA = Number(b.tier === 'A') - Number(a.tier === 'A');
  if (tierA) return tierA;
  return priority(b) - priority(a) || b.riskScore - a.riskScore || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0);
}

export function orderForDigest(customers: readonly AtRiskCustomer[]): AtRiskCustomer[] {
  return [...customers].sort(compareForDigest);
}

const displayName = (c: { customerId: string; name: string | null }) => (c.name && c.name.trim() ? c.name : c.customerId);

export function digestSubject(input: Pick<DigestInput, 'asOf' | 'subjectPrefix'>, atRisk: number, fresh: number, recovered: number): string {
  const prefix = input.subjectPrefix ?? '[Churnwatch]';
  const what = atRisk
    ? `${plural(atRisk, 'at-risk customer')}${fresh ? ` (${fresh} new)` : ''}`
    : `No at-risk customers${recovered ? ` (${recovered} recovered)` : ''}`;
  // A header value must not carry line breaks (header injection), whatever the configured prefix holds.
  return `${prefix} ${what} — ${input.asOf}`.replace(/[\r\n\t]+/g, ' ').trim();
}

/**
 * Customers described in one email. A CSM acts on the top of the list; the rest are counted and left
 * to at-risk.csv, which also keeps the message far below SES's 10 MB limit (~15 KB a customer).
 */
export const MAX_DIGEST_CUSTOMERS = 100;

export function renderDigest(input: DigestInput): DigestEmail {
  const all = orderForDigest(input.customers);
  const customers = all.slice(0, MAX_DIGEST_CUSTOMERS);
  const newIds = new Set(input.newlyAtRisk);
  const fresh = all.filter((c) => newIds.has(c.customerId));
  const subject = digestSubject(input, all.length, fresh.length, input.recovered.length);
  const view: DigestView = { input, all, customers, newIds, fresh };
  return { subject, html: renderHtml(view, subject), text: renderText(view) };
}

interface DigestView {
  input: DigestInput;
  /** Every at-risk customer of the owner, in digest order. */
  all: AtRiskCustomer[];
  /** The ones described in the email (the first MAX_DIGEST_CUSTOMERS). */
  customers: AtRiskCustomer[];
  newIds: Set<string>;
  fresh: AtRiskCustomer[];
}

function omittedNote(view: DigestView): string | undefined {
  const omitted = view.all.length - view.customers.length;
  if (omitted <= 0) return undefined;
  return `…and ${plural(omitted, 'more at-risk customer')}, lower in priority, listed in at-risk.csv beside the full report.`;
}

function mrrLine(c: AtRiskCustomer, currency: string): string {
  const delta = c.mrr - c.mrrPrevious;
  if (Math.abs(delta) < 0.005) return `MRR ${formatMoney(c.mrr, currency)} (unchanged in 30 days)`;
  return `MRR ${formatMoney(c.mrrPrevious, currency)} → ${formatMoney(c.mrr, currency)} (${formatMoneyChange(delta, currency)})`;
}

function summary(view: DigestView): string {
  const { all: customers, fresh, input } = view;
  if (!customers.length) return 'None of your customers shows a risk signal today.';
  const total = customers.reduce((s, c) => s + c.mrr, 0);
  return `${plural(customers.length, 'customer')} at risk${fresh.length ? ` (${fresh.length} new)` : ''}, ${formatMoney(total, input.currency)} MRR in total.`;
}

const FALLBACK_NOTE =
  'These customers have no account owner assigned, so their alerts come to you as the fallback recipient. Assigning an owner in the billing system routes future alerts to them.';

// ---------------------------------------------------------------- text part

function renderText(view: DigestView): string {
  const { input, customers, fresh } = view;
  const out: string[] = [];
  const rule = '='.repeat(TEXT_WIDTH);
  out.push(`CHURNWATCH DIGEST — ${input.asOf}`, ...wrapText(`For ${input.owner}`), rule, '');
  if (input.isFallback) out.push(...wrapText(`NOTE: ${FALLBACK_NOTE}`, TEXT_WIDTH, '', '      '), '');
  out.push(...wrapText(summary(view)), '');

  out.push('WHAT CHANGED SINCE THE LAST DIGEST');
  // One name per line: names may hold commas, so a joined list would be ambiguous.
  const names = (label: string, items: { customerId: string; name: string | null }[]) => {
    if (!items.length) return [`  ${label}: none`];
    return [`  ${label}:`, ...items.flatMap((c) => wrapText(displayName(c), TEXT_WIDTH, '  - ', '    '))];
  };
  out.push(...names('Newly at risk', fresh), ...names('Recovered', input.recovered), '');

  if (customers.length) {
    out.push('AT-RISK CUSTOMERS (tier A first, then by risk × MRR)', '-'.repeat(TEXT_WIDTH));
    customers.forEach((c, i) => {
      const n = `${i + 1}. `;
      const pad = ' '.repeat(n.length);
      out.push(...wrapText(`${displayName(c)}${view.newIds.has(c.customerId) ? ' [NEW]' : ''}`, TEXT_WIDTH, n, pad));
      const facts = [`Tier ${c.tier}`, c.plan ? `plan ${c.plan}` : null, `risk ${c.riskScore}/100`, `${c.frequency} user`, c.name ? `id ${c.customerId}` : null];
      out.push(...wrapText(facts.filter(Boolean).join(' · '), TEXT_WIDTH, pad, pad));
      out.push(...wrapText(mrrLine(c, input.currency), TEXT_WIDTH, pad, pad));
      out.push(`${pad}Why:`);
      for (const r of c.reasons) out.push(...wrapText(r.detail, TEXT_WIDTH, `${pad}- `, `${pad}  `));
      out.push(`${pad}Activity, last ${c.activity.length} days:`);
      out.push(...activityTextBlock(c.activity, `${pad}`));
      out.push('');
    });
    const omitted = omittedNote(view);
    if (omitted) out.push(...wrapText(omitted), '');
  }
  if (input.reportUrl) out.push(...wrapText(`Full report: ${input.reportUrl}`), '');
  out.push('-- ', ...wrapText('Sent by Churnwatch. Risk scores run 0-100 (higher is worse) and add up from the reasons listed.'));
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- HTML part

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;";
const C = { ink: '#1f2933', muted: '#6b7280', line: '#e5e7eb', bg: '#f3f4f6', accent: '#2563eb', bad: '#c2410c', good: '#2f8f5b' };

function badge(text: string, bg: string, fg: string): string {
  return `<span style="display:inline-block;${FONT}font-size:11px;font-weight:bold;line-height:16px;padding:0 6px;border-radius:8px;background-color:${bg};color:${fg};">${escapeHtml(text)}</span>`;
}

function customerBlock(c: AtRiskCustomer, view: DigestView): string {
  const currency = view.input.currency;
  const isNew = view.newIds.has(c.customerId);
  const delta = c.mrr - c.mrrPrevious;
  const change =
    Math.abs(delta) < 0.005
      ? `<span style="color:${C.muted};">unchanged in 30 days</span>`
      : `${escapeHtml(formatMoney(c.mrrPrevious, currency))} → <b>${escapeHtml(formatMoney(c.mrr, currency))}</b> <span style="color:${delta < 0 ? C.bad : C.good};">(${escapeHtml(formatMoneyChange(delta, currency))})</span>`;
  const mrr = Math.abs(delta) < 0.005 ? `<b>${escapeHtml(formatMoney(c.mrr, currency))}</b> ${change}` : change;
  const reasons = c.reasons
    .map((r) => `<tr><td valign="top" style="${FONT}font-size:14px;color:${C.bad};padding:0 8px 4px 0;">&#8226;</td><td style="${FONT}font-size:14px;line-height:20px;color:${C.ink};padding:0 0 4px 0;overflow-wrap:anywhere;">${escapeHtml(r.detail)}</td></tr>`)
    .join('');
  const scoreBg = c.riskScore >= 60 ? '#b91c1c' : c.riskScore >= 30 ? '#d97706' : '#6b7280';
  const idLine = c.name ? ` <span style="color:${C.muted};font-size:12px;font-weight:normal;">${escapeHtml(c.customerId)}</span>` : '';
  return `<tr><td style="padding:0 0 14px 0;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="background-color:#ffffff;border:1px solid ${C.line};border-radius:8px;">
<tr><td style="padding:14px 16px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>
<td style="${FONT}font-size:16px;font-weight:bold;color:${C.ink};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(displayName(c))}${idLine}</td>
<td align="right" valign="top" style="padding-left:8px;">${isNew ? badge('NEW', '#fde8e1', C.bad) + ' ' : ''}${badge(`Tier ${c.tier}`, '#e0e7ff', '#3730a3')} ${badge(`Risk ${c.riskScore}`, scoreBg, '#ffffff')}</td>
</tr></table>
<p style="margin:6px 0 10px 0;${FONT}font-size:14px;color:${C.ink};overflow-wrap:anywhere;">${mrr}<span style="color:${C.muted};"> · ${escapeHtml(c.plan ? `${c.plan} · ` : '')}${escapeHtml(c.frequency)} user</span></p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0">${reasons}</table>
<p style="margin:10px 0 4px 0;${FONT}font-size:12px;color:${C.muted};">Daily activity, last ${c.activity.length} days</p>
${activityGridHtml(c.activity, view.input.asOf)}
</td></tr></table>
</td></tr>`;
}

function changesBlock(view: DigestView): string {
  const list = (items: { customerId: string; name: string | null }[]) =>
    items.length ? items.map((c) => escapeHtml(displayName(c))).join('<br>') : `<span style="color:${C.muted};">none</span>`;
  const row = (label: string, value: string) =>
    `<tr><td valign="top" style="${FONT}font-size:14px;color:${C.muted};padding:2px 12px 2px 0;white-space:nowrap;">${label}</td><td style="${FONT}font-size:14px;color:${C.ink};padding:2px 0;">${value}</td></tr>`;
  return `<tr><td style="padding:0 0 16px 0;">
<p style="margin:0 0 6px 0;${FONT}font-size:13px;font-weight:bold;text-transform:uppercase;letter-spacing:1px;color:${C.muted};">What changed since the last digest</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0">${row('Newly at risk', list(view.fresh))}${row('Recovered', list(view.input.recovered))}</table>
</td></tr>`;
}

function renderHtml(view: DigestView, subject: string): string {
  const { input, customers } = view;
  const fallback = input.isFallback
    ? `<tr><td style="padding:0 0 16px 0;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#fff7ed" style="background-color:#fff7ed;border:1px solid #fdba74;border-radius:8px;"><tr><td style="padding:12px 16px;${FONT}font-size:14px;line-height:20px;color:#9a3412;"><b>No account owner.</b> ${escapeHtml(FALLBACK_NOTE)}</td></tr></table></td></tr>`
    : '';
  const safeUrl = input.reportUrl && /^https?:\/\//i.test(input.reportUrl) ? input.reportUrl : undefined;
  const report = input.reportUrl
    ? `<tr><td style="padding:4px 0 16px 0;${FONT}font-size:14px;">${
        safeUrl
          ? `<a href="${escapeHtml(safeUrl)}" style="color:${C.accent};font-weight:bold;">Open the full report</a>`
          : `Full report: ${escapeHtml(input.reportUrl)}`
      }</td></tr>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:0;background-color:${C.bg};">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${C.bg}" style="background-color:${C.bg};"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:640px;">
<tr><td style="padding:0 0 16px 0;">
<p style="margin:0;${FONT}font-size:12px;font-weight:bold;letter-spacing:1px;text-transform:uppercase;color:${C.accent};">Churnwatch digest · ${escapeHtml(input.asOf)}</p>
<h1 style="margin:4px 0 4px 0;${FONT}font-size:22px;line-height:28px;color:${C.ink};">${escapeHtml(summary(view))}</h1>
<p style="margin:0;${FONT}font-size:13px;color:${C.muted};">For ${escapeHtml(input.owner)}${customers.length > 1 ? ' · tier A first, then by risk × MRR' : ''}</p>
</td></tr>
${fallback}
${changesBlock(view)}
${customers.map((c) => customerBlock(c, view)).join('\n')}
${omittedNote(view) ? `<tr><td style="padding:4px 0 12px 0;${FONT}font-size:14px;line-height:20px;color:${C.muted};">${escapeHtml(omittedNote(view))}</td></tr>` : ''}
${report}
<tr><td style="padding:8px 0 0 0;${FONT}font-size:12px;line-height:18px;color:${C.muted};">Sent by Churnwatch. Risk scores run 0–100 (higher is worse) and add up from the reasons listed.</td></tr>
</table>
</td></tr></table>
</body></html>
`;
}
