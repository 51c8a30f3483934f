import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, stripControls } from '../../../lambdas/report/escape';
import { propertyRuns } from '../../support/property-runs';

// An independent decoder for the five entities, to check that escaping loses nothing.
const decode = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('renders null and undefined as empty text and numbers as text', () => {
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });

  it('never lets < > " \' or a bare & through, and loses nothing but control characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.array(fc.constantFrom('<', '>', '"', "'", '&', 'amp;', 'lt;', '#39;', 'x')).map((a) => a.join('')),
        ),
        (s) => {
          const out = escapeHtml(s);
          expect(out).not.toMatch(/[<>"']/);
          // Every & starts one of the entities we emit, so the browser cannot read a different entity.
          expect(out.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
          expect(decode(out)).toBe(stripControls(s));
        },
      ),
      { numRuns: propertyRuns(200) },
    );
  });

  it('strips ESC and the other control characters, keeping tabs and line breaks', () => {
    expect(escapeHtml('Acme\u001b[31m red\u0000\u0085\u007f')).toBe('Acme[31m red');
    expect(stripControls('a\tb\nc\r\u001bd')).toBe('a\tb\nc\rd');
  });
});
