import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TextFormat } from '../formats';
import type { ObjectCreated } from '../ingest-billing/s3-notification';
import type { RowCounts } from '../ingest-billing/ingest-file';
import { stagingPrefixFor } from '../shared/layout';

/**
 * The objects one large-file execution works with, all under `staging/<execution name>/` of the data
 * bucket (docs/metrics.md §1.4): the manifest the Distributed Map reads, the decompressed parts of a
 * gzip export, and one state object per range (its checkpoint, then its result). They are left for
 * the bucket's lifecycle rule to expire (a day), so every step can be run again.
 */
export interface Run {
  bucket: string;
  /** `staging/<execution name>/` */
  prefix: string;
}

export const runFor = (bucket: string, executionName: string): Run => ({ bucket, prefix: stagingPrefixFor(executionName) });

const pad = (index: number) => String(index).padStart(5, '0');
export const manifestKey = (run: Run) => `${run.prefix}manifest.json`;
export const partKey = (run: Run, index: number) => `${run.prefix}parts/${pad(index)}`;
export const rangeStateKey = (run: Run, index: number) => `${run.prefix}ranges/${pad(index)}.json`;

/** One item of the manifest: the bytes of one range and where its rows start. */
export interface RangeItem {
  index: number;
  format: TextFormat;
  /** Object holding the range: the export itself, or a staged decompressed part of a gzip export. */
  key: string;
  /** Byte offsets in `key`, end exclusive; the range starts at the start of a record. */
  start: number;
  end: number;
  /** Physical line of the file on which the range's first byte lies. */
  line: number;
  /** CSV ranges after the first: bytes [0, bytes) of `key` hold the header record (`lines` line breaks). */
  header?: { key: string; bytes: number; lines: number };
}

/** What the split step hands on to the map and the merge. */
export interface SplitResult {
  run: Run;
  manifestKey: string;
  ranges: number;
  format?: TextFormat;
  /** Bytes of text (decompressed for a gzip export). */
  textBytes: number;
  startedAt: string;
  /** Why the file cannot be read at all (it is then failed by the merge, like the small-file path). */
  error?: string;
}

/** A range's checkpoint (done: false) or result (done: true), rewritten after every stored chunk. */
export interface RangeState {
  index: number;
  done: boolean;
  /** Every row on a line up to this one is counted and stored. */
  doneThroughLine: number;
  counts: RowCounts;
  quarantine: string[];
  /** The range could not be read to its end (e.g. a record over 16 MB): the file fails, as on the small path. */
  error?: string;
  /** Invocations that worked on this range (retries after a crash or a timeout included). */
  attempts: number;
}

export interface LargeFileInput {
  file: ObjectCreated;
}

export async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
}

export async function getJson<T>(s3: S3Client, bucket: string, key: string): Promise<T | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await out.Body!.transformToString('utf-8')) as T;
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}
