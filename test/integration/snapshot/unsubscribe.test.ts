import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableOptOuts } from '../../../lambdas/digest/handler';
import { sendDigests, type SlackDelivery } from '../../../lambdas/digest/send-digests';
import { signUnsubscribeToken } from '../../../lambdas/shared/unsubscribe-token';
import type { AtRiskCustomer, Snapshot } from '../../../lambdas/domain/types';
import { parseConfig } from '../../../lambdas/shared/config';
import { DigestStore } from '../../../lambdas/store/digest-store';
import { UnsubscribeStore } from '../../../lambdas/store/unsubscribe-store';
import { toEml } from '../../../local/eml';
import { startUsagePath, type LocalUsagePath } from '../../../local/usage-path';
import { useEmbeddedStack } from '../../support/stack';

/**
 * One-click unsubscribe end to end on the embedded stack: the digest's List-Unsubscribe link, the
 * endpoint on the local API adapter (real HTTP), the opt-out in DynamoDB Local, and the next digest
 * run skipping that owner's email while the others (and Slack) still go out.
 */

const KEY = 'unsubscribe-test-key-0123456789abcdefghijklmnop';
const local = useEmbeddedStack({ slack: true });
let path: LocalUsagePath;
let store: UnsubscribeStore;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  path = await startUsagePath(local.stack, {
    apiKeys: ['events-key'],
    unsubscribeKey: KEY,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Test', serviceName: 'unsubscribe-test' }),
  });
  store = new UnsubscribeStore(local.stack.clients.dynamo, local.stack.tableName);
});
afterAll(async () => {
  await path?.stop();
});

const config = parseConfig({
  digest: { from: 'churnwatch@test.example', fallbackTo: 'cs@test.example', subjectPrefix: '[Churnwatch · ümlaut]' },
});

const customer = (customerId: string, owner: string): AtRiskCustomer =>
  ({
    customerId,
    name: `${customerId} Ltd`,
    owner,
    mrr: 500,
    riskScore: 40,
    churnProbability: 0.4,
    band: 'red',
    frequency: 'weekly',
    reasons: [],
    factors: [{ code: 'engagement', points: 25, detail: 'Usage fell by 75% in 4 weeks' }],
    tier: 'B',
    mrrPrevious: 500,
    plan: 'pro',
    activity: Array.from({ length: 56 }, () => 1),
    activeDaysCurrent: 3,
    activeDaysPrevious: 12,
  }) as AtRiskCustomer;

const snapshotOf = (asOf: string, atRisk: AtRiskCustomer[]) =>
  ({ asOf, currency: 'USD', atRisk, scheduledChurn: [] }) as unknown as Snapshot;

const linkFor = (owner: string) => `${path.unsubscribeUrl}?t=${encodeURIComponent(signUnsubscribeToken(owner, KEY))}`;

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** What Gmail or Yahoo send for one-click unsubscribe (RFC 8058 §3.2). */
const oneClick = (url: string) =>
  call(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

describe('the unsubscribe endpoint', () => {
  it('GET shows a confirmation page with a button that POSTs, and changes nothing', async () => {
    const owner = 'Ana@Test.example';
    for (let i = 0; i < 3; i++) {
      const page = await call(linkFor(owner));
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.body).toContain('<strong>ana@test.example</strong>');
      expect(page.body).toMatch(/<form method="post" action="\?t=v1\.[^"]+"><button type="submit">Unsubscribe<\/button>/);
    }
    expect(await store.get(owner)).toBeUndefined();
  });

  it('POST with a valid token (one-click) opts the owner out, idempotently; the page then offers to resubscribe', async () => {
    const owner = 'ben@test.example';
    const first = await oneClick(linkFor(owner));
    expect(first.status).toBe(200);
    expect(first.body).toContain('<h1>Unsubscribed</h1>');
    const recorded = await store.get(owner);
    expect(recorded).toMatchObject({ owner, via: 'one-click' });
    const again = await oneClick(linkFor(owner));
    expect(again.status).toBe(200);
    // The first date stays.
    expect(await store.get(owner)).toEqual(recorded);
    const page = await call(linkFor(owner));
    expect(page.body).toContain('Already unsubscribed');
    expect(page.body).toContain('action=resubscribe');
  });

  it('refuses a forged, tampered or missing token with 403/400 and a clear page, changing nothing', async () => {
    const forged = signUnsubscribeToken('cyd@test.example', 'someone-elses-key-0123456789abcdefgh');
    const res = await oneClick(`${path.unsubscribeUrl}?t=${encodeURIComponent(forged)}`);
    expect(res.status).toBe(403);
    expect(res.body).toContain('This unsubscribe link is not valid');
    expect(res.body).toContain('not issued by this Churnwatch stage');
    expect(res.body).toContain('Nothing was changed.');
    const token = signUnsubscribeToken('cyd@test.example', KEY);
    const tampered = await oneClick(`${path.unsubscribeUrl}?t=${encodeURIComponent(token.slice(0, -2))}`);
    expect(tampered.status).toBe(403);
    expect(tampered.body).toContain('damaged');
    const none = await oneClick(`${path.unsubscribeUrl}`);
    expect(none.status).toBe(400);
    expect(none.body).toContain('the link has no token');
    // Escaped where rendered: a hostile address in a (validly signed) token is text on the page.
    const hostile = await call(linkFor('<script>alert(1)</script>@test.example'));
    expect(hostile.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;@test.example');
    expect(hostile.body).not.toContain('<script>');
    expect(await store.get('cyd@test.example')).toBeUndefined();
    expect((await call(`${path.unsubscribeUrl}?t=${encodeURIComponent(token)}`, { method: 'DELETE' })).status).toBe(405);
  });

  it("the page's resubscribe button removes the opt-out", async () => {
    const owner = 'dee@test.example';
    await oneClick(linkFor(owner));
    expect(await store.isOptedOut(owner)).toBe(true);
    const res = await call(`${linkFor(owner)}&action=resubscribe`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Resubscribed');
    expect(await store.isOptedOut(owner)).toBe(false);
  });
});

describe('digests and opt-outs', () => {
  it('every email carries List-Unsubscribe (its link works) and List-Unsubscribe-Post; an opted-out owner gets no email, the others do, Slack is unaffected', async () => {
    await local.stack.clearMail();
    const slack = local.stack.slack!;
    slack.clear();
    const optOuts = tableOptOuts(store, path.unsubscribeUrl!, () => Promise.resolve(KEY));
    const slackDelivery: SlackDelivery = {
      target: () => Promise.resolve({ url: slack.hookUrl('digests') }),
      post: async (url, message) => {
        const res = await fetch(url, { method: 'POST', body: JSON.stringify(message) });
        if (!res.ok) throw new Error(`slack ${res.status}`);
      },
    };
    const run = (asOf: string) =>
      sendDigests(
        {
          ses: local.stack.clients.ses!,
          store: new DigestStore(local.stack.clients.dynamo, local.stack.tableName),
          config,
          optOuts,
          slack: slackDelivery,
          maxAttempts: 2,
        },
        snapshotOf(asOf, [customer('c1', 'eve@test.example'), customer('c2', 'Fay@test.example')]),
      );

    const first = await run('2026-11-02');
    expect(first).toMatchObject({ sent: 2, optedOut: 0 });
    const mail = await local.stack.sentMail();
    expect(mail.map((m) => m.destination.to[0]).sort()).toEqual(['Fay@test.example', 'eve@test.example']);
    for (const m of mail) {
      const header = m.headers?.find((h) => h.name === 'List-Unsubscribe')?.value;
      expect(header).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?t=v1\.[A-Za-z0-9_.-]+>$/);
      expect(m.headers).toContainEqual({ name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' });
      // The outbox's .eml shows them, beside the RFC 2047 subject.
      const eml = toEml(m);
      expect(eml).toContain(`\r\nList-Unsubscribe: ${header}\r\n`);
      expect(eml).toMatch(/\r\nSubject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=\r\n/);
    }

    // Fay clicks "Unsubscribe" in her mail client: it POSTs to the header's link.
    const fay = mail.find((m) => m.destination.to[0] === 'Fay@test.example')!;
    const link = /^<([^>]+)>$/.exec(fay.headers!.find((h) => h.name === 'List-Unsubscribe')!.value)![1]!;
    expect((await oneClick(link)).status).toBe(200);
    expect(await store.isOptedOut('fay@test.example')).toBe(true);

    await local.stack.clearMail();
    slack.clear();
    const second = await run('2026-11-03');
    expect(second).toMatchObject({ sent: 1, optedOut: 1, failed: 0, slackSent: 2 });
    expect(second.owners.find((o) => o.owner === 'Fay@test.example')).toMatchObject({ outcome: 'optedOut', slack: { outcome: 'sent' } });
    expect((await local.stack.sentMail()).map((m) => m.destination.to[0])).toEqual(['eve@test.example']);
    expect(slack.messages()).toHaveLength(2);
  });
});
