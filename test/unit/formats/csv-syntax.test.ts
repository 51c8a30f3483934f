import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UnreadableFileError, readBillingExport } from '../../../lambdas/formats';
import { bad, chunked, good, OPTS, readAll } from './helpers';

const H = 'invoice_id,customer_id,amount,currency,period_start,period_end,status,customer_name';

async function readUntilError(body: AsyncIterable<Uint8Array>, key: string): Promise<{ lines: number[]; error: unknown }> {
  const lines: number[] = [];
  try {
    for await (const r of readBillingExport(body, key, OPTS)) lines.push(r.line);
  } catch (error) {
    return { lines, error };
  }
  return { lines, error: undefined };
}

describe('CSV syntax errors and limits', () => {
  it('a stray quote, or text after a closing quote, quarantines that record with its original text; the rest is read', async () => {
    const csv = [
      H,
      'in_1,cus_1,5,USD,,,paid,Acme',
      'in_2,cus_2,5,USD,,,paid,Acme 5" screens',
      'in_3,cus_3,5,USD,,,paid,"Acme" Inc',
      'in_4,cus_4,5,USD,,,paid,"two',
      'lines"x,more',
      'in_5,cus_5,5,USD,,,paid,"Fine, ""quoted"""',
    ].join('\r\n');
    for (const size of [3, 7, 64, 4096]) {
      const rs = await readAll(chunked(csv, size), 'x.csv');
      expect(good(rs).map((r) => [r.line, r.record.customerId])).toEqual([
        [2, 'cus_1'],
        [7, 'cus_5'],
      ]);
      expect(good(rs)[1]!.record).toMatchObject({ customerName: 'Fine, "quoted"' });
      expect(bad(rs).map((r) => [r.line, r.raw])).toEqual([
        [3, 'in_2,cus_2,5,USD,,,paid,Acme 5" screens'],
        [4, 'in_3,cus_3,5,USD,,,paid,"Acme" Inc'],
        // A malformed record is reported on its first line; the next line is read afresh.
        [5, 'in_4,cus_4,5,USD,,,paid,"two'],
        [6, 'lines"x,more'],
      ]);
      expect(bad(rs)[0]!.reason).toBe(
        'CSV syntax: a quote inside unquoted field 8 (a field containing quotes must be quoted, with each inner quote doubled)',
      );
      expect(bad(rs)[1]!.reason).toBe(
        'CSV syntax: unexpected " " after the closing quote of field 8 (expected a comma or the end of the line)',
      );
      expect(bad(rs)[2]!.reason).toMatch(/^CSV syntax: unexpected "x" after the closing quote of field 8/);
    }
  });

  it('a quote never closed is reported on its line, and every row after it is read', async () => {
    for (const rows of [5, 100, 300]) {
      const tail = Array.from({ length: rows }, (_, i) => `in_${i + 3},cus_${i + 3},5,USD,,,paid,x`).join('\n');
      const csv = `${H}\nin_1,cus_1,5,USD,,,paid,ok\nin_2,cus_2,5,USD,,,paid,"never closed\n${tail}\n`;
      for (const size of [100, 65536]) {
        const rs = await readAll(chunked(csv, size), 'x.csv');
        expect(rs.map((r) => [r.line, r.ok])).toEqual([[2, true], [3, false], ...Array.from({ length: rows }, (_, i) => [i + 4, true])]);
        expect(bad(rs)[0]!.reason).toMatch(
          /^CSV syntax: quote not closed: field 8 (runs to the end of the file|runs across more than 100 lines)$/,
        );
        expect(bad(rs)[0]!.raw).toBe('in_2,cus_2,5,USD,,,paid,"never closed');
      }
    }
  });

  it('a malformed header makes the file unreadable, at line 1', async () => {
    const { lines, error } = await readUntilError(chunked(`invoice_id,cus"tomer_id,amount\nin_1,cus_1,5\n`), 'x.csv');
    expect(lines).toEqual([]);
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect((error as UnreadableFileError).message).toMatch(/^The CSV header is malformed: a quote inside unquoted field 2/);
    expect((error as UnreadableFileError).line).toBe(1);
  });

  it('a record over 16 MB stops the file (rows before it are kept) instead of buffering without bound', async () => {
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`${H}\nin_1,cus_1,5,USD,,,paid,ok\nin_2,cus_2,5,USD,,,paid,"`);
      const mb = Buffer.alloc(1024 * 1024, 'x');
      for (let i = 0; i < 20; i++) yield mb;
    }
    const { lines, error } = await readUntilError(body(), 'x.csv');
    expect(lines).toEqual([2]);
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect((error as UnreadableFileError).line).toBe(3);
    expect((error as UnreadableFileError).message).toMatch(/longer than 16 MB/);
  });

  it('a long quoted field arriving in tiny chunks is read whole (buffering is not quadratic)', async () => {
    const big = 'y'.repeat(300_000);
    const csv = `${H},notes\nin_1,cus_1,5,USD,,,paid,ok,"${big}"\nin_2,cus_2,6,USD,,,paid,ok,\n`;
    const rs = await readAll(chunked(csv, 16), 'x.csv');
    expect(rs.map((r) => [r.line, r.ok])).toEqual([
      [2, true],
      [3, true],
    ]);
  });

  it('lone CR line endings (classic Mac spreadsheets) are read, lines counted', async () => {
    const csv = `${H}\r\rin_1,cus_1,5,USD,,,paid,"A\rB"\rin_2,cus_2,6,USD,,,paid,C\r`;
    const rs = await readAll(chunked(csv, 5), 'x.csv');
    expect(rs.map((r) => [r.line, r.ok ? r.record.customerId : r.reason])).toEqual([
      [3, 'cus_1'],
      [5, 'cus_2'],
    ]);
    expect(good(rs)[0]!.record).toMatchObject({ customerName: 'A\rB' });
  });

  it.each([false, true])('stopping early closes the source stream (gzip: %s)', async (zipped) => {
    const csv = `${H}\n${Array.from({ length: 5000 }, (_, i) => `in_${i},cus_${i},5,USD,,,paid,x`).join('\n')}\n`;
    const source = Readable.from(chunked(zipped ? gzipSync(csv) : csv, 1024));
    let seen = 0;
    for await (const r of readBillingExport(source, zipped ? 'x.csv.gz' : 'x.csv', OPTS)) {
      expect(r.ok).toBe(true);
      if (++seen === 10) break;
    }
    expect(source.destroyed).toBe(true);
  });
});
