/**
 * The digest email one account owner (CSM) receives: their red customers, then yellow, then the save
 * list of cancellations on file, each with its churn probability and the factors behind it in words,
 * plus what changed since the last digest. Customers that only show a signal (green) are counted,
 * not described: a CSM gets a short list to act on. Pure: the handler decides who gets what.
 *
 * The HTML part is built for mail clients, not browsers: table layout, inline styles only (no <style>,
 * no classes), bgcolor attributes beside background styles, no images or SVG, max 640px wide, and
 * explicit text and background colours so dark-mode clients keep it readable.
 */
import type { Band, ScheduledChurn } from '../domain/forecast/types';
import type { AtRiskCustomer } from '../domain/types';
import { escapeHtml } from '../report/escape';
import { topRiskFactors } from '../report/forecast-html';
import { formatMoney, formatMoneyChange, plural } from '../report/format';
import { activityGridHtml, activityTextBlock } from './render-activity';
import { TEXT_WIDTH, wrapText } from './render-text';

/** What the last digest said about a customer, for "what changed". */
export type DigestedBand = Band | 'scheduled';

export interface DigestInput {
  owner: string;
  asOf: string;
  currency: string;
  /** The owner's at-risk customers: red and yellow are described, green (signals only) counted. */
  customers: AtRiskCustomer[];
  /** Green customers counted beside any in `customers`: the digest passes their number, not the rows. */
  signalsOnly?: number;
  /** The owner's customers with a cancellation on file. */
  scheduled: ScheduledChurn[];
  /** Bands in the previous digest; null when there was none (then nothing is "new"). */
  previous: ReadonlyMap<string, DigestedBand> | null;
  /** Customers red or yellow in the previous digest that are green now. */
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

/** Red first, then yellow; within a band by probability, then MRR, then id (a stable order). */
export function compareForDigest(a: AtRiskCustomer, b: AtRiskCustomer): number {
  const rank = (c: AtRiskCustomer) => (c.band === 'red' ? 0 : c.band === 'yellow' ? 1 : 2);
  return (
    rank(a) - rank(b) ||
    (b.churnProbability ?? 0) - (a.churnProbability ?? 0) ||
    b.mrr - a.mrr ||
    (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0)
  );
}

export const isListed = (c: AtRiskCustomer) => c.band === 'red' || c.band === 'yellow';

export function orderForDigest(customers: readonly AtRiskCustomer[]): AtRiskCustomer[] {
  return customers.filter(isListed).sort(compareForDigest);
}

/** Customers with a warning signal but a green band: those in `customers` and those only counted. */
export const countSignalsOnly = (input: Pick<DigestInput, 'customers' | 'signalsOnly'>, listed: readonly AtRiskCustomer[]) =>
  input.customers.length - listed.length + (input.signalsOnly ?? 0);

/** Whether an owner gets a digest at all: something to act on, or good news to hear. */
export const hasNews = (input: Pick<DigestInput, 'customers' | 'scheduled' | 'recovered'>) =>
  input.customers.some(isListed) || input.scheduled.length > 0 || input.recovered.length > 0;

const displayName = (c: { customerId: string; name: string | null }) => (c.name && c.name.trim() ? c.name : c.customerId);

export function digestSubject(
  input: Pick<DigestInput, 'asOf' | 'subjectPrefix'>,
  red: number,
  yellow: number,
  scheduled: number,
  recovered: number,
): string {
  const prefix = input.subjectPrefix ?? '[Churnwatch]';
  const parts: string[] = [];
  if (red) parts.push(`${red} red`);
  if (yellow) parts.push(`${yellow} yellow`);
  if (scheduled) parts.push(plural(scheduled, 'cancellation') + ' on file');
  const what = parts.length ? parts.join(', ') : `No customer at risk${recovered ? ` (${recovered} recovered)` : ''}`;
  // A header value must not carry line breaks (header injection), whatever the configured prefix holds.
  return `${prefix} ${what} — ${input.asOf}`.replace(/[\r\n\t]+/g, ' ').trim();
}

/**
 * Customers described in one email. A CSM acts on the top of the list; the rest are counted and left
 * to at-risk.csv, which also keeps the message far below SES's 10 MB limit (~15 KB a customer).
 */
export const MAX_DIGEST_CUSTOMERS = 100;

interface DigestView {
  input: DigestInput;
  /** Red and yellow customers of the owner, in digest order. */
  listed: AtRiskCustomer[];
  /** The ones described in the email (the first MAX_DIGEST_CUSTOMERS). */
  shown: AtRiskCustomer[];
  red: number;
  yellow: number;
  /** Newly red, or newly listed yellow, since the last digest. */
  fresh: Set<string>;
  signalsOnly: number;
}

export function renderDigest(input: DigestInput): DigestEmail {
  const listed = orderForDigest(input.customers);
  const fresh = new Set<string>();
  if (input.previous) {
    for (const c of listed) {
      const before = input.previous.get(c.customerId);
      if (c.band === 'red' ? before !== 'red' : before !== 'red' && before !== 'yellow') fresh.add(c.customerId);
    }
  }
  const red = listed.filter((c) => c.band === 'red').length;
  const view: DigestView = {
    input,
    listed,
    shown: listed.slice(0, MAX_DIGEST_CUSTOMERS),
    red,
    yellow: listed.length - red,
    fresh,
    signalsOnly: countSignalsOnly(input, listed),
  };
  const subject = digestSubject(input, red, view.yellow, input.scheduled.length, input.recovered.length);
  return { subject, html: renderHtml(view, subject), text: renderText(view) };
}

const percent = (p: number | null) => (p === null ? '—' : `${Math.round(p * 100)}%`);

function omittedNote(view: DigestView): string | undefined {
  const omitted = view.listed.length - view.shown.length;
  if (omitted <= 0) return undefined;
  return `…and ${plural(omitted, 'more listed customer')}, lower in probability, in at-risk.csv beside the full report.`;
}

function signalsNote(view: DigestView): string | undefined {
  if (!view.signalsOnly) return undefined;
  return `${plural(view.signalsOnly, 'other customer')} ${view.signalsOnly === 1 ? 'shows' : 'show'} a warning signal but a low churn probability: see the full report.`;
}

function mrrLine(c: AtRiskCustomer, currency: string): string {
  const delta = c.mrr - c.mrrPrevious;
  if (Math.abs(delta) < 0.005) return `MRR ${formatMoney(c.mrr, currency)} (unchanged in 30 days)`;
  return `MRR ${formatMoney(c.mrrPrevious, currency)} → ${formatMoney(c.mrr, currency)} (${formatMoneyChange(delta, currency)})`;
}

function summary(view: DigestView): string {
  const { listed, input } = view;
  const scheduled = input.scheduled.length;
  if (!listed.length && !scheduled) return 'None of your customers is likely to churn today.';
  const parts: string[] = [];
  if (listed.length) {
    const mrr = listed.reduce((s, c) => s + c.mrr, 0);
    parts.push(`${view.red} red and ${view.yellow} yellow (${formatMoney(mrr, input.currency)} MRR)`);
  }
  if (scheduled) parts.push(`${plural(scheduled, 'cancellation')} on file`);
  return `${parts.join(', ')}.`;
}

const FALLBACK_NOTE =
  'These customers have no account owner assigned, so their alerts come to you as the fallback recipient. Assigning an owner in the billing system routes future alerts to them.';
const FOOTER =
  'Sent by Churnwatch. The churn probability is the chance that MRR reaches zero within the forecast horizon, from a scorecard fitted on your own history; the factors listed raise it most (20 points double the odds).';

// ---------------------------------------------------------------- text part

function renderText(view: DigestView): string {
  const { input, shown } = view;
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
  out.push(
    ...names(
      'Newly listed',
      view.listed.filter((c) => view.fresh.has(c.customerId)),
    ),
    ...names('Recovered', input.recovered),
    '',
  );

  for (const band of ['red', 'yellow'] as const) {
    const list = shown.filter((c) => c.band === band);
    if (!list.length) continue;
    out.push(band === 'red' ? 'RED: LIKELY TO CHURN' : 'YELLOW: WATCH', '-'.repeat(TEXT_WIDTH));
    list.forEach((c, i) => {
      const n = `${i + 1}. `;
      const pad = ' '.repeat(n.length);
      out.push(...wrapText(`${displayName(c)}${view.fresh.has(c.customerId) ? ' [NEW]' : ''}`, TEXT_WIDTH, n, pad));
      const facts = [
        `churn probability ${percent(c.churnProbability)}`,
        `Tier ${c.tier}`,
        c.plan ? `plan ${c.plan}` : null,
        c.name ? `id ${c.customerId}` : null,
      ];
      out.push(...wrapText(facts.filter(Boolean).join(' · '), TEXT_WIDTH, pad, pad));
      out.push(...wrapText(mrrLine(c, input.currency), TEXT_WIDTH, pad, pad));
      const factors = topRiskFactors(c.factors);
      if (factors.length) {
        out.push(`${pad}Why:`);
        for (const f of factors) out.push(...wrapText(f.detail, TEXT_WIDTH, `${pad}- `, `${pad}  `));
      }
      if (c.reasons.length) {
        out.push(`${pad}Signals:`);
        for (const r of c.reasons) out.push(...wrapText(r.detail, TEXT_WIDTH, `${pad}- `, `${pad}  `));
      }
      out.push(`${pad}Activity, last ${c.activity.length} days:`);
      out.push(...activityTextBlock(c.activity, `${pad}`));
      out.push('');
    });
  }
  const omitted = omittedNote(view);
  if (omitted) out.push(...wrapText(omitted), '');

  if (input.scheduled.length) {
    out.push('SAVE LIST: CANCELLATIONS ON FILE', '-'.repeat(TEXT_WIDTH));
    for (const c of input.scheduled) {
      out.push(
        ...wrapText(
          `${displayName(c)}: ${formatMoney(c.mrr, input.currency)} MRR ends ${c.effectiveAt}${c.reason ? ` (${c.reason})` : ''}`,
          TEXT_WIDTH,
          '- ',
          '  ',
        ),
      );
    }
    out.push('');
  }
  const signals = signalsNote(view);
  if (signals) out.push(...wrapText(signals), '');
  if (input.reportUrl) out.push(...wrapText(`Full report: ${input.reportUrl}`), '');
  out.push('-- ', ...wrapText(FOOTER));
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- HTML part

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;";
const C = {
  ink: '#1f2933',
  muted: '#6b7280',
  line: '#e5e7eb',
  bg: '#f3f4f6',
  accent: '#2563eb',
  bad: '#c2410c',
  good: '#2f8f5b',
  red: '#b91c1c',
  yellow: '#b45309',
};

function badge(text: string, bg: string, fg: string): string {
  return `<span style="display:inline-block;${FONT}font-size:11px;font-weight:bold;line-height:16px;padding:0 6px;border-radius:8px;background-color:${bg};color:${fg};">${escapeHtml(text)}</span>`;
}

function bullets(items: string[], color: string): string {
  return items
    .map(
      (text) =>
        `<tr><td valign="top" style="${FONT}font-size:14px;color:${color};padding:0 8px 4px 0;">&#8226;</td><td style="${FONT}font-size:14px;line-height:20px;color:${C.ink};padding:0 0 4px 0;overflow-wrap:anywhere;">${escapeHtml(text)}</td></tr>`,
    )
    .join('');
}

function customerBlock(c: AtRiskCustomer, view: DigestView): string {
  const currency = view.input.currency;
  const delta = c.mrr - c.mrrPrevious;
  const change =
    Math.abs(delta) < 0.005
      ? `<span style="color:${C.muted};">unchanged in 30 days</span>`
      : `${escapeHtml(formatMoney(c.mrrPrevious, currency))} → <b>${escapeHtml(formatMoney(c.mrr, currency))}</b> <span style="color:${delta < 0 ? C.bad : C.good};">(${escapeHtml(formatMoneyChange(delta, currency))})</span>`;
  const mrr = Math.abs(delta) < 0.005 ? `<b>${escapeHtml(formatMoney(c.mrr, currency))}</b> ${change}` : change;
  const factors = topRiskFactors(c.factors).map((f) => f.detail);
  const signals = c.reasons.map((r) => r.detail);
  const bandColor = c.band === 'red' ? C.red : C.yellow;
  const idLine = c.name ? ` <span style="color:${C.muted};font-size:12px;font-weight:normal;">${escapeHtml(c.customerId)}</span>` : '';
  return `<tr><td style="padding:0 0 14px 0;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="background-color:#ffffff;border:1px solid ${C.line};border-left:4px solid ${bandColor};border-radius:8px;">
<tr><td style="padding:14px 16px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>
<td style="${FONT}font-size:16px;font-weight:bold;color:${C.ink};word-break:break-word;overflow-wrap:anywhere;">${escapeHtml(displayName(c))}${idLine}</td>
<td align="right" valign="top" style="padding-left:8px;white-space:nowrap;">${view.fresh.has(c.customerId) ? badge('NEW', '#fde8e1', C.bad) + ' ' : ''}${badge(`Tier ${c.tier}`, '#e0e7ff', '#3730a3')} ${badge(`${(c.band ?? '').toUpperCase()} ${percent(c.churnProbability)}`, bandColor, '#ffffff')}</td>
</tr></table>
<p style="margin:6px 0 10px 0;${FONT}font-size:14px;color:${C.ink};overflow-wrap:anywhere;">${mrr}<span style="color:${C.muted};"> · ${escapeHtml(c.plan ? `${c.plan} · ` : '')}${escapeHtml(c.frequency)} user</span></p>
${factors.length ? `<p style="margin:0 0 4px 0;${FONT}font-size:12px;font-weight:bold;color:${C.muted};">WHY</p><table role="presentation" cellpadding="0" cellspacing="0" border="0">${bullets(factors, bandColor)}</table>` : ''}
${signals.length ? `<p style="margin:6px 0 4px 0;${FONT}font-size:12px;font-weight:bold;color:${C.muted};">SIGNALS</p><table role="presentation" cellpadding="0" cellspacing="0" border="0">${bullets(signals, C.muted)}</table>` : ''}
<p style="margin:10px 0 4px 0;${FONT}font-size:12px;color:${C.muted};">Daily activity, last ${c.activity.length} days</p>
${activityGridHtml(c.activity, view.input.asOf)}
</td></tr></table>
</td></tr>`;
}

function heading(text: string, color: string): string {
  return `<tr><td style="padding:4px 0 8px 0;${FONT}font-size:13px;font-weight:bold;text-transform:uppercase;letter-spacing:1px;color:${color};">${escapeHtml(text)}</td></tr>`;
}

function saveListBlock(view: DigestView): string {
  const { scheduled, currency } = view.input;
  if (!scheduled.length) return '';
  const rows = scheduled
    .map(
      (c) =>
        `<tr><td style="${FONT}font-size:14px;color:${C.ink};padding:6px 8px 6px 0;border-top:1px solid ${C.line};overflow-wrap:anywhere;">${escapeHtml(displayName(c))}</td><td align="right" style="${FONT}font-size:14px;color:${C.ink};padding:6px 8px;border-top:1px solid ${C.line};white-space:nowrap;">${escapeHtml(formatMoney(c.mrr, currency))}</td><td style="${FONT}font-size:14px;color:${C.ink};padding:6px 8px;border-top:1px solid ${C.line};white-space:nowrap;">ends ${escapeHtml(c.effectiveAt)}</td><td style="${FONT}font-size:13px;color:${C.muted};padding:6px 0;border-top:1px solid ${C.line};">${escapeHtml(c.reason ?? 'no reason given')}</td></tr>`,
    )
    .join('');
  return `${heading('Save list: cancellations on file', C.bad)}
<tr><td style="padding:0 0 16px 0;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="background-color:#ffffff;border:1px solid ${C.line};border-radius:8px;"><tr><td style="padding:6px 16px;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">${rows}</table></td></tr></table></td></tr>`;
}

function changesBlock(view: DigestView): string {
  const list = (items: { customerId: string; name: string | null }[]) =>
    items.length ? items.map((c) => escapeHtml(displayName(c))).join('<br>') : `<span style="color:${C.muted};">none</span>`;
  const row = (label: string, value: string) =>
    `<tr><td valign="top" style="${FONT}font-size:14px;color:${C.muted};padding:2px 12px 2px 0;white-space:nowrap;">${label}</td><td style="${FONT}font-size:14px;color:${C.ink};padding:2px 0;">${value}</td></tr>`;
  const fresh = view.listed.filter((c) => view.fresh.has(c.customerId));
  return `<tr><td style="padding:0 0 16px 0;">
<p style="margin:0 0 6px 0;${FONT}font-size:13px;font-weight:bold;text-transform:uppercase;letter-spacing:1px;color:${C.muted};">What changed since the last digest</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0">${row('Newly listed', list(fresh))}${row('Recovered', list(view.input.recovered))}</table>
</td></tr>`;
}

function note(text: string | undefined): string {
  return text
    ? `<tr><td style="padding:4px 0 12px 0;${FONT}font-size:14px;line-height:20px;color:${C.muted};">${escapeHtml(text)}</td></tr>`
    : '';
}

function renderHtml(view: DigestView, subject: string): string {
  const { input, shown } = view;
  const fallback = input.isFallback
    ? `<tr><td style="padding:0 0 16px 0;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#fff7ed" style="background-color:#fff7ed;border:1px solid #fdba74;border-radius:8px;"><tr><td style="padding:12px 16px;${FONT}font-size:14px;line-height:20px;color:#9a3412;"><b>No account owner.</b> ${escapeHtml(FALLBACK_NOTE)}</td></tr></table></td></tr>`
    : '';
  const safeUrl = input.reportUrl && /^https?:\/\//i.test(input.reportUrl) ? input.reportUrl : undefined;
  const report = input.reportUrl
    ? `<tr><td style="padding:4px 0 16px 0;${FONT}font-size:14px;">${
        safeUrl
          ? `<a href="${escapeHtml(safeUrl)}" style="color:${C.accent};font-weight:bold;">Open the full report</a>`
          : `<span style="color:${C.ink};">Full report: ${escapeHtml(input.reportUrl)}</span>`
      }</td></tr>`
    : '';
  const bandSection = (band: 'red' | 'yellow') => {
    const list = shown.filter((c) => c.band === band);
    if (!list.length) return '';
    return (
      heading(band === 'red' ? 'Red: likely to churn' : 'Yellow: watch', band === 'red' ? C.red : C.yellow) +
      list.map((c) => customerBlock(c, view)).join('\n')
    );
  };
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light only"><meta name="supported-color-schemes" content="light only"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:0;background-color:${C.bg};color:${C.ink};">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${C.bg}" style="background-color:${C.bg};"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:640px;">
<tr><td style="padding:0 0 16px 0;">
<p style="margin:0;${FONT}font-size:12px;font-weight:bold;letter-spacing:1px;text-transform:uppercase;color:${C.accent};">Churnwatch digest · ${escapeHtml(input.asOf)}</p>
<h1 style="margin:4px 0 4px 0;${FONT}font-size:22px;line-height:28px;color:${C.ink};">${escapeHtml(summary(view))}</h1>
<p style="margin:0;${FONT}font-size:13px;color:${C.muted};">For ${escapeHtml(input.owner)}</p>
</td></tr>
${fallback}
${changesBlock(view)}
${bandSection('red')}
${bandSection('yellow')}
${note(omittedNote(view))}
${saveListBlock(view)}
${note(signalsNote(view))}
${report}
<tr><td style="padding:8px 0 0 0;${FONT}font-size:12px;line-height:18px;color:${C.muted};">${escapeHtml(FOOTER)}</td></tr>
</table>
</td></tr></table>
</body></html>
`;
}
