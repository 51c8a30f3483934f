/**
 * The hostile-input corpus for billing exports (issue 11), generated rather than committed: every case
 * is a small file of good rows with bad input mixed in, and says what must come out of it: the file's
 * status, each quarantined line with a pattern for its reason, and the good rows (the snapshot that
 * must be unchanged: every good row present once, nothing merged, nothing doubled).
 */

export const CSV_HEADER =
  'invoice_id,line_id,customer_id,subscription_id,plan,amount,currency,period_start,period_end,status,customer_name,owner_email';

export interface GoodLine {
  customerId: string;
  invoiceId: string;
  lineId: string;
  amount: number;
  customerName?: string;
}

export interface BillingCase {
  name: string;
  /** S3 key suffix: `.csv`, `.jsonl`. */
  ext: 'csv' | 'jsonl';
  body: Buffer;
  status: 'done' | 'failed';
  /** Quarantined physical lines, with what their reason must say. */
  quarantined: { line: number; reason: RegExp }[];
  /** Every line the profiles must hold afterwards (good rows, and hostile rows that are acceptable). */
  good: GoodLine[];
  /** Customers that must not exist (e.g. what a decoder's U+FFFD would have merged into). */
  absent?: string[];
}

interface Row {
  invoice_id: string;
  line_id: string;
  customer_id: string;
  amount: string;
  currency?: string;
  period_start?: string;
  period_end?: string;
  status?: string;
  customer_name?: string;
  owner_email?: string;
  quantity?: string;
}

const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function csvLine(r: Row): string {
  return [
    r.invoice_id,
    r.line_id,
    r.customer_id,
    'sub_1',
    'pro',
    r.amount,
    r.currency ?? 'USD',
    r.period_start ?? '2026-01-01',
    r.period_end ?? '2026-02-01',
    r.status ?? 'paid',
    r.customer_name ?? '',
    r.owner_email ?? '',
  ]
    .map(csvField)
    .join(',');
}

function jsonLine(r: Row): string {
  const o: Record<string, unknown> = {
    type: 'invoice_line',
    invoice_id: r.invoice_id,
    line_id: r.line_id,
    customer_id: r.customer_id,
    subscription_id: 'sub_1',
    amount: r.amount,
    currency: r.currency ?? 'USD',
    period_start: r.period_start ?? '2026-01-01',
    period_end: r.period_end ?? '2026-02-01',
    status: r.status ?? 'paid',
  };
  if (r.customer_name) o.customer_name = r.customer_name;
  return JSON.stringify(o);
}

/** Good rows of a case: 3 customers, 8 lines, explicit line ids. */
export function goodRows(p: string, n = 8): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    invoice_id: `${p}in${Math.floor(i / 2)}`,
    line_id: `l${i}`,
    customer_id: `${p}c${i % 3}`,
    amount: `${10 + i}.50`,
    customer_name: `Customer ${i % 3}`,
  }));
}

const toGood = (r: Row): GoodLine => ({
  customerId: r.customer_id,
  invoiceId: r.invoice_id,
  lineId: r.line_id,
  amount: Number(r.amount),
  customerName: r.customer_name || undefined,
});

type Piece = string | Buffer;

/**
 * A file of the good rows with `bad` pieces (each one physical line unless it holds line breaks)
 * inserted after good row `at`; returns the body and the physical line number of each bad piece.
 */
function assemble(ext: 'csv' | 'jsonl', rows: Row[], bad: Piece[], at: number, eol = '\n'): { body: Buffer; lines: number[] } {
  const pieces: Piece[] = ext === 'csv' ? [CSV_HEADER] : [];
  const good = rows.map(ext === 'csv' ? csvLine : jsonLine);
  pieces.push(...good.slice(0, at));
  const first = pieces.length + 1;
  const lines: number[] = [];
  let line = first;
  for (const b of bad) {
    lines.push(line);
    line += 1 + (Buffer.isBuffer(b) ? b.toString('latin1') : b).split('\n').length - 1;
  }
  pieces.push(...bad, ...good.slice(at));
  const parts = pieces.flatMap((piece, i) => [
    Buffer.isBuffer(piece) ? piece : Buffer.from(piece, 'utf8'),
    Buffer.from(i < pieces.length - 1 ? eol : '\n'),
  ]);
  return { body: Buffer.concat(parts), lines };
}

/** One bad CSV row among good ones: it is quarantined with `reason`, everything else ingested. */
function badCsv(name: string, p: string, bad: (p: string) => Piece[], reason: RegExp | RegExp[], at = 4): BillingCase {
  const rows = goodRows(p);
  const pieces = bad(p);
  const { body, lines } = assemble('csv', rows, pieces, at);
  const reasons = Array.isArray(reason) ? reason : pieces.map(() => reason);
  return {
    name,
    ext: 'csv',
    body,
    status: 'done',
    quarantined: lines.map((line, i) => ({ line, reason: reasons[i]! })),
    good: rows.map(toGood),
  };
}

function badJsonl(name: string, p: string, bad: (p: string) => Piece[], reason: RegExp, at = 4): BillingCase {
  const rows = goodRows(p);
  const { body, lines } = assemble('jsonl', rows, bad(p), at);
  return { name, ext: 'jsonl', body, status: 'done', quarantined: lines.map((line) => ({ line, reason })), good: rows.map(toGood) };
}

const row = (p: string, over: Partial<Row>): Row => ({ invoice_id: `${p}bad`, line_id: 'x1', customer_id: `${p}c0`, amount: '5', ...over });
const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from(x))));

/** Every case; `p` is a prefix that keeps each case's customers apart from the others'. */
export function billingCorpus(prefix: (i: number) => string): BillingCase[] {
  const cases: ((p: string) => BillingCase)[] = [
    // 1. Numbers beyond 2^53
    (p) => badCsv('amount 2^53 + 1', p, () => [csvLine(row(p, { amount: '9007199254740993' }))], /^amount: .*beyond ±9007199254740991/),
    (p) => badCsv('amount -(2^53 + 1)', p, () => [csvLine(row(p, { amount: '-9007199254740993' }))], /^amount: .*beyond/),
    (p) => badCsv('amount 10^20 as digits', p, () => [csvLine(row(p, { amount: '1' + '0'.repeat(20) }))], /^amount: .*beyond/),
    (p) =>
      badJsonl(
        'JSONL quantity 1e20',
        p,
        () => [JSON.stringify({ ...JSON.parse(jsonLine(row(p, {}))), quantity: 1e20 })],
        /^quantity: .*beyond/,
      ),
    (p) =>
      badJsonl(
        'JSONL amount number 2^53 + 1',
        p,
        () => [jsonLine(row(p, {})).replace('"amount":"5"', '"amount":9007199254740993')],
        /^amount: .*beyond/,
      ),
    (p) => {
      // 2^53 − 1 is exact: accepted as is.
      const rows = goodRows(p);
      const extra = row(p, { amount: '9007199254740991', invoice_id: `${p}max` });
      const { body } = assemble('csv', rows, [csvLine(extra)], 4);
      return {
        name: 'amount 2^53 - 1 is accepted exactly',
        ext: 'csv',
        body,
        status: 'done',
        quarantined: [],
        good: [...rows.map(toGood), toGood(extra)],
      };
    },
    (p) => badCsv('amount 1e20 in CSV', p, () => [csvLine(row(p, { amount: '1e20' }))], /^amount: "1e20" is not a number/),
    (p) =>
      badCsv(
        'amount NaN / Infinity / hex / thousands',
        p,
        () => ['NaN', 'Infinity', '0x10', '1,000.00'].map((a) => csvLine(row(p, { amount: a }))),
        /^amount: .* is not a number/,
      ),
    (p) => badCsv('amount missing', p, () => [csvLine(row(p, { amount: '' }))], /^amount is missing/),
    (p) => quantityCase(p),
    // 3. Ids counted in bytes
    (p) =>
      badCsv(
        'invoice_id of 200 × é (400 bytes)',
        p,
        () => [csvLine(row(p, { invoice_id: 'é'.repeat(200) }))],
        /^invoice_id is 400 bytes long in UTF-8 \(at most 256 bytes/,
      ),
    (p) =>
      badCsv(
        'customer_id of 100 × 株 (300 bytes)',
        p,
        () => [csvLine(row(p, { customer_id: '株'.repeat(100) }))],
        /^customer_id is 300 bytes long/,
      ),
    (p) =>
      badCsv('line_id of 86 emoji (344 bytes)', p, () => [csvLine(row(p, { line_id: '😀'.repeat(86) }))], /^line_id is 344 bytes long/),
    (p) =>
      badCsv(
        'subscription_id of 257 ASCII characters',
        p,
        () => [csvLine(row(p, {})).replace('sub_1', 's'.repeat(257))],
        /^subscription_id is 257 characters long/,
      ),
    // 4. NUL bytes, control characters
    (p) =>
      badCsv(
        'one NUL in customer_id (first 4 KB)',
        p,
        () => [csvLine(row(p, { customer_id: `${p}c\u00000` }))],
        /^customer_id .* contains a NUL byte \(U\+0000\)/,
        1,
      ),
    (p) =>
      badCsv(
        'NUL in invoice_id late in the file',
        p,
        () => [csvLine(row(p, { invoice_id: `${p}in\u0000` }))],
        /^invoice_id .* contains a NUL byte/,
        8,
      ),
    (p) =>
      badCsv(
        'U+001F in customer_id',
        p,
        () => [csvLine(row(p, { customer_id: `${p}c0\u001f` }))],
        /^customer_id .* contains a control character \(U\+001F\)/,
      ),
    (p) =>
      badCsv(
        'ESC in invoice_id',
        p,
        () => [csvLine(row(p, { invoice_id: `${p}\u001b[31m` }))],
        /^invoice_id .* contains a control character \(U\+001B\)/,
      ),
    (p) =>
      badCsv('DEL in line_id', p, () => [csvLine(row(p, { line_id: 'l\u007f' }))], /^line_id .* contains a control character \(U\+007F\)/),
    (_p) => unreadable('UTF-16 LE with BOM', 'csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${CSV_HEADER}\n`, 'utf16le')])),
    (p) => unreadable('UTF-16 LE without BOM', 'csv', Buffer.from(`${CSV_HEADER}\n${csvLine(goodRows(p)[0]!)}\n`, 'utf16le')),
    (_p) =>
      unreadable(
        'UTF-16 BE with BOM',
        'csv',
        Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(`${CSV_HEADER}\n`, 'utf16le').swap16()]),
      ),
    (_p) => unreadable('an xlsx (zip) named .csv', 'csv', bytes([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0], 'xl/workbook.xml')),
    // 5. Unterminated quotes
    (p) =>
      badCsv(
        'quote never closed, mid-file',
        p,
        () => [csvLine(row(p, {})).replace(',pro,', ',"pro never closed,')],
        /^CSV syntax: quote not closed: field 5 runs to the end of the file/,
      ),
    (p) => badCsv('quote never closed on the last row', p, () => [csvLine(row(p, {})) + ',"tail'], /^CSV syntax: quote not closed/, 8),
    (p) => {
      // 150 good rows after the quote: more than the 100 lines a quoted field may span.
      const rows = goodRows(p, 160);
      const { body, lines } = assemble('csv', rows, [`${csvLine(row(p, {}))},"open`], 10);
      return {
        name: 'quote never closed, 150 rows after it',
        ext: 'csv',
        body,
        status: 'done',
        quarantined: [{ line: lines[0]!, reason: /^CSV syntax: quote not closed: field 13 runs across more than 100 lines/ }],
        good: rows.map(toGood),
      };
    },
    (p) =>
      badCsv(
        'two stray quotes pairing across rows',
        p,
        () => [`${csvLine(row(p, {}))},"a`, `${csvLine(row(p, { invoice_id: `${p}bad2` }))},b"x`],
        /^CSV syntax: (unexpected "x" after the closing quote|quote not closed|a quote inside unquoted field)/,
      ),
    (p) =>
      badCsv(
        'text after a closing quote',
        p,
        () => [csvLine(row(p, {})).replace(',pro,', ',"pro" plan,')],
        /^CSV syntax: unexpected " " after the closing quote of field 5/,
      ),
    (p) =>
      badCsv(
        'quote inside an unquoted field',
        p,
        () => [csvLine(row(p, {})).replace(',pro,', ',pro 5" screen,')],
        /^CSV syntax: a quote inside unquoted field 5/,
      ),
    // 6. Invalid UTF-8: rejected per row, never merged
    (p) => ({
      ...badCsv(
        'cus_\\xff and cus_\\xfe',
        p,
        () => [
          bytes(`${p}i1,l,${p}cus_`, [0xff], ',sub_1,pro,5,USD,2026-01-01,2026-02-01,paid,,'),
          bytes(`${p}i2,l,${p}cus_`, [0xfe], ',sub_1,pro,5,USD,2026-01-01,2026-02-01,paid,,'),
        ],
        /not valid UTF-8/,
      ),
      absent: [`${p}cus_\uFFFD`],
    }),
    (p) => badCsv('invalid UTF-8 in a name', p, () => [bytes(csvLine(row(p, {})), [0xc3, 0x28])], /not valid UTF-8/),
    (p) =>
      badCsv(
        'an encoded surrogate (ED A0 80)',
        p,
        () => [bytes(`${p}i1,l,${p}c`, [0xed, 0xa0, 0x80], ',sub_1,pro,5,USD,2026-01-01,2026-02-01,paid,,')],
        /not valid UTF-8/,
      ),
    (p) =>
      badCsv(
        'an overlong encoding (C0 AF)',
        p,
        () => [bytes(`${p}i1,l,${p}c`, [0xc0, 0xaf], ',sub_1,pro,5,USD,2026-01-01,2026-02-01,paid,,')],
        /not valid UTF-8/,
      ),
    (p) => truncatedTail(p),
    // 8. Injective identities
    (p) => {
      const rows: Row[] = [
        { invoice_id: `${p}inv`, line_id: '', customer_id: `${p}c0`, amount: '1' },
        { invoice_id: `${p}inv`, line_id: '#1', customer_id: `${p}c0`, amount: '2' },
        { invoice_id: `${p}inv`, line_id: '', customer_id: `${p}c0`, amount: '3' },
      ];
      const body = Buffer.from([CSV_HEADER, ...rows.map(csvLine)].join('\n') + '\n');
      return {
        name: 'explicit line_id "#1" next to implicit ordinals',
        ext: 'csv',
        body,
        status: 'done',
        quarantined: [],
        good: [
          { customerId: `${p}c0`, invoiceId: `${p}inv`, lineId: '#1', amount: 1 },
          { customerId: `${p}c0`, invoiceId: `${p}inv`, lineId: '##1', amount: 2 },
          { customerId: `${p}c0`, invoiceId: `${p}inv`, lineId: '#2', amount: 3 },
        ],
      };
    },
    (p) => {
      const rows: Row[] = [
        { invoice_id: `${p}a#b`, line_id: 'c', customer_id: `${p}c0`, amount: '1' },
        { invoice_id: `${p}a`, line_id: 'b#c', customer_id: `${p}c0`, amount: '2' },
        { invoice_id: `${p}a\\`, line_id: '#c', customer_id: `${p}c0`, amount: '3' },
      ];
      const body = Buffer.from([CSV_HEADER, ...rows.map(csvLine)].join('\n') + '\n');
      return {
        name: 'ids containing the key separator #',
        ext: 'csv',
        body,
        status: 'done',
        quarantined: [],
        good: rows.map((r, i) => ({ ...toGood(r), lineId: i === 2 ? '##c' : r.line_id })),
      };
    },
    (p) =>
      badCsv(
        'U+001F between invoice and line id',
        p,
        () => [csvLine(row(p, { invoice_id: `${p}in0\u001fl0`, line_id: '' }))],
        /contains a control character \(U\+001F\)/,
      ),
    // 11. Dates, emails, other fields
    (p) =>
      badCsv(
        'year 0000',
        p,
        () => [csvLine(row(p, { period_start: '0000-01-01' }))],
        /^period_start: "0000-01-01" is before the year 1000/,
      ),
    (p) =>
      badCsv(
        'year 0999',
        p,
        () => [csvLine(row(p, { period_start: '0999-12-01', period_end: '1000-01-01' }))],
        /^period_start: "0999-12-01" is before the year 1000/,
      ),
    (p) => badCsv('year 0000 as a timestamp', p, () => [csvLine(row(p, { period_start: '0000-01-01T00:00:00Z' }))], /before the year 1000/),
    (p) =>
      badCsv('February 30', p, () => [csvLine(row(p, { period_start: '2026-02-30' }))], /^period_start: "2026-02-30" is not a real date/),
    (p) =>
      badCsv(
        'period_end before period_start',
        p,
        () => [csvLine(row(p, { period_start: '2026-03-01', period_end: '2026-02-01' }))],
        /^period_end 2026-02-01 is before period_start 2026-03-01/,
      ),
    (p) =>
      badCsv(
        'owner email with markup',
        p,
        () => [csvLine(row(p, { owner_email: '"><svg/onload=alert(1)>@evil.com' }))],
        /^owner_email: .* is not an email address/,
      ),
    (p) =>
      badCsv(
        'owner email with a display name',
        p,
        () => [csvLine(row(p, { owner_email: 'Ann <ann@example.com>' }))],
        /^owner_email: .* is not an email address/,
      ),
    (p) =>
      badCsv(
        'owner email with ESC',
        p,
        () => [csvLine(row(p, { owner_email: 'ann\u001b@example.com' }))],
        /^owner_email: .* is not an email address/,
      ),
    (p) =>
      badCsv(
        'owner email without a dot in the domain',
        p,
        () => [csvLine(row(p, { owner_email: 'ann@localhost' }))],
        /^owner_email: .* is not an email address/,
      ),
    (p) => badCsv('status injection', p, () => [csvLine(row(p, { status: "paid'; DROP TABLE x;--" }))], /^status: .* is not one of/),
    (p) => badCsv('unknown currency', p, () => [csvLine(row(p, { currency: 'XYZ' }))], /^currency "XYZ" is not an ISO 4217 code/),
    (p) => badCsv('currency without an FX rate', p, () => [csvLine(row(p, { currency: 'JPY' }))], /^currency "JPY" has no FX rate/),
    (p) => badCsv('a row with too few fields', p, () => [`${p}short,l,${p}c0`], /^amount is missing/),
    (p) => badCsv('customer_id missing', p, () => [csvLine(row(p, { customer_id: '' }))], /^customer_id is missing/),
    (p) =>
      badCsv(
        'a 3,000-character reason-like name',
        p,
        () => [csvLine(row(p, { customer_name: 'n'.repeat(3000) }))],
        /^customer_name is 3000 characters long/,
      ),
    // 7. JSONL structure
    (p) => badJsonl('JSONL first line [1,2]', p, () => ['[1,2]'], /^expected a JSON object, got an array/, 0),
    (p) => badJsonl('JSONL first line a string', p, () => ['"invoice_line"'], /^expected a JSON object, got string/, 0),
    (p) => badJsonl('JSONL null line later', p, () => ['null'], /^expected a JSON object, got null/),
    (p) => badJsonl('JSONL broken JSON', p, () => ['{"type":"invoice_line",'], /^not valid JSON/),
    (p) =>
      badJsonl(
        'JSONL type __proto__',
        p,
        () => [jsonLine(row(p, {})).replace('"type":"invoice_line"', '"type":"__proto__"')],
        /^type: "__proto__" is not one of/,
      ),
    (p) =>
      badJsonl(
        'JSONL type constructor',
        p,
        () => [jsonLine(row(p, {})).replace('"type":"invoice_line"', '"type":"constructor"')],
        /^type: "constructor" is not one of/,
      ),
    (p) =>
      badJsonl(
        'JSONL prototype pollution attempt',
        p,
        () => [
          `{"type":"invoice_line","__proto__":{"customer_id":"${p}c0","invoice_id":"x"},"amount":"1","currency":"USD","status":"paid"}`,
        ],
        /^invoice_id is missing/,
      ),
    (p) =>
      badJsonl(
        'JSONL customer_id with an escaped NUL',
        p,
        () => [jsonLine(row(p, { customer_id: `${p}c\u00000` }))],
        /contains a NUL byte/,
      ),
    (p) =>
      badJsonl(
        'JSONL lone surrogate in customer_id',
        p,
        () => [jsonLine(row(p, {})).replace(`"customer_id":"${p}c0"`, `"customer_id":"${p}c\\ud800"`)],
        /contains a lone surrogate/,
      ),
    (p) =>
      badJsonl(
        'JSONL invalid UTF-8 bytes',
        p,
        () => [
          bytes(
            `{"type":"invoice_line","invoice_id":"x","customer_id":"${p}cus_`,
            [0xff],
            '","amount":"1","currency":"USD","status":"paid"}',
          ),
        ],
        /not valid UTF-8/,
      ),
    (p) => badJsonl('JSONL 5,000 nested arrays', p, () => ['['.repeat(5000) + ']'.repeat(5000)], /^expected a JSON object, got an array/),
    (p) => unreadable('a CSV named .jsonl', 'jsonl', Buffer.from(`${CSV_HEADER}\n${csvLine(goodRows(p)[0]!)}\n`)),
    (p) => {
      // Blank and whitespace-only lines are not rows; a BOM and CRLF are the norm from spreadsheets.
      const rows = goodRows(p);
      const { body } = assemble('csv', rows, ['   ', ''], 4, '\r\n');
      return {
        name: 'BOM, CRLF, blank and whitespace-only lines',
        ext: 'csv',
        body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]),
        status: 'done',
        quarantined: [],
        good: rows.map(toGood),
      };
    },
  ];
  return cases.map((make, i) => make(prefix(i)));
}

function quantityCase(p: string): BillingCase {
  const header = `${CSV_HEADER},quantity`;
  const rows = goodRows(p);
  const lines = [header, ...rows.map((r) => `${csvLine(r)},1`)];
  lines.splice(5, 0, `${csvLine(row(p, {}))},9007199254740993`);
  return {
    name: 'quantity 2^53 + 1',
    ext: 'csv',
    body: Buffer.from(lines.join('\n') + '\n'),
    status: 'done',
    quarantined: [{ line: 6, reason: /^quantity: .*beyond/ }],
    good: rows.map(toGood),
  };
}

/** A file that cannot be read at all: moved to failed/, nothing ingested. */
const unreadable = (name: string, ext: 'csv' | 'jsonl', body: Buffer): BillingCase => ({
  name,
  ext,
  body,
  status: 'failed',
  quarantined: [],
  good: [],
});

function truncatedTail(p: string): BillingCase {
  const rows = goodRows(p);
  const body = Buffer.concat([
    Buffer.from([CSV_HEADER, ...rows.map(csvLine)].join('\n') + '\n'),
    bytes(`${p}i9,l,${p}c0,sub_1,pro,5,USD,2026-01-01,2026-02-01,paid,Z`, [0xe2, 0x82]),
  ]);
  return {
    name: 'a truncated sequence at the end of the file',
    ext: 'csv',
    body,
    status: 'done',
    quarantined: [{ line: rows.length + 2, reason: /not valid UTF-8/ }],
    good: rows.map(toGood),
  };
}
