/**
 * snapshot.json (docs/metrics.md §5) as chunks: the summary's fields with the at-risk rows in their
 * place, streamed row by row from their kept JSON text. Written without indentation: at a million
 * customers the list alone is ~300 MB compact and over half as much again indented. Each at-risk row
 * is on a line of its own (a newline before each row and before the list's closing `]`), so the
 * digest can read the file line by line instead of holding it whole (lambdas/digest/snapshot-lines.ts).
 * JSON.stringify never leaves a raw newline inside a value, so the head, each row and the tail are
 * one line each.
 */
import { aroundAtRisk, type AtRiskRows } from '../domain/snapshot';
import type { SnapshotSummary } from '../domain/types';

export function* snapshotJsonChunks(summary: SnapshotSummary, atRisk: AtRiskRows): Generator<string> {
  const [head, tail] = aroundAtRisk(summary);
  const headJson = JSON.stringify(head);
  yield `${headJson.slice(0, -1)}${headJson.length > 2 ? ',' : ''}"atRisk":[`;
  let first = true;
  for (const row of atRisk.texts()) {
    yield first ? `\n${row}` : `,\n${row}`;
    first = false;
  }
  const tailJson = JSON.stringify(tail);
  yield `\n]${tailJson.length > 2 ? ',' : ''}${tailJson.slice(1)}`;
}
