import { createHmac, timingSafeEqual } from 'node:crypto';
import { RowError } from './errors';
import { MAX_NAME, optionalEmail, optionalText } from './fields';
import { idProblem, parseIsoTimestamp, type UsageEventInput } from './usage-event';

/**
 * Segment's HTTP Tracking API (also RudderStack's HTTP API, which is Segment-compatible) and Segment's
 * Webhook destination, mapped onto the usage events of docs/metrics.md §2. Pure: no I/O. The account
 * of a track call is resolved here from the call itself; calls that name no account are returned as
 * `needsLink`, for the caller to resolve from stored user→group links (the last `group` call).
 */

/** Segment's limits: 32 KB a call, 500 KB a batch request; 2,500 calls a batch. */
export const SEGMENT_MAX_MESSAGE_BYTES = 32 * 1024;
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024;
export const SEGMENT_MAX_BATCH_MESSAGES = 2500;

export type SegmentEndpoint = 'batch' | 'track' | 'group' | 'identify' | 'webhook';
export const SEGMENT_ENDPOINTS: readonly SegmentEndpoint[] = ['batch', 'track', 'group', 'identify', 'webhook'];

export interface SegmentMapping {
  /** Dotted paths looked up, in order, for the account (customerId) of a track call. */
  groupIdPaths: readonly string[];
  /** A property naming the feature instead of the track call's `event`. */
  featureProperty?: string;
  /** A property carrying a positive whole count (default: each call counts 1). */
  countProperty?: string;
  /** Whether `anonymousId` stands in for a missing `userId`. */
  anonymousUsers: boolean;
  /** Group traits carrying the account's name and owner (CSM) email. */
  nameTrait: string;
  ownerTrait: string;
}

export const DEFAULT_SEGMENT_MAPPING: SegmentMapping = {
  groupIdPaths: ['context.groupId', 'properties.groupId'],
  anonymousUsers: true,
  nameTrait: 'name',
  ownerTrait: 'owner_email',
};

/** A canonical usage event (docs/metrics.md §2), still to be validated by the accept path. */
export type MappedEvent = UsageEventInput;

/** A `group` call (or an identify carrying an account): the user's account from now on. */
export interface GroupLink {
  userId: string;
  groupId: string;
  /** Epoch ms of the call: a link only replaces an older one. */
  at: number;
  name?: string;
  ownerEmail?: string;
}

export type MappedMessage =
  | { index: number; kind: 'event'; event: MappedEvent }
  /** A track call naming no account: its customerId comes from the user's stored link. */
  | { index: number; kind: 'needsLink'; userId: string; event: Omit<MappedEvent, 'customerId'> }
  | { index: number; kind: 'link'; link: GroupLink }
  /** Understood and deliberately not counted (identify without an account, page, screen, alias). */
  | { index: number; kind: 'ignored'; reason: string }
  | { index: number; kind: 'rejected'; reason: string };

export type SegmentParse = { ok: true; writeKey?: string; messages: MappedMessage[] } | { ok: false; status: 400 | 413; message: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at a dotted path, read with own-property checks only (a path is data, never code). */
export function valueAt(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const part of path.split('.')) {
    if (!isObject(node) || !Object.prototype.hasOwnProperty.call(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

/** Ids may be sent as numbers (userId: 42); anything else that is not a non-empty string is absent. */
function idValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function quote(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * The event time as Segment computes it: `timestamp` when given; else `originalTimestamp` corrected
 * for the device clock by `receivedAt - sentAt`; else `originalTimestamp`; else the time received.
 */
export function segmentTimestamp(
  msg: Json,
  batchSentAt: unknown,
  receivedAt: Date,
): { ok: true; timestamp: string } | { ok: false; reason: string } {
  if (msg.timestamp !== undefined && msg.timestamp !== null) {
    if (typeof msg.timestamp !== 'string') return { ok: false, reason: `timestamp: ${quote(msg.timestamp)} must be an ISO-8601 string` };
    return { ok: true, timestamp: msg.timestamp };
  }
  const original = msg.originalTimestamp;
  if (original === undefined || original === null) return { ok: true, timestamp: receivedAt.toISOString() };
  const originalMs = typeof original === 'string' ? parseIsoTimestamp(original) : undefined;
  if (originalMs === undefined)
    return { ok: false, reason: `originalTimestamp: ${quote(original)} is not an ISO-8601 timestamp with a UTC offset` };
  const sentAt = msg.sentAt ?? batchSentAt;
  if (sentAt === undefined || sentAt === null) return { ok: true, timestamp: new Date(originalMs).toISOString() };
  const sentMs = typeof sentAt === 'string' ? parseIsoTimestamp(sentAt) : undefined;
  if (sentMs === undefined) return { ok: false, reason: `sentAt: ${quote(sentAt)} is not an ISO-8601 timestamp with a UTC offset` };
  return { ok: true, timestamp: new Date(receivedAt.getTime() - (sentMs - originalMs)).toISOString() };
}

function userOf(msg: Json, mapping: SegmentMapping): string | undefined {
  return idValue(msg.userId) ?? (mapping.anonymousUsers ? idValue(msg.anonymousId) : undefined);
}

function groupIdOf(msg: Json, mapping: SegmentMapping): string | undefined {
  for (const path of mapping.groupIdPaths) {
    const id = idValue(valueAt(msg, path));
    if (id !== undefined) return id;
  }
  return undefined;
}

function mapTrack(index: number, msg: Json, batchSentAt: unknown, mapping: SegmentMapping, receivedAt: Date): MappedMessage {
  const messageId = idValue(msg.messageId);
  if (messageId === undefined)
    return { index, kind: 'rejected', reason: 'messageId: is required (it is the event id that makes redelivery count once)' };
  const userId = userOf(msg, mapping);
  if (userId === undefined) return { index, kind: 'rejected', reason: 'userId or anonymousId: one is required' };
  const feature = mapping.featureProperty === undefined ? msg.event : valueAt(msg.properties, mapping.featureProperty);
  if (typeof feature !== 'string' || feature.length === 0) {
    const where = mapping.featureProperty === undefined ? 'event' : `properties.${mapping.featureProperty}`;
    return { index, kind: 'rejected', reason: `${where}: the feature name is required (a non-empty string)` };
  }
  const time = segmentTimestamp(msg, batchSentAt, receivedAt);
  if (!time.ok) return { index, kind: 'rejected', reason: time.reason };
  const event: Omit<MappedEvent, 'customerId'> = { eventId: messageId, feature, timestamp: time.timestamp, userId };
  if (mapping.countProperty !== undefined) {
    const count = valueAt(msg.properties, mapping.countProperty);
    // Left for the accept path to validate, so the reason reads as it does for POST /events.
    if (count !== undefined && count !== null) event.count = count as number;
  }
  const customerId = groupIdOf(msg, mapping);
  if (customerId === undefined) return { index, kind: 'needsLink', userId, event };
  return { index, kind: 'event', event: { ...event, customerId } };
}

function linkTime(msg: Json, batchSentAt: unknown, receivedAt: Date): number | undefined {
  const time = segmentTimestamp(msg, batchSentAt, receivedAt);
  return time.ok ? parseIsoTimestamp(time.timestamp) : undefined;
}

function mapGroup(index: number, msg: Json, batchSentAt: unknown, mapping: SegmentMapping, receivedAt: Date): MappedMessage {
  const userId = userOf(msg, mapping);
  if (userId === undefined) return { index, kind: 'rejected', reason: 'userId or anonymousId: one is required' };
  const groupId = idValue(msg.groupId);
  if (groupId === undefined) return { index, kind: 'rejected', reason: 'groupId: is required in a group call' };
  const bad = linkIdsProblem(userId, groupId);
  if (bad) return { index, kind: 'rejected', reason: bad };
  const at = linkTime(msg, batchSentAt, receivedAt);
  if (at === undefined) return { index, kind: 'rejected', reason: segmentTimestampReason(msg, batchSentAt, receivedAt) };
  const link: GroupLink = { userId, groupId, at };
  let name: string | undefined;
  let ownerEmail: string | undefined;
  try {
    // Checked as a billing export's customer name and owner_email are: the owner receives the digest.
    name = optionalText(valueAt(msg.traits, mapping.nameTrait), `traits.${mapping.nameTrait}`, MAX_NAME);
    ownerEmail = optionalEmail(valueAt(msg.traits, mapping.ownerTrait), `traits.${mapping.ownerTrait}`);
  } catch (err) {
    if (err instanceof RowError) return { index, kind: 'rejected', reason: err.message };
    throw err;
  }
  if (name !== undefined) link.name = name;
  if (ownerEmail !== undefined) link.ownerEmail = ownerEmail;
  return { index, kind: 'link', link };
}

function segmentTimestampReason(msg: Json, batchSentAt: unknown, receivedAt: Date): string {
  const time = segmentTimestamp(msg, batchSentAt, receivedAt);
  return time.ok ? `timestamp: ${quote(time.timestamp)} is not an ISO-8601 timestamp with a UTC offset` : time.reason;
}

/** Links are stored under the user id and name an account: both are key material, bounded as §2's ids are. */
function linkIdsProblem(userId: string, groupId: string): string | undefined {
  const user = idProblem(userId);
  if (user) return `userId: ${user}`;
  const group = idProblem(groupId);
  return group ? `groupId: ${group}` : undefined;
}

function mapIdentify(index: number, msg: Json, batchSentAt: unknown, mapping: SegmentMapping, receivedAt: Date): MappedMessage {
  const userId = userOf(msg, mapping);
  if (userId === undefined) return { index, kind: 'rejected', reason: 'userId or anonymousId: one is required' };
  // An identify that names the user's account (context.groupId) links them as a group call would.
  const groupId = groupIdOf(msg, mapping);
  if (groupId === undefined) return { index, kind: 'ignored', reason: 'identify without an account: nothing to count' };
  const bad = linkIdsProblem(userId, groupId);
  if (bad) return { index, kind: 'rejected', reason: bad };
  const at = linkTime(msg, batchSentAt, receivedAt);
  if (at === undefined) return { index, kind: 'rejected', reason: segmentTimestampReason(msg, batchSentAt, receivedAt) };
  return { index, kind: 'link', link: { userId, groupId, at } };
}

const IGNORED_TYPES = new Set(['page', 'screen', 'alias']);

/** One call of any type. `type` is implied by the endpoint for /v1/track, /v1/group and /v1/identify. */
export function mapSegmentMessage(
  index: number,
  raw: unknown,
  options: { impliedType?: string; batchContext?: unknown; batchSentAt?: unknown; mapping: SegmentMapping; receivedAt: Date },
): MappedMessage {
  if (!isObject(raw)) return { index, kind: 'rejected', reason: 'call: must be a JSON object' };
  const bytes = Buffer.byteLength(JSON.stringify(raw), 'utf8');
  if (bytes > SEGMENT_MAX_MESSAGE_BYTES) {
    return { index, kind: 'rejected', reason: `call: ${bytes} bytes; the limit is ${SEGMENT_MAX_MESSAGE_BYTES} (32 KB) a call` };
  }
  // A batch's top-level context applies to every call in it; a call's own context wins key by key.
  const msg: Json = isObject(options.batchContext)
    ? { ...raw, context: { ...options.batchContext, ...(isObject(raw.context) ? raw.context : {}) } }
    : raw;
  const type = options.impliedType ?? msg.type;
  if (options.impliedType !== undefined && msg.type !== undefined && msg.type !== options.impliedType) {
    return { index, kind: 'rejected', reason: `type: ${quote(msg.type)} sent to /v1/${options.impliedType}` };
  }
  const args = [index, msg, options.batchSentAt, options.mapping, options.receivedAt] as const;
  switch (type) {
    case 'track':
      return mapTrack(...args);
    case 'group':
      return mapGroup(...args);
    case 'identify':
      return mapIdentify(...args);
    default:
      if (typeof type === 'string' && IGNORED_TYPES.has(type)) return { index, kind: 'ignored', reason: `${type} calls are not usage` };
      return {
        index,
        kind: 'rejected',
        reason: `type: ${quote(type)} is not a Segment call type (track, group, identify, page, screen, alias)`,
      };
  }
}

/**
 * A request body of one endpoint, already parsed from JSON. `/v1/batch` takes `{"batch": [...]}`,
 * the Webhook destination a JSON array (batched) or one call; the others one call.
 */
export function parseSegmentBody(endpoint: SegmentEndpoint, body: unknown, mapping: SegmentMapping, receivedAt: Date): SegmentParse {
  const writeKey = isObject(body) && typeof body.writeKey === 'string' && body.writeKey.length > 0 ? body.writeKey : undefined;
  let calls: unknown[];
  let impliedType: string | undefined;
  let batchContext: unknown;
  let batchSentAt: unknown;
  if (endpoint === 'batch') {
    if (!isObject(body) || !Array.isArray(body.batch))
      return { ok: false, status: 400, message: 'body must be a JSON object with a "batch" array' };
    calls = body.batch;
    batchContext = body.context;
    batchSentAt = body.sentAt;
  } else if (endpoint === 'webhook') {
    calls = Array.isArray(body) ? body : [body];
  } else {
    calls = [body];
    impliedType = endpoint;
  }
  if (calls.length === 0) return { ok: false, status: 400, message: 'no calls: the batch is empty' };
  if (calls.length > SEGMENT_MAX_BATCH_MESSAGES) {
    return { ok: false, status: 413, message: `request holds ${calls.length} calls; the limit is ${SEGMENT_MAX_BATCH_MESSAGES} a batch` };
  }
  const messages = calls.map((raw, index) =>
    mapSegmentMessage(index, raw, { impliedType, batchContext, batchSentAt, mapping, receivedAt }),
  );
  return { ok: true, writeKey, messages };
}

/** Request bytes allowed on an endpoint: 500 KB for a batch (or webhook array), 32 KB for one call. */
export function maxRequestBytes(endpoint: SegmentEndpoint): number {
  return endpoint === 'batch' || endpoint === 'webhook' ? SEGMENT_MAX_BATCH_BYTES : SEGMENT_MAX_MESSAGE_BYTES;
}

/** The write key of a Basic `Authorization` header (the user part; the password is ignored, often empty or `""`). */
export function basicAuthUser(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  return user.length > 0 ? user : undefined;
}

function sameHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.trim().toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether `X-Signature` is Segment's HMAC-SHA1 (hex) of the body with the shared secret. A batched
 * Webhooks (Actions) request is signed over its first call only (Segment's support note "How Segment
 * computes x-signature for batched webhooks"), so for an array body that signature is accepted too.
 */
export function verifyWebhookSignature(rawBody: Buffer, signature: string | undefined, secret: string, parsed?: unknown): boolean {
  if (signature === undefined || signature.length === 0) return false;
  const hmac = (data: string | Buffer) => createHmac('sha1', secret).update(data).digest('hex');
  if (sameHex(hmac(rawBody), signature)) return true;
  if (Array.isArray(parsed) && parsed.length > 0) return sameHex(hmac(JSON.stringify(parsed[0])), signature);
  return false;
}
