import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/** S3's smallest part but the last; parts a little larger keep the request count low. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

export interface TextObject {
  bucket: string;
  key: string;
  contentType: string;
}

export interface WrittenText {
  bytes: number;
  /** 0 for a single PutObject. */
  parts: number;
}

/**
 * Writes a text object from its chunks holding about one part in memory, never the whole text: a
 * single PutObject when it fits in one part, else a multipart upload. A failed upload is aborted
 * so no orphaned parts are billed (the bucket's lifecycle rule would also clear them after a week).
 */
export async function putTextChunks(
  s3: S3Client,
  target: TextObject,
  chunks: Iterable<string>,
  partBytes = DEFAULT_PART_BYTES,
): Promise<WrittenText> {
  if (!(partBytes >= MIN_PART_BYTES))
    throw new RangeError(`partBytes must be at least ${MIN_PART_BYTES} (S3's minimum part size), got ${partBytes}`);
  const { bucket: Bucket, key: Key, contentType: ContentType } = target;
  let pending: string[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];

  const take = () => {
    const body = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingBytes = 0;
    bytes += body.length;
    return body;
  };
  const uploadPart = async (body: Buffer) => {
    uploadId ??= (await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }))).UploadId;
    const PartNumber = parts.length + 1;
    const out = await s3.send(
      new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length }),
    );
    parts.push({ PartNumber, ETag: out.ETag });
  };

  try {
    for (const chunk of chunks) {
      pending.push(chunk);
      pendingBytes += Buffer.byteLength(chunk, 'utf8');
      if (pendingBytes >= partBytes) await uploadPart(take());
    }
    if (uploadId === undefined) {
      const body = take();
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentLength: body.length, ContentType }));
      return { bytes, parts: 0 };
    }
    if (pendingBytes > 0) await uploadPart(take());
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    return { bytes, parts: parts.length };
  } catch (err) {
    if (uploadId !== undefined) {
      // The write's own error is the one to report; a failed abort leaves the parts to the lifecycle rule.
      await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => undefined);
    }
    throw err;
  }
}
