import * as z from 'zod';
import { configNotes, describeIssue, emailDomain, parseConfig, type Config } from '../lambdas/shared/config';

export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Domains reserved for documentation (RFC 2606): a sender there can never be verified in SES. */
const EXAMPLE_DOMAIN = /(^|\.)(example\.(com|net|org)|example|test|invalid|localhost)$/;

/**
 * Keys of the `churnwatch` context that only the CDK app understands. They are split off before the
 * rest goes to the shared `parseConfig`, which is strict and would reject them.
 */
export const deployOptionsSchema = z
  .object({
    /** Suffix of the stack name and tag value (`cdk deploy -c stage=prod` overrides it). */
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be lower-case letters, digits or "-", starting with a letter (max 20)')
      .default('prod'),
    /**
     * Stages that are for testing only. Everything else is treated as production: it must name a real
     * sender and a recipient allowlist, and its table is deletion-protected by default.
     */
    testStages: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be stage names (lower-case letters, digits or "-")')).default([]),
    /**
     * Keep the former `byOwner` index for one deploy while the `profiles` index builds (an upgrade of
     * a stack deployed before the index changed: CloudFormation cannot add and remove one at once).
     */
    keepLegacyOwnerIndex: z.boolean().default(false),
    /** Table deletion protection; default on for every stage that is not a test stage. */
    deletionProtection: z.boolean().optional(),
    /** `retain` keeps the table, buckets, key and log groups when the stack is deleted. */
    removalPolicy: z.enum(['retain', 'destroy'], { error: 'must be "retain" or "destroy"' }).default('retain'),
    logRetentionDays: z
      .number()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `must be one of the CloudWatch Logs retention periods: ${LOG_RETENTION_DAYS.join(', ')} (days)`,
      })
      .default(30),
    /** Usage plan for POST /events (docs/metrics.md §2): steady rate, burst and daily quota per API key. */
    api: z
      .object({
        rateLimit: z.number().positive().default(100),
        burstLimit: z.number().int().positive().default(200),
        quotaPerDay: z.number().int().positive().default(1_000_000),
      })
      .strict()
      .default({ rateLimit: 100, burstLimit: 200, quotaPerDay: 1_000_000 }),
    /**
     * Bundle the AWS SDK into each function (pinned versions, tree-shaken) instead of using the copy
     * in the Node.js 22 runtime. Off by default: bundles stay under 500 KB (fast cold starts), as
     * CDK's own NodejsFunction default does; on pins the exact SDK the tests ran against.
     */
    bundleAwsSdk: z.boolean().default(false),
    /** X-Ray tracing on the functions and the API stage. */
    tracing: z.boolean().default(true),
    /**
     * Share of usage API requests X-Ray records when tracing is on: the default rule would record
     * nearly every request at the traffic of a few thousand customers.
     */
    apiTraceRate: z.number().min(0).max(1).default(0.01),
    /** Quarantined rows per hour at or above which the ops topic is notified. */
    quarantineAlarmThreshold: z.number().int().positive().default(1),
    /** Concurrent ingest-billing invocations the SQS event source may run (2-1000). */
    ingestMaxConcurrency: z.number().int().min(2, 'must be at least 2 (the SQS event source minimum)').max(1000).default(5),
    /**
     * Concurrency reserved for the usage API function, so a burst of events/ files or other functions
     * cannot starve it. 0 turns the reservation off (accounts whose concurrency limit is 10).
     */
    apiReservedConcurrency: z.number().int().min(0).max(1000).default(20),
  })
  .strict();

export type DeployOptions = z.infer<typeof deployOptionsSchema>;

const DEPLOY_KEYS = Object.keys(deployOptionsSchema.shape) as (keyof DeployOptions)[];

export interface ChurnwatchSettings {
  deploy: DeployOptions & { deletionProtection: boolean };
  config: Config;
  /** `deploy.stage` is listed in `deploy.testStages`. */
  testStage: boolean;
  /** Deprecated keys and the like: shown as synth warnings, never fatal. */
  notes: string[];
}

export class ContextError extends Error {
  override name = 'ContextError';
}

/**
 * Validates the `churnwatch` context object at synth time. Every problem is reported with its path
 * under `churnwatch`, so a typo in cdk.json fails `cdk synth` with a message instead of a broken deploy.
 */
export function readSettings(raw: unknown, overrides: { stage?: unknown } = {}): ChurnwatchSettings {
  // `cdk deploy -c churnwatch='{...}'` hands the app the JSON as a string.
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (err) {
      throw new ContextError(`Invalid context "churnwatch": not JSON (${(err as Error).message})`);
    }
  }
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    throw new ContextError('Invalid cdk.json context "churnwatch": must be an object');
  }
  const all = { ...((raw ?? {}) as Record<string, unknown>) };
  const deployInput: Record<string, unknown> = {};
  for (const key of DEPLOY_KEYS) {
    if (key in all) {
      deployInput[key] = all[key];
      delete all[key];
    }
  }
  // `-c stage=prod` picks the stage without rewriting the churnwatch object.
  if (overrides.stage !== undefined) deployInput.stage = overrides.stage;
  const deploy = deployOptionsSchema.safeParse(deployInput);
  if (!deploy.success) {
    const lines = deploy.error.issues.map((i) => `  - churnwatch.${i.path.join('.')}: ${describeIssue(deployOptionsSchema, i)}`).join('\n');
    throw new ContextError(`Invalid cdk.json context "churnwatch" (deployment options):\n${lines}`);
  }
  let config: Config;
  try {
    config = parseConfig(all, 'cdk.json context "churnwatch"');
  } catch (err) {
    throw new ContextError((err as Error).message);
  }
  const { stage, testStages } = deploy.data;
  const testStage = testStages.includes(stage);
  if (!testStage) {
    const problems: string[] = [];
    if (EXAMPLE_DOMAIN.test(emailDomain(config.digest.from))) {
      problems.push(
        `churnwatch.digest.from is "${config.digest.from}", an example address SES can never verify: set it to your verified sender, e.g. "churnwatch@yourcompany.com"`,
      );
    }
    if (EXAMPLE_DOMAIN.test(emailDomain(config.digest.fallbackTo))) {
      problems.push(
        `churnwatch.digest.fallbackTo is "${config.digest.fallbackTo}", an example address: set it to the team that receives customers without an owner`,
      );
    }
    if (!config.digest.allowedRecipientDomains) {
      problems.push(
        'churnwatch.digest.allowedRecipientDomains is not set: list the domains digests may go to, e.g. ["yourcompany.com"] (owners elsewhere are skipped and IAM refuses them)',
      );
    }
    if (problems.length) {
      throw new ContextError(
        `Stage "${stage}" is not a test stage (churnwatch.testStages: ${JSON.stringify(testStages)}), so it must be ready to send real mail:\n` +
          problems.map((p) => `  - ${p}`).join('\n') +
          `\nSet these in cdk.json (or -c churnwatch='{...}'), or add "${stage}" to churnwatch.testStages if it is only for testing.`,
      );
    }
  }
  return {
    deploy: { ...deploy.data, deletionProtection: deploy.data.deletionProtection ?? !testStage },
    config,
    testStage,
    notes: configNotes(all).map((n) => `churnwatch.${n}`),
  };
}
