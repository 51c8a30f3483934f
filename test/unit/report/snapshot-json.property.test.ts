import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snapshotJsonChunks } from '../../../lambdas/report/snapshot-json';
import { propertyRuns } from '../../support/property-runs';
import { randomSnapshot, snapshotParts } from '../../support/random-snapshot';
import { sampleSnapshot } from './fixtures';

const written = (snapshot: Parameters<typeof snapshotParts>[0]) => {
  const { summary, atRisk } = snapshotParts(snapshot);
  return [...snapshotJsonChunks(summary, atRisk)].join('');
};

describe('snapshot.json (docs/metrics.md §5)', () => {
  it('is the snapshot as JSON, in the fields’ order, with each at-risk row on a line of its own', () => {
    fc.assert(
      fc.property(randomSnapshot, (snapshot) => {
        const text = written(snapshot);
        const parsed = JSON.parse(text) as unknown;
        expect(parsed).toEqual(JSON.parse(JSON.stringify(snapshot)));
        expect(Object.keys(parsed as object)).toEqual(Object.keys(snapshot));

        const lines = text.split('\n');
        expect(lines).toHaveLength(snapshot.atRisk.length + 2);
        expect(lines[0]!.endsWith('"atRisk":[')).toBe(true);
        snapshot.atRisk.forEach((row, i) => {
          const last = i === snapshot.atRisk.length - 1;
          expect(lines[i + 1]).toBe(`${JSON.stringify(row)}${last ? '' : ','}`);
        });
        expect(lines.at(-1)!.startsWith('],"scheduledChurn":')).toBe(true);
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('stays valid with no at-risk row, and with no field after the list', () => {
    const empty = sampleSnapshot({ atRisk: [] });
    expect(JSON.parse(written(empty))).toEqual(JSON.parse(JSON.stringify(empty)));
    const { summary, atRisk } = snapshotParts(empty);
    const bare = {
      ...summary,
      scheduledChurn: undefined,
      risk: undefined,
      trend: undefined,
      diagnostics: undefined,
    } as unknown as typeof summary;
    const text = [...snapshotJsonChunks(bare, atRisk)].join('');
    expect(text.endsWith('"atRisk":[\n]}')).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify({ ...bare, atRisk: [] })));
  });
});
