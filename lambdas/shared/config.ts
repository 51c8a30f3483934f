import * as z from 'zod';

/**
 * The one configuration object (docs/metrics.md §4). The CDK app reads it from `cdk.json` context `churnwatch`,
 * the CLI from `--config`, and every Lambda from the `CHURNWATCH_CONFIG` environment variable,
 * so all three validate with this schema and agree on the defaults.
 */
const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code in upper case, e.g. "USD"');

const featureList = z.array(z.string().min(1, 'feature names must not be empty').max(128)).default([]);

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

/** The domain part of an address, lower-cased. */
export function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** True when `address` is in one of `domains` (exact domain, as the IAM `*@domain` pattern matches). */
export function recipientDomainAllowed(domains: readonly string[] | undefined, address: string): boolean {
  if (!domains) return true;
  return domains.includes(emailDomain(address));
}

const CRON_FIELDS: { name: string; min: number; max: number; names?: string[]; extra: RegExp }[] = [
  { name: 'minutes', min: 0, max: 59, extra: /^$/ },
  { name: 'hours', min: 0, max: 23, extra: /^$/ },
  { name: 'day-of-month', min: 1, max: 31, extra: /^(L|LW|\d{1,2}W)$/ },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
    extra: /^$/,
  },
  { name: 'day-of-week', min: 1, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'], extra: /^(L|[1-7]L|[1-7]#[1-5])$/ },
  { name: 'year', min: 1970, max: 2199, extra: /^$/ },
];

function cronFieldOk(field: (typeof CRON_FIELDS)[number], text: string): boolean {
  const value = (v: string) => {
    const upper = v.toUpperCase();
    const named = field.names?.indexOf(upper) ?? -1;
    if (named >= 0) return named + 1;
    if (!/^\d+$/.test(v)) return NaN;
    const n = Number(v);
    return n >= field.min && n <= field.max ? n : NaN;
  };
  return text.split(',').every((item) => {
    if (field.extra.test(item)) return true;
    const [range, step, ...rest] = item.split('/');
    if (rest.length || range === undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) return false;
    if (range === '*') return true;
    const [from, to, ...more] = range.split('-');
    if (more.length) return false;
    return !Number.isNaN(value(from!)) && (to === undefined || !Number.isNaN(value(to)));
  });
}

/**
 * Why `expr` is not an EventBridge schedule expression, or undefined when it is one: `rate(N unit)`
 * (unit minute/hour/day, singular only for 1) or `cron(min hour day-of-month month day-of-week year)`
 * with exactly one of the two day fields `?`. Checked at synth, so a typo fails `cdk synth`, not the deploy.
 */
export function scheduleProblem(expr: string): string | undefined {
  const example = 'e.g. "cron(0 6 * * ? *)" (06:00 UTC daily) or "rate(1 day)"';
  const rate = /^rate\((.*)\)$/.exec(expr);
  if (rate) {
    const m = /^([1-9]\d*) (minute|minutes|hour|hours|day|days)$/.exec(rate[1]!);
    if (!m) return `"${expr}": a rate is "rate(<positive whole number> <minute|minutes|hour|hours|day|days>)", ${example}`;
    const plural = m[2]!.endsWith('s');
    if (m[1] === '1' && plural) return `"${expr}": a rate of 1 takes the singular unit, "rate(1 ${m[2]!.slice(0, -1)})"`;
    if (m[1] !== '1' && !plural) return `"${expr}": a rate above 1 takes the plural unit, "rate(${m[1]} ${m[2]}s)"`;
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expr);
  if (!cron) return `"${expr}": must be an EventBridge schedule expression, cron(...) or rate(...), ${example}`;
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `"${expr}": an EventBridge cron has 6 fields (minutes hours day-of-month month day-of-week year), found ${fields.length}; ${example}`;
  }
  const [, , dom, , dow] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    return `"${expr}": exactly one of day-of-month (3rd field) and day-of-week (5th field) must be "?", e.g. "cron(0 6 * * ? *)"`;
  }
  for (const [i, field] of CRON_FIELDS.entries()) {
    const text = fields[i]!;
    if (text === '?' && (field.name === 'day-of-month' || field.name === 'day-of-week')) continue;
    if (!cronFieldOk(field, text)) {
      return `"${expr}": the ${field.name} field "${text}" is not valid (${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ''}, with , - * /)`;
    }
  }
  return undefined;
}

const scheduleExpression = z.string().superRefine((value, ctx) => {
  const problem = scheduleProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const DEFAULT_SCHEDULE = 'cron(0 6 * * ? *)';

/** When the daily snapshot runs; the digests go out at the end of each run. */
export const snapshotConfigSchema = z
  .object({
    /** EventBridge schedule expression (UTC). Default: `digest.schedule` if set (deprecated), else 06:00 daily. */
    schedule: scheduleExpression.optional(),
  })
  .strict();

export const digestConfigSchema = z
  .object({
    from: z.email('must be an email address (the verified SES sender)').default('churnwatch@example.com'),
    fallbackTo: z.email('must be an email address (receives customers without an owner)').default('cs-team@example.com'),
    /** Deprecated: the schedule is the snapshot's (`snapshot.schedule`); still read when that is unset. */
    schedule: scheduleExpression.optional(),
    /**
     * Domains a digest may be addressed to (e.g. ["acme.io"]): an owner outside them is skipped and
     * its customers go to `fallbackTo`, and IAM refuses any other recipient (ses:Recipients). Required
     * for every deployed stage that is not a test stage (lib/context.ts).
     */
    allowedRecipientDomains: z
      .array(
        z
          .string()
          .transform((d) => d.trim().toLowerCase())
          .pipe(z.string().regex(DOMAIN, 'must be a domain name such as "acme.io" (no "@", no wildcard)')),
      )
      .min(1, 'must list at least one domain, e.g. ["acme.io"]')
      .optional(),
    /** SES configuration set to send through; the CDK stack creates one (bounces, complaints) when unset. */
    configurationSet: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an SES configuration set name: letters, digits, "_" or "-" (max 64)')
      .optional(),
    /** Prepended to every digest subject so CSMs can filter the mail. */
    subjectPrefix: z.string().max(60).default('[Churnwatch]'),
  })
  .strict()
  .refine((d) => !d.allowedRecipientDomains || recipientDomainAllowed(d.allowedRecipientDomains, d.fallbackTo), {
    message: 'the fallback recipient must be in one of digest.allowedRecipientDomains',
    path: ['fallbackTo'],
  });

/** The churn forecast (docs/metrics.md §3.6): its horizon, its bands and when to fit it. */
export const riskConfigSchema = z
  .object({
    horizonDays: z.number().int('must be a whole number of days').min(14).max(365).default(90),
    red: z.number().gt(0).lt(1, 'must be a probability between 0 and 1').default(0.3),
    yellow: z.number().gt(0).lt(1, 'must be a probability between 0 and 1').default(0.12),
    minChurnsToFit: z.number().int().min(5, 'must be at least 5 churns').default(30),
    /**
     * The monthly refit reads at most about this many customers: a fixed hashed sample of a larger book.
     * It holds their whole histories in the snapshot function's heap (about 0.1 MB each with a year of
     * daily usage, bench/snapshot-1m.ts), hence the bound.
     */
    maxTrainingCustomers: z
      .number()
      .int()
      .min(1_000, 'must be at least 1,000 customers')
      .max(8_000, 'must be at most 8,000 customers: the refit holds every history in one invocation')
      .default(5_000),
  })
  .strict()
  .refine((r) => r.yellow < r.red, { message: 'risk.yellow must be lower than risk.red', path: ['yellow'] });

/** A dotted path into a Segment call, e.g. "context.groupId" (own properties only; never code). */
const dottedPath = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'must be a dotted path such as "context.groupId"');

/** How Segment/RudderStack calls map onto usage events (docs/metrics.md §2.1). */
export const segmentConfigSchema = z
  .object({
    /** Where a track call's account (customerId) is looked for, in order; else the user's last group call. */
    groupIdPaths: z
      .array(dottedPath)
      .min(1, 'must list at least one path, e.g. ["context.groupId"]')
      .default(['context.groupId', 'properties.groupId']),
    /** A property naming the feature instead of the track call's `event`. */
    featureProperty: dottedPath.optional(),
    /** A property carrying the count (a positive whole number; default 1 a call). */
    countProperty: dottedPath.optional(),
    /** Whether anonymousId stands in for a missing userId. */
    anonymousUsers: z.boolean().default(true),
    /** Group traits carrying the account's name and owner (CSM) email. */
    nameTrait: dottedPath.default('name'),
    ownerTrait: dottedPath.default('owner_email'),
  })
  .strict();

const MIB = 1024 * 1024;

/**
 * Billing exports larger than `thresholdBytes` (compressed size, as S3 reports it) are ingested by the
 * large-file state machine (docs/metrics.md §1.4): split into ranges of about `rangeBytes` of text, at
 * most `maxConcurrency` ranges at a time. A range must fit one ingest invocation: about 130k rows per
 * 16 MB, well inside the function's timeout even on DynamoDB Local.
 */
export const largeFilesConfigSchema = z
  .object({
    thresholdBytes: z
      .number()
      .int('must be a whole number of bytes')
      .min(1)
      .default(64 * MIB),
    rangeBytes: z
      .number()
      .int('must be a whole number of bytes')
      .min(1024, 'must be at least 1024 bytes')
      .default(16 * MIB),
    maxConcurrency: z
      .number()
      .int()
      .min(1)
      .max(1000, 'a Distributed Map runs at most 10,000 children; keep it at 1000 or less')
      .default(10),
  })
  .strict();

export const configSchema = z
  .object({
    reportingCurrency: currencyCode.default('USD'),
    /** Units of reporting currency per unit of the keyed currency, e.g. {"EUR": 1.08}. */
    fxRates: z.record(currencyCode, z.number().positive('must be a positive number of reporting-currency units')).default({}),
    coreFeatures: featureList,
    retentionFeatures: featureList,
    tierA: z.number().positive().default(1000),
    tierB: z.number().positive().default(100),
    risk: riskConfigSchema.default(() => riskConfigSchema.parse({})),
    digest: digestConfigSchema.default(() => digestConfigSchema.parse({})),
    segment: segmentConfigSchema.default(() => segmentConfigSchema.parse({})),
    /** Digests in Slack as well as by email (README "Digests in Slack"): off unless a secret is named. */
    slack: z
      .object({
        /** Secrets Manager secret holding the incoming-webhook URLs (JSON); the URLs never enter the template. */
        secretName: z
          .string()
          .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name, e.g. "churnwatch/slack-webhooks"')
          .optional(),
        /** "owner": each owner's own webhook (DM or their channel); "channel": one channel, the owner mentioned. */
        mode: z.enum(['owner', 'channel']).default('owner'),
      })
      .strict()
      .default({ mode: 'owner' }),
    /** Stripe Data Pipeline drops under exports/ (docs/metrics.md §1.2). */
    stripeDataPipeline: z
      .object({
        /** Whether `testmode/` tables are read too (never mix them with live data in one stage). */
        includeTestmode: z.boolean().default(false),
      })
      .strict()
      .default({ includeTestmode: false }),
    snapshot: snapshotConfigSchema.default({}),
    largeFiles: largeFilesConfigSchema.default(() => largeFilesConfigSchema.parse({})),
  })
  .strict()
  .refine((c) => c.tierB < c.tierA, { message: 'tierB must be lower than tierA', path: ['tierB'] })
  .refine((c) => !(c.snapshot.schedule && c.digest.schedule && c.snapshot.schedule !== c.digest.schedule), {
    message: 'set only snapshot.schedule: digest.schedule is its deprecated name, and the two differ',
    path: ['digest', 'schedule'],
  })
  // One place says when the snapshot runs: the deprecated digest.schedule is folded into it.
  .transform(({ snapshot, ...c }) => ({ ...c, snapshot: { schedule: snapshot.schedule ?? c.digest.schedule ?? DEFAULT_SCHEDULE } }));

/** Notes on a valid configuration that still deserves a change (deprecated keys), for the operator. */
export function configNotes(input: unknown): string[] {
  const digest = (input as { digest?: { schedule?: unknown } } | null | undefined)?.digest;
  return digest?.schedule === undefined
    ? []
    : ['digest.schedule is deprecated: it schedules the snapshot (which sends the digests at its end); rename it to snapshot.schedule'];
}

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The keys an object schema at `path` (under defaults, optionals and pipes) accepts. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let node: unknown = schema;
  const unwrap = () => {
    for (;;) {
      const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
      if (!def) return undefined;
      if (def.type === 'default' || def.type === 'optional' || def.type === 'prefault' || def.type === 'nullable') node = def.innerType;
      else if (def.type === 'pipe') node = def.in;
      else return def;
    }
  };
  for (const key of path) {
    const def = unwrap();
    if (def?.type !== 'object') return undefined;
    node = (def.shape as Record<string, unknown>)[String(key)];
  }
  const def = unwrap();
  return def?.type === 'object' ? Object.keys(def.shape as object) : undefined;
}

/**
 * One zod issue as a message that says what is allowed: an unknown key lists the keys that exist, a
 * choice among literals lists the choices (zod itself says only "Invalid input" for a union).
 */
export function describeIssue(schema: z.ZodType, issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(schema, issue.path);
    return allowed ? `${issue.message}; allowed keys: ${allowed.join(', ')}` : issue.message;
  }
  if (issue.code === 'invalid_union' && issue.message === 'Invalid input') {
    const values = issue.errors.flatMap((branch) => branch.flatMap((i) => (i.code === 'invalid_value' ? i.values : [])));
    if (values.length === issue.errors.length) return `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

/** Parses a configuration object, throwing a ConfigError whose message names every bad field. */
export function parseConfig(input: unknown, source = 'configuration'): Config {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.join('.') : '(root)',
    message: describeIssue(configSchema, issue),
  }));
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
  throw new ConfigError(`Invalid ${source}:\n${lines}`, issues);
}

export const CONFIG_ENV = 'CHURNWATCH_CONFIG';

/** Reads the configuration a Lambda was deployed with (JSON in CHURNWATCH_CONFIG). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = env[CONFIG_ENV];
  if (!raw) return parseConfig({}, `${CONFIG_ENV} (unset, defaults)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`Invalid ${CONFIG_ENV}: not JSON (${(err as Error).message})`, [{ path: '(root)', message: 'not JSON' }]);
  }
  return parseConfig(parsed, CONFIG_ENV);
}
