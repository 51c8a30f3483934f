import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateSlackMessage } from '../../../lambdas/digest/render-slack';
import { sendDigests, type SlackDelivery } from '../../../lambdas/digest/send-digests';
import { parseSlackSecret, postToSlack, slackTargetFor } from '../../../lambdas/digest/slack';
import type { AtRiskCustomer, Snapshot } from '../../../lambdas/domain/types';
import { parseConfig } from '../../../lambdas/shared/config';
import { DigestStore } from '../../../lambdas/store/digest-store';
import { keys } from '../../../lambdas/store/keys';
import type { SlackReceiver } from '../../../local/slack-receiver';
import { startViewer } from '../../../local/viewer';
import { useEmbeddedStack } from '../../support/stack';

/** Digests by email (SES emulator) and in Slack (the local webhook receiver), records in DynamoDB Local. */

const local = useEmbeddedStack({ slack: true });
let slack: SlackReceiver;
beforeAll(() => {
  slack = local.stack.slack!;
});

const config = parseConfig({ digest: { from: 'churnwatch@test.example', fallbackTo: 'cs@test.example' } });

const customer = (customerId: string, owner: string, extra: Partial<AtRiskCustomer> = {}): AtRiskCustomer =>
  ({
    customerId,
    name: `${customerId} <Ltd> & Co`,
    owner,
    mrr: 500,
    riskScore: 40,
    churnProbability: 0.4,
    band: 'red',
    frequency: 'weekly',
    reasons: [],
    factors: [{ code: 'usage_decline', points: 25, detail: 'Usage fell by 75% in 4 weeks' }],
    tier: 'B',
    mrrPrevious: 500,
    plan: 'pro',
    activity: Array.from({ length: 56 }, () => 1),
    activeDaysCurrent: 3,
    activeDaysPrevious: 12,
    ...extra,
  }) as AtRiskCustomer;

const snapshotOf = (asOf: string, atRisk: AtRiskCustomer[]) =>
  ({ asOf, currency: 'USD', atRisk, scheduledChurn: [] }) as unknown as Snapshot;

function delivery(secret: object, mode: 'owner' | 'channel'): SlackDelivery {
  const parsed = parseSlackSecret(JSON.stringify(secret));
  return {
    target: (owner) => Promise.resolve(slackTargetFor(parsed, mode, owner)),
    post: (url, message) => postToSlack(url, message, 5_000),
  };
}

const run = (snapshot: Snapshot, slackDelivery: SlackDelivery) =>
  sendDigests(
    {
      ses: local.stack.clients.ses!,
      store: new DigestStore(local.stack.clients.dynamo, local.stack.tableName),
      config,
      slack: slackDelivery,
      maxAttempts: 3,
    },
    snapshot,
  );

async function record(owner: string, asOf: string, channel: 'email' | 'slack') {
  const key = channel === 'email' ? keys.digest(owner, asOf) : keys.slackDigest(owner, asOf);
  return (await local.stack.clients.dynamo.send(new GetCommand({ TableName: local.stack.tableName, Key: key, ConsistentRead: true }))).Item;
}

describe('digests in Slack', () => {
  it('per owner: the owner with a webhook gets the same digest in Slack, within Block Kit limits, once', async () => {
    slack.clear();
    await local.stack.clearMail();
    const d = delivery({ owners: { 'ana@test.example': slack.hookUrl('ana') } }, 'owner');
    const snapshot = snapshotOf('2026-11-01', [customer('c1', 'ana@test.example'), customer('c2', 'ben@test.example')]);
    const first = await run(snapshot, d);
    expect(first).toMatchObject({ sent: 2, failed: 0, slackSent: 1, slackFailed: 0 });
    expect(first.owners.find((o) => o.owner === 'ben@test.example')?.slack).toBeUndefined();
    const messages = slack.messages();
    expect(messages.map((m) => m.hook)).toEqual(['ana']);
    expect(validateSlackMessage(messages[0]!.message)).toEqual([]);
    const text = JSON.stringify(messages[0]!.message.blocks);
    expect(text).toContain('c1 &lt;Ltd&gt; &amp; Co');
    expect(text).not.toContain('c2');
    // The email carries the same customer.
    const mail = await local.stack.sentMail();
    expect(mail.find((m) => m.destination.to.includes('ana@test.example'))?.body.text).toContain('c1 <Ltd> & Co');
    expect(await record('ana@test.example', '2026-11-01', 'slack')).toMatchObject({ status: 'sent', type: 'slack-digest' });

    // A retried run (Lambda's async retry) posts and mails nothing again.
    const again = await run(snapshot, d);
    expect(again).toMatchObject({ sent: 0, slackSent: 0 });
    expect(slack.messages()).toHaveLength(1);
    expect((await local.stack.sentMail()).length).toBe(mail.length);
  });

  it('one channel: every owner mentioned by Slack id; a 500 is retried and the message arrives once', async () => {
    slack.clear();
    slack.failNext(500);
    const d = delivery({ channel: slack.hookUrl('cs-alerts'), mentions: { 'ana@test.example': 'U024BE7LH' } }, 'channel');
    const result = await run(snapshotOf('2026-11-02', [customer('c1', 'ana@test.example'), customer('c2', 'ben@test.example')]), d);
    expect(result).toMatchObject({ slackSent: 2, slackFailed: 0 });
    const firstLines = slack.messages().map((m) => (m.message.blocks[1] as { text: { text: string } }).text.text.split(':')[0]);
    expect(firstLines.sort()).toEqual(['For <@U024BE7LH>', 'For ben@test.example']);
  });

  it('a webhook Slack no longer knows (404) fails that owner without retries; a later run posts it once fixed', async () => {
    slack.clear();
    slack.failNext(404);
    const d = delivery({ owners: { 'ana@test.example': slack.hookUrl('ana') } }, 'owner');
    const snapshot = snapshotOf('2026-11-03', [customer('c1', 'ana@test.example')]);
    const failed = await run(snapshot, d);
    expect(failed).toMatchObject({ sent: 1, slackSent: 0, slackFailed: 1 });
    expect(failed.owners[0]!.slack).toMatchObject({
      outcome: 'failed',
      retryable: false,
      error: expect.stringMatching(/answered 404: no_service/),
    });
    expect(await record('ana@test.example', '2026-11-03', 'slack')).toMatchObject({ status: 'failed' });
    expect(slack.messages()).toHaveLength(0);

    const retried = await run(snapshot, d);
    expect(retried).toMatchObject({ sent: 0, slackSent: 1 });
    expect(slack.messages()).toHaveLength(1);
  });

  it('a Slack post interrupted after its claim is never repeated (not sending twice wins)', async () => {
    slack.clear();
    const store = new DigestStore(local.stack.clients.dynamo, local.stack.tableName);
    expect(await store.claim('ana@test.example', '2026-11-04', [], 'slack')).toBe(true);
    const d = delivery({ owners: { 'ana@test.example': slack.hookUrl('ana') } }, 'owner');
    const result = await run(snapshotOf('2026-11-04', [customer('c1', 'ana@test.example')]), d);
    expect(result).toMatchObject({ sent: 1, slackSent: 0 });
    expect(result.owners[0]!.slack?.outcome).toBe('skipped');
    expect(slack.messages()).toHaveLength(0);
  });

  it('the embedded stack’s receiver refuses what Slack would refuse, and the viewer shows what it took, escaped', async () => {
    slack.clear();
    const bad = await fetch(slack.hookUrl('x'), {
      method: 'POST',
      body: JSON.stringify({ text: 't', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] }),
    });
    expect([bad.status, await bad.text()]).toEqual([400, 'invalid_blocks']);
    const d = delivery({ owners: { 'ana@test.example': slack.hookUrl('ana') } }, 'owner');
    await run(snapshotOf('2026-11-05', [customer('c1', 'ana@test.example', { name: '<script>alert(1)</script>' })]), d);
    const viewer = await startViewer({ reportHtml: '<p>report</p>', mail: [], slack: slack.messages() });
    try {
      const index = await (await fetch(viewer.url)).text();
      expect(index).toContain('Slack messages (1)');
      const page = await (await fetch(`${viewer.url}/slack/0`)).text();
      expect(page).toContain('&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;');
      expect(page).not.toContain('<script>');
      const json = JSON.parse(await (await fetch(`${viewer.url}/slack/0.json`)).text()) as { blocks: unknown[] };
      expect(json.blocks.length).toBeGreaterThan(2);
    } finally {
      await viewer.stop();
    }
  });
});
