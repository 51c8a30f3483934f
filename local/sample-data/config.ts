import type { ConfigInput } from '../../lambdas/shared/config';

/** The configuration `churnwatch demo` runs the sample data set with (docs/metrics.md §4). */
export const sampleConfig = {
  reportingCurrency: 'USD',
  fxRates: { EUR: 1.08, GBP: 1.27 },
  coreFeatures: ['reports', 'dashboard'],
  retentionFeatures: ['reports', 'integrations'],
  digest: {
    from: 'churnwatch@demo.example',
    fallbackTo: 'cs-team@demo.example',
  },
} satisfies ConfigInput;
