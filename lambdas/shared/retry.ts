/**
 * Waiting and retrying, one copy for every caller: DynamoDB's unprocessed items and cancelled
 * transactions, SES sends, S3 calls. Full-jitter exponential backoff, as the AWS Architecture Blog
 * recommends for contended retries ("Exponential Backoff And Jitter"): many writers that collided
 * spread out instead of colliding again in step.
 */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface BackoffOptions {
  /** The cap of the first retry's wait; it doubles with each attempt. */
  baseMs?: number;
  /** The most any single wait may be. */
  capMs?: number;
}

/** The longest wait before retry number `attempt` (1-based): min(cap, base × 2^attempt). */
export const backoffCeiling = (attempt: number, { baseMs = 25, capMs = 2_000 }: BackoffOptions = {}): number =>
  Math.min(capMs, baseMs * 2 ** attempt);

/** Waits a uniformly random time up to the ceiling of retry number `attempt`. */
export const backoff = (attempt: number, opts: BackoffOptions = {}): Promise<void> => sleep(Math.random() * backoffCeiling(attempt, opts));

export interface RetryOptions extends BackoffOptions {
  /** Tries in all, the first included. */
  attempts: number;
  /** Whether an error is worth another try (default: every error). */
  retryable?: (error: unknown) => boolean;
  /** Told about each failure that will be retried. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Calls `fn` until it succeeds, up to `attempts` tries with backoff between them; rethrows the last error. */
export async function withRetries<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= opts.attempts || (opts.retryable && !opts.retryable(error))) throw error;
      opts.onRetry?.(error, attempt);
      await backoff(attempt, opts);
    }
  }
}

export interface TaskPool {
  /** Starts `task` once fewer than `limit` run; rethrows the first failure instead of starting more. */
  run(task: () => Promise<void>): Promise<void>;
  /** Waits for every started task; rejects with the first failure. */
  settle(): Promise<void>;
}

/**
 * At most `limit` tasks in flight, for work produced as it goes (a stream read ahead of its writes).
 * After a failure no new task starts; the ones running finish, and `settle` reports the failure.
 */
export function taskPool(limit: number): TaskPool {
  if (!(limit >= 1)) throw new RangeError(`limit must be at least 1, got ${limit}`);
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  return {
    async run(task) {
      while (running.size >= limit) await Promise.race(running);
      if (failure) throw failure.error;
      const p: Promise<void> = task()
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => running.delete(p));
      running.add(p);
    },
    async settle() {
      await Promise.all(running);
      if (failure) throw failure.error;
    },
  };
}

/** Runs `fn` over `inputs` with at most `limit` in flight; the first failure stops new calls and rejects. */
export async function forEachLimit<T>(inputs: readonly T[], limit: number, fn: (input: T) => Promise<void>): Promise<void> {
  const pool = taskPool(limit);
  try {
    for (const input of inputs) await pool.run(() => fn(input));
  } finally {
    await pool.settle();
  }
}
