export { readBillingExport, readBillingExportBatches } from './read-billing-export';
export type { ReadResult, ReadOptions } from './read-result';
export type { BillingRecord, RecordKind } from './records';
export { UnreadableFileError } from './errors';
export { detectFileKind, formatFromKey, sniffFormat, type FileKind, type TextFormat } from './detect';
export { detectCsvLayout, type CsvLayout } from './csv-header';
export { billingRecordSchema, ledgerLineSchema, cancellationSchema } from './schemas';
