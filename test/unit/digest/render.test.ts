import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Band } from '../../../lambdas/domain/forecast/types';
import type { AtRiskCustomer } from '../../../lambdas/domain/types';
import { activityGridHtml, activityTextBlock, GRID_COLOURS, SPARK_BLOCKS, sparkline } from '../../../lambdas/digest/render-activity';
import { orderForDigest, renderDigest, type DigestInput } from '../../../lambdas/digest/render';
import { wrapText } from '../../../lambdas/digest/render-text';
import { atRiskCustomer, HOSTILE_NAME, HOSTILE_TEXT, sampleSnapshot } from '../report/fixtures';
import { propertyRuns } from '../../support/property-runs';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
const columns = (line: string) => [...line].length;

function input(overrides: Partial<DigestInput> = {}): DigestInput {
  const s = sampleSnapshot();
  // Last digest: cus_001 and cus_004 were already red, cus_005 yellow; cus_002 is new.
  const previous = new Map<string, Band | 'scheduled'>([
    ['cus_001', 'red'],
    ['cus_004', 'red'],
    ['cus_005', 'yellow'],
  ]);
  return {
    owner: 'dana@vendor.example',
    asOf: s.asOf,
    currency: s.currency,
    customers: s.atRisk,
    scheduled: s.scheduledChurn,
    previous,
    recovered: [],
    ...overrides,
  };
}
const listed = () => input().customers.filter((c) => c.band === 'red' || c.band === 'yellow');

describe('orderForDigest', () => {
  it('keeps red and yellow customers only, red first, then by probability and MRR', () => {
    const ids = orderForDigest([
      atRiskCustomer({ customerId: 'y-high', band: 'yellow', churnProbability: 0.25, mrr: 900 }),
      atRiskCustomer({ customerId: 'r-low', band: 'red', churnProbability: 0.31, mrr: 10 }),
      atRiskCustomer({ customerId: 'g', band: 'green', churnProbability: 0.05, mrr: 5000 }),
      atRiskCustomer({ customerId: 'r-high', band: 'red', churnProbability: 0.6, mrr: 100 }),
      atRiskCustomer({ customerId: 'y-tie-big', band: 'yellow', churnProbability: 0.2, mrr: 800 }),
      atRiskCustomer({ customerId: 'y-tie-small', band: 'yellow', churnProbability: 0.2, mrr: 300 }),
    ]).map((c) => c.customerId);
    expect(ids).toEqual(['r-high', 'r-low', 'y-high', 'y-tie-big', 'y-tie-small']);
  });

  it('holds for any list: red before yellow, probability non-increasing within a band, green left out', () => {
    const customer = fc.record({
      band: fc.constantFrom<Band>('red', 'yellow', 'green'),
      churnProbability: fc.double({ min: 0, max: 1, noNaN: true }),
      mrr: fc.double({ min: 0, max: 1e6, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(customer, { maxLength: 30 }), (specs) => {
        const list: AtRiskCustomer[] = specs.map((s, i) => atRiskCustomer({ ...s, customerId: `c${i}` }));
        const ordered = orderForDigest(list);
        expect(ordered.map((c) => c.customerId).sort()).toEqual(
          list
            .filter((c) => c.band !== 'green')
            .map((c) => c.customerId)
            .sort(),
        );
        const firstYellow = ordered.findIndex((c) => c.band === 'yellow');
        if (firstYellow >= 0) expect(ordered.slice(firstYellow).every((c) => c.band === 'yellow')).toBe(true);
        for (let i = 1; i < ordered.length; i++) {
          const [a, b] = [ordered[i - 1]!, ordered[i]!];
          if (a.band === b.band) expect(a.churnProbability!).toBeGreaterThanOrEqual(b.churnProbability!);
        }
      }),
      { numRuns: propertyRuns(200) },
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
      { numRuns: propertyRuns(200) },
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
        expect(
          lines
            .map((l) => l.slice(4))
            .join('')
            .replace(/ /g, ''),
        ).toBe(words.join(''));
      }),
      { numRuns: propertyRuns(200) },
    );
  });
});

describe('renderDigest', () => {
  const email = renderDigest(input({ reportUrl: 'https://reports.example.com/r.html' }));

  it('counts red, yellow and the save list in the subject', () => {
    expect(email.subject).toBe('[Churnwatch] 2 red, 2 yellow, 2 cancellations on file — 2026-11-24');
    const redOnly = input().customers.slice(0, 1);
    expect(renderDigest(input({ customers: redOnly, scheduled: [] })).subject).toBe('[Churnwatch] 1 red — 2026-11-24');
    expect(renderDigest(input({ customers: [], scheduled: [], recovered: [{ customerId: 'x', name: 'X' }] })).subject).toBe(
      '[Churnwatch] No customer at risk (1 recovered) — 2026-11-24',
    );
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

  it('uses mail-safe HTML: inline styles only, tables, no images or SVG, at most 640px wide, explicit light colours', () => {
    expect(email.html).not.toMatch(/<style|class=|<svg|<img|<link|<script|<div/i);
    expect(email.html).toContain('max-width:640px');
    expect(email.html).toContain('name="color-scheme" content="light only"');
    expect(count(email.html, /title="2026-\d\d-\d\d: \d+ events?"/g)).toBe(56 * listed().length);
  });

  it('leads with red, then yellow, then the save list; each with its probability and top factors in words', () => {
    const red = email.text.indexOf('RED: LIKELY TO CHURN');
    const order = orderForDigest(input().customers).map((c) => c.name ?? c.customerId);
    const positions = order.map((n) => email.text.indexOf(n, red));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const yellow = email.text.indexOf('YELLOW: WATCH');
    const save = email.text.indexOf('SAVE LIST');
    expect(0 < red && red < yellow && yellow < save).toBe(true);
    expect(email.text).toContain('churn probability 45%');
    expect(email.text).toContain('active 5 of the last 28 days (usually 18); 2 users (usually 6)');
    // Only factors that raise the risk are listed as "why".
    expect(email.text).not.toContain('paying for 26 months');
    for (const c of listed()) for (const r of c.reasons) expect(email.text).toContain(r.detail.slice(0, 40));
    expect(email.text).toContain('MRR $600 → $450 (−$150)');
    expect(email.text).toContain('MRR $1,200 (unchanged in 30 days)');
    expect(email.html).toContain('RED 45%');
    expect(email.html).toContain('YELLOW 18%');
    expect(email.html).toContain('href="https://reports.example.com/r.html"');
    expect(email.text.slice(save)).toMatch(/Initech [\s\S]*\$640 MRR ends\s+2026-12-31\s+\(switched_competitor\)/);
  });

  it('counts green customers with signals only instead of describing them', () => {
    expect(email.text).not.toContain('first active 12 days ago');
    expect(email.text).toContain('1 other customer shows a warning signal but a low churn probability');
  });

  it('marks newly listed customers, and tells who recovered', () => {
    expect(count(email.html, />NEW</g)).toBe(1);
    expect(count(email.text, /\[NEW\]/g)).toBe(1);
    const e = renderDigest(
      input({
        recovered: [
          { customerId: 'cus_9', name: 'Initech' },
          { customerId: 'cus_10', name: null },
        ],
      }),
    );
    const section = e.text.slice(e.text.indexOf('WHAT CHANGED'), e.text.indexOf('RED: LIKELY'));
    expect(section).toContain(`Newly listed:\n  - ${HOSTILE_NAME}`);
    expect(section).toContain('Recovered:\n  - Initech\n  - cus_10');
    expect(e.html).toContain('Initech<br>cus_10');
    // A yellow customer turning red is news; without a previous digest nothing is "new".
    const worse = renderDigest(
      input({
        previous: new Map([
          ['cus_001', 'yellow'],
          ['cus_002', 'yellow'],
          ['cus_004', 'red'],
          ['cus_005', 'yellow'],
        ]),
      }),
    );
    expect(count(worse.text, /\[NEW\]/g)).toBe(1);
    expect(worse.text).toContain('Acme Analytics [NEW]');
    const first = renderDigest(input({ previous: null }));
    expect(first.text).toContain('Newly listed: none');
    expect(first.text).toContain('Recovered: none');
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
      factors: [{ code: 'engagement', points: 30, detail: 'long '.repeat(50) }],
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
