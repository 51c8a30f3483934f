import { BatchGetCommand, paginateQuery, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Day, DayActivity } from '../domain/types';
import { addDays, utcDay } from '../domain/dates';
import { backoff, forEachLimit } from '../shared/retry';
import type { WeekSummary } from '../domain/forecast/weeks';
import { ACTIVITY_ATTR_PREFIX, FEATURE_FIRST_SEEN_PREFIX, keys, WEEK_ATTR_PREFIX } from './keys';
import { TTL_ATTRIBUTE } from './table';
import { UpdateExpression } from './update-expression';
import {
  DEDUP_ARRIVAL_DAYS,
  screenBatch,
  emptyDayState,
  emptyProfileUsage,
  encodeDayActivity,
  encodeWeek,
  decodeWeek,
  decodeDayActivity,
  featureRecord,
  groupByCustomerDay,
  planDay,
  planProfile,
  type DayDelta,
  type DayPlan,
  type DayState,
  type IndexedEvent,
  type ProfileUsagePlan,
  type ProfileUsageState,
  type RecentIds,
  type Rejection,
  type TouchedDay,
} from './usage-rollup';

/**
 * Usage rollups in DynamoDB (docs/data-model.md, "Usage ingest"): per customer, one read
 * (BatchGetItem of the DAY# items touched + the profile) and one TransactWriteItems carrying an
 * update per DAY# item and one of the profile's usage part, all conditional on the versions read.
 */

export interface UsageStoreDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
  /** Customers written in parallel. */
  concurrency?: number;
  /** Attempts per customer when concurrent writers conflict. */
  maxAttempts?: number;
  /**
   * Epoch ms by which a contended customer must be written (the handler sets it from the function's
   * remaining time); retries go on until then rather than giving up after a fixed count.
   */
  deadline?: number;
}

export interface UsageIngestResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

const DAY_ATTR_FEATURE_PREFIX = 'f:';
/** Days per transaction: 40 DAY# updates + 1 profile update stays well inside 100 actions and 4 KB expressions. */
const DAYS_PER_TRANSACTION = 40;
/**
 * Customers of one request written in parallel. Kept low on purpose: concurrent requests for the
 * same customers cancel each other's transactions, and every retry is another write. Measured
 * (bench/usage.ts, 4 requests in flight over 50 customers): 8 → ~61 write requests per 1,000 events
 * and ~2,200 events/s; 4 → ~52 and ~2,600 events/s.
 */
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_MAX_ATTEMPTS = 100;
/** Without a deadline from the caller: well inside the function's 10 s timeout. */
const DEFAULT_BUDGET_MS = 7_000;
/** SEEN# items expire this long after their arrival day (DynamoDB TTL), past the 8 days they are read. */
const SEEN_TTL_DAYS = 10;

/**
 * Writers of one customer in this process, one at a time: concurrent requests in one process (the
 * local API adapter, a container serving several requests) queue for a customer instead of cancelling
 * each other's transactions, which cost a retry (another read and write) each. Across processes (Lambda
 * containers) the conditional transaction and its retries keep the counts exact.
 */
const customerQueues = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(customerId: string, fn: () => Promise<T>): Promise<T> {
  const before = customerQueues.get(customerId) ?? Promise.resolve();
  const run = before.then(fn, fn);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  customerQueues.set(customerId, settled);
  try {
    return await run;
  } finally {
    if (customerQueues.get(customerId) === settled) customerQueues.delete(customerId);
  }
}

export async function ingestUsageEvents(events: unknown[], deps: UsageStoreDeps): Promise<UsageIngestResult> {
  const now = (deps.now ?? (() => new Date()))();
  const arrivalDay = utcDay(now.getTime());
  const deadline = deps.deadline ?? Date.now() + DEFAULT_BUDGET_MS;
  const { unique, duplicates: batchDuplicates, rejected } = screenBatch(events, now);
  // Concurrent requests usually carry the same customers in the same order; starting each at a
  // random customer keeps them from contending for one customer's items at the same moment.
  const groups = rotate([...groupByCustomerDay(unique)], Math.floor(Math.random() * unique.length));

  let accepted = 0;
  let duplicates = batchDuplicates.length;
  await forEachLimit(groups, deps.concurrency ?? DEFAULT_CONCURRENCY, async ([customerId, days]) => {
    const dayList = [...days.keys()].sort();
    for (let i = 0; i < dayList.length; i += DAYS_PER_TRANSACTION) {
      const chunk = new Map(dayList.slice(i, i + DAYS_PER_TRANSACTION).map((d) => [d, days.get(d)!]));
      const plans = await oneAtATime(customerId, () => writeCustomerDays(deps, customerId, chunk, arrivalDay, deadline));
      for (const p of plans) {
        accepted += p.accepted.length;
        duplicates += p.duplicates.length;
        rejected.push(...p.rejected);
      }
    }
  });
  rejected.sort((a, b) => a.index - b.index);
  return { accepted, duplicates, rejected };
}

async function writeCustomerDays(
  deps: UsageStoreDeps,
  customerId: string,
  days: Map<Day, IndexedEvent[]>,
  arrivalDay: Day,
  deadline: number,
): Promise<DayPlan[]> {
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const { dayStates, profile, recent } = await readCustomer(deps, customerId, [...days.keys()], arrivalDay);
    const plans = new Map<Day, DayPlan>();
    for (const [day, events] of days) plans.set(day, planDay(dayStates.get(day)!, customerId, day, events, recent));
    const writes = [...plans].filter(([, p]) => p.delta.ids.length > 0);
    if (writes.length === 0) return [...plans.values()];

    const touched = new Map<Day, TouchedDay>(
      writes.map(([day, p]) => {
        const before = dayStates.get(day)!;
        const touchedDay: TouchedDay = {
          totals: p.totals,
          featuresUsed: p.featuresUsed,
          wasActive: before.events > 0,
          eventsAdded: p.delta.events,
          users: before.users.size + p.delta.users.length,
        };
        return [day, touchedDay];
      }),
    );
    const transactItems = [
      ...writes.map(([day, p]) => ({ Update: dayUpdate(deps.tableName, customerId, day, dayStates.get(day)!, p.delta) })),
      { Update: seenUpdate(deps.tableName, customerId, arrivalDay, recent) },
      // Every transaction of a customer updates its profile on the condition of `uv`: that condition
      // serialises all writers of the customer, the SEEN# item's included.
      { Update: profileUpdate(deps.tableName, customerId, profile, planProfile(profile, touched)) },
    ];
    try {
      await deps.dynamo.send(new TransactWriteCommand({ TransactItems: transactItems }));
      return [...plans.values()];
    } catch (err) {
      if (!isWriteConflict(err) || attempt >= maxAttempts || Date.now() >= deadline) throw err;
      // Full jitter: concurrent writers of one customer spread out instead of colliding again.
      await backoff(Math.min(attempt, 7), { baseMs: 10, capMs: 1000 });
    }
  }
}

/** Adds the batch's event ids to the customer's SEEN# item of today (arrival day), expiring later. */
function seenUpdate(tableName: string, customerId: string, arrivalDay: Day, recent: RecentIds) {
  const update = new UpdateExpression()
    .add('ids', new Set(recent.added.map((h) => Buffer.from(h, 'hex'))))
    .set(TTL_ATTRIBUTE, Math.floor(Date.parse(`${addDays(arrivalDay, SEEN_TTL_DAYS)}T00:00:00Z`) / 1000));
  return { TableName: tableName, Key: keys.seen(customerId, arrivalDay), ...update.build() };
}

function dayUpdate(tableName: string, customerId: string, day: Day, state: DayState, delta: DayDelta) {
  const update = new UpdateExpression()
    .bumpVersion('v', state.version)
    .add('n', delta.events)
    .add('ids', new Set(delta.ids.map((h) => Buffer.from(h, 'hex'))));
  for (const [feature, count] of delta.features) update.add(`${DAY_ATTR_FEATURE_PREFIX}${feature}`, count);
  if (delta.users.length > 0) update.add('users', new Set(delta.users));
  if (delta.capUsers) update.set('usersCapped', true);
  return { TableName: tableName, Key: keys.day(customerId, day), ...update.build() };
}

/** Updates only the usage part of the profile: the billing side owns the other attributes. */
function profileUpdate(tableName: string, customerId: string, state: ProfileUsageState, plan: ProfileUsagePlan) {
  const update = new UpdateExpression().bumpVersion('uv', state.version);
  for (const [day, activity] of Object.entries(plan.set)) update.set(`${ACTIVITY_ATTR_PREFIX}${day}`, encodeDayActivity(activity));
  if (plan.firstEventDay !== undefined) update.set('fe', plan.firstEventDay);
  if (plan.lastEventDay !== undefined) update.set('le', plan.lastEventDay);
  for (const [feature, day] of plan.featureFirstSeen) update.set(`${FEATURE_FIRST_SEEN_PREFIX}${feature}`, day);
  for (const [week, summary] of plan.setWeeks) update.set(`${WEEK_ATTR_PREFIX}${week}`, encodeWeek(summary));
  for (const day of plan.remove) update.remove(`${ACTIVITY_ATTR_PREFIX}${day}`);
  for (const week of plan.removeWeeks) update.remove(`${WEEK_ATTR_PREFIX}${week}`);
  return { TableName: tableName, Key: keys.profile(customerId), ...update.build() };
}

function isWriteConflict(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e?.name === 'TransactionConflictException') return true;
  if (e?.name !== 'TransactionCanceledException') return false;
  const retryable = new Set(['None', 'ConditionalCheckFailed', 'TransactionConflict']);
  return (e.CancellationReasons ?? []).every((r) => r.Code === undefined || retryable.has(r.Code));
}

async function readCustomer(
  deps: UsageStoreDeps,
  customerId: string,
  days: Day[],
  arrivalDay: Day,
): Promise<{ dayStates: Map<Day, DayState>; profile: ProfileUsageState; recent: RecentIds }> {
  const profileKey = keys.profile(customerId);
  const todaySk = keys.seen(customerId, arrivalDay).sk;
  const seenKeys = Array.from({ length: DEDUP_ARRIVAL_DAYS }, (_, i) => keys.seen(customerId, addDays(arrivalDay, -i)));
  const items = await batchGetAll(deps, [...days.map((d) => keys.day(customerId, d)), profileKey, ...seenKeys]);
  const dayStates = new Map<Day, DayState>(days.map((d) => [d, emptyDayState()]));
  let profile: ProfileUsageState = emptyProfileUsage();
  const recent: RecentIds = { ids: new Set(), today: 0, added: [] };
  for (const item of items) {
    const sk = item.sk as string;
    if (sk === profileKey.sk) profile = readProfileUsageState(item);
    else if (sk.startsWith(keys.daySkPrefix)) dayStates.set(sk.slice(keys.daySkPrefix.length), decodeDayState(item));
    else if (sk.startsWith(keys.seenSkPrefix)) {
      const ids = (item.ids as Set<Uint8Array> | undefined) ?? new Set();
      for (const b of ids) recent.ids.add(Buffer.from(b).toString('hex'));
      if (sk === todaySk) recent.today = ids.size;
    }
  }
  return { dayStates, profile, recent };
}

async function batchGetAll(deps: UsageStoreDeps, keyList: Record<string, string>[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let pending: Record<string, unknown>[] = keyList;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) await backoff(attempt);
    if (attempt > 12) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${attempt} attempts`);
    const res = await deps.dynamo.send(
      new BatchGetCommand({ RequestItems: { [deps.tableName]: { Keys: pending, ConsistentRead: true } } }),
    );
    out.push(...(res.Responses?.[deps.tableName] ?? []));
    pending = res.UnprocessedKeys?.[deps.tableName]?.Keys ?? [];
  }
  return out;
}

function decodeDayState(item: Record<string, unknown>): DayState {
  const ids = new Set<string>();
  for (const b of (item.ids as Set<Uint8Array> | undefined) ?? []) ids.add(Buffer.from(b).toString('hex'));
  return {
    version: typeof item.v === 'number' ? item.v : 0,
    events: typeof item.n === 'number' ? item.n : 0,
    features: decodeDayFeatures(item),
    users: new Set((item.users as Set<string> | undefined) ?? []),
    usersCapped: item.usersCapped === true,
    ids,
  };
}

function decodeDayFeatures(item: Record<string, unknown>): Map<string, number> {
  const features = new Map<string, number>();
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(DAY_ATTR_FEATURE_PREFIX) && typeof value === 'number') {
      features.set(name.slice(DAY_ATTR_FEATURE_PREFIX.length), value);
    }
  }
  return features;
}

/** Events and per-feature counts of a `DAY#` item. */
export function decodeDayTotals(item: Record<string, unknown>): DayActivity {
  return { events: typeof item.n === 'number' ? item.n : 0, features: featureRecord(decodeDayFeatures(item)) };
}

function readProfileUsageState(item: Record<string, unknown>): ProfileUsageState {
  const decoded = decodeUsageProfile(item);
  return {
    version: typeof item.uv === 'number' ? item.uv : 0,
    activity: decoded.activity,
    weeks: new Map(Object.entries(decoded.weeks)),
    firstEventDay: decoded.firstEventDay,
    lastEventDay: typeof item.le === 'string' ? item.le : undefined,
    featureFirstSeen: new Map(Object.entries(decoded.featureFirstSeen)),
  };
}

export interface DecodedUsageProfile {
  activity: Record<Day, DayActivity>;
  weeks: Record<Day, WeekSummary>;
  firstEventDay?: Day;
  featureFirstSeen: Record<string, Day>;
}

/** Reads the usage part of a profile item (as returned by the document client). */
export function decodeUsageProfile(item: Record<string, unknown>): DecodedUsageProfile {
  const activity: Record<Day, DayActivity> = {};
  const weeks: Record<Day, WeekSummary> = {};
  const firstSeen: [string, Day][] = [];
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(ACTIVITY_ATTR_PREFIX)) {
      const a = decodeDayActivity(value);
      if (a) activity[name.slice(ACTIVITY_ATTR_PREFIX.length)] = a;
    } else if (name.startsWith(WEEK_ATTR_PREFIX)) {
      const w = decodeWeek(value);
      if (w) weeks[name.slice(WEEK_ATTR_PREFIX.length)] = w;
    } else if (name.startsWith(FEATURE_FIRST_SEEN_PREFIX) && typeof value === 'string') {
      firstSeen.push([name.slice(FEATURE_FIRST_SEEN_PREFIX.length), value]);
    }
  }
  // Prototype-free: `ff:constructor` is a feature like any other, not Object.prototype.constructor.
  const featureFirstSeen = featureRecord(firstSeen);
  const out: DecodedUsageProfile = { activity, weeks, featureFirstSeen };
  if (typeof item.fe === 'string') out.firstEventDay = item.fe;
  return out;
}

/**
 * Daily activity of one customer for the days `[fromDay, toDay]` (inclusive) from its DAY# items,
 * for snapshots whose window is older than the profile's. Each item is read whole (its `ids` set
 * included), so this costs up to ~60 read units per busy day: use it only for back-dated runs.
 */
export async function readActivityDays(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  customerId: string,
  fromDay: Day,
  toDay: Day,
): Promise<Record<Day, DayActivity>> {
  const out: Record<Day, DayActivity> = {};
  const pages = paginateQuery(
    { client: dynamo },
    {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keys.customerPk(customerId),
        ':from': keys.day(customerId, fromDay).sk,
        ':to': keys.day(customerId, toDay).sk,
      },
    },
  );
  for await (const res of pages)
    for (const item of res.Items ?? []) out[(item.sk as string).slice(keys.daySkPrefix.length)] = decodeDayTotals(item);
  return out;
}

function rotate<T>(items: T[], by: number): T[] {
  if (items.length === 0) return items;
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
