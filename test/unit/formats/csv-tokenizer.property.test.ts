import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvTokenizer } from '../../../lambdas/formats/csv-tokenizer';
import { propertyRuns } from '../../support/property-runs';

/**
 * The hand-written tokenizer against csv-parse, the reference it replaced, on random RFC 4180 files:
 * same records, and start lines and original text as the generator knows them.
 */

interface Tokenized {
  records: string[][];
  lines: number[];
  raws: string[];
  errors: { reason: string; line: number; raw: string }[];
}

function tokenize(bytes: Uint8Array, chunkSizes: number[]): Tokenized {
  const out: Tokenized = { records: [], lines: [], raws: [], errors: [] };
  const tokenizer = new CsvTokenizer({
    record(fields, line, text, start, end) {
      out.records.push([...fields]);
      out.lines.push(line);
      out.raws.push(text.slice(start, end));
    },
    error(reason, line, raw) {
      out.errors.push({ reason, line, raw });
    },
  });
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = chunkSizes[i % chunkSizes.length]!;
    tokenizer.write(Buffer.from(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  tokenizer.end();
  return out;
}

const reference = (text: string): string[][] => parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];

// Field text exercising every rule: delimiters, quotes, both line breaks, spaces, multi-byte UTF-8.
const fieldChar = fc.constantFrom('a', 'Z', '0', ' ', ',', '"', '\n', '\r\n', 'ü', '東', '😀', '.', '-');
const field = fc.array(fieldChar, { maxLength: 8 }).map((cs) => cs.join(''));
const record = fc.array(field, { minLength: 1, maxLength: 6 });

interface FileModel {
  records: string[][];
  eol: '\n' | '\r\n' | '\r';
  quoteAll: boolean;
  bom: boolean;
  finalEol: boolean;
  /** Empty lines inserted before each record (0 to 2). */
  blanks: number[];
}

const fileModel: fc.Arbitrary<FileModel> = fc
  .record({
    records: fc.array(record, { minLength: 1, maxLength: 12 }),
    eol: fc.constantFrom('\n' as const, '\r\n' as const, '\r' as const),
    quoteAll: fc.boolean(),
    bom: fc.boolean(),
    finalEol: fc.boolean(),
    blanks: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 12, maxLength: 12 }),
  })
  // A record of one empty field is an empty line: csv-parse and the tokenizer both skip it, by design.
  .map((m) => ({ ...m, records: m.records.filter((r) => !(r.length === 1 && r[0] === '' && !m.quoteAll)) }));

function serialise(m: FileModel): { text: string; lines: number[]; raws: string[] } {
  // In a file whose lines end with a lone CR, a field's own line breaks are quoted data all the same.
  const needsQuotes = /[",\r\n]/;
  const q = (f: string) => (m.quoteAll || needsQuotes.test(f) ? `"${f.replaceAll('"', '""')}"` : f);
  const breaks = (s: string) => (m.eol === '\r' ? s.split('\r').length - 1 : s.split('\n').length - 1);
  let text = m.bom ? '\ufeff' : '';
  let line = 1;
  const lines: number[] = [];
  const raws: string[] = [];
  m.records.forEach((r, i) => {
    const blanks = m.blanks[i] ?? 0;
    text += m.eol.repeat(blanks);
    line += blanks;
    const raw = r.map(q).join(',');
    lines.push(line);
    raws.push(raw);
    line += 1 + breaks(raw);
    text += raw + (i < m.records.length - 1 || m.finalEol ? m.eol : '');
  });
  return { text, lines, raws };
}

describe('CSV tokenizer (property)', () => {
  it('agrees with csv-parse on random RFC 4180 files, any chunking; lines and raw text are exact', () => {
    fc.assert(
      fc.property(fileModel, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 }), (m, chunks) => {
        const { text, lines, raws } = serialise(m);
        // The line ending is taken from the file's first line break: in a lone-CR file whose first break
        // is quoted data (an LF or CRLF in a field), that cannot be told from the content.
        const first = text.search(/[\r\n]/);
        fc.pre(m.eol !== '\r' || first === -1 || (text[first] === '\r' && text[first + 1] !== '\n'));
        const got = tokenize(new TextEncoder().encode(text), chunks);
        expect(got.errors).toEqual([]);
        expect(got.records).toEqual(reference(text));
        expect(got.records).toEqual(m.records);
        expect(got.lines).toEqual(lines);
        expect(got.raws).toEqual(raws);
      }),
      { numRuns: propertyRuns(400) },
    );
  });

  it('a malformed record is reported with its line and text; the records after it are read', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('ab"c', '"ab"c', '"ab" '),
        fc.integer({ min: 1, max: 64 }),
        (after, badField, chunk) => {
          const rest = after.filter((r) => !(r.length === 1 && r[0] === ''));
          const q = (f: string) => `"${f.replaceAll('"', '""')}"`;
          const text = `h1,h2\nx,${badField},y\n${rest.map((r) => r.map(q).join(',')).join('\n')}\n`;
          const got = tokenize(new TextEncoder().encode(text), [chunk]);
          expect(got.errors).toHaveLength(1);
          expect(got.errors[0]).toMatchObject({ line: 2, raw: `x,${badField},y` });
          expect(got.records).toEqual([['h1', 'h2'], ...rest]);
          expect(got.lines[1]).toBe(rest.length > 0 ? 3 : undefined);
        },
      ),
      { numRuns: propertyRuns(200) },
    );
  });
});
