import { availableParallelism, loadavg } from 'node:os';

/**
 * How much longer than on a quiet machine a test may take. Machines here are shared: a 2-core box
 * at load 8 runs a child process about 4× slower. The factor follows the load when the run starts
 * (never below 1, at most 6) and `CHURNWATCH_TEST_TIMEOUT_SCALE` overrides it.
 */
export function timeoutScale(env: NodeJS.ProcessEnv = process.env): number {
  const forced = Number(env.CHURNWATCH_TEST_TIMEOUT_SCALE);
  if (Number.isFinite(forced) && forced > 0) return forced;
  const perCore = loadavg()[0]! / Math.max(1, availableParallelism());
  return Math.min(6, Math.max(1, perCore));
}

/** A timeout measured on a quiet machine, stretched for this one. */
export const scaled = (quietMs: number): number => Math.round(quietMs * timeoutScale());
