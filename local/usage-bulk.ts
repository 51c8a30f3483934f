import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_EVENTS_PER_REQUEST, MAX_REQUEST_BYTES, validateUsageEvent } from '../lambdas/formats/usage-event';
import { taskPool, withRetries } from '../lambdas/shared/retry';
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

type Origin = { file: string; line: number };
/** A validated event, compactly serialised, with where it came from. */
type ReadEvent = { customerId: string; text: string; size: number; origin: Origin };
type Answer = { accepted?: number; duplicates?: number; rejected?: { index: number; reason: string }[]; message?: string };

class RetryableAnswer extends Error {}

/** The events of the files, validated as the API will; the bad ones go to `result.rejected`. */
async function* readEvents(paths: string[], now: () => Date, result: BulkLoadResult): AsyncGenerator<ReadEvent> {
  for (const path of (await Promise.all(paths.map(expandEventPaths))).flat()) {
    result.files++;
    for await (const l of readJsonLines(createReadStream(path))) {
      result.events++;
      const reject = (reason: string) => result.rejected.push({ file: path, line: l.line, reason });
      if (l.error !== undefined) {
        reject(l.error);
        continue;
      }
      const v = validateUsageEvent(l.value, now());
      if (!v.ok) {
        reject(v.reason);
        continue;
      }
      // Re-serialised compactly: the server sees exactly the validated object.
      const text = JSON.stringify(l.value);
      const size = Buffer.byteLength(text) + 1;
      if (ENVELOPE_BYTES + size >= MAX_REQUEST_BYTES) {
        reject('event: larger than the 1 MB request limit');
        continue;
      }
      yield { customerId: v.event.customerId, text, size, origin: { file: path, line: l.line } };
    }
  }
}

/**
 * Windows of events grouped by customer, cut into request-sized batches: a batch then touches a few
 * customers instead of hundreds, and batches in flight rarely contend for one customer. Counting
 * does not depend on the order, and the window bounds memory.
 */
async function* requestBatches(events: AsyncIterable<ReadEvent>): AsyncGenerator<ReadEvent[]> {
  let window: ReadEvent[] = [];
  function* cut(): Generator<ReadEvent[]> {
    window.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
    let batch: ReadEvent[] = [];
    let bytes = ENVELOPE_BYTES;
    for (const e of window) {
      if (batch.length >= MAX_EVENTS_PER_REQUEST || bytes + e.size >= MAX_REQUEST_BYTES) {
        yield batch;
        batch = [];
        bytes = ENVELOPE_BYTES;
      }
      batch.push(e);
      bytes += e.size;
    }
    if (batch.length > 0) yield batch;
    window = [];
  }
  for await (const e of events) {
    window.push(e);
    if (window.length >= WINDOW_EVENTS) yield* cut();
  }
  yield* cut();
}

export async function bulkLoadUsageEvents(paths: string[], options: BulkLoadOptions): Promise<BulkLoadResult> {
  const result: BulkLoadResult = { files: 0, events: 0, requests: 0, retries: 0, accepted: 0, duplicates: 0, rejected: [] };
  const timeoutMs = options.requestTimeoutMs ?? 60_000;

  /** One request, sent again with backoff on a retryable answer, a network error or a timeout. */
  const send = (body: string) =>
    withRetries(
      async () => {
        const res = await fetch(`${options.url}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': options.apiKey },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const answer = (await res.json().catch(() => ({}))) as Answer;
        if (retryable(res.status)) throw new RetryableAnswer(`usage API answered ${res.status}: ${answer.message ?? 'no message'}`);
        return { status: res.status, answer };
      },
      {
        attempts: options.maxAttempts ?? 8,
        baseMs: 100,
        capMs: 5_000,
        onRetry: () => void result.retries++,
      },
    ).catch((err: unknown) => {
      const what = err instanceof RetryableAnswer ? (err as Error).message : `usage API request failed: ${(err as Error).message}`;
      throw new Error(`${what} (after ${options.maxAttempts ?? 8} attempts)`, { cause: err });
    });

  const post = async (batch: ReadEvent[]) => {
    result.requests++;
    const { status, answer } = await send(`{"events":[${batch.map((e) => e.text).join(',')}]}`);
    if (status !== 202 && (status !== 400 || !answer.rejected))
      throw new Error(`usage API answered ${status}: ${answer.message ?? 'no message'}`);
    result.accepted += answer.accepted ?? 0;
    result.duplicates += answer.duplicates ?? 0;
    for (const r of answer.rejected ?? []) result.rejected.push({ ...batch[r.index]!.origin, reason: r.reason });
  };

  const pool = taskPool(options.concurrency ?? 4);
  try {
    for await (const batch of requestBatches(readEvents(paths, options.now ?? (() => new Date()), result)))
      await pool.run(() => post(batch));
  } finally {
    await pool.settle();
  }
  result.rejected.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return result;
}
