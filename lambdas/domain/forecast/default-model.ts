/**
 * The built-in model, used until the operator's own history holds `risk.minChurnsToFit` churns.
 * Provenance: see DEFAULT_PROVENANCE; regenerate with `npm run fit-default-model`.
 */
import { FEATURES } from './features';
import type { ScorecardModel } from './types';

export const DEFAULT_PROVENANCE = 'placeholder: not fitted yet';

export const DEFAULT_MODEL: ScorecardModel = {
  kind: 'default',
  features: FEATURES,
  weights: FEATURES.map(() => 0),
  means: FEATURES.map(() => 0),
  intercept: -2.4,
  horizonDays: 90,
  fittedAt: null,
  trainingRows: 0,
  trainingChurns: 0,
  provenance: DEFAULT_PROVENANCE,
};
