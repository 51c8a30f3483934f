/**
 * Bands with hysteresis (docs/metrics.md §3.6): a customer enters red at p ≥ red and yellow at
 * p ≥ yellow, but once in a band stays there until p falls below 0.8 × its threshold, so a customer
 * hovering at a threshold does not flicker in and out of the CSM's list.
 */
import type { Band, RiskSettings } from './types';

export const HYSTERESIS = 0.8;

export function bandOf(p: number, previous: Band | undefined, t: Pick<RiskSettings, 'red' | 'yellow'>): Band {
  const stays = (band: Band, threshold: number) => previous === band && p >= HYSTERESIS * threshold;
  if (p >= t.red || stays('red', t.red)) return 'red';
  if (p >= t.yellow || stays('yellow', t.yellow) || stays('red', t.yellow)) return 'yellow';
  return 'green';
}
