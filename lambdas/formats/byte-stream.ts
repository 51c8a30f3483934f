import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type ByteSource = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

/** Normalises any body (S3 GetObject Body, fs stream, async generator) to an iterable of Buffers. */
export async function* buffers(source: ByteSource): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else if (chunk.byteLength > 0) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/**
 * Reads the first `minBytes` (or all, if shorter) without losing them, whatever the chunking: returns
 * them as `head`, and an iterable that yields them again followed by the rest. `head` is undefined
 * when the source is empty.
 */
export async function peek(
  source: AsyncIterable<Buffer>,
  minBytes = 4096,
): Promise<{ head: Buffer | undefined; all: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < minBytes) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    parts.push(r.value);
    size += r.value.length;
  }
  if (size === 0) return { head: undefined, all: (async function* () {})() };
  const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield head;
      if (done) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      // A reader that stops early closes the source (an S3 body's socket) through here.
      if (!done) await it.return?.();
    }
  }
  return { head, all: all() };
}

/** Streams gzip decompression; zlib errors (bad header, truncated data) surface from the iteration. */
export async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const gz = createGunzip();
  const input = Readable.from(source);
  input.on('error', (err) => gz.destroy(err));
  input.pipe(gz);
  try {
    for await (const chunk of gz) yield chunk as Buffer;
  } finally {
    input.destroy();
  }
}

export const isZlibError = (err: unknown): boolean =>
  typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('Z_');
