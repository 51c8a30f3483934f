import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Cancellation, LedgerLine } from '../domain/types';
import { backoff, forEachLimit } from '../shared/retry';
import { batchGet, batchPut, type Item } from './batch';
import { keys, PROFILE_INDEX } from './keys';
import { UpdateExpression } from './update-expression';
import {
  archiveOldLines,
  decodeLedger,
  encodeLedger,
  mergeCancellation,
  mergeLine,
  type LedgerState,
  type MergeOutcome,
} from './ledger-state';

/** Customer attributes a billing export can carry (customer records, or name/owner on invoice lines). */
export interface CustomerAttributes {
  name?: string;
  ownerEmail?: string;
  plan?: string;
  segment?: string;
  createdAt?: string;
}

export type LedgerChange =
  | { kind: 'line'; line: LedgerLine; at: number; source: ChangeSource }
  | { kind: 'cancellation'; cancellation: Cancellation; at: number; source: ChangeSource }
  | {
      kind: 'attributes';
      attributes: CustomerAttributes;
      at: number;
      source: ChangeSource;
      /** Name/owner carried on an invoice line: not a row of its own, so not counted. */
      incidental?: boolean;
    };

/** Where a change came from, stored on ledger items for audits. */
export interface ChangeSource {
  key: string;
  line: number;
}

export interface ApplyResult {
  ingested: number;
  unchanged: number;
  /** DynamoDB write requests made (BatchWriteItem + UpdateItem), for the benchmarks. */
  writeRequests: number;
  /** Ledger/cancellation items written. */
  ledgerItemsWritten: number;
  profilesWritten: number;
  /** Changes not applied, with the reason (a customer whose profile would outgrow an item). */
  rejected: { source: ChangeSource; reason: string }[];
}

const MAX_PROFILE_ATTEMPTS = 8;
/**
 * A profile is one DynamoDB item (400 KB at most). A customer whose ledger would outgrow it (about
 * 1,800 Stripe-style lines) has those rows rejected with this reason instead of failing the file.
 */
export const PROFILE_BYTES_LIMIT = 380_000;
/**
 * Past this size the profile's ledger archives its settled lines (those that ended more than 15
 * months before the latest): a long history then stays far below the item limit.
 */
export const ARCHIVE_AT_BYTES = 150_000;

/** Approximate item size of a profile once `ledger` is replaced (attribute names and values). */
function profileBytes(item: Item | undefined, ledger: string): number {
  let bytes = ledger.length + 'ledger'.length;
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name === 'ledger') continue;
    bytes += name.length + (typeof value === 'string' ? Buffer.byteLength(value) : JSON.stringify(value ?? null).length);
  }
  return bytes;
}

const tooLarge = (err: unknown) => (err as { name?: string }).name === 'ValidationException' && /size/i.test((err as Error).message);
const ATTRIBUTE_FIELDS = ['name', 'ownerEmail', 'plan', 'segment', 'createdAt'] as const;

interface StoredProfile {
  ledger: LedgerState;
  version: number;
  attributes: CustomerAttributes;
  /** S3 event time each attribute was last set from: files processed out of order keep the newest value per field. */
  attributesAt: Partial<Record<keyof CustomerAttributes, number>>;
}

function readProfile(item: Item | undefined): StoredProfile {
  const attributes: CustomerAttributes = {};
  for (const field of ATTRIBUTE_FIELDS) {
    const value = item?.[field];
    if (typeof value === 'string') attributes[field] = value;
  }
  return {
    ledger: decodeLedger(item?.ledger as string | undefined),
    version: typeof item?.lv === 'number' ? item.lv : 0,
    attributes,
    attributesAt: readAttributeTimes(item?.attrAt),
  };
}

function readAttributeTimes(value: unknown): StoredProfile['attributesAt'] {
  if (!value) return {};
  try {
    return JSON.parse(value as string) as StoredProfile['attributesAt'];
  } catch {
    return {};
  }
}

/** Applies one customer's changes to its profile snapshot; returns per-change outcomes. */
function mergeChanges(profile: StoredProfile, changes: LedgerChange[]): { outcomes: MergeOutcome[]; dirty: boolean } {
  let dirty = false;
  const outcomes = changes.map((change): MergeOutcome => {
    let outcome: MergeOutcome;
    if (change.kind === 'line') outcome = mergeLine(profile.ledger, change.line, change.at);
    else if (change.kind === 'cancellation') outcome = mergeCancellation(profile.ledger, change.cancellation, change.at);
    else outcome = mergeAttributes(profile, change.attributes, change.at);
    if (outcome !== 'unchanged') dirty = true;
    return outcome;
  });
  return { outcomes, dirty };
}

/**
 * Each field a customer record (or an invoice line's name/owner) carries replaces the stored one
 * unless the stored one came from a later file: the latest record wins, field by field.
 */
function mergeAttributes(profile: StoredProfile, incoming: CustomerAttributes, at: number): MergeOutcome {
  let outcome: MergeOutcome = 'unchanged';
  for (const field of ATTRIBUTE_FIELDS) {
    const value = incoming[field];
    const storedAt = profile.attributesAt[field] ?? 0;
    if (value === undefined || at < storedAt) continue;
    if (profile.attributes[field] !== value) {
      profile.attributes[field] = value;
      profile.attributesAt[field] = at;
      outcome = 'ingested';
    } else if (at > storedAt) {
      profile.attributesAt[field] = at;
      if (outcome === 'unchanged') outcome = 'refreshed';
    }
  }
  return outcome;
}

function ledgerItem(customerId: string, change: LedgerChange): Item | undefined {
  const audit = { srcKey: change.source.key, srcLine: change.source.line, srcAt: change.at, customerId };
  if (change.kind === 'line') {
    const { invoiceId, lineId } = change.line;
    return { ...keys.line(customerId, invoiceId, lineId), type: 'line', ...change.line, ...audit };
  }
  if (change.kind === 'cancellation') {
    return { ...keys.cancellation(customerId, change.cancellation.subscriptionId), type: 'cancellation', ...change.cancellation, ...audit };
  }
  return undefined;
}

/**
 * Folds billing changes into ledger items and customer profiles, idempotently:
 * one profile read per customer, ledger items written only for versions that actually changed, one
 * conditional profile update per customer (re-read and re-merged if another writer got there first).
 */
export async function applyLedgerChanges(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  byCustomer: Map<string, LedgerChange[]>,
): Promise<ApplyResult> {
  const result: ApplyResult = { ingested: 0, unchanged: 0, writeRequests: 0, ledgerItemsWritten: 0, profilesWritten: 0, rejected: [] };
  const customerIds = [...byCustomer.keys()];
  const { items } = await batchGet(
    dynamo,
    tableName,
    customerIds.map((id) => keys.profile(id)),
  );
  const profiles = new Map<string, Item>();
  for (const item of items) profiles.set((item.pk as string).slice(keys.customerPk('').length), item);

  // Ledger items first: if the profile update fails, redelivery finds the lines still "changed" and
  // writes them again (puts are idempotent); the other order could lose ledger items.
  const toWrite: Item[] = [];
  const merged = new Map<string, { profile: StoredProfile; outcomes: MergeOutcome[]; dirty: boolean }>();
  for (const [customerId, changes] of byCustomer) {
    const profile = readProfile(profiles.get(customerId));
    const { outcomes, dirty } = mergeChanges(profile, changes);
    merged.set(customerId, { profile, outcomes, dirty });
    changes.forEach((change, i) => {
      if (outcomes[i] !== 'ingested') return;
      const item = ledgerItem(customerId, change);
      if (item) toWrite.push(item);
    });
  }
  result.writeRequests += await batchPut(dynamo, tableName, dedupeByKey(toWrite));
  result.ledgerItemsWritten += toWrite.length;

  await forEachLimit([...merged.keys()], 8, async (customerId) => {
    let state = merged.get(customerId)!;
    let stored = profiles.get(customerId);
    const changes = byCustomer.get(customerId)!;
    const reject = () => {
      const reason = `customer ${customerId}: its ledger would exceed what one profile item holds (${PROFILE_BYTES_LIMIT.toLocaleString('en-US')} bytes, about 1,800 invoice lines within 15 months); these rows were not applied`;
      for (const change of changes)
        if (change.kind !== 'attributes' || !change.incidental) result.rejected.push({ source: change.source, reason });
    };
    for (let attempt = 0; ; attempt++) {
      if (!state.dirty) break;
      let ledger = encodeLedger(state.profile.ledger);
      if (ledger.length > ARCHIVE_AT_BYTES && archiveOldLines(state.profile.ledger) > 0) ledger = encodeLedger(state.profile.ledger);
      if (profileBytes(stored, ledger) > PROFILE_BYTES_LIMIT) return reject();
      try {
        result.writeRequests++;
        await writeProfile(dynamo, tableName, customerId, state.profile, ledger);
        result.profilesWritten++;
        break;
      } catch (err) {
        if (tooLarge(err)) return reject();
        // A usage transaction on the same profile makes a plain update fail with a transaction
        // conflict; a concurrent billing file makes the version check fail. Both: re-read, re-merge.
        const contended = err instanceof ConditionalCheckFailedException || err instanceof TransactionConflictException;
        if (!contended || attempt + 1 >= MAX_PROFILE_ATTEMPTS) throw err;
        await backoff(attempt);
        const fresh = await dynamo.send(new GetCommand({ TableName: tableName, Key: keys.profile(customerId), ConsistentRead: true }));
        stored = fresh.Item;
        const profile = readProfile(fresh.Item);
        state = { profile, ...mergeChanges(profile, changes) };
      }
    }
    state.outcomes.forEach((outcome, i) => {
      const change = changes[i]!;
      if (change.kind !== 'attributes' || !change.incidental) result[outcome === 'ingested' ? 'ingested' : 'unchanged']++;
    });
  });
  return result;
}

function dedupeByKey(items: Item[]): Item[] {
  // BatchWriteItem rejects two puts of the same key in one request; the last version wins.
  const byKey = new Map<string, Item>();
  for (const item of items) byKey.set(JSON.stringify([item.pk, item.sk]), item);
  return [...byKey.values()];
}

async function writeProfile(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  customerId: string,
  profile: StoredProfile,
  /** The profile's ledger, encoded. */
  ledger: string,
): Promise<void> {
  const update = new UpdateExpression()
    .bumpVersion('lv', profile.version)
    .set('ledger', ledger)
    .set('customerId', customerId)
    .set('type', 'profile')
    .set('attrAt', JSON.stringify(profile.attributesAt))
    .set(PROFILE_INDEX.key, keys.customerPk(customerId));
  for (const field of ATTRIBUTE_FIELDS) {
    const value = profile.attributes[field];
    if (value !== undefined) update.set(field, value);
  }
  // The usage path updates other attributes of the same item under its own version (`uv`), so this
  // update touches only the ledger part and never replaces the whole item.
  await dynamo.send(new UpdateCommand({ TableName: tableName, Key: keys.profile(customerId), ...update.build() }));
}
