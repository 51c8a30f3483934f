import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import type { AtRiskCustomer, Day, Snapshot } from '../domain/types';
import type { Config } from '../shared/config';
import { backoff } from '../store/batch';
import type { DigestStore } from '../store/digest-store';
import { orderForDigest, renderDigest } from './render';

export interface DigestDeps {
  ses: SESClient;
  store: DigestStore;
  config: Config;
  /** Where the full report lives, linked from every email when known. */
  reportUrl?: string;
  log?: (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => void;
  maxAttempts?: number;
}

export type OwnerOutcome = 'sent' | 'skipped' | 'failed';

export interface DigestSummary {
  asOf: Day;
  owners: { owner: string; outcome: OwnerOutcome; customers: number; error?: string; retryable?: boolean }[];
  sent: number;
  skipped: number;
  failed: number;
}

/** Groups the at-risk customers by account owner; customers without one go to the fallback recipient. */
export function groupByOwner(atRisk: AtRiskCustomer[], fallbackTo: string): Map<string, AtRiskCustomer[]> {
  const byOwner = new Map<string, AtRiskCustomer[]>();
  for (const customer of atRisk) {
    const owner = customer.owner ?? fallbackTo;
    const list = byOwner.get(owner);
    if (list) list.push(customer);
    else byOwner.set(owner, [customer]);
  }
  return byOwner;
}

/** SES errors that will not go away by retrying the same request. */
const PERMANENT = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'ConfigurationSetDoesNotExistException',
  'AccountSendingPausedException',
  'ConfigurationSetSendingPausedException',
  'InvalidParameterValue',
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
  if (error.name === 'AccountSendingPausedException') return 'SES sending is paused for this account: check the SES reputation dashboard.';
  return undefined;
}

/**
 * Sends one digest per owner. Each owner is claimed in DynamoDB before its email goes out, so a rerun
 * sends nothing twice; a failure for one owner is retried with backoff and never stops the others.
 */
export async function sendDigests(deps: DigestDeps, snapshot: Snapshot): Promise<DigestSummary> {
  const { config } = deps;
  const log = deps.log ?? (() => undefined);
  const maxAttempts = deps.maxAttempts ?? 4;
  const summary: DigestSummary = { asOf: snapshot.asOf, owners: [], sent: 0, skipped: 0, failed: 0 };

  for (const [owner, customers] of groupByOwner(snapshot.atRisk, config.digest.fallbackTo)) {
    try {
      const outcome = await sendOne(deps, snapshot, owner, customers, maxAttempts, log);
      summary[outcome.outcome]++;
      summary.owners.push({ owner, customers: customers.length, ...outcome });
    } catch (err) {
      // A store failure for one owner (claim, previous digest) must not stop the others.
      const error = err as Error;
      log('error', 'digest could not be prepared', { owner, error: error.message, errorName: error.name });
      summary.failed++;
      summary.owners.push({ owner, outcome: 'failed', customers: customers.length, error: error.message, retryable: true });
    }
  }
  return summary;
}

/** Customers remembered per digest record, for "what changed" next time: bounded to stay a small item. */
const MAX_RECORDED_CUSTOMERS = 1_000;

async function sendOne(
  deps: DigestDeps,
  snapshot: Snapshot,
  owner: string,
  customers: AtRiskCustomer[],
  maxAttempts: number,
  log: NonNullable<DigestDeps['log']>,
): Promise<{ outcome: OwnerOutcome; error?: string; retryable?: boolean }> {
  const { ses, store, config } = deps;
  const previous = await store.previous(owner, snapshot.asOf);
  const previousIds = new Set(previous?.customers.map((c) => c.customerId) ?? []);
  const currentIds = new Set(customers.map((c) => c.customerId));
  const newlyAtRisk = previous ? customers.filter((c) => !previousIds.has(c.customerId)).map((c) => c.customerId) : [];
  const recovered = previous?.customers.filter((c) => !currentIds.has(c.customerId)) ?? [];

  const email = renderDigest({
    owner,
    asOf: snapshot.asOf,
    currency: snapshot.currency,
    customers,
    newlyAtRisk,
    recovered,
    reportUrl: deps.reportUrl,
    subjectPrefix: config.digest.subjectPrefix,
    isFallback: owner === config.digest.fallbackTo && customers.some((c) => c.owner === null),
  });
  const recorded = orderForDigest(customers)
    .slice(0, MAX_RECORDED_CUSTOMERS)
    .map((c) => ({ customerId: c.customerId, name: c.name }));
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
          Source: config.digest.from,
          Destination: { ToAddresses: [owner] },
          ConfigurationSetName: config.digest.configurationSet,
          Message: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
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
      await backoff(attempt + 1, 200, 5_000);
    }
  }

  if (lastError) {
    await store.markFailed(owner, snapshot.asOf, `${lastError.name}: ${lastError.message}`);
    const hint = operatorHint(lastError);
    log('error', hint ?? 'digest could not be sent', { owner, error: lastError.message, errorName: lastError.name, retryable });
    return { outcome: 'failed', error: lastError.message, retryable };
  }
  try {
    await withRetries(() => store.markSent(owner, snapshot.asOf, messageId), 4);
  } catch (err) {
    // The mail went out; the record stays "sending", which no retry will claim again.
    log('error', 'digest sent but its record could not be updated; it will not be sent again', { owner, messageId, error: (err as Error).message });
  }
  return { outcome: 'sent' };
}

async function withRetries(fn: () => Promise<void>, attempts: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt + 1 >= attempts) throw err;
      await backoff(attempt + 1);
    }
  }
}
