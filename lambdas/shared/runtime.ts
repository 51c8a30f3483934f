import * as z from 'zod';
import { configFromEnv, type Config } from './config';

/** The environment every Lambda reads (set by the CDK stack, or by the embedded stack locally). */
const runtimeEnvSchema = z.object({
  TABLE_NAME: z.string().min(1, 'TABLE_NAME must name the DynamoDB table'),
  BUCKET_NAME: z.string().min(1, 'BUCKET_NAME must name the data bucket'),
  /** Digest hand-over target (the digest function's name); unset locally where the CLI calls it. */
  DIGEST_FUNCTION_NAME: z.string().min(1).optional(),
  /** The large-file state machine billing ingest hands big exports to (docs/metrics.md §1.4). */
  LARGE_FILE_STATE_MACHINE_ARN: z.string().min(1).optional(),
  /** Where the usage API enqueues events (lib/usage-api.ts); unset for the other functions. */
  USAGE_QUEUE_URL: z.string().min(1).optional(),
});

export interface Runtime {
  tableName: string;
  bucketName: string;
  digestFunctionName?: string;
  largeFileStateMachineArn?: string;
  usageQueueUrl?: string;
  config: Config;
}

/** Reads and validates the Lambda environment, naming the variable that is missing. */
export function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): Runtime {
  const parsed = runtimeEnvSchema.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid Lambda environment: ${detail}`);
  }
  return {
    tableName: parsed.data.TABLE_NAME,
    bucketName: parsed.data.BUCKET_NAME,
    digestFunctionName: parsed.data.DIGEST_FUNCTION_NAME,
    largeFileStateMachineArn: parsed.data.LARGE_FILE_STATE_MACHINE_ARN,
    usageQueueUrl: parsed.data.USAGE_QUEUE_URL,
    config: configFromEnv(env),
  };
}
