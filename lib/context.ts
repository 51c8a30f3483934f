import * as z from 'zod';
import { parseConfig, type Config } from '../lambdas/shared/config';

/**
 * Keys of the `churnwatch` context that only the CDK app understands. They are split off before the
 * rest goes to the shared `parseConfig`, which is strict and would reject them.
 */
export const deployOptionsSchema = z
  .object({
    /** Suffix of the stack name and tag value; `prod` turns on table deletion protection. */
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be lower-case letters, digits or "-", starting with a letter (max 20)')
      .default('prod'),
    /** `retain` keeps the table, buckets, key and log groups when the stack is deleted. */
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
    logRetentionDays: z
      .union([z.literal(7), z.literal(14), z.literal(30), z.literal(90), z.literal(180), z.literal(365)])
      .default(30),
    /** Usage plan for POST /events (SPEC §2): steady rate, burst and daily quota per API key. */
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
    /** Quarantined rows per hour at or above which the ops topic is notified. */
    quarantineAlarmThreshold: z.number().int().positive().default(1),
  })
  .strict();

export type DeployOptions = z.infer<typeof deployOptionsSchema>;

const DEPLOY_KEYS = Object.keys(deployOptionsSchema.shape) as (keyof DeployOptions)[];

export interface ChurnwatchSettings {
  deploy: DeployOptions;
  config: Config;
}

export class ContextError extends Error {
  override name = 'ContextError';
}

/**
 * Validates the `churnwatch` context object at synth time. Every problem is reported with its path
 * under `churnwatch`, so a typo in cdk.json fails `cdk synth` with a message instead of a broken deploy.
 */
export function readSettings(raw: unknown): ChurnwatchSettings {
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
  const deploy = deployOptionsSchema.safeParse(deployInput);
  if (!deploy.success) {
    const lines = deploy.error.issues.map((i) => `  - churnwatch.${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ContextError(`Invalid cdk.json context "churnwatch" (deployment options):\n${lines}`);
  }
  try {
    return { deploy: deploy.data, config: parseConfig(all, 'cdk.json context "churnwatch"') };
  } catch (err) {
    throw new ContextError((err as Error).message);
  }
}
