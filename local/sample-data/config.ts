import type { ConfigInput } from '../../lambdas/shared/config';

/** The configuration `churnwatch demo` runs the sample data set with (SPEC §4). */
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
