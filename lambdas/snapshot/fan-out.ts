import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import * as z from 'zod';
import type { SnapshotPartial } from '../domain/snapshot-partial';
import type { Day } from '../domain/types';
import { byteLines, OVERLONG } from '../formats/byte-lines';
import { stagingPrefixFor } from '../shared/layout';
import type { Band } from '../domain/forecast/types';
import { decodeBands, encodeBands, type StoredModel } from '../store/model-store';
import { countProfiles, segmentsForProfiles } from '../store/profile-reader';
import { putTextChunks } from '../store/s3-text-writer';
import {
  foldProfiles,
  newBuilder,
  prepareModel,
  readPreviousBands,
  writeSnapshot,
  type FoldStats,
  type SnapshotDeps,
  type SnapshotOptions,
  type WrittenSnapshot,
} from './run-snapshot';

/**
 * The snapshot in parts (lib/snapshot-definition.ts): Plan sizes the work and pins the model, each
 * part folds its share of the profile scan into a partial snapshot in S3, Finish merges them. The
 * merge is exact (lambdas/domain/snapshot-partial.ts): the reports are byte for byte the ones a
 * single run writes.
 */

/** Customers per part: a part folds ~100k in well under a minute of one vCPU (bench/snapshot-1m.ts). */
export const PROFILES_PER_PART = 100_000;
/** Parts at most: within the scan's 64 segments and the inline Map's modest payloads. */
export const MAX_PARTS = 40;

export interface SnapshotPart {
  index: number;
  /** The scan segments this part reads, of the plan's totalSegments. */
  segments: number[];
}

/**
 * Splits the scan's segments over parts, one part per `perPart` profiles (at least one, at most
 * MAX_PARTS and never more than segments): segment s goes to part s mod parts, so parts differ by at
 * most one segment.
 */
export function planParts(profiles: number, totalSegments: number, perPart = PROFILES_PER_PART): SnapshotPart[] {
  if (!(Number.isInteger(totalSegments) && totalSegments >= 1))
    throw new RangeError(`totalSegments must be a positive integer, got ${totalSegments}`);
  if (!(perPart >= 1)) throw new RangeError(`perPart must be at least 1, got ${perPart}`);
  const count = Math.min(MAX_PARTS, totalSegments, Math.max(1, Math.ceil(profiles / perPart)));
  return Array.from({ length: count }, (_, index) => ({
    index,
    segments: Array.from({ length: Math.ceil((totalSegments - index) / count) }, (_, k) => index + k * count),
  }));
}

/** What every step after Plan reads: small, it travels in the execution's state. */
export const snapshotPlanSchema = z.object({
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** staging/<execution>/snapshot/: the pinned model and the parts' files. */
  prefix: z.string().startsWith('staging/'),
  totalSegments: z.number().int().min(1).max(1_000_000),
  parts: z.number().int().min(1).max(MAX_PARTS),
  refitted: z.boolean(),
});
export type SnapshotPlan = z.infer<typeof snapshotPlanSchema>;

export const snapshotPartSchema = z.object({
  index: z
    .number()
    .int()
    .min(0)
    .max(MAX_PARTS - 1),
  segments: z.array(z.number().int().min(0)).min(1),
});

/** Pinned by Plan so that every part bands with the same model and the same previous bands. */
interface PlanFile {
  stored: StoredModel | null;
  previousBands: string | null;
}

const planKey = (plan: Pick<SnapshotPlan, 'prefix'>) => `${plan.prefix}plan.json`;
const partKey = (plan: Pick<SnapshotPlan, 'prefix'>, index: number) => `${plan.prefix}part-${String(index).padStart(3, '0')}.jsonl`;

export interface PlanOptions extends SnapshotOptions {
  /** Customers per part (tests make it small to get several parts out of a small book). */
  profilesPerPart?: number;
}

/**
 * Refits the model when due, pins it and the previous bands in S3, counts the profiles and splits the
 * scan. The usage inbox is folded before, by the handler, as for a single run.
 */
export async function planSnapshot(
  deps: SnapshotDeps,
  asOf: Day,
  executionName: string,
  opts: PlanOptions = {},
): Promise<{ plan: SnapshotPlan; parts: SnapshotPart[] }> {
  const { stored, refitted, profiles: counted } = await prepareModel(deps, asOf, opts);
  const previous = await readPreviousBands(deps, asOf);
  const profiles = counted ?? (await countProfiles(deps.dynamo, deps.tableName));
  const totalSegments = deps.scanSegments ?? segmentsForProfiles(profiles);
  const parts = planParts(profiles, totalSegments, opts.profilesPerPart);
  const plan: SnapshotPlan = { asOf, prefix: `${stagingPrefixFor(executionName)}snapshot/`, totalSegments, parts: parts.length, refitted };
  const file: PlanFile = { stored: stored ?? null, previousBands: previous.size > 0 ? encodeBands(previous) : null };
  await deps.s3.send(
    new PutObjectCommand({ Bucket: deps.bucketName, Key: planKey(plan), Body: JSON.stringify(file), ContentType: 'application/json' }),
  );
  return { plan, parts };
}

async function readPlanFile(
  deps: SnapshotDeps,
  plan: SnapshotPlan,
): Promise<{ stored: StoredModel | undefined; previousBands: Map<string, Band> }> {
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucketName, Key: planKey(plan) }));
  const file = JSON.parse(await out.Body!.transformToString('utf-8')) as PlanFile;
  return { stored: file.stored ?? undefined, previousBands: file.previousBands ? decodeBands(file.previousBands) : new Map() };
}

interface PartHeader {
  state: SnapshotPartial;
  stats: FoldStats;
}

/** Folds one part's segments; its partial state (first line) and kept at-risk rows go to S3. */
export async function runSnapshotPart(
  deps: SnapshotDeps,
  plan: SnapshotPlan,
  part: SnapshotPart,
): Promise<{ index: number; customers: number; atRisk: number }> {
  if (part.index >= plan.parts) throw new RangeError(`part ${part.index} is not one of the plan's ${plan.parts}`);
  const { stored, previousBands } = await readPlanFile(deps, plan);
  const builder = newBuilder(deps.config, plan.asOf, stored, previousBands);
  const stats = await foldProfiles(deps, builder, plan.asOf, { segments: plan.totalSegments, only: part.segments });
  const header: PartHeader = { state: builder.partialState(), stats };
  let atRisk = 0;
  function* lines(): Generator<string> {
    yield `${JSON.stringify(header)}\n`;
    for (const row of builder.partialRows()) {
      atRisk++;
      yield `${row}\n`;
    }
  }
  await putTextChunks(deps.s3, { bucket: deps.bucketName, key: partKey(plan, part.index), contentType: 'application/x-ndjson' }, lines());
  return { index: part.index, customers: builder.size, atRisk };
}

/** A part's line can be long (a churn reason is free text) but never this long. */
const MAX_PART_LINE_BYTES = 64 * 1024 * 1024;

/** Merges every part into one builder and writes the reports and the snapshot item from it. */
export async function finishSnapshot(deps: SnapshotDeps, plan: SnapshotPlan): Promise<WrittenSnapshot> {
  const { stored } = await readPlanFile(deps, plan);
  // No previous bands: they act while customers are folded, and the parts have folded them all.
  const builder = newBuilder(deps.config, plan.asOf, stored, new Map());
  const stats: FoldStats = { segments: 0, readUnits: 0, itemsRead: 0, requests: 0, backfilledActivity: 0 };
  for (let index = 0; index < plan.parts; index++) {
    const key = partKey(plan, index);
    const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucketName, Key: key }));
    let first = true;
    let line = 0;
    for await (const bytes of byteLines(out.Body as Readable, MAX_PART_LINE_BYTES)) {
      line++;
      if (bytes === OVERLONG) throw new Error(`${key} line ${line}: longer than ${MAX_PART_LINE_BYTES} bytes`);
      const text = bytes.toString('utf8');
      try {
        if (first) {
          const header = JSON.parse(text) as PartHeader;
          builder.mergeState(header.state);
          addStats(stats, header.stats);
          first = false;
        } else builder.mergeRow(text);
      } catch (err) {
        throw new Error(`${key} line ${line}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (first) throw new Error(`${key} is empty: the part did not finish`);
  }
  const written = await writeSnapshot(deps, plan.asOf, builder, stored);
  return { ...written, stats: { ...stats, customers: builder.size }, refitted: plan.refitted };
}

function addStats(total: FoldStats, part: FoldStats): void {
  total.segments += part.segments;
  total.readUnits += part.readUnits;
  total.itemsRead += part.itemsRead;
  total.requests += part.requests;
  total.backfilledActivity += part.backfilledActivity;
}
