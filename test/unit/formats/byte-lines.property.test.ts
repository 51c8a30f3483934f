import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteLines, OVERLONG } from '../../../lambdas/formats/byte-lines';
import { propertyRuns } from '../../support/property-runs';
import { cutAt } from '../../support/random-snapshot';

async function collect(chunks: Buffer[], max: number): Promise<(string | typeof OVERLONG)[]> {
  const out: (string | typeof OVERLONG)[] = [];
  for await (const line of byteLines(
    (async function* () {
      yield* chunks;
    })(),
    max,
  ))
    out.push(line === OVERLONG ? line : line.toString('utf8'));
  return out;
}

describe('byteLines', () => {
  it('yields the lines of the bytes whatever the chunking, overlong ones as OVERLONG', async () => {
    const line = fc.oneof(
      fc.string({ maxLength: 12 }).map((s) => s.replace(/\n/g, '')),
      fc.constantFrom('→→→', '日本語', 'x'.repeat(25)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 20 }),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        async (lines, endsWithNewline, cuts) => {
          const text = lines.join('\n') + (endsWithNewline && lines.length ? '\n' : '');
          const max = 20;
          // A last line is one only when it holds something (a final newline ends a line, it starts none).
          const split = text.split('\n');
          const expected = split.at(-1) === '' ? split.slice(0, -1) : split;
          const want = expected.map((l) => (Buffer.byteLength(l) > max ? OVERLONG : l));
          expect(await collect(cutAt(Buffer.from(text), cuts), max)).toEqual(want);
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('does not buffer an overlong line: it goes on with the next one', async () => {
    const chunks = [Buffer.from('ok\n'), ...Array.from({ length: 50 }, () => Buffer.alloc(1000, 0x61)), Buffer.from('\nnext')];
    expect(await collect(chunks, 4096)).toEqual(['ok', OVERLONG, 'next']);
  });
});
