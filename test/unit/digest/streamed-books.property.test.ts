import type { SESv2Client } from '@aws-sdk/client-sesv2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snapshotBooks, type SnapshotBooks } from '../../../lambdas/digest/owner-books';
import { hasNews, isListed, renderDigest, type DigestedBand, type DigestInput } from '../../../lambdas/digest/render';
import { renderSlackDigest, type SlackMessage } from '../../../lambdas/digest/render-slack';
import { sendBookDigests } from '../../../lambdas/digest/send-digests';
import { readSnapshotBooks, SnapshotFileError } from '../../../lambdas/digest/snapshot-lines';
import type { ScheduledChurn } from '../../../lambdas/domain/forecast/types';
import type { AtRiskCustomer, Snapshot } from '../../../lambdas/domain/types';
import { snapshotJsonChunks } from '../../../lambdas/report/snapshot-json';
import { parseConfig, recipientDomainAllowed, type Config } from '../../../lambdas/shared/config';
import type { DigestStore } from '../../../lambdas/store/digest-store';
import { propertyRuns } from '../../support/property-runs';
import { ALLOWED_DOMAINS, cutAt, FALLBACK, randomSnapshot, snapshotParts } from '../../support/random-snapshot';
import { sampleSnapshot } from '../report/fixtures';

// ------------------------------------------------ the oracle: the digest as it read the whole document

interface OldBook {
  customers: AtRiskCustomer[];
  scheduled: ScheduledChurn[];
}

function oldGroupByOwner(snapshot: Snapshot, fallbackTo: string, allowedDomains?: readonly string[]): Map<string, OldBook> {
  const byOwner = new Map<string, OldBook>();
  const bookOf = (owner: string | null) => {
    const key = owner !== null && recipientDomainAllowed(allowedDomains, owner) ? owner : fallbackTo;
    let book = byOwner.get(key);
    if (!book) byOwner.set(key, (book = { customers: [], scheduled: [] }));
    return book;
  };
  for (const customer of snapshot.atRisk) if (customer.band !== null) bookOf(customer.owner).customers.push(customer);
  for (const customer of snapshot.scheduledChurn ?? []) bookOf(customer.owner).scheduled.push(customer);
  return byOwner;
}

function oldRefusedOwners(snapshot: Snapshot, allowedDomains?: readonly string[]): string[] {
  const owners = [...snapshot.atRisk.filter((c) => c.band !== null), ...(snapshot.scheduledChurn ?? [])].map((c) => c.owner);
  return [...new Set(owners.filter((o): o is string => o !== null && !recipientDomainAllowed(allowedDomains, o)))];
}

type Recorded = { customerId: string; name: string | null; band?: DigestedBand };

/** What the old sendOne rendered for each owner, given the previous digest's record. */
function oldDigests(snapshot: Snapshot, config: Config, record: Recorded[] | undefined) {
  const { fallbackTo, allowedRecipientDomains: allowed } = config.digest;
  const out: { owner: string; customers: number; input?: DigestInput }[] = [];
  for (const [owner, { customers, scheduled }] of oldGroupByOwner(snapshot, fallbackTo, allowed)) {
    const previous = record ? new Map<string, DigestedBand>(record.map((c) => [c.customerId, c.band ?? 'yellow'])) : null;
    const listedNow = new Set([...customers.filter(isListed).map((c) => c.customerId), ...scheduled.map((c) => c.customerId)]);
    const recovered = (record ?? []).filter((c) => (c.band ?? 'yellow') !== 'scheduled' && !listedNow.has(c.customerId));
    const input: DigestInput = {
      owner,
      asOf: snapshot.asOf,
      currency: snapshot.currency,
      customers,
      scheduled,
      previous,
      recovered,
      reportUrl: 'https://reports.example.com/r.html',
      subjectPrefix: config.digest.subjectPrefix,
      isFallback:
        owner === fallbackTo && [...customers, ...scheduled].some((c) => c.owner === null || !recipientDomainAllowed(allowed, c.owner)),
    };
    out.push({ owner, customers: customers.filter(isListed).length + scheduled.length, input: hasNews(input) ? input : undefined });
  }
  return out;
}

// ------------------------------------------------ the streamed path

const written = (snapshot: Snapshot) => {
  const { summary, atRisk } = snapshotParts(snapshot);
  return Buffer.from([...snapshotJsonChunks(summary, atRisk)].join(''), 'utf8');
};

async function* chunksOf(bytes: Buffer, cuts: readonly number[]) {
  yield* cutAt(bytes, cuts);
}

const configFor = (allowlist: boolean) =>
  parseConfig({
    digest: { from: 'churnwatch@acme.io', fallbackTo: FALLBACK, allowedRecipientDomains: allowlist ? ALLOWED_DOMAINS : undefined },
  });

const readStreamed = (bytes: Buffer, cuts: readonly number[], config: Config) =>
  readSnapshotBooks(chunksOf(bytes, cuts), { fallbackTo: config.digest.fallbackTo, allowedDomains: config.digest.allowedRecipientDomains });

/** A book as plain data, rows normalised through JSON as snapshot.json carries them. */
function plainBooks(books: SnapshotBooks) {
  return {
    asOf: books.asOf,
    currency: books.currency,
    refused: books.refused,
    owners: [...books.owners].map(([owner, b]) => ({
      owner,
      listed: JSON.parse(JSON.stringify(b.listed.toArray())) as unknown,
      signalsOnly: b.signalsOnly,
      scheduled: b.scheduled,
      fallback: b.hasFallbackCustomers,
    })),
  };
}

function oracleBooks(snapshot: Snapshot, config: Config) {
  const { fallbackTo, allowedRecipientDomains: allowed } = config.digest;
  return {
    asOf: snapshot.asOf,
    currency: snapshot.currency,
    refused: oldRefusedOwners(snapshot, allowed),
    owners: [...oldGroupByOwner(snapshot, fallbackTo, allowed)].map(([owner, b]) => ({
      owner,
      listed: JSON.parse(JSON.stringify(b.customers.filter(isListed))) as unknown,
      signalsOnly: b.customers.filter((c) => !isListed(c)).length,
      scheduled: b.scheduled,
      fallback:
        owner === fallbackTo && [...b.customers, ...b.scheduled].some((c) => c.owner === null || !recipientDomainAllowed(allowed, c.owner)),
    })),
  };
}

/** Sends through fakes that record every email and Slack message, in order. */
async function sendRecorded(books: SnapshotBooks, config: Config, record: Recorded[] | undefined) {
  const emails: { owner: string; subject: string; html: string; text: string }[] = [];
  const slack: SlackMessage[] = [];
  type Sent = {
    input: {
      Destination: { ToAddresses: string[] };
      Content: { Simple: { Subject: { Data: string }; Body: { Html: { Data: string }; Text: { Data: string } } } };
    };
  };
  const ses = {
    send: async ({ input }: Sent) => {
      const { Subject, Body } = input.Content.Simple;
      emails.push({ owner: input.Destination.ToAddresses[0]!, subject: Subject.Data, html: Body.Html.Data, text: Body.Text.Data });
      return { MessageId: 'm' };
    },
  } as unknown as SESv2Client;
  const store = {
    previous: async () => (record ? { customers: record } : undefined),
    claim: async () => true,
    markSent: async () => undefined,
    markFailed: async () => undefined,
  } as unknown as DigestStore;
  const summary = await sendBookDigests(
    {
      ses,
      store,
      config,
      reportUrl: 'https://reports.example.com/r.html',
      slack: { target: async () => ({ url: 'https://hooks.slack.com/services/T/B/x' }), post: async (_url, m) => void slack.push(m) },
    },
    books,
  );
  return { emails, slack, summary };
}

const previousRecord = fc.option(
  fc.array(
    fc.record({
      customerId: fc.constantFrom('__proto__', 'constructor', 'cus→1', 'a', 'b', ''),
      name: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
      band: fc.option(fc.constantFrom<DigestedBand>('red', 'yellow', 'green', 'scheduled'), { nil: undefined }),
    }),
    { maxLength: 5 },
  ),
  { nil: undefined },
);
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

describe('the digest read from snapshot.json line by line', () => {
  it('groups exactly as the whole-document digest did: the same owners in the same order, rows, counts, save list and fallback', async () => {
    await fc.assert(
      fc.asyncProperty(randomSnapshot, fc.boolean(), cuts, async (snapshot, allowlist, cutPoints) => {
        const config = configFor(allowlist);
        const expected = oracleBooks(snapshot, config);
        expect(plainBooks(snapshotBooks(snapshot, FALLBACK, config.digest.allowedRecipientDomains))).toEqual(expected);
        expect(plainBooks(await readStreamed(written(snapshot), cutPoints, config))).toEqual(expected);
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('sends the same emails and Slack messages, in the same order, with the same summary', async () => {
    await fc.assert(
      fc.asyncProperty(randomSnapshot, fc.boolean(), previousRecord, cuts, async (snapshot, allowlist, record, cutPoints) => {
        const config = configFor(allowlist);
        const old = oldDigests(snapshot, config, record);
        const sent = old.filter((o) => o.input);
        const { emails, slack, summary } = await sendRecorded(await readStreamed(written(snapshot), cutPoints, config), config, record);
        expect(emails).toEqual(sent.map((o) => ({ owner: o.owner, ...renderDigest(o.input!) })));
        expect(slack).toEqual(sent.map((o) => renderSlackDigest(o.input!)));
        expect(summary.owners.map((o) => ({ owner: o.owner, outcome: o.outcome, customers: o.customers }))).toEqual(
          old.map((o) => ({ owner: o.owner, outcome: o.input ? 'sent' : 'skipped', customers: o.customers })),
        );
        const refused = oldRefusedOwners(snapshot, config.digest.allowedRecipientDomains).length;
        expect(summary.recipientsRefused).toBe(refused || undefined);
      }),
      { numRuns: propertyRuns(100) },
    );
  });
});

describe('snapshot.json in another layout', () => {
  const snapshot = sampleSnapshot();
  const config = configFor(false);
  const opts = { fallbackTo: FALLBACK, key: 'reports/2026-11-30/snapshot.json' };
  const read = (text: string, extra: Partial<Parameters<typeof readSnapshotBooks>[1]> = {}) =>
    readSnapshotBooks(chunksOf(Buffer.from(text), [0.3, 0.6]), { ...opts, ...extra });

  it('reads an older file (the whole document on one line) whole, and says so', async () => {
    const logs: string[] = [];
    const books = await read(JSON.stringify(snapshot), { log: (_level, message) => logs.push(message) });
    expect(plainBooks(books)).toEqual(oracleBooks(snapshot, config));
    expect(logs).toEqual([expect.stringMatching(/not one at-risk row per line .* parsing it whole/)]);
  });

  it('refuses a line longer than the cap with the cause and the fix, without buffering the rest', async () => {
    await expect(read(JSON.stringify(snapshot), { maxLineBytes: 1000 })).rejects.toThrow(
      /reports\/2026-11-30\/snapshot\.json line 1: longer than 1000 bytes\. snapshot\.json must have one at-risk row per line .*run the snapshot again/,
    );
  });

  it('names the line of a truncated, damaged or empty file', async () => {
    const text = written(snapshot).toString('utf8');
    const lines = text.split('\n');
    await expect(read(lines.slice(0, 3).join('\n'))).rejects.toThrow(/ends inside the at-risk list after line 3: the file is truncated/);
    await expect(read([lines[0], '{"customerId": "x", "band": "red", "owner": nul', ...lines.slice(1)].join('\n'))).rejects.toThrow(
      /line 2: not valid JSON/,
    );
    await expect(read([lines[0], '{"customerId": "x", "band": "purple", "owner": null}', ...lines.slice(1)].join('\n'))).rejects.toThrow(
      /line 2: an at-risk row needs a customerId, an owner \(or null\) and a band/,
    );
    await expect(read([lines[0], 'garbage', ...lines.slice(1)].join('\n'))).rejects.toThrow(
      /line 2: expected an at-risk row or the end of the list/,
    );
    await expect(read(`${text}\n{"more": true}`)).rejects.toThrow(SnapshotFileError);
    await expect(read('')).rejects.toThrow(/snapshot\.json is empty/);
  });
});
