import type { Day } from '../domain/types';

/**
 * Where everything lives in the data bucket (docs/metrics.md §1, §2, §5): the one list of prefixes
 * and the key helpers built on them. The stack (lib/), the handlers and the embedded stack (local/)
 * all read them from here, so a prefix cannot mean one thing to a notification filter and another
 * to the code behind it.
 */
export const PREFIX = {
  /** Billing exports dropped by billing systems (and Stripe Data Pipeline runs). */
  exports: 'exports/',
  /** Usage event files (JSON lines) bulk-loaded like the API's events. */
  events: 'events/',
  /** `<key>.errors.jsonl`: the rows of a file that failed validation, with line and reason. */
  quarantine: 'quarantine/',
  /** Files that could not be read at all, each with an error report beside it. */
  failed: 'failed/',
  /** `<asOf>/`: snapshot.json, at-risk.csv, report.html, bands.json. */
  reports: 'reports/',
  /** Working objects of the state machines: `<execution>/` of a large file (manifests, staged parts, range checkpoints) or of a snapshot (`snapshot/`: the plan, the parts). */
  staging: 'staging/',
  /** Enqueued usage events waiting to be counted (lambdas/store/usage-inbox.ts). */
  usageInbox: 'usage-inbox/',
} as const;

/** The prefixes whose new objects the ingest function is notified of. */
export const INGEST_PREFIXES = [PREFIX.exports, PREFIX.events] as const;

export const quarantineKeyFor = (key: string) => `${PREFIX.quarantine}${key}.errors.jsonl`;
export const failedKeyFor = (key: string) => `${PREFIX.failed}${key}`;
export const failedReportKeyFor = (key: string) => `${PREFIX.failed}${key}.error.json`;

export const reportPrefix = (asOf: Day) => `${PREFIX.reports}${asOf}/`;
/** The files one snapshot run writes. */
export const reportKeysFor = (asOf: Day) => {
  const prefix = reportPrefix(asOf);
  return { json: `${prefix}snapshot.json`, csv: `${prefix}at-risk.csv`, html: `${prefix}report.html`, bands: `${prefix}bands.json` };
};

/** `staging/<execution name>/`: one state machine execution's working objects. */
export const stagingPrefixFor = (executionName: string) => `${PREFIX.staging}${executionName}/`;
