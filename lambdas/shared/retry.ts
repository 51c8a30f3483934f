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

/** Runs `fn` over `inputs` with at most `limit` in flight; the first failure rejects (the others finish). */
export async function forEachLimit<T>(inputs: readonly T[], limit: number, fn: (input: T) => Promise<void>): Promise<void> {
  if (!(limit >= 1)) throw new RangeError(`limit must be at least 1, got ${limit}`);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) await fn(inputs[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
}
