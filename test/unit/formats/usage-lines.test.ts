import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readJsonLines } from '../../../lambdas/formats/usage-lines';

async function collect(stream: Readable) {
  const out = [];
  for await (const l of readJsonLines(stream)) out.push(l);
  return out;
}

describe('readJsonLines', () => {
  const text = '\uFEFF{"a":1}\r\n\r\n{"b":2}\nnot json\n{"c":"é"}';

  it('numbers lines, skips blank ones, strips a BOM and reports bad JSON by line', async () => {
    const lines = await collect(Readable.from([Buffer.from(text)]));
    expect(lines.map((l) => [l.line, l.value ?? l.error?.slice(0, 14)])).toEqual([
      [1, { a: 1 }],
      [3, { b: 2 }],
      [4, 'malformed JSON'],
      [5, { c: 'é' }],
    ]);
  });

  it('gives the same lines for gzip, whatever the chunking', async () => {
    const plain = await collect(Readable.from([Buffer.from(text)]));
    const gz = gzipSync(text);
    const chunked = Array.from({ length: gz.length }, (_, i) => gz.subarray(i, i + 1));
    expect(await collect(Readable.from(chunked))).toEqual(plain);
    const bytes = Buffer.from(text);
    expect(await collect(Readable.from(Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1))))).toEqual(plain);
  });

  it('fails on a corrupt gzip stream instead of hanging or yielding garbage', async () => {
    const gz = gzipSync('{"a":1}\n'.repeat(1000));
    const corrupt = Buffer.concat([gz.subarray(0, 20), Buffer.alloc(200, 7)]);
    await expect(collect(Readable.from([corrupt]))).rejects.toThrow();
  });

  it('yields nothing for an empty stream', async () => {
    expect(await collect(Readable.from([]))).toEqual([]);
  });
});
