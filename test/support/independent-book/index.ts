export { generateIndependentBook, DEFAULTS } from './generate';
export { writeIndependentBook, bookFiles, bookConfig, INVOICE_HEADER, CANCELLATION_HEADER, CUSTOMER_HEADER, type BookFiles } from './write';
export { FX_RATES, CORE_FEATURES, RETENTION_FEATURES } from './catalog';
export type * from './types';
