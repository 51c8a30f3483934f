import { SendEmailCommand, type MessageHeader, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { Day, Snapshot } from '../domain/types';
import type { Config } from '../shared/config';
import { backoff, sleep, withRetries } from '../shared/retry';
import type { DigestStore } from '../store/digest-store';
import { snapshotBooks, type OwnerBook, type SnapshotBooks } from './owner-books';
import { hasNews, orderForDigest, renderDigest, type DigestedBand, type DigestInput } from './render';
import { renderSlackDigest, slackMention, validateSlackMessage, type SlackMessage } from './render-slack';
import { SlackPostError, type SlackTarget } from './slack';

/** Slack delivery beside the email: where an owner's digest goes, and how it is posted. */
export interface SlackDelivery {
  /** The webhook of an owner's digest, or undefined when the owner gets none in Slack. */
  target(owner: string): Promise<SlackTarget | undefined>;
  post(url: string, message: SlackMessage): Promise<void>;
}

/**
 * Digest email opt-outs (README "Unsubscribe"): whether an owner opted out, and the one-click link
 * every email carries in its List-Unsubscribe header. Email only: Slack is the operator's to configure.
 */
export interface EmailOptOuts {
  isOptedOut(owner: string): Promise<boolean>;
  unsubscribeUrl(owner: string): Promise<string>;
}

export interface DigestDeps {
  ses: SESv2Client;
  store: DigestStore;
  config: Config;
  /** Where the full report lives, linked from every email when known. */
  reportUrl?: string;
  log?: (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => void;
  maxAttempts?: number;
  slack?: SlackDelivery;
  /** Without it (unit tests) emails carry no List-Unsubscribe header and nobody is treated as opted out. */
  optOuts?: EmailOptOuts;
}

/** `optedOut`: the owner unsubscribed from digest email; nothing was sent or claimed. */
export type OwnerOutcome = 'sent' | 'skipped' | 'failed' | 'optedOut';

export interface DigestSummary {
  asOf: Day;
  owners: {
    owner: string;
    outcome: OwnerOutcome;
    customers: number;
    error?: string;
    retryable?: boolean;
    /** The Slack delivery, when the owner has a Slack target. */
    slack?: { outcome: OwnerOutcome; error?: string; retryable?: boolean };
  }[];
  sent: number;
  skipped: number;
  failed: number;
  /** Owners not mailed because they unsubscribed (their Slack delivery, if any, is unaffected). */
  optedOut: number;
  /** Slack messages posted and failed (0 without Slack). */
  slackSent: number;
  slackFailed: number;
  /** Owners outside digest.allowedRecipientDomains (their customers went to the fallback); set when any. */
  recipientsRefused?: number;
}

/** SES (v2) errors that will not go away by retrying the same request. */
const PERMANENT = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'NotFoundException',
  'BadRequestException',
]);

function operatorHint(error: Error): string | undefined {
  if (/not verified|sandbox/i.test(error.message)) {
    return (
      'SES rejected the address: the sender identity is not verified, or the account is in the SES sandbox ' +
      '(which only delivers to verified recipients). Verify the sender (digest.from) with ' +
      '`aws ses verify-email-identity` or a verified domain, and request production access in the SES console ' +
      '(Account dashboard → Request production access).'
    );
  }
  if (error.name === 'SendingPausedException' || error.name === 'AccountSuspendedException')
    return 'SES sending is paused for this account: check the SES reputation dashboard.';
  return undefined;
}

/**
 * RFC 8058 one-click unsubscribe (what Gmail and Yahoo require of bulk senders): the https link, and
 * the header that tells the mail client to POST to it rather than open it.
 */
export function unsubscribeHeaders(url: string): MessageHeader[] {
  if (!/^https:\/\//.test(url) && !/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(url)) {
    throw new Error(`the unsubscribe URL must be https (got ${url.slice(0, 40)}…)`);
  }
  return [
    { Name: 'List-Unsubscribe', Value: `<${url}>` },
    { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
  ];
}

/** Sends the digests of a snapshot held as an object (tests, in-memory runs): see sendBookDigests. */
export function sendDigests(
  deps: DigestDeps,
  snapshot: Pick<Snapshot, 'asOf' | 'currency' | 'atRisk' | 'scheduledChurn'>,
): Promise<DigestSummary> {
  const { fallbackTo, allowedRecipientDomains } = deps.config.digest;
  return sendBookDigests(deps, snapshotBooks(snapshot, fallbackTo, allowedRecipientDomains));
}

/**
 * Sends one digest per owner. Each owner is claimed in DynamoDB before its email goes out, so a rerun
 * sends nothing twice; a failure for one owner is retried with backoff and never stops the others.
 */
export async function sendBookDigests(deps: DigestDeps, books: SnapshotBooks): Promise<DigestSummary> {
  const { config } = deps;
  const log = deps.log ?? (() => undefined);
  const maxAttempts = deps.maxAttempts ?? 4;
  const summary: DigestSummary = {
    asOf: books.asOf,
    owners: [],
    sent: 0,
    skipped: 0,
    failed: 0,
    optedOut: 0,
    slackSent: 0,
    slackFailed: 0,
  };

  const allowed = config.digest.allowedRecipientDomains;
  for (const owner of books.refused) {
    log('warn', 'owner outside digest.allowedRecipientDomains: not mailed, their customers go to the fallback recipient', {
      owner,
      fallbackTo: config.digest.fallbackTo,
      allowedRecipientDomains: allowed,
    });
  }
  if (books.refused.length) summary.recipientsRefused = books.refused.length;
  for (const [owner, book] of books.owners) {
    const customers = book.listed.length + book.scheduled.length;
    try {
      const outcome = await sendOne(deps, books, owner, book, maxAttempts, log);
      summary[outcome.outcome]++;
      if (outcome.slack?.outcome === 'sent') summary.slackSent++;
      if (outcome.slack?.outcome === 'failed') summary.slackFailed++;
      summary.owners.push({ owner, customers, ...outcome });
    } catch (err) {
      // A store failure for one owner (claim, previous digest) must not stop the others.
      const error = err as Error;
      log('error', 'digest could not be prepared', { owner, error: error.message, errorName: error.name });
      summary.failed++;
      summary.owners.push({ owner, outcome: 'failed', customers, error: error.message, retryable: true });
    }
  }
  return summary;
}

/** Customers remembered per digest record, for "what changed" next time: bounded to stay a small item. */
const MAX_RECORDED_CUSTOMERS = 1_000;

async function sendOne(
  deps: DigestDeps,
  snapshot: Pick<SnapshotBooks, 'asOf' | 'currency'>,
  owner: string,
  book: OwnerBook,
  maxAttempts: number,
  log: NonNullable<DigestDeps['log']>,
): Promise<{
  outcome: OwnerOutcome;
  error?: string;
  retryable?: boolean;
  slack?: { outcome: OwnerOutcome; error?: string; retryable?: boolean };
}> {
  const { store, config } = deps;
  const { scheduled } = book;
  // Parsed for this owner only: the other owners' rows stay as text.
  const customers = book.listed.toArray();
  const record = await store.previous(owner, snapshot.asOf);
  // Records written before bands existed listed at-risk customers only: read those as yellow.
  const previous = record ? new Map<string, DigestedBand>(record.customers.map((c) => [c.customerId, c.band ?? 'yellow'])) : null;
  const listedNow = new Set([...customers.map((c) => c.customerId), ...scheduled.map((c) => c.customerId)]);
  const recovered = (record?.customers ?? []).filter((c) => (c.band ?? 'yellow') !== 'scheduled' && !listedNow.has(c.customerId));

  const input = {
    owner,
    asOf: snapshot.asOf,
    currency: snapshot.currency,
    customers,
    signalsOnly: book.signalsOnly,
    scheduled,
    previous,
    recovered,
    reportUrl: deps.reportUrl,
    subjectPrefix: config.digest.subjectPrefix,
    isFallback: owner === config.digest.fallbackTo && book.hasFallbackCustomers,
  };
  if (!hasNews(input)) return { outcome: 'skipped' };
  const recorded = [
    ...orderForDigest(customers).map((c) => ({ customerId: c.customerId, name: c.name, band: c.band as DigestedBand })),
    ...scheduled.map((c) => ({ customerId: c.customerId, name: c.name, band: 'scheduled' as const })),
  ].slice(0, MAX_RECORDED_CUSTOMERS);
  const email = await sendEmail(deps, snapshot, owner, input, recorded, maxAttempts, log);
  if (!deps.slack) return email;
  let slack: { outcome: OwnerOutcome; error?: string; retryable?: boolean } | undefined;
  try {
    slack = await sendSlack(deps.slack, store, snapshot.asOf, owner, input, recorded, maxAttempts, log);
  } catch (err) {
    // A store failure on the Slack side must not lose the email's outcome.
    log('error', 'Slack digest could not be prepared', { owner, error: (err as Error).message });
    slack = { outcome: 'failed', error: (err as Error).message, retryable: true };
  }
  return slack ? { ...email, slack } : email;
}

async function sendEmail(
  deps: DigestDeps,
  snapshot: Pick<SnapshotBooks, 'asOf'>,
  owner: string,
  input: DigestInput,
  recorded: Parameters<DigestStore['claim']>[2],
  maxAttempts: number,
  log: NonNullable<DigestDeps['log']>,
): Promise<{ outcome: OwnerOutcome; error?: string; retryable?: boolean }> {
  const { ses, store, config } = deps;
  if (deps.optOuts && (await deps.optOuts.isOptedOut(owner))) {
    // Not the address: an opt-out is the recipient's choice, not an operator's problem to look into.
    log('info', 'owner unsubscribed from digest email; not sent', { asOf: snapshot.asOf });
    return { outcome: 'optedOut' };
  }
  const email = renderDigest(input);
  const headers = deps.optOuts ? unsubscribeHeaders(await deps.optOuts.unsubscribeUrl(owner)) : undefined;
  if (!(await store.claim(owner, snapshot.asOf, recorded))) {
    log('info', 'digest already sent (or being sent) for this owner and date; not sending again', { owner, asOf: snapshot.asOf });
    return { outcome: 'skipped' };
  }

  // Only the SES call is retried: once it has succeeded, nothing may send again.
  let messageId: string | undefined;
  let lastError: Error | undefined;
  let retryable = false;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    try {
      const out = await ses.send(
        new SendEmailCommand({
          FromEmailAddress: config.digest.from,
          Destination: { ToAddresses: [owner] },
          ConfigurationSetName: config.digest.configurationSet,
          // SES builds the MIME message: it encodes the subject (RFC 2047) and folds the headers.
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
              Headers: headers,
            },
          },
        }),
      );
      messageId = out.MessageId;
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err as Error;
      retryable = !PERMANENT.has(lastError.name);
      if (!retryable) break;
      log('warn', 'digest send failed; retrying', { owner, attempt: attempt + 1, error: lastError.message });
      await backoff(attempt + 1, { baseMs: 200, capMs: 5_000 });
    }
  }

  if (lastError) {
    await store.markFailed(owner, snapshot.asOf, `${lastError.name}: ${lastError.message}`);
    const hint = operatorHint(lastError);
    log('error', hint ?? 'digest could not be sent', { owner, error: lastError.message, errorName: lastError.name, retryable });
    return { outcome: 'failed', error: lastError.message, retryable };
  }
  try {
    await withRetries(() => store.markSent(owner, snapshot.asOf, messageId), { attempts: 4 });
  } catch (err) {
    // The mail went out; the record stays "sending", which no retry will claim again.
    log('error', 'digest sent but its record could not be updated; it will not be sent again', {
      owner,
      messageId,
      error: (err as Error).message,
    });
  }
  return { outcome: 'sent' };
}

/**
 * The same digest in Slack, under its own claim (`SLACK#<asOf>`): posted at most once per owner and
 * date, whatever happened to the email. Only the POST is retried, and only for 429, 5xx or no answer.
 */
async function sendSlack(
  slack: SlackDelivery,
  store: DigestStore,
  asOf: Day,
  owner: string,
  input: DigestInput,
  recorded: Parameters<DigestStore['claim']>[2],
  maxAttempts: number,
  log: NonNullable<DigestDeps['log']>,
): Promise<{ outcome: OwnerOutcome; error?: string; retryable?: boolean } | undefined> {
  const target = await slack.target(owner);
  if (!target) return undefined;
  const message = renderSlackDigest(input, { mention: target.mention ? slackMention(target.mention, owner) : undefined });
  const problems = validateSlackMessage(message);
  if (problems.length) {
    // A bug, not a delivery problem: say so rather than have Slack answer invalid_blocks.
    log('error', 'Slack digest exceeds Slack limits; not sent', { owner, problems });
    return { outcome: 'failed', error: problems.join('; '), retryable: false };
  }
  if (!(await store.claim(owner, asOf, recorded, 'slack'))) {
    log('info', 'Slack digest already posted (or being posted) for this owner and date; not posting again', { owner, asOf });
    return { outcome: 'skipped' };
  }
  let lastError: SlackPostError | undefined;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    try {
      await slack.post(target.url, message);
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err instanceof SlackPostError ? err : new SlackPostError((err as Error).message, true);
      if (!lastError.retryable) break;
      log('warn', 'Slack digest post failed; retrying', { owner, attempt: attempt + 1, error: lastError.message });
      await (lastError.retryAfterMs !== undefined
        ? sleep(Math.min(lastError.retryAfterMs, 10_000))
        : backoff(attempt + 1, { baseMs: 200, capMs: 5_000 }));
    }
  }
  if (lastError) {
    await store.markFailed(owner, asOf, lastError.message, 'slack');
    log('error', 'Slack digest could not be posted', { owner, error: lastError.message, retryable: lastError.retryable });
    return { outcome: 'failed', error: lastError.message, retryable: lastError.retryable };
  }
  try {
    await withRetries(() => store.markSent(owner, asOf, undefined, 'slack'), { attempts: 4 });
  } catch (err) {
    log('error', 'Slack digest posted but its record could not be updated; it will not be posted again', {
      owner,
      error: (err as Error).message,
    });
  }
  return { outcome: 'sent' };
}
