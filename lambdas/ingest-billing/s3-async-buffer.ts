import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { cachedAsyncBuffer, type AsyncBuffer } from 'hyparquet';

/**
 * An S3 object as hyparquet's AsyncBuffer: each slice is one ranged GetObject, so a Parquet file is
 * read footer first and then only the column chunks asked for, never whole. Slices are cached for
 * the file's lifetime (the footer is asked for more than once).
 */
export function s3AsyncBuffer(s3: S3Client, bucket: string, key: string, byteLength: number): AsyncBuffer {
  return cachedAsyncBuffer({
    byteLength,
    async slice(start: number, end = byteLength): Promise<ArrayBuffer> {
      if (end <= start) return new ArrayBuffer(0);
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
      if (!out.Body) throw new Error(`s3://${bucket}/${key}: no body for bytes ${start}-${end - 1}`);
      const bytes = await out.Body.transformToByteArray();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  });
}
