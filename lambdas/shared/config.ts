import * as z from 'zod';

/**
 * The one configuration object (SPEC §4). The CDK app reads it from `cdk.json` context `churnwatch`,
 * the CLI from `--config`, and every Lambda from the `CHURNWATCH_CONFIG` environment variable,
 * so all three validate with this schema and agree on the defaults.
 */
const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code in upper case, e.g. "USD"');

const featureList = z.array(z.string().min(1, 'feature names must not be empty').max(128)).default([]);

export const digestConfigSchema = z
  .object({
    from: z.email('must be an email address (the verified SES sender)').default('churnwatch@example.com'),
    fallbackTo: z
      .email('must be an email address (receives customers without an owner)')
      .default('cs-team@example.com'),
    /** EventBridge schedule expression for the daily snapshot that triggers the digest. */
    schedule: z
      .string()
      .regex(/^(cron|rate)\(.+\)$/, 'must be an EventBridge schedule expression such as "cron(0 6 * * ? *)"')
      .default('cron(0 6 * * ? *)'),
    configurationSet: z.string().min(1).optional(),
    /** Prepended to every digest subject so CSMs can filter the mail. */
    subjectPrefix: z.string().max(60).default('[Churnwatch]'),
  })
  .strict();

export const configSchema = z
  .object({
    reportingCurrency: currencyCode.default('USD'),
    /** Units of reporting currency per unit of the keyed currency, e.g. {"EUR": 1.08}. */
    fxRates: z
      .record(currencyCode, z.number().positive('must be a positive number of reporting-currency units'))
      .default({}),
    coreFeatures: featureList,
    retentionFeatures: featureList,
    tierA: z.number().positive().default(1000),
    tierB: z.number().positive().default(100),
    digest: digestConfigSchema.default(() => digestConfigSchema.parse({})),
  })
  .strict()
  .refine((c) => c.tierB < c.tierA, { message: 'tierB must be lower than tierA', path: ['tierB'] });

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

/** Parses a configuration object, throwing a ConfigError whose message names every bad field. */
export function parseConfig(input: unknown, source = 'configuration'): Config {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.join('.') : '(root)',
    message: issue.message,
  }));
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
  throw new ConfigError(`Invalid ${source}:\n${lines}`, issues);
}

/** Rate that converts one unit of `currency` into the reporting currency, or undefined when unknown. */
export function fxRate(config: Pick<Config, 'reportingCurrency' | 'fxRates'>, currency: string): number | undefined {
  const code = currency.toUpperCase();
  if (code === config.reportingCurrency) return 1;
  return config.fxRates[code];
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
    throw new ConfigError(`Invalid ${CONFIG_ENV}: not JSON (${(err as Error).message})`, [
      { path: '(root)', message: 'not JSON' },
    ]);
  }
  return parseConfig(parsed, CONFIG_ENV);
}
