/**
 * snapshot.json (docs/metrics.md §5) as chunks: the summary's fields with the at-risk rows in their
 * place, streamed row by row from their kept JSON text. Written without indentation: at a million
 * customers the list alone is ~300 MB compact and over half as much again indented.
 */
import { aroundAtRisk, type AtRiskRows } from '../domain/snapshot';
import type { SnapshotSummary } from '../domain/types';

export function* snapshotJsonChunks(summary: SnapshotSummary, atRisk: AtRiskRows): Generator<string> {
  const [head, tail] = aroundAtRisk(summary);
  const headJson = JSON.stringify(head);
  yield `${headJson.slice(0, -1)}${headJson.length > 2 ? ',' : ''}"atRisk":[`;
  let first = true;
  for (const row of atRisk.texts()) {
    yield first ? row : `,${row}`;
    first = false;
  }
  yield `],${JSON.stringify(tail).slice(1)}`;
}
