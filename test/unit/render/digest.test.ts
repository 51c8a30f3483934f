import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AtRiskCustomer, Tier } from '../../../lambdas/domain/types';
import { activityGridHtml, activityTextBlock, GRID_COLOURS, SPARK_BLOCKS, sparkline } from '../../../lambdas/digest/render-activity';
import { orderForDigest, renderDigest, type DigestInput } from '../../../lambdas/digest/render';
import { wrapText } from '../../../lambdas/digest/render-text';
import { atRiskCustomer, HOSTILE_NAME, HOSTILE_TEXT, sampleSnapshot } from './fixtures';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
const columns = (line: string) => [...line].length;

function input(overrides: Partial<DigestInput> = {}): DigestInput {
  const s = sampleSnapshot();
  return { owner: 'dana@vendor.example', asOf: s.asOf, currency: s.currency, customers: s.atRisk, newlyAtRisk: ['cus_002'], recovered: [], ...overrides };
}

describe('orderForDigest', () => {
  it('puts tier A first, then orders by riskScore × MRR', () => {
    const ids = orderForDigest([
      atRiskCustomer({ customerId: 'b-big', tier: 'B', riskScore: 90, mrr: 900 }), // 81,000
      atRiskCustomer({ customerId: 'a-small', tier: 'A', riskScore: 10, mrr: 1000 }), // 10,000
      atRiskCustomer({ customerId: 'c-mid', tier: 'C', riskScore: 50, mrr: 99 }), // 4,950
      atRiskCustomer({ customerId: 'a-big', tier: 'A', riskScore: 40, mrr: 3000 }), // 120,000
      atRiskCustomer({ customerId: 'b-small', tier: 'B', riskScore: 20, mrr: 200 }), // 4,000
    ]).map((c) => c.customerId);
    expect(ids).toEqual(['a-big', 'a-small', 'b-big', 'c-mid', 'b-small']);
  });

  it('holds for any list: A tier first, priority non-increasing within each group, nothing lost', () => {
    const customer = fc.record({
      tier: fc.constantFrom<Tier>('A', 'B', 'C'),
      riskScore: fc.integer({ min: 0, max: 100 }),
      mrr: fc.double({ min: 0, max: 1e6, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(customer, { maxLength: 30 }), (specs) => {
        const list: AtRiskCustomer[] = specs.map((s, i) => atRiskCustomer({ ...s, customerId: `c${i}` }));
        const ordered = orderForDigest(list);
        expect(ordered.map((c) => c.customerId).sort()).toEqual(list.map((c) => c.customerId).sort());
        const firstNonA = ordered.findIndex((c) => c.tier !== 'A');
        if (firstNonA >= 0) expect(ordered.slice(firstNonA).every((c) => c.tier !== 'A')).toBe(true);
        for (let i = 1; i < ordered.length; i++) {
          const [a, b] = [ordered[i - 1]!, ordered[i]!];
          if ((a.tier === 'A') === (b.tier === 'A')) expect(a.riskScore * a.mrr).toBeGreaterThanOrEqual(b.riskScore * b.mrr);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('does not reorder its argument', () => {
    const list = sampleSnapshot().atRisk;
    const before = list.map((c) => c.customerId);
    orderForDigest(list);
    expect(list.map((c) => c.customerId)).toEqual(before);
  });
});

describe('sparkline', () => {
  it('maps the busiest day to █, idle days to a space and scales in between', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7, 8])).toBe(' ▁▂▃▄▅▆▇█');
    expect(sparkline([0, 0, 5])).toBe('  █');
    expect(sparkline([0, 0, 0])).toBe('   ');
    // Any activity stays visible, however small next to the peak.
    expect(sparkline([1, 1000])).toBe('▁█');
  });

  it('has one character per day, keeps zeros blank and never inverts the order of counts', () => {
    const rank = (ch: string) => (ch === ' ' ? -1 : SPARK_BLOCKS.indexOf(ch as (typeof SPARK_BLOCKS)[number]));
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 500 }), { minLength: 1, maxLength: 56 }), (counts) => {
        const chars = [...sparkline(counts)];
        expect(chars).toHaveLength(counts.length);
        const max = Math.max(...counts);
        counts.forEach((c, i) => {
          expect(chars[i] === ' ').toBe(c === 0);
          if (c === max && max > 0) expect(chars[i]).toBe('█');
          counts.forEach((d, j) => {
            if (c <= d) expect(rank(chars[i]!)).toBeLessThanOrEqual(rank(chars[j]!));
          });
        });
      }),
      { numRuns: 200 },
    );
  });

  it('frames 56 days as 8 weeks ending today, within 80 columns', () => {
    const counts = Array.from({ length: 56 }, (_, i) => i % 9);
    const [bar, scale, legend] = activityTextBlock(counts, '   ');
    expect(bar!.split('│').slice(1, -1)).toEqual(sparkline(counts).match(/.{7}/gu));
    expect(scale).toMatch(/^ {3}8 weeks ago +today$/);
    expect(columns(scale!)).toBe(columns(bar!));
    expect(legend).toContain('█ = 8 events/day');
    expect(columns(bar!)).toBeLessThanOrEqual(80);
  });
});

describe('activityGridHtml', () => {
  it('draws one coloured cell per day, with date and count, the busiest day darkest', () => {
    const counts = Array.from({ length: 56 }, (_, i) => (i === 55 ? 10 : i % 4));
    const grid = activityGridHtml(counts, '2026-11-24');
    expect(count(grid, /<td [^>]*bgcolor="/g)).toBe(56);
    expect(grid).toContain(`bgcolor="${GRID_COLOURS[4]}" title="2026-11-24: 10 events"`);
    expect(grid).toContain(`bgcolor="${GRID_COLOURS[0]}" title="2026-09-30: 0 events"`);
    expect(grid).not.toMatch(/class=|<svg|<img/);
  });
});

describe('wrapText', () => {
  it('keeps every line within the width and every word, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z→]{1,30}$/), { maxLength: 40 }), (words) => {
        const lines = wrapText(words.join(' '), 40, '  - ', '    ');
        for (const l of lines) expect(columns(l)).toBeLessThanOrEqual(40);
        expect(lines.map((l) => l.slice(4)).join('').replace(/ /g, '')).toBe(words.join(''));
      }),
      { numRuns: 200 },
    );
  });
});

describe('renderDigest', () => {
  const email = renderDigest(input({ reportUrl: 'https://reports.example.com/r.html' }));

  it('counts customers and new ones in the subject', () => {
    const three = sampleSnapshot().atRisk.slice(0, 3);
    expect(renderDigest(input({ customers: three, newlyAtRisk: ['cus_002'] })).subject).toBe('[Churnwatch] 3 at-risk customers (1 new) — 2026-11-24');
    expect(renderDigest(input({ customers: three.slice(0, 1), newlyAtRisk: [] })).subject).toBe('[Churnwatch] 1 at-risk customer — 2026-11-24');
    expect(renderDigest(input({ customers: [], newlyAtRisk: [], recovered: [{ customerId: 'x', name: 'X' }] })).subject).toBe(
      '[Churnwatch] No at-risk customers (1 recovered) — 2026-11-24',
    );
    // Ids not among this owner's customers are not counted.
    expect(renderDigest(input({ customers: three, newlyAtRisk: ['cus_002', 'someone-else'] })).subject).toContain('(1 new)');
    expect(renderDigest(input({ subjectPrefix: '[CW]\r\nBcc: x@evil.example' })).subject).not.toMatch(/[\r\n]/);
  });

  it('escapes untrusted text in the HTML part', () => {
    expect(email.html).not.toContain(HOSTILE_NAME);
    expect(email.html).not.toContain(HOSTILE_TEXT);
    expect(email.html).not.toMatch(/<script/i);
    expect(email.html).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; Co');
    expect(email.html).toContain('&quot;quotes&quot; &lt;script&gt;alert(1)&lt;/script&gt;');
    const owner = renderDigest(input({ owner: '<img src=x onerror=alert(1)>@x' }));
    expect(owner.html).not.toContain('<img');
  });

  it('keeps names as plain text in the text part', () => {
    expect(email.text).toContain(`${HOSTILE_NAME} [NEW]`);
    expect(email.text).toContain(HOSTILE_TEXT);
    expect(email.text).not.toContain('&lt;');
    expect(email.text).not.toContain('&amp;');
  });

  it('uses mail-safe HTML: inline styles only, tables, no images or SVG, at most 640px wide', () => {
    expect(email.html).not.toMatch(/<style|class=|<svg|<img|<link|<script|<div/i);
    expect(email.html).toContain('max-width:640px');
    expect(count(email.html, /title="2026-\d\d-\d\d: \d+ events?"/g)).toBe(56 * input().customers.length);
  });

  it('lists customers in digest order with reasons, MRR change and a NEW badge', () => {
    const order = orderForDigest(input().customers).map((c) => c.name ?? c.customerId);
    const positions = order.map((n, i) => email.text.indexOf(`\n${i + 1}. ${n}`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const htmlNames = order.map((n) => email.html.indexOf(`font-weight:bold;color:#1f2933;word-break:break-word;overflow-wrap:anywhere;">${n.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}`));
    expect(htmlNames.every((p) => p >= 0)).toBe(true);
    expect([...htmlNames].sort((a, b) => a - b)).toEqual(htmlNames);
    for (const c of input().customers) for (const r of c.reasons) expect(email.text).toContain(r.detail.slice(0, 40));
    expect(email.text).toContain('MRR $600 → $450 (−$150)');
    expect(email.text).toContain('MRR $1,200 (unchanged in 30 days)');
    expect(count(email.html, />NEW</g)).toBe(1);
    expect(count(email.text, /\[NEW\]/g)).toBe(1);
    expect(email.html).toContain('href="https://reports.example.com/r.html"');
  });

  it('tells what changed since the last digest', () => {
    const e = renderDigest(input({ recovered: [{ customerId: 'cus_9', name: 'Initech' }, { customerId: 'cus_10', name: null }] }));
    const section = e.text.slice(e.text.indexOf('WHAT CHANGED'), e.text.indexOf('AT-RISK CUSTOMERS'));
    expect(section).toContain(`Newly at risk:\n  - ${HOSTILE_NAME}`);
    expect(section).toContain('Recovered:\n  - Initech\n  - cus_10');
    expect(e.html).toContain('Initech<br>cus_10');
    const none = renderDigest(input({ newlyAtRisk: [] }));
    expect(none.text).toContain('Newly at risk: none');
    expect(none.text).toContain('Recovered: none');
  });

  it('says so at the top when the recipient is the fallback', () => {
    const fallback = renderDigest(input({ isFallback: true }));
    expect(fallback.text.split('\n').slice(0, 6).join(' ')).toContain('no account owner');
    expect(fallback.html.indexOf('No account owner.')).toBeGreaterThan(0);
    expect(fallback.html.indexOf('No account owner.')).toBeLessThan(fallback.html.indexOf('What changed'));
    expect(email.html).not.toContain('No account owner.');
    expect(email.text).not.toContain('no account owner');
  });

  it('keeps the text part within 80 columns, even with long names and reasons', () => {
    const long = atRiskCustomer({
      customerId: 'cus_long',
      name: `Very ${'Long'.repeat(30)} Name Incorporated International`,
      reasons: [{ code: 'inactive', detail: 'word '.repeat(60), points: 35 }],
    });
    const e = renderDigest(input({ customers: [...input().customers, long], reportUrl: `https://r.example.com/${'x'.repeat(120)}` }));
    for (const line of e.text.split('\n')) expect(columns(line)).toBeLessThanOrEqual(80);
  });

  it('does not link report URLs that are not http(s)', () => {
    const e = renderDigest(input({ reportUrl: 'javascript:alert(1)' }));
    expect(e.html).not.toContain('href="javascript');
    expect(e.html).toContain('Full report: javascript:alert(1)');
  });
});
