import * as z from 'zod';
import type { SlackMessage } from './render-slack';

/**
 * Where an owner's digest goes in Slack, from the one secret that holds the incoming-webhook URLs
 * (docs/metrics.md §4, README "Digests in Slack"): per owner (`owners`), or one channel (`channel`)
 * with the owner mentioned (`mentions`: owner email → Slack user id).
 */

export interface SlackTarget {
  url: string;
  /** Slack user id to mention (channel mode). */
  mention?: string;
}

/** Incoming webhooks are https; plain http only to a loopback receiver (the embedded stack's). */
const webhookUrl = z
  .string()
  .refine(
    (u) => /^https:\/\/[^\s/]+\//.test(u) || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u),
    'must be an https:// incoming-webhook URL',
  );

export const slackSecretSchema = z
  .object({
    channel: webhookUrl.optional(),
    owners: z.record(z.string(), webhookUrl).default({}),
    mentions: z.record(z.string(), z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id such as "U024BE7LH"')).default({}),
  })
  .strict();

export type SlackSecret = z.infer<typeof slackSecretSchema>;

export function parseSlackSecret(value: string): SlackSecret {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error(
      'the Slack secret must be JSON: {"owners": {"csm@acme.io": "https://hooks.slack.com/..."}} or {"channel": "https://hooks.slack.com/...", "mentions": {...}}',
    );
  }
  const parsed = slackSecretSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`the Slack secret is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Owner emails are compared as the digest groups them: lower-cased. */
const own = (map: Record<string, string>, owner: string) => {
  const key = Object.keys(map).find((k) => k.toLowerCase() === owner.toLowerCase());
  return key === undefined ? undefined : map[key];
};

export function slackTargetFor(secret: SlackSecret, mode: 'owner' | 'channel', owner: string): SlackTarget | undefined {
  if (mode === 'owner') {
    const url = own(secret.owners, owner);
    return url ? { url } : undefined;
  }
  if (!secret.channel) return undefined;
  const mention = own(secret.mentions, owner);
  return mention ? { url: secret.channel, mention } : { url: secret.channel };
}

export class SlackPostError extends Error {
  override name = 'SlackPostError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Posts a message to an incoming webhook. Slack answers 200 `ok`; 429 (with Retry-After) and 5xx are
 * worth retrying, the 4xx answers (`invalid_payload`, `no_service`, `channel_is_archived`, …) are not.
 */
export async function postToSlack(url: string, message: SlackMessage, timeoutMs = 10_000): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new SlackPostError(`Slack webhook unreachable: ${(err as Error).message}`, true);
  }
  const body = (await res.text()).slice(0, 200);
  if (res.ok) return;
  const retryAfter = Number(res.headers.get('retry-after'));
  throw new SlackPostError(
    `Slack webhook answered ${res.status}: ${body}`,
    res.status === 429 || res.status >= 500,
    Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
  );
}
