/**
 * How many cases a fast-check property runs. Each property states its thorough count; an ordinary
 * `npm test` runs a fifth of it (at least 5), so the suite stays quick on a busy machine, and
 * `CHURNWATCH_PROPERTY_RUNS=1` runs the thorough count (`=10` ten times that, for a soak).
 */
export function propertyRuns(thorough: number, env: NodeJS.ProcessEnv = process.env): number {
  const factor = env.CHURNWATCH_PROPERTY_RUNS === undefined ? 0.2 : Number(env.CHURNWATCH_PROPERTY_RUNS);
  if (!(factor > 0))
    throw new RangeError(`CHURNWATCH_PROPERTY_RUNS must be a positive number, got ${JSON.stringify(env.CHURNWATCH_PROPERTY_RUNS)}`);
  return Math.max(5, Math.round(thorough * factor));
}
