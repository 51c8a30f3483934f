import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../../lambdas/report/report-html';
import { BAND_ROWS } from '../../../lambdas/report/forecast-html';
import { sampleSnapshot, atRiskCustomer } from './fixtures';

describe('report size', () => {
  it('lists the most likely churners of each band on the page and points to the CSV for the rest', () => {
    const red = Array.from({ length: BAND_ROWS + 20 }, (_, i) =>
      atRiskCustomer({ customerId: `cus_r${String(i).padStart(4, '0')}`, name: null, band: 'red', churnProbability: 0.9 - i / 1000 }),
    );
    const html = renderReportHtml(sampleSnapshot({ atRisk: red }));
    expect(html).toContain(`>${red[BAND_ROWS - 1]!.customerId}<`);
    expect(html).not.toContain(`>${red[BAND_ROWS]!.customerId}<`);
    expect(html).toContain(`The first ${BAND_ROWS} are shown; all are in at-risk.csv.`);
  });
});
