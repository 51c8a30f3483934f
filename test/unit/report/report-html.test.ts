import { describe, expect, it } from 'vitest';
import { heatColor, renderReportHtml } from '../../../lambdas/report/report-html';
import { HOSTILE_NAME, HOSTILE_TEXT, sampleSnapshot } from './fixtures';

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

/** The value shown on the headline card with this label. */
function cardValue(html: string, label: string): string {
  const m = new RegExp(`<div class="card-label">${label.replace(/[()]/g, '\\$&')}</div><div class="card-value[^"]*">([^<]*)</div>`).exec(
    html,
  );
  if (!m) throw new Error(`no card ${label}`);
  return m[1]!;
}

describe('renderReportHtml', () => {
  const snapshot = sampleSnapshot();
  const html = renderReportHtml(snapshot, { generatedAt: '2026-11-25T06:00:00Z' });

  it('is a complete page that needs nothing from the network and runs no script', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\bsrc=/i);
    expect(html).not.toMatch(/href="?https?:/i);
    expect(html).not.toMatch(/<link|@import|url\(/i);
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers either
  });

  const listed = snapshot.atRisk.filter((c) => c.band === 'red' || c.band === 'yellow');

  it("draws an SVG for the waterfall, both trend charts and each red or yellow customer's sparkline", () => {
    expect(count(html, /<svg /g)).toBe(3 + listed.length);
    expect(html).toContain('aria-label="MRR movements over the period"');
    expect(html).toContain('aria-label="Monthly logo churn rate, last 12 months"');
    expect(html).toContain('aria-label="Monthly net dollar retention, last 12 months"');
  });

  it('breaks trend lines at null months instead of joining across them', () => {
    // The fixture has one null month in the middle: each of the two charts gets two line pieces.
    expect(count(html, /<polyline /g)).toBe(4);
    // 11 non-null months per chart, each drawn as a point.
    expect(count(html, /<circle /g)).toBe(22);
    const allNull = renderReportHtml(
      sampleSnapshot({ trend: sampleSnapshot().trend.map((t) => ({ ...t, ndr: null, logoChurnRate: null })) }),
    );
    expect(count(allNull, /<polyline /g)).toBe(0);
  });

  it('shows headline figures formatted with the currency and as percentages', () => {
    expect(cardValue(html, 'MRR at start')).toBe('$48,250');
    expect(cardValue(html, 'MRR at end')).toBe('$51,030');
    expect(cardValue(html, 'Net new MRR')).toBe('+$2,780');
    expect(cardValue(html, 'Logo churn')).toBe('3.52%');
    expect(cardValue(html, 'NDR (12 months)')).toBe('106.4%');
    const eur = renderReportHtml(sampleSnapshot({ currency: 'EUR' }));
    expect(cardValue(eur, 'MRR at start')).toBe('€48,250');
  });

  it('renders null rates as an em dash', () => {
    const empty = renderReportHtml(
      sampleSnapshot({
        logoChurnRate: null,
        ndr: null,
        grr: null,
        ndr12m: null,
        grr12m: null,
        annualizedFromMonth: null,
        netMrrChurnRate: null,
      }),
    );
    for (const label of ['Logo churn', 'NDR (month)', 'GRR (month)', 'NDR (12 months)', 'GRR (12 months)']) {
      expect(cardValue(empty, label)).toBe('—');
    }
    expect(empty).toContain('net MRR churn —');
    expect(empty).not.toContain('NaN');
    expect(empty).not.toContain('null');
    // The plan segment with no customers at start has null rates too.
    expect(html).toMatch(/Legacy[^]*?<td class="num">—<\/td>/);
  });

  it('colours one heat-map cell per cohort month and leaves the rest empty', () => {
    const filled = snapshot.cohorts.reduce((n, c) => n + c.retention.length, 0);
    const width = Math.max(...snapshot.cohorts.map((c) => c.retention.length));
    expect(count(html, /<td class="heat" /g)).toBe(filled);
    expect(count(html, /<td class="heat-empty">/g)).toBe(snapshot.cohorts.length * width - filled);
    expect(html).toContain(`style="background:${heatColor(1).background};color:#ffffff">100.0%</td>`);
  });

  it('makes heat-map colours darker as retention grows', () => {
    const darkness = (share: number) =>
      heatColor(share)
        .background.match(/\d+/g)!
        .map(Number)
        .reduce((a, b) => a + b, 0);
    expect(darkness(0)).toBeGreaterThan(darkness(0.5));
    expect(darkness(0.5)).toBeGreaterThan(darkness(1));
  });

  it('escapes every piece of untrusted text', () => {
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; Co');
    expect(html).toContain('&quot;quotes&quot; &lt;script&gt;alert(1)&lt;/script&gt;');
    // Plan segment names and churn reasons are data too.
    expect(html).toContain('Legacy &quot;quotes&quot; &lt;script&gt;');
    // The fixture carries it in a factor, a signal's detail (a tooltip), a plan segment, a churn reason
    // and a name on the save list.
    expect(count(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/g)).toBe(5);
    expect(html).not.toContain(HOSTILE_TEXT);
    const owner = renderReportHtml(sampleSnapshot({ atRisk: [{ ...snapshot.atRisk[0]!, owner: '"><img src=x>' }] }));
    expect(owner).toContain('&quot;&gt;&lt;img src=x&gt;');
    expect(owner).not.toContain('<img');
  });

  it('leads the early warnings with red, then yellow, then the save list, with probability, factors and signals', () => {
    const at = (text: string) => html.indexOf(text);
    expect(at('Red: likely to churn')).toBeLessThan(at('Yellow: watch'));
    expect(at('Yellow: watch')).toBeLessThan(at('Save list: cancellations on file'));
    for (const c of listed) {
      expect(html).toContain(`>${c.customerId}<`);
      for (const r of c.reasons) expect(html).toContain(r.code);
    }
    expect(html).toContain('>45%<');
    expect(html).toContain('The average customer scores -52.3 points');
    expect(html).toContain('engagement +38.2</span> active 5 of the last 28 days (usually 18)');
    expect(html).not.toContain('paying for 26 months'); // lowers the risk: not a "why"
    // Green customers with signals only are counted, not listed.
    expect(html).not.toContain('>cus_003<');
    expect(html).toContain('1 other customer shows a signal');
    expect(html).toContain('2026-12-31');
    expect(html).toContain('switched_competitor');
  });

  it('shows how well the warnings worked, with the lift table against the old points and a calibration chart', () => {
    const e = {
      customers: 1000,
      churners: 80,
      baseRate: 0.08,
      auc: 0.78,
      precisionRed: 0.41,
      recallRed: 0.3,
      liftRed: 5.1,
      precisionFlagged: 0.25,
      recallFlagged: 0.55,
      liftFlagged: 3.1,
      flaggedShare: 0.12,
      precisionTop10: 0.45,
      calibration: [
        { predicted: 0.02, observed: 0.018, customers: 200 },
        { predicted: 0.3, observed: 0.33, customers: 200 },
      ],
      calibrationError: 0.03,
      medianDaysListedBeforeChurn: 41,
      liftTable: [],
    };
    const withBacktest = renderReportHtml(snapshot, {
      backtest: {
        from: '2025-11-30',
        to: '2026-10-31',
        evaluation: e,
        baselines: { fixedPoints: { ...e, auc: 0.61 }, activeDaysAuc: 0.66 },
        saveList: { churners: 90, onSaveList: 30 },
      },
    });
    expect(withBacktest).toContain('How well the warnings worked');
    expect(withBacktest).toContain('>0.78<');
    expect(withBacktest).toContain('0.61 (active days alone: 0.66)');
    expect(withBacktest).toContain('aria-label="Calibration: predicted against observed churn by quintile"');
    expect(count(withBacktest, /<circle cx=/g)).toBe(e.calibration.length + 22);
    expect(html).toContain('No backtest yet');
    expect(withBacktest).not.toContain('fixed sample');
    const sampled = renderReportHtml(snapshot, {
      backtest: {
        from: '2025-11-30',
        to: '2026-10-31',
        evaluation: e,
        baselines: { fixedPoints: e, activeDaysAuc: null },
        saveList: { churners: 90, onSaveList: 30 },
        sample: { customers: 5_000, share: 0.025 },
      },
    });
    expect(sampled).toMatch(/fitted on, and these figures measured on, a fixed sample of 5,000 customers \(2\.5\s?% of the book\)/);
  });

  it('says so when there is nothing at risk, no churn and no cohort', () => {
    const quiet = renderReportHtml(sampleSnapshot({ atRisk: [], scheduledChurn: [], churnReasons: {}, cohorts: [] }));
    expect(quiet).toContain('None today.');
    expect(quiet).toContain('No cancellation on file.');
    expect(quiet).toContain('No customer churned this period.');
    expect(quiet).toContain('No cohorts yet.');
    expect(count(quiet, /<svg /g)).toBe(3);
  });

  it('renders a first-month snapshot with no history without NaN or errors', () => {
    const zero = {
      customersStart: 0,
      churned: 0,
      logoChurnRate: null,
      mrrStart: 0,
      expansion: 0,
      contraction: 0,
      churnedMrr: 0,
      ndr: null,
    };
    const first = renderReportHtml(
      sampleSnapshot({
        customers: { start: 0, new: 3, reactivated: 0, churned: 0, newChurned: 0, end: 3 },
        mrr: { start: 0, new: 297, expansion: 0, contraction: 0, churned: 0, reactivation: 0, end: 297 },
        logoChurnRate: null,
        grossMrrChurnRate: null,
        netMrrChurnRate: null,
        ndr: null,
        grr: null,
        ndr12m: null,
        grr12m: null,
        annualizedLogoChurn: 0,
        annualizedFromMonth: null,
        byPlan: {},
        byTier: { C: zero },
        byLifecycle: {},
        cohorts: [],
        churnReasons: {},
        atRisk: [],
        trend: [],
      }),
    );
    expect(first).not.toMatch(/NaN|undefined|Infinity/);
    expect(cardValue(first, 'MRR at end')).toBe('$297');
    expect(cardValue(first, 'Annualised logo churn')).toBe('0.0%');
    expect(count(first, /<svg /g)).toBe(1); // the waterfall; no trend without history
  });

  it('uses the given title and timestamp', () => {
    const titled = renderReportHtml(snapshot, { title: 'Board <pack>', generatedAt: '2026-11-25T06:00:00Z' });
    expect(titled).toContain('<title>Board &lt;pack&gt;</title>');
    expect(titled).toContain('2026-11-25T06:00:00Z');
    expect(renderReportHtml(snapshot)).toContain('<title>Churnwatch report — Nov 2026</title>');
  });
});
