import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { paginateScan, type DynamoDBDocumentClient, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { addDays } from '../domain/dates';
import type { CustomerTimeline, Day } from '../domain/types';
import { batchGet } from './batch';
import { PROFILE_ACTIVITY_DAYS, PROFILE_INDEX, keys } from './keys';
import { decodeLedger } from './ledger-state';
import { decodeUsageProfile, readActivityDays } from './usage-store';

export interface ScanStats {
  /** Parallel scan segments read. */
  segments: number;
  /** Read capacity units the scan consumed, as DynamoDB reports them. */
  readUnits: number;
  itemsRead: number;
  requests: number;
}

/**
 * Profiles read per page: a scan page of index keys, then one BatchGetItem of the profiles. Small
 * pages keep the memory in flight at a page per segment (64 × 100 profiles of ~10 KB at most),
 * whatever the number of customers.
 */
const PROFILES_PER_PAGE = 100;

/**
 * Reads every customer profile: a parallel scan of the keys-only profiles index, each page's
 * profiles then fetched by key (eventually consistent, as a scan reads) and handed to `onPage` as they
 * arrive. Only profiles carry the index key, so the cost grows with customers, never with ledger
 * lines or events; and the index costs no writes when usage updates a profile.
 */
export async function scanProfiles(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  onPage: (items: Record<string, unknown>[]) => Promise<void> | void,
  opts: {
    /** Total segments of the parallel scan (default: from the index's item count). */
    segments?: number;
    /** The segments this call reads, of the total (default: all): a part of the snapshot fan-out. */
    only?: readonly number[];
    /** Reads only the profiles of the customers it keeps, decided on the index keys (the refit's sample). */
    keep?: (customerId: string) => boolean;
  } = {},
): Promise<ScanStats> {
  const segments = opts.segments ?? (await scanSegmentsFor(dynamo, tableName));
  const mine = opts.only ?? Array.from({ length: segments }, (_, i) => i);
  if (mine.some((s) => !Number.isInteger(s) || s < 0 || s >= segments))
    throw new RangeError(`scan segments ${JSON.stringify(mine)} are not all in 0..${segments - 1}`);
  const stats: ScanStats = { readUnits: 0, itemsRead: 0, requests: 0, segments: mine.length };
  await Promise.all(
    mine.map(async (segment) => {
      for await (const page of indexPages(dynamo, tableName, segment, segments, {
        Limit: PROFILES_PER_PAGE,
        ReturnConsumedCapacity: 'TOTAL',
      })) {
        stats.requests++;
        stats.readUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
        let profileKeys = (page.Items ?? []).map((k) => ({ pk: k.pk as string, sk: k.sk as string }));
        if (opts.keep) profileKeys = profileKeys.filter((k) => opts.keep!(k.pk.slice(CUSTOMER_PK_PREFIX.length)));
        if (profileKeys.length === 0) continue;
        const read = await batchGet(dynamo, tableName, profileKeys, { consistentRead: false });
        stats.requests += read.requests;
        stats.readUnits += read.readUnits;
        stats.itemsRead += read.items.length;
        await onPage(read.items);
      }
    }),
  );
  return stats;
}

/** The pages of one segment of a parallel scan of the profiles index, followed to its end. */
const indexPages = (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  segment: number,
  totalSegments: number,
  options: Pick<ScanCommandInput, 'Limit' | 'ReturnConsumedCapacity' | 'Select'>,
) =>
  paginateScan(
    { client: dynamo },
    { TableName: tableName, IndexName: PROFILE_INDEX.name, Segment: segment, TotalSegments: totalSegments, ...options },
  );

/** Profiles per scan segment: small segments keep every page cheap and the scan parallel. */
const PROFILES_PER_SEGMENT = 2_500;
const MIN_SEGMENTS = 4;
const MAX_SEGMENTS = 64;

/** Segments for the parallel scan of this many profiles: one per ~2,500, 4 to 64. */
export const segmentsForProfiles = (profiles: number): number =>
  Math.min(MAX_SEGMENTS, Math.max(MIN_SEGMENTS, Math.ceil(profiles / PROFILES_PER_SEGMENT)));

/**
 * Segments for the parallel scan, from the profiles index's item count (DynamoDB refreshes it about
 * every six hours, close enough to size the work).
 */
export async function scanSegmentsFor(dynamo: DynamoDBDocumentClient, tableName: string): Promise<number> {
  const out = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const index = out.Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === PROFILE_INDEX.name);
  return segmentsForProfiles(index?.ItemCount ?? 0);
}

/**
 * The exact number of profiles: a parallel COUNT scan of the keys-only profiles index (a few bytes
 * per customer, so ~2,000 read units at a million). Sizing the snapshot's fan-out on the index's
 * item count would trust a figure up to six hours old, as after the first backfill, when it is 0.
 */
export async function countProfiles(dynamo: DynamoDBDocumentClient, tableName: string, segments = 16): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let count = 0;
      for await (const page of indexPages(dynamo, tableName, segment, segments, { Select: 'COUNT' })) count += page.Count ?? 0;
      return count;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

const CUSTOMER_PK_PREFIX = keys.customerPk('');

const customerIdOf = (item: Record<string, unknown>) =>
  (item.customerId as string | undefined) ?? (item.pk as string).slice(CUSTOMER_PK_PREFIX.length);

/** Turns a profile item into the engine's input (the ledger part and the usage part). */
export function profileToTimeline(item: Record<string, unknown>): CustomerTimeline {
  const ledger = decodeLedger(item.ledger as string | undefined);
  const usage = decodeUsageProfile(item);
  const str = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
  return {
    customerId: customerIdOf(item),
    name: str('name'),
    ownerEmail: str('ownerEmail'),
    plan: str('plan'),
    segment: str('segment'),
    createdAt: str('createdAt'),
    lines: [...ledger.lines.values()].map((v) => v.value),
    cancellations: [...ledger.cancellations.values()].map((v) => v.value),
    activity: usage.activity,
    weeks: usage.weeks,
    firstEventDay: usage.firstEventDay,
    featureFirstSeen: usage.featureFirstSeen,
    archivedFirstActiveDay: ledger.archive.firstActiveDay,
    archivedMonthEnds: ledger.archive.monthEnds,
  };
}

/** Days of activity the engine looks at: the 28-day current and previous windows. */
export const ACTIVITY_LOOKBACK_DAYS = 56;

/**
 * A back-dated snapshot may need days the profile no longer keeps (it keeps the PROFILE_ACTIVITY_DAYS
 * up to its latest event day): those customers' windows are read from their daily rollup items.
 * Returns whether the rollups had to be read.
 */
export async function fillActivityWindow(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown>,
  timeline: CustomerTimeline,
  asOf: Day,
): Promise<boolean> {
  const from = addDays(asOf, -(ACTIVITY_LOOKBACK_DAYS - 1));
  const lastEventDay = typeof item.le === 'string' ? item.le : undefined;
  if (!timeline.firstEventDay || !lastEventDay || timeline.firstEventDay > asOf) return false;
  const keptFrom = addDays(lastEventDay, -(PROFILE_ACTIVITY_DAYS - 1));
  if (keptFrom <= from) return false;
  timeline.activity = await readActivityDays(dynamo, tableName, timeline.customerId, from, asOf);
  return true;
}
