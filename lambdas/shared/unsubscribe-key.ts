import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/**
 * The key that signs unsubscribe links lives in a Secrets Manager secret the stack generates (never
 * in the template or the environment); the digest signs with it and the unsubscribe function checks
 * with it. Cached five minutes, like the Segment write keys.
 */
export const UNSUBSCRIBE_KEY_SECRET_ENV = 'UNSUBSCRIBE_KEY_SECRET';
/** The public https URL of `GET|POST /unsubscribe` that digest links point to. */
export const UNSUBSCRIBE_URL_ENV = 'UNSUBSCRIBE_URL';
const CACHE_SECONDS = 300;
/** Shorter keys would make the MAC guessable; the stack generates 64 characters. */
export const MIN_KEY_LENGTH = 32;

export function checkedKey(value: unknown, source: string): string {
  if (typeof value !== 'string' || value.length < MIN_KEY_LENGTH) {
    throw new Error(`${source} must hold the unsubscribe signing key as a string of at least ${MIN_KEY_LENGTH} characters`);
  }
  return value;
}

export function secretsManagerUnsubscribeKey(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  const id = env[UNSUBSCRIBE_KEY_SECRET_ENV];
  if (!id) throw new Error(`Invalid Lambda environment: ${UNSUBSCRIBE_KEY_SECRET_ENV} must name the unsubscribe key secret`);
  return async () => checkedKey(await getSecret(id, { maxAge: CACHE_SECONDS }), `secret ${id}`);
}
