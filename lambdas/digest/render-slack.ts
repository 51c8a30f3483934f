/**
 * The digest as a Slack message (incoming webhook): the same content as the email, in Block Kit with
 * a plain `text` fallback for notifications and clients without blocks. Pure. Untrusted text (names,
 * plans, reasons, factor details) is escaped for mrkdwn, so a customer called `<!channel>` or
 * `<https://evil|Click>` shows as written and never pings or links.
 */
import type { AtRiskCustomer } from '../domain/types';
import { topRiskFactors } from '../report/forecast-html';
import { formatMoney, formatMoneyChange, plural } from '../report/format';
import { digestSubject, orderForDigest, countSignalsOnly, type DigestInput } from './render';

/** Slack's limits (Block Kit reference): checked by validateSlackMessage before anything is sent. */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  contextElements: 10,
  contextText: 2000,
  /** Slack truncates `text` past 40,000 characters; a notification shows far less. */
  text: 40_000,
  /**
   * Slack refuses messages whose blocks hold about 13,000 characters in all (`msg_blocks_too_long`,
   * slackapi/bolt-js#2509), below the documented per-block limits: the digest keeps well under.
   */
  blocksTotalText: 12_000,
} as const;

export interface SlackText {
  type: 'mrkdwn' | 'plain_text';
  text: string;
}

export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'divider' };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Escapes the three characters mrkdwn treats as control (`&`, `<`, `>`): Slack's own rule. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const literal = escapeMrkdwn;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const percent = (p: number | null) => (p === null ? '—' : `${Math.round(p * 100)}%`);
const displayName = (c: { customerId: string; name: string | null }) => (c.name && c.name.trim() ? c.name : c.customerId);

/** A mention of a Slack user id (`U…`/`W…`), the only form that pings; anything else is shown as text. */
export function slackMention(userId: string | undefined, owner: string): string {
  return userId && /^[UW][A-Z0-9]{2,20}$/.test(userId) ? `<@${userId}>` : literal(owner);
}

function customerSection(c: AtRiskCustomer, currency: string, fresh: boolean): SlackBlock {
  const delta = c.mrr - c.mrrPrevious;
  const mrr =
    Math.abs(delta) < 0.005
      ? `MRR ${formatMoney(c.mrr, currency)} (unchanged in 30 days)`
      : `MRR ${formatMoney(c.mrrPrevious, currency)} → ${formatMoney(c.mrr, currency)} (${formatMoneyChange(delta, currency)})`;
  const icon = c.band === 'red' ? ':red_circle:' : ':large_yellow_circle:';
  const lines = [
    `${icon} *${literal(displayName(c))}*${fresh ? ' `NEW`' : ''} — ${(c.band ?? '').toUpperCase()} ${percent(c.churnProbability)} · Tier ${c.tier}${c.plan ? ` · ${literal(c.plan)}` : ''}`,
    literal(mrr),
    ...topRiskFactors(c.factors).map((f) => `• ${literal(f.detail)}`),
    ...c.reasons.map((r) => `◦ ${literal(r.detail)}`),
  ];
  return { type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n'), SLACK_LIMITS.sectionText) } };
}

const section = (text: string): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text, SLACK_LIMITS.sectionText) } });
const context = (text: string): SlackBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clip(text, SLACK_LIMITS.contextText) }],
});

const textLength = (b: SlackBlock) =>
  b.type === 'divider' ? 0 : b.type === 'context' ? b.elements.reduce((n, e) => n + e.text.length, 0) : b.text.text.length;

/** The digest of one owner as a Slack message; `mention` names who it is for (a channel shared by CSMs). */
export function renderSlackDigest(input: DigestInput, opts: { mention?: string } = {}): SlackMessage {
  const listed = orderForDigest(input.customers);
  const red = listed.filter((c) => c.band === 'red').length;
  const yellow = listed.length - red;
  const subject = digestSubject(input, red, yellow, input.scheduled.length, input.recovered.length);
  const fresh = new Set<string>();
  if (input.previous) {
    for (const c of listed) {
      const before = input.previous.get(c.customerId);
      if (c.band === 'red' ? before !== 'red' : before !== 'red' && before !== 'yellow') fresh.add(c.customerId);
    }
  }
  const who = opts.mention ?? literal(input.owner);
  const mrr = listed.reduce((s, c) => s + c.mrr, 0);
  const summary = listed.length
    ? `${red} red and ${yellow} yellow (${formatMoney(mrr, input.currency)} MRR)${input.scheduled.length ? `, ${plural(input.scheduled.length, 'cancellation')} on file` : ''}.`
    : input.scheduled.length
      ? `${plural(input.scheduled.length, 'cancellation')} on file.`
      : 'None of your customers is likely to churn today.';

  const head: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`Churnwatch digest · ${input.asOf}`, SLACK_LIMITS.headerText) } },
    section(`For ${who}: ${literal(summary)}`),
  ];
  if (input.isFallback)
    head.push(context('These customers have no account owner assigned, so their alerts come to you as the fallback recipient.'));
  const names = (items: { customerId: string; name: string | null }[]) =>
    items.length ? items.map((c) => literal(displayName(c))).join(', ') : '_none_';
  head.push(
    section(
      `*What changed since the last digest*\nNewly listed: ${names(listed.filter((c) => fresh.has(c.customerId)))}\nRecovered: ${names(input.recovered)}`,
    ),
  );

  const tail: SlackBlock[] = [];
  if (input.scheduled.length) {
    const rows = input.scheduled.map(
      (c) =>
        `• ${literal(displayName(c))}: ${literal(formatMoney(c.mrr, input.currency))} MRR ends ${c.effectiveAt}${c.reason ? ` (${literal(c.reason)})` : ''}`,
    );
    tail.push(section(`*Save list: cancellations on file*\n${clip(rows.join('\n'), SLACK_LIMITS.sectionText - 40)}`));
  }
  const signalsOnly = countSignalsOnly(input, listed);
  const notes: string[] = [];
  if (signalsOnly)
    notes.push(
      `${plural(signalsOnly, 'other customer')} ${signalsOnly === 1 ? 'shows' : 'show'} a warning signal but a low churn probability.`,
    );
  if (input.reportUrl)
    notes.push(
      /^https?:\/\//i.test(input.reportUrl)
        ? `<${encodeURI(input.reportUrl)}|Open the full report>`
        : `Full report: ${literal(input.reportUrl)}`,
    );

  // Customers fill what the limits leave: blocks, and the total text Slack accepts.
  const reserved = 1 /* "…and N more" */ + 1; /* notes */
  let budgetBlocks = SLACK_LIMITS.blocks - head.length - tail.length - reserved - 2; /* band headings */
  let budgetText = SLACK_LIMITS.blocksTotalText - [...head, ...tail].reduce((n, b) => n + textLength(b), 0) - 1_000;
  const body: SlackBlock[] = [];
  let shown = 0;
  for (const band of ['red', 'yellow'] as const) {
    const list = listed.filter((c) => c.band === band);
    if (!list.length) continue;
    let headed = false;
    for (const c of list) {
      const block = customerSection(c, input.currency, fresh.has(c.customerId));
      if (budgetBlocks < 1 || budgetText < textLength(block)) break;
      if (!headed) {
        body.push(section(band === 'red' ? '*RED: LIKELY TO CHURN*' : '*YELLOW: WATCH*'));
        headed = true;
      }
      body.push(block);
      budgetBlocks--;
      budgetText -= textLength(block);
      shown++;
    }
  }
  if (shown < listed.length)
    body.push(
      context(`…and ${plural(listed.length - shown, 'more listed customer')}, lower in probability, in the full report (at-risk.csv).`),
    );
  if (notes.length) tail.push(context(notes.join(' · ')));

  const blocks = [...head, ...body, ...tail];
  // The fallback: what a notification or a client without blocks shows.
  const text = clip(
    `${subject}\nFor ${who}: ${literal(summary)}${
      listed.length
        ? `\n${listed
            .slice(0, 10)
            .map((c) => `• ${literal(displayName(c))} (${(c.band ?? '').toUpperCase()} ${percent(c.churnProbability)})`)
            .join('\n')}`
        : ''
    }`,
    3000,
  );
  return { text, blocks };
}

/** What is wrong with a message by Slack's limits; empty when Slack would take it. */
export function validateSlackMessage(message: unknown): string[] {
  const problems: string[] = [];
  const m = message as Partial<SlackMessage> | null;
  if (typeof m !== 'object' || m === null) return ['message: must be a JSON object'];
  if (typeof m.text !== 'string' || m.text.trim() === '') problems.push('text: a plain-text fallback is required');
  else if (m.text.length > SLACK_LIMITS.text) problems.push(`text: ${m.text.length} characters, more than ${SLACK_LIMITS.text}`);
  if (!Array.isArray(m.blocks)) return [...problems, 'blocks: must be an array'];
  if (m.blocks.length > SLACK_LIMITS.blocks) problems.push(`blocks: ${m.blocks.length}, more than ${SLACK_LIMITS.blocks}`);
  let total = 0;
  m.blocks.forEach((b: SlackBlock, i) => {
    const where = `blocks[${i}] (${String(b?.type)})`;
    if (b?.type === 'header') {
      if (b.text?.type !== 'plain_text') problems.push(`${where}: header text must be plain_text`);
      if ((b.text?.text ?? '').length > SLACK_LIMITS.headerText)
        problems.push(`${where}: ${b.text.text.length} characters, more than ${SLACK_LIMITS.headerText}`);
      total += b.text?.text?.length ?? 0;
    } else if (b?.type === 'section') {
      const n = b.text?.text?.length ?? 0;
      if (n === 0) problems.push(`${where}: empty text`);
      if (n > SLACK_LIMITS.sectionText) problems.push(`${where}: ${n} characters, more than ${SLACK_LIMITS.sectionText}`);
      total += n;
    } else if (b?.type === 'context') {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > SLACK_LIMITS.contextElements)
        problems.push(`${where}: 1 to ${SLACK_LIMITS.contextElements} elements`);
      for (const e of b.elements ?? []) {
        if (e.text.length > SLACK_LIMITS.contextText)
          problems.push(`${where}: an element of ${e.text.length} characters, more than ${SLACK_LIMITS.contextText}`);
        total += e.text.length;
      }
    } else if (b?.type !== 'divider') problems.push(`${where}: not a block type the digest uses`);
  });
  if (total > SLACK_LIMITS.blocksTotalText)
    problems.push(`blocks: ${total} characters of text in all, more than ${SLACK_LIMITS.blocksTotalText}`);
  return problems;
}
