import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { snapshotBooks } from '../../../lambdas/digest/owner-books';
import { sendDigests } from '../../../lambdas/digest/send-digests';
import type { AtRiskCustomer, Snapshot } from '../../../lambdas/domain/types';
import { parseConfig } from '../../../lambdas/shared/config';
import type { DigestStore } from '../../../lambdas/store/digest-store';

const customer = (customerId: string, owner: string | null): AtRiskCustomer => ({
  customerId,
  name: `Customer ${customerId}`,
  owner,
  mrr: 500,
  riskScore: 40,
  churnProbability: 0.4,
  band: 'red',
  frequency: 'weekly',
  reasons: [],
  factors: [],
  tier: 'B',
  mrrPrevious: 500,
  plan: 'pro',
  activity: Array.from({ length: 56 }, () => 1),
  activeDaysCurrent: 10,
  activeDaysPrevious: 12,
});

const snapshot = {
  asOf: '2026-11-30',
  currency: 'USD',
  atRisk: [customer('c1', 'ana@acme.io'), customer('c2', 'mallory@evil.example'), customer('c3', null), customer('c4', 'Bob@ACME.io')],
  scheduledChurn: [
    {
      customerId: 'c5',
      name: 'Five',
      owner: 'eve@elsewhere.io',
      mrr: 100,
      effectiveAt: '2026-12-31',
      canceledAt: '2026-11-20',
      reason: null,
    },
  ],
} as unknown as Snapshot;

const config = parseConfig({ digest: { from: 'churnwatch@acme.io', fallbackTo: 'cs@acme.io', allowedRecipientDomains: ['ACME.io'] } });

describe('digest.allowedRecipientDomains', () => {
  it('is normalised to lower case, and the fallback recipient must be inside it', () => {
    expect(config.digest.allowedRecipientDomains).toEqual(['acme.io']);
    expect(() => parseConfig({ digest: { fallbackTo: 'cs@other.io', allowedRecipientDomains: ['acme.io'] } })).toThrow(
      /digest\.fallbackTo: the fallback recipient must be in one of digest\.allowedRecipientDomains/,
    );
    expect(() => parseConfig({ digest: { allowedRecipientDomains: ['*@acme.io'] } })).toThrow(/must be a domain name such as "acme\.io"/);
    expect(() => parseConfig({ digest: { allowedRecipientDomains: [] } })).toThrow(/at least one domain/);
  });

  it('routes the customers of an owner outside the allowlist to the fallback recipient', () => {
    const books = snapshotBooks(snapshot, config.digest.fallbackTo, config.digest.allowedRecipientDomains);
    expect([...books.owners.keys()].sort()).toEqual(['Bob@ACME.io', 'ana@acme.io', 'cs@acme.io']);
    const fallback = books.owners.get('cs@acme.io')!;
    expect(fallback.listed.toArray().map((c) => c.customerId)).toEqual(['c2', 'c3']);
    expect(fallback.scheduled.map((c) => c.customerId)).toEqual(['c5']);
    expect(fallback.hasFallbackCustomers).toBe(true);
    expect(books.owners.get('ana@acme.io')!.hasFallbackCustomers).toBe(false);
    expect(books.refused).toEqual(['mallory@evil.example', 'eve@elsewhere.io']);
    // Without an allowlist (local runs, test stages) every owner is mailed.
    expect(snapshotBooks(snapshot, config.digest.fallbackTo, undefined).refused).toEqual([]);
  });

  it('never sends to a refused owner, logs each one and counts them in the summary', async () => {
    const sentTo: string[] = [];
    const ses = {
      send: async (cmd: { input: { Destination: { ToAddresses: string[] } } }) => (
        sentTo.push(...cmd.input.Destination.ToAddresses),
        { MessageId: 'm' }
      ),
    } as unknown as SESv2Client;
    const store = {
      previous: async () => undefined,
      claim: async () => true,
      markSent: async () => undefined,
      markFailed: async () => undefined,
    } as unknown as DigestStore;
    const logs: { level: string; message: string; data?: Record<string, unknown> }[] = [];
    const summary = await sendDigests({ ses, store, config, log: (level, message, data) => logs.push({ level, message, data }) }, snapshot);
    expect(sentTo.sort()).toEqual(['Bob@ACME.io', 'ana@acme.io', 'cs@acme.io']);
    expect(summary.recipientsRefused).toBe(2);
    const warned = logs.filter((l) => l.level === 'warn' && /allowedRecipientDomains/.test(l.message)).map((l) => l.data!.owner);
    expect(warned.sort()).toEqual(['eve@elsewhere.io', 'mallory@evil.example']);
  });
});
