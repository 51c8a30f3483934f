import { parquetWriteBuffer } from 'hyparquet-writer';

/** Column types as Stripe Data Pipeline writes them: ids and text as strings, amounts INT64, times TIMESTAMP. */
export type ParquetColumnType = 'STRING' | 'INT64' | 'INT32' | 'TIMESTAMP' | 'BOOLEAN';

export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
}

/** A Parquet file of `rows` (null or a missing key = null), `rowGroupSize` rows per row group. */
export function writeParquet(columns: ParquetColumn[], rows: Record<string, unknown>[], rowGroupSize = 1000): Buffer {
  const columnData = columns.map(({ name, type }) => ({
    name,
    type,
    nullable: true,
    data: rows.map((r) => {
      const v = r[name];
      if (v === undefined || v === null) return null;
      if (type === 'INT64') return BigInt(v as number);
      if (type === 'TIMESTAMP') return v instanceof Date ? v : new Date(v as string);
      return v;
    }),
  }));
  return Buffer.from(parquetWriteBuffer({ columnData, rowGroupSize }));
}
