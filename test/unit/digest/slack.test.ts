import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DigestInput } from '../../../lambdas/digest/render';
import {
  escapeMrkdwn,
  renderSlackDigest,
  SLACK_LIMITS,
  slackMention,
  validateSlackMessage,
  type SlackBlock,
} from '../../../lambdas/digest/render-slack';
import { parseSlackSecret, slackTargetFor } from '../../../lambdas/digest/slack';
import type { AtRiskCustomer } from '../../../lambdas/domain/types';
import { propertyRuns } from '../../support/property-runs';

const customer = (customerId: string, extra: Partial<AtRiskCustomer> = {}): AtRiskCustomer =>
  ({
    customerId,
    name: `Customer ${customerId}`,
    owner: 'ana@acme.io',
    mrr: 500,
    riskScore: 40,
    churnProbability: 0.42,
    band: 'red',
    frequency: 'weekly',
    reasons: [{ code: 'usage_decline', detail: 'Active days fell from 12 to 3' }],
    factors: [{ code: 'usage_decline', points: 25, detail: 'Usage fell by 75% in 4 weeks' }],
    tier: 'B',
    mrrPrevious: 600,
    plan: 'pro',
    activity: Array.from({ length: 56 }, () => 1),
    activeDaysCurrent: 3,
    activeDaysPrevious: 12,
    ...extra,
  }) as AtRiskCustomer;

const input = (customers: AtRiskCustomer[], extra: Partial<DigestInput> = {}): DigestInput => ({
  owner: 'ana@acme.io',
  asOf: '2026-11-30',
  currency: 'USD',
  customers,
  scheduled: [],
  previous: null,
  recovered: [],
  ...extra,
});

const allText = (blocks: SlackBlock[]) =>
  blocks.map((b) => (b.type === 'divider' ? '' : b.type === 'context' ? b.elements.map((e) => e.text).join(' ') : b.text.text)).join('\n');

describe('the Slack digest', () => {
  it('carries the email’s content: summary, customers by band with probability, MRR and factors, save list, report link', () => {
    const m = renderSlackDigest(
      input([customer('c1'), customer('c2', { band: 'yellow', churnProbability: 0.2, name: 'Yellow Co' })], {
        scheduled: [
          {
            customerId: 'c9',
            name: 'Leaving Ltd',
            owner: 'ana@acme.io',
            mrr: 99,
            effectiveAt: '2026-12-31',
            canceledAt: '2026-11-20',
            reason: 'too_expensive',
          },
        ] as DigestInput['scheduled'],
        reportUrl: 'https://reports.acme.io/2026-11-30/report.html',
      }),
    );
    expect(validateSlackMessage(m)).toEqual([]);
    const text = allText(m.blocks);
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Churnwatch digest · 2026-11-30' } });
    expect(text).toContain('1 red and 1 yellow ($1,000 MRR)');
    expect(text).toContain('*Customer c1*');
    expect(text).toContain('RED 42%');
    expect(text).toContain('MRR $600 → $500');
    expect(text).toContain('• Usage fell by 75% in 4 weeks');
    expect(text).toContain('Leaving Ltd: $99 MRR ends 2026-12-31 (too_expensive)');
    expect(text).toContain('<https://reports.acme.io/2026-11-30/report.html|Open the full report>');
    expect(text.indexOf('Customer c1')).toBeLessThan(text.indexOf('Yellow Co'));
    expect(m.text).toMatch(/^\[Churnwatch\] 1 red, 1 yellow, 1 cancellation on file — 2026-11-30\n/);
  });

  it('escapes &, < and > of every untrusted text, so names never ping, link or format as Slack markup', () => {
    const m = renderSlackDigest(
      input([customer('c1', { name: '<!channel> & <https://evil.example|Click>', plan: '<@U999>' })], {
        owner: '<!here>@x.io',
        reportUrl: 'javascript:alert(1)',
      }),
    );
    const text = allText(m.blocks) + m.text;
    expect(text).not.toMatch(/<!channel>|<!here>|<@U999>|<https:\/\/evil/);
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|Click&gt;');
    expect(text).toContain('Full report: javascript:alert(1)');
    expect(escapeMrkdwn('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
  });

  it('mentions only real Slack user ids', () => {
    expect(slackMention('U024BE7LH', 'ana@acme.io')).toBe('<@U024BE7LH>');
    expect(slackMention('<!channel>', 'ana@acme.io')).toBe('ana@acme.io');
    expect(renderSlackDigest(input([customer('c1')]), { mention: '<@U024BE7LH>' }).blocks[1]).toMatchObject({
      text: { text: expect.stringMatching(/^For <@U024BE7LH>:/) },
    });
  });

  it('stays within Slack’s limits for any book: 50 blocks, 3,000 characters a section, the rest counted', () => {
    const m = renderSlackDigest(
      input(
        Array.from({ length: 500 }, (_, i) =>
          customer(`c${i}`, {
            name: 'N'.repeat(400),
            factors: Array.from({ length: 5 }, () => ({
              code: 'x',
              points: 30,
              detail: 'd'.repeat(700),
            })) as unknown as AtRiskCustomer['factors'],
          }),
        ),
      ),
    );
    expect(validateSlackMessage(m)).toEqual([]);
    expect(m.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(allText(m.blocks)).toMatch(/…and \d+ more listed customers, lower in probability/);

    const text = fc.string({ maxLength: 300 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: text, plan: text, detail: text, band: fc.constantFrom('red', 'yellow') }), { maxLength: 80 }),
        (rows) => {
          const book = rows.map((r, i) =>
            customer(`c${i}`, {
              name: r.name,
              plan: r.plan,
              band: r.band as 'red',
              factors: [{ code: 'x', points: 20, detail: r.detail }] as unknown as AtRiskCustomer['factors'],
            }),
          );
          const message = renderSlackDigest(input(book));
          expect(validateSlackMessage(message)).toEqual([]);
          // Every "<" in the message is one the renderer wrote (a link), never one from the data.
          expect(allText(message.blocks).replace(/<https:[^>]*>/g, '')).not.toContain('<');
        },
      ),
      { numRuns: propertyRuns(100) },
    );
  });

  it('the validator reports what Slack would refuse', () => {
    expect(validateSlackMessage({ blocks: [] })).toEqual(['text: a plain-text fallback is required']);
    const long = { type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } };
    expect(validateSlackMessage({ text: 't', blocks: [long] })).toEqual(['blocks[0] (section): 3001 characters, more than 3000']);
    expect(validateSlackMessage({ text: 't', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) })).toEqual([
      'blocks: 51, more than 50',
    ]);
    expect(validateSlackMessage({ text: 't', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'h'.repeat(151) } }] })).toHaveLength(
      2,
    );
  });
});

describe('Slack targets', () => {
  const secret = parseSlackSecret(
    JSON.stringify({
      channel: 'https://hooks.slack.com/services/T0/B0/channel',
      owners: { 'Ana@Acme.io': 'https://hooks.slack.com/services/T0/B1/ana' },
      mentions: { 'ana@acme.io': 'U024BE7LH' },
    }),
  );

  it('per owner: the owner’s own webhook, none for an owner without one', () => {
    expect(slackTargetFor(secret, 'owner', 'ana@acme.io')).toEqual({ url: 'https://hooks.slack.com/services/T0/B1/ana' });
    expect(slackTargetFor(secret, 'owner', 'bob@acme.io')).toBeUndefined();
  });

  it('one channel: every owner, mentioned when their Slack id is known', () => {
    expect(slackTargetFor(secret, 'channel', 'ana@acme.io')).toEqual({
      url: 'https://hooks.slack.com/services/T0/B0/channel',
      mention: 'U024BE7LH',
    });
    expect(slackTargetFor(secret, 'channel', 'bob@acme.io')).toEqual({ url: 'https://hooks.slack.com/services/T0/B0/channel' });
  });

  it('refuses a secret that is not JSON, or holds something other than webhook URLs and user ids', () => {
    expect(() => parseSlackSecret('https://hooks.slack.com/x')).toThrow(/must be JSON/);
    expect(() => parseSlackSecret('{"channel": "http://evil.example/x"}')).toThrow(/channel: must be an https:\/\/ incoming-webhook URL/);
    expect(() => parseSlackSecret('{"mentions": {"a@b.io": "<!channel>"}}')).toThrow(/must be a Slack user id/);
    expect(() => parseSlackSecret('{"webhook": "https://hooks.slack.com/x"}')).toThrow(/invalid/);
  });
});
