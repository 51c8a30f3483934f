import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AT_RISK_CSV_COLUMNS, renderAtRiskCsv } from '../../../lambdas/report/at-risk-csv';
import { atRiskCustomer, HOSTILE_NAME, HOSTILE_TEXT, sampleSnapshot } from './fixtures';
import { propertyRuns } from '../../support/property-runs';

const parseCsv = (csv: string): Record<string, string>[] => parse(csv, { columns: true, skip_empty_lines: false });

describe('renderAtRiskCsv', () => {
  const snapshot = sampleSnapshot();
  const csv = renderAtRiskCsv(snapshot);
  const rows = parseCsv(csv);

  it('writes a header and one CRLF-terminated record per at-risk customer', () => {
    expect(csv.split('\r\n')[0]).toBe(AT_RISK_CSV_COLUMNS.join(','));
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(rows).toHaveLength(snapshot.atRisk.length);
  });

  it('parses back to the same values', () => {
    snapshot.atRisk.forEach((c, i) => {
      const row = rows[i]!;
      expect(row.customerId).toBe(c.customerId);
      expect(row.owner).toBe(c.owner ?? '');
      expect(row.tier).toBe(c.tier);
      expect(Number(row.mrr)).toBe(c.mrr);
      expect(Number(row.mrrPrevious)).toBe(c.mrrPrevious);
      expect(Number(row.riskScore)).toBe(c.riskScore);
      expect(row.frequency).toBe(c.frequency);
      expect(row.reasons!.split(';')).toEqual(c.reasons.map((r) => r.code));
      expect(row.details).toBe(c.reasons.map((r) => r.detail).join('; '));
    });
  });

  it('keeps hostile text intact and quoted', () => {
    const row = rows.find((r) => r.customerId === 'cus_002')!;
    expect(row.name).toBe(HOSTILE_NAME);
    expect(row.plan).toBe(`Pro ${HOSTILE_TEXT}`);
    expect(csv).toContain(`"Pro ""quotes"" <script>alert(1)</script>"`);
    expect(rows.find((r) => r.customerId === 'cus_005')!.name).toBe('Globex, "West" Division');
  });

  it('neutralises text cells that a spreadsheet would run as a formula', () => {
    const row = rows.find((r) => r.customerId === 'cus_004')!;
    expect(row.name).toBe(`'=HYPERLINK("http://evil.example","click")`);
    const more = renderAtRiskCsv(
      sampleSnapshot({
        atRisk: ['+1+1', '-2', '@SUM(A1)', '\tx', 'a=b'].map((name, i) => atRiskCustomer({ customerId: `c${i}`, name })),
      }),
    );
    expect(parseCsv(more).map((r) => r.name)).toEqual(["'+1+1", "'-2", "'@SUM(A1)", "'\tx", 'a=b']);
  });

  it('writes negative numbers as numbers, not as neutralised text', () => {
    const out = parseCsv(renderAtRiskCsv(sampleSnapshot({ atRisk: [atRiskCustomer({ mrr: 10, mrrPrevious: -12.5 })] })));
    expect(out[0]!.mrrPrevious).toBe('-12.5');
  });

  it('round-trips arbitrary names', () => {
    const tricky = fc
      .array(fc.constantFrom('a', 'é', ',', '"', '\n', '\r', '\r\n', '=', '+', '-', '@', ' ', '\t', ';', "'"))
      .map((a) => a.join(''));
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), tricky), { minLength: 1, maxLength: 5 }), (names) => {
        const atRisk = names.map((name, i) => atRiskCustomer({ customerId: `c${i}`, name, plan: name }));
        const back = parseCsv(renderAtRiskCsv(sampleSnapshot({ atRisk })));
        expect(back).toHaveLength(names.length);
        back.forEach((row, i) => {
          const name = names[i]!;
          const expected = /^[=+\-@\t\r]/.test(name) ? `'${name}` : name;
          expect(row.name).toBe(expected);
          expect(row.plan).toBe(expected);
          expect(row.customerId).toBe(`c${i}`);
        });
      }),
      { numRuns: propertyRuns(200) },
    );
  });
});
