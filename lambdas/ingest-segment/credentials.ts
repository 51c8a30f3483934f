import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { SegmentCredentials } from './handler';

/**
 * Write keys and the webhook secret live in Secrets Manager (the stack generates both; neither is in
 * the template or the environment). Values are cached for five minutes, so a rotated key is taken up
 * without a deploy and a warm function reads Secrets Manager about once every five minutes.
 */

export const WRITE_KEYS_SECRET_ENV = 'SEGMENT_WRITE_KEYS_SECRET';
export const WEBHOOK_SECRET_ENV = 'SEGMENT_WEBHOOK_SECRET';
const CACHE_SECONDS = 300;

/** A secret holding one write key, a JSON array of keys, or keys separated by commas or new lines (rotation). */
export function parseWriteKeys(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed) || !parsed.every((k) => typeof k === 'string'))
      throw new Error('the write-keys secret must be a JSON array of strings');
    return parsed.map((k) => k.trim()).filter((k) => k.length > 0);
  }
  return trimmed
    .split(/[,\n]/)
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

export function secretsManagerCredentials(env: NodeJS.ProcessEnv = process.env): () => Promise<SegmentCredentials> {
  const writeKeysId = env[WRITE_KEYS_SECRET_ENV];
  if (!writeKeysId) throw new Error(`Invalid Lambda environment: ${WRITE_KEYS_SECRET_ENV} must name the Segment write-keys secret`);
  const webhookId = env[WEBHOOK_SECRET_ENV];
  return async () => {
    const [keys, webhook] = await Promise.all([
      getSecret(writeKeysId, { maxAge: CACHE_SECONDS }),
      webhookId ? getSecret(webhookId, { maxAge: CACHE_SECONDS }) : Promise.resolve(undefined),
    ]);
    if (typeof keys !== 'string') throw new Error(`secret ${writeKeysId} must hold a string`);
    const credentials: SegmentCredentials = { writeKeys: parseWriteKeys(keys) };
    if (typeof webhook === 'string' && webhook.length > 0) credentials.webhookSecret = webhook;
    return credentials;
  };
}
