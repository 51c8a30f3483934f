import { describe, expect, it } from 'vitest';
import { AT_RISK_ROWS, renderReportHtml } from '../../../lambdas/report/report-html';
import { computeSnapshot } from '../../../lambdas/domain/snapshot';
import { SYNTHETIC_SETTINGS, syntheticTimelines } from '../../../bench/synthetic';

describe('report size', () => {
  it('lists the highest-risk customers on the page and points to the CSV for the rest', () => {
    const snapshot = computeSnapshot(syntheticTimelines({ customers: 2000, asOf: '2026-06-30', seed: 3 }), SYNTHETIC_SETTINGS, '2026-06-30');
    expect(snapshot.atRisk.length).toBeGreaterThan(AT_RISK_ROWS);
    const html = renderReportHtml(snapshot);
    const rows = html.match(/<tr[^>]*>\s*<td/g)?.length ?? 0;
    expect(html).toContain(snapshot.atRisk[AT_RISK_ROWS - 1]!.customerId);
    expect(html).not.toContain(`>${snapshot.atRisk[AT_RISK_ROWS]!.customerId}<`);
    expect(html).toMatch(new RegExp(`all ${snapshot.atRisk.length.toLocaleString('en-US')} are in at-risk.csv`));
    expect(rows).toBeGreaterThanOrEqual(AT_RISK_ROWS);
  });
});
