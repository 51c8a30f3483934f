/** Key builders for the single table (see docs/data-model.md). Nothing else builds key strings. */

export const PROFILE_SK = 'PROFILE';
export const NO_OWNER = '~none';

export const keys = {
  customerPk: (customerId: string) => `CUST#${customerId}`,
  profile: (customerId: string) => ({ pk: `CUST#${customerId}`, sk: PROFILE_SK }),
  line: (customerId: string, invoiceId: string, lineId: string) => ({
    pk: `CUST#${customerId}`,
    sk: `LINE#${invoiceId}#${lineId}`,
  }),
  cancellation: (customerId: string, subscriptionId: string) => ({
    pk: `CUST#${customerId}`,
    sk: `CANCEL#${subscriptionId}`,
  }),
  day: (customerId: string, day: string) => ({ pk: `CUST#${customerId}`, sk: `DAY#${day}` }),
  daySkPrefix: 'DAY#',
  file: (s3Key: string, etag: string) => ({ pk: `FILE#${s3Key}`, sk: `ETAG#${etag}` }),
  snapshot: (asOf: string) => ({ pk: 'SNAPSHOT', sk: asOf }),
  digest: (ownerEmail: string, asOf: string) => ({ pk: `OWNER#${ownerEmail}`, sk: `DIGEST#${asOf}` }),
  ownerIndex: (ownerEmail: string | undefined) => `OWNER#${ownerEmail ?? NO_OWNER}`,
} as const;

export const TABLE_INDEX_BY_OWNER = 'byOwner';

/** Prefix of the per-day activity attributes on a profile: `a:2026-11-24`. */
export const ACTIVITY_ATTR_PREFIX = 'a:';
/** Prefix of the feature-first-seen attributes on a profile: `ff:search`. */
export const FEATURE_FIRST_SEEN_PREFIX = 'ff:';
/** Days of activity a profile keeps, counted back from its latest event day. */
// 56 days feed the activity windows; a few more let a snapshot dated a little after the latest
// event use the profile alone. Each day costs profile bytes, and every snapshot reads every profile.
export const PROFILE_ACTIVITY_DAYS = 60;
