/**
 * Maps daily event counts onto a few intensity levels, relative to the customer's own busiest day in
 * the window: what a CSM reads from an activity strip is the shape (fading, gaps), not the volume.
 * Level 0 is reserved for days with no event, so any activity at all stays visible.
 */
export function activityLevel(count: number, max: number, levels: number): number {
  if (!(count > 0) || !(max > 0)) return 0;
  const level = Math.ceil((Math.min(count, max) / max) * levels);
  return Math.max(1, Math.min(levels, level));
}

export function activityMax(counts: readonly number[]): number {
  let max = 0;
  for (const c of counts) if (c > max) max = c;
  return max;
}
