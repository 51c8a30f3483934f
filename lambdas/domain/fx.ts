import type { EngineSettings } from './types';

/** Units of reporting currency per unit of `currency`; undefined when no rate is configured. */
export function fxRateFor(settings: Pick<EngineSettings, 'reportingCurrency' | 'fxRates'>, currency: string): number | undefined {
  const code = currency.toUpperCase();
  if (code === settings.reportingCurrency.toUpperCase()) return 1;
  return settings.fxRates[code];
}
