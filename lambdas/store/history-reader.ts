/**
 * Full customer histories for fitting and backtesting the forecast: every profile's ledger, and all
 * of its daily usage rollups (with distinct users). Read once a month by the refit (a bounded sample
 * of a large book) and once per `churnwatch backtest` (the whole book); the daily snapshot never
 * reads raw history.
 */
import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CustomerTimeline, Day, DayActivity } from '../domain/types';
import { forEachLimit } from '../shared/retry';
import { keys } from './keys';
import { countProfiles, profileToTimeline, scanProfiles, segmentsForProfiles } from './profile-reader';
import { inTrainingSample, trainingShare } from './training-sample';
import { decodeDayTotals } from './usage-store';

export interface HistoryStats {
  /** Customers read (the sample, when the book is larger than `maxCustomers`). */
  customers: number;
  /** Profiles in the book, when a sample was asked for (counted first, to size it). */
  profiles?: number;
  /** The share of the book read: 1 unless sampled (lambdas/store/training-sample.ts). */
  share: number;
  dayItems: number;
  readUnits: number;
}

/** A `DAY#` item with its distinct users (the `users` string set; absent when events carried no userId). */
function dayActivityOf(item: Record<string, unknown>): DayActivity {
  const day = decodeDayTotals(item);
  if (item.users instanceof Set) day.users = item.users.size;
  return day;
}

/** Every `DAY#` rollup of one customer (the `ids` set is left unread: it only serves de-duplication). */
export async function readAllActivityDays(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  customerId: string,
): Promise<{ activity: Record<Day, DayActivity>; items: number; readUnits: number }> {
  const activity: Record<Day, DayActivity> = {};
  let items = 0;
  let readUnits = 0;
  const pages = paginateQuery(
    { client: dynamo },
    {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :day)',
      ExpressionAttributeValues: { ':pk': keys.customerPk(customerId), ':day': keys.daySkPrefix },
      ReturnConsumedCapacity: 'TOTAL',
    },
  );
  for await (const res of pages) {
    readUnits += res.ConsumedCapacity?.CapacityUnits ?? 0;
    for (const item of res.Items ?? []) {
      activity[(item.sk as string).slice(keys.daySkPrefix.length)] = dayActivityOf(item);
      items++;
    }
  }
  return { activity, items, readUnits };
}

export async function readCustomerHistories(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  opts: { maxCustomers?: number } = {},
): Promise<{ customers: CustomerTimeline[]; stats: HistoryStats }> {
  const customers: CustomerTimeline[] = [];
  const stats: HistoryStats = { customers: 0, share: 1, dayItems: 0, readUnits: 0 };
  if (opts.maxCustomers !== undefined) {
    stats.profiles = await countProfiles(dynamo, tableName);
    stats.share = trainingShare(stats.profiles, opts.maxCustomers);
  }
  const keep = stats.share < 1 ? (id: string) => inTrainingSample(id, stats.share) : undefined;
  const scan = await scanProfiles(
    dynamo,
    tableName,
    async (page) => {
      await forEachLimit(page, 8, async (item) => {
        const timeline = profileToTimeline(item);
        const days = await readAllActivityDays(dynamo, tableName, timeline.customerId);
        // The full daily history replaces the profile's recent window; weeks are rebuilt from it.
        timeline.activity = days.activity;
        delete timeline.weeks;
        stats.dayItems += days.items;
        stats.readUnits += days.readUnits;
        customers.push(timeline);
      });
    },
    { keep, segments: stats.profiles === undefined ? undefined : segmentsForProfiles(stats.profiles) },
  );
  stats.customers = customers.length;
  stats.readUnits += scan.readUnits;
  customers.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  return { customers, stats };
}
