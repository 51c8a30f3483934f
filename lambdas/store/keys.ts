/** Key builders for the single table (see docs/data-model.md). Nothing else builds key strings. */

export const PROFILE_SK = 'PROFILE';

/**
 * `#` and `\` of an id that is followed by another part of the same key are escaped (`\#`, `\\`),
 * so that the key is injective: `LINE#a#b` + `c` and `LINE#a` + `b#c` stay two keys. Ids without
 * either character (nearly all) are unchanged, so existing keys keep their form. The last part
 * of a key needs no escaping: it runs to the end of the key.
 */
export function escapeKeyPart(id: string): string {
  return id.includes('#') || id.includes('\\') ? id.replace(/[\\#]/g, (c) => `\\${c}`) : id;
}

export const keys = {
  customerPk: (customerId: string) => `CUST#${customerId}`,
  profile: (customerId: string) => ({ pk: `CUST#${customerId}`, sk: PROFILE_SK }),
  line: (customerId: string, invoiceId: string, lineId: string) => ({
    pk: `CUST#${customerId}`,
    sk: `LINE#${escapeKeyPart(invoiceId)}#${lineId}`,
  }),
  cancellation: (customerId: string, subscriptionId: string) => ({
    pk: `CUST#${customerId}`,
    sk: `CANCEL#${subscriptionId}`,
  }),
  day: (customerId: string, day: string) => ({ pk: `CUST#${customerId}`, sk: `DAY#${day}` }),
  daySkPrefix: 'DAY#',
  /** Event ids received from a customer on one UTC day (by arrival, not by event time): de-duplication. */
  seen: (customerId: string, arrivalDay: string) => ({ pk: `CUST#${customerId}`, sk: `SEEN#${arrivalDay}` }),
  seenSkPrefix: 'SEEN#',
  file: (s3Key: string, etag: string) => ({ pk: `FILE#${s3Key}`, sk: `ETAG#${etag}` }),
  snapshot: (asOf: string) => ({ pk: 'SNAPSHOT', sk: asOf }),
  /** The forecast model in use, and one item per refit (its history). */
  currentModel: () => ({ pk: 'MODEL', sk: 'CURRENT' }),
  fittedModel: (fittedAt: string) => ({ pk: 'MODEL', sk: `FITTED#${fittedAt}` }),
  digest: (ownerEmail: string, asOf: string) => ({ pk: `OWNER#${ownerEmail}`, sk: `DIGEST#${asOf}` }),
  /** The Slack delivery of the same digest: its own claim. `SLACK#` sorts after `DIGEST#`, so "the previous digest" never reads it. */
  slackDigest: (ownerEmail: string, asOf: string) => ({ pk: `OWNER#${ownerEmail}`, sk: `SLACK#${asOf}` }),
  /** An owner's email opt-out (the address lower-cased). `OPTOUT#` sorts after `DIGEST#`, so "the previous digest" never reads it. */
  optOut: (normalizedOwnerEmail: string) => ({ pk: `OWNER#${normalizedOwnerEmail}`, sk: 'OPTOUT#email' }),
  /** A Segment/RudderStack user's account, from their last `group` call. */
  groupLink: (userId: string) => ({ pk: `SEGUSER#${userId}`, sk: 'GROUP' }),
} as const;

/**
 * The sparse index of customer profiles the snapshot and the forecast history scan: every profile a
 * billing row has written carries `gsi1sk = CUST#<id>`, nothing else does. Keys only, and hashed on
 * the customer, so a profile's frequent usage updates never write to the index (its keys do not
 * change) and no partition of it is hot. (`gsi1sk` was the sort key of the former `byOwner` index:
 * every existing profile already carries it, so the index fills itself on upgrade.)
 */
export const PROFILE_INDEX = { name: 'profiles', key: 'gsi1sk' } as const;
/** The former owner index (projection ALL, hashed on the owner): kept only for a two-step upgrade. */
export const LEGACY_OWNER_INDEX = { name: 'byOwner', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' } as const;

/** Prefix of the per-day activity attributes on a profile: `a:2026-11-24`. */
export const ACTIVITY_ATTR_PREFIX = 'a:';
/** Prefix of the weekly usage summaries on a profile: `w:2026-11-23` (the week's Monday). */
export const WEEK_ATTR_PREFIX = 'w:';
/** Prefix of the feature-first-seen attributes on a profile: `ff:search`. */
export const FEATURE_FIRST_SEEN_PREFIX = 'ff:';
/** Days of activity a profile keeps, counted back from its latest event day. */
// 56 days feed the activity windows; a few more let a snapshot dated a little after the latest
// event use the profile alone. Each day costs profile bytes, and every snapshot reads every profile.
export const PROFILE_ACTIVITY_DAYS = 60;
