import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_EVENTS_PER_REQUEST, MAX_REQUEST_BYTES, validateUsageEvent } from '../lambdas/formats/usage-event';
import { backoff } from '../lambdas/shared/retry';
import { readJsonLines } from '../lambdas/formats/usage-lines';

export { ingestUsageFile, type UsageFileResult } from '../lambdas/ingest-billing/ingest-events-file';

/**
 * Bulk load of JSONL usage-event files through the HTTP API (what `churnwatch local run --events`
 * does): streamed, validated with the same schema, posted in batches of ≤ 1000 events and < 1 MB.
 */

export interface BulkRejection {
  file: string;
  line: number;
  reason: string;
}

export interface BulkLoadResult {
  files: number;
  events: number;
  requests: number;
  /** Requests sent again after a 5xx, a 429, a network error or a timeout. */
  retries: number;
  accepted: number;
  duplicates: number;
  rejected: BulkRejection[];
}

export interface BulkLoadOptions {
  /** Base URL of the usage API (`startUsageApi().url`). */
  url: string;
  apiKey: string;
  /** Requests in flight. */
  concurrency?: number;
  now?: () => Date;
  /** Attempts per request (default 8): retries are harmless, the API recognises what it already counted. */
  maxAttempts?: number;
  /** Milliseconds before a request is abandoned and sent again (default 60 s). */
  requestTimeoutMs?: number;
}

/** Answers worth sending the same request again for: throttling and server-side failures. */
const retryable = (status: number) => status === 429 || status >= 500;

const EVENT_FILE = /\.(jsonl|ndjson|json)(\.gz)?$/i;
const ENVELOPE_BYTES = '{"events":[]}'.length;
/** Events read ahead and grouped by customer before posting. */
const WINDOW_EVENTS = 20_000;

/** A file, or the event files (`.jsonl`, `.ndjson`, `.json`, optionally `.gz`) under a folder, sorted. */
export async function expandEventPaths(path: string): Promise<string[]> {
  const s = await stat(path);
  if (!s.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && EVENT_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export async function bulkLoadUsageEvents(paths: string[], options: BulkLoadOptions): Promise<BulkLoadResult> {
  const result: BulkLoadResult = { files: 0, events: 0, requests: 0, retries: 0, accepted: 0, duplicates: 0, rejected: [] };
  const maxAttempts = options.maxAttempts ?? 8;
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const now = options.now ?? (() => new Date());
  const inFlight = new Set<Promise<void>>();
  const limit = options.concurrency ?? 4;

  type Payload = { accepted?: number; duplicates?: number; rejected?: { index: number; reason: string }[]; message?: string };
  /** One request, sent again with backoff on a retryable answer, a network error or a timeout. */
  const send = async (body: string): Promise<{ status: number; payload: Payload }> => {
    for (let attempt = 1; ; attempt++) {
      let failure: string;
      try {
        const res = await fetch(`${options.url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': options.apiKey },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const payload = (await res.json().catch(() => ({}))) as Payload;
        if (!retryable(res.status)) return { status: res.status, payload };
        failure = `usage API answered ${res.status}: ${payload.message ?? 'no message'}`;
      } catch (err) {
        failure = `usage API request failed: ${(err as Error).message}`;
      }
      if (attempt >= maxAttempts) throw new Error(`${failure} (after ${attempt} attempts)`);
      result.retries++;
      await backoff(attempt, { baseMs: 100, capMs: 5_000 });
    }
  };

  const post = async (texts: string[], origins: { file: string; line: number }[]) => {
    const body = `{"events":[${texts.join(',')}]}`;
    result.requests++;
    const { status, payload } = await send(body);
    if (status !== 202 && status !== 400) throw new Error(`usage API answered ${status}: ${payload.message ?? 'no message'}`);
    if (status === 400 && !payload.rejected) throw new Error(`usage API answered 400: ${payload.message}`);
    result.accepted += payload.accepted ?? 0;
    result.duplicates += payload.duplicates ?? 0;
    for (const r of payload.rejected ?? []) result.rejected.push({ ...origins[r.index]!, reason: r.reason });
  };

  let failure: Error | undefined;
  const schedule = async (texts: string[], origins: { file: string; line: number }[]) => {
    while (inFlight.size >= limit) await Promise.race(inFlight);
    if (failure) throw failure;
    const p: Promise<void> = post(texts, origins)
      .catch((err: unknown) => {
        failure ??= err as Error;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  // Events are posted grouped by customer, a window at a time: a batch then touches a few customers
  // (one transaction each) instead of hundreds, and batches in flight rarely contend for one
  // customer. Counting does not depend on the order, and the window bounds memory.
  let window: { customerId: string; text: string; size: number; origin: { file: string; line: number } }[] = [];
  const flushWindow = async () => {
    window.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
    let texts: string[] = [];
    let origins: { file: string; line: number }[] = [];
    let bytes = ENVELOPE_BYTES;
    for (const e of window) {
      if (texts.length >= MAX_EVENTS_PER_REQUEST || bytes + e.size >= MAX_REQUEST_BYTES) {
        await schedule(texts, origins);
        texts = [];
        origins = [];
        bytes = ENVELOPE_BYTES;
      }
      texts.push(e.text);
      origins.push(e.origin);
      bytes += e.size;
    }
    if (texts.length > 0) await schedule(texts, origins);
    window = [];
  };

  for (const path of (await Promise.all(paths.map(expandEventPaths))).flat()) {
    result.files++;
    for await (const l of readJsonLines(createReadStream(path))) {
      result.events++;
      if (l.error !== undefined) {
        result.rejected.push({ file: path, line: l.line, reason: l.error });
        continue;
      }
      const v = validateUsageEvent(l.value, now());
      if (!v.ok) {
        result.rejected.push({ file: path, line: l.line, reason: v.reason });
        continue;
      }
      // Re-serialised compactly: the server sees exactly the validated object.
      const text = JSON.stringify(l.value);
      const size = Buffer.byteLength(text) + 1;
      if (ENVELOPE_BYTES + size >= MAX_REQUEST_BYTES) {
        result.rejected.push({ file: path, line: l.line, reason: 'event: larger than the 1 MB request limit' });
        continue;
      }
      window.push({ customerId: v.event.customerId, text, size, origin: { file: path, line: l.line } });
      if (window.length >= WINDOW_EVENTS) await flushWindow();
    }
  }
  await flushWindow();
  await Promise.all(inFlight);
  if (failure) throw failure;
  result.rejected.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return result;
}
