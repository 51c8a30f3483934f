/** Building scorecard models: fitted on the operator's history, or the built-in default. */
import type { Day } from '../types';
import { DEFAULT_MODEL } from './default-model';
import { COUNTED_FROM_ZERO, FEATURES } from './features';
import { fitLogistic, type FitOptions } from './fit';
import type { RiskSettings, ScorecardModel } from './types';

export interface TrainingSet {
  rows: readonly (readonly number[])[];
  labels: readonly number[];
}

/**
 * The model to use on `asOf`: fitted on `training` when it holds at least `minChurnsToFit` churns,
 * else the built-in default.
 */
export function modelFor(training: TrainingSet, asOf: Day, settings: RiskSettings, fit: FitOptions = {}): ScorecardModel {
  const churns = training.labels.reduce((s, y) => s + y, 0);
  if (churns < settings.minChurnsToFit || churns === training.labels.length) {
    return { ...DEFAULT_MODEL, horizonDays: settings.horizonDays, trainingRows: training.rows.length, trainingChurns: churns };
  }
  const f = fitLogistic(training.rows, training.labels, fit);
  return {
    kind: 'fitted',
    features: FEATURES,
    weights: f.weights,
    // Only the reference point of the points moves; the probability is the same.
    means: f.means.map((m, j) => (COUNTED_FROM_ZERO.has(FEATURES[j]!) ? 0 : m)),
    intercept: f.intercept,
    horizonDays: settings.horizonDays,
    fittedAt: asOf,
    trainingRows: training.rows.length,
    trainingChurns: churns,
    provenance: `fitted on ${training.rows.length} customer-months with ${churns} churns within ${settings.horizonDays} days, up to ${asOf}`,
  };
}

/** A stored model is usable only if it was fitted for this engine's features. */
export function isCompatible(model: Pick<ScorecardModel, 'features' | 'weights' | 'means'>): boolean {
  return (
    model.features.length === FEATURES.length &&
    model.features.every((f, j) => f === FEATURES[j]) &&
    model.weights.length === FEATURES.length &&
    model.means.length === FEATURES.length
  );
}
