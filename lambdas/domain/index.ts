/** The metrics engine: pure functions from customer timelines to the snapshot (docs/metrics.md §3, §5). */
export * from './types';
export * from './dates';
export * from './fx';
export * from './ledger';
export * from './mrr';
export * from './movements';
export * from './rates';
export * from './segments';
export * from './cohorts';
export * from './activity';
export * from './risk';
export * from './snapshot';
