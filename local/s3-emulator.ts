import crypto, { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createWriteStream, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import { LOOPBACK } from './free-port';
import { onProcessExit } from './cleanup';

/** The object-created/removed record s3rver emits (keys are raw, not URL-encoded). */
export interface S3rverRecord {
  eventName: string;
  eventTime: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer: string } };
}

export interface S3Emulator {
  endpoint: string;
  port: number;
  directory: string;
  /** Subscribes to s3rver's object events; returns the unsubscribe function. */
  onEvent(listener: (record: S3rverRecord) => void): () => void;
  stop(): Promise<void>;
}

/**
 * s3rver signs ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 only offers in
 * its legacy provider (so the second page of a listing fails unless Node runs with
 * --openssl-legacy-provider). Three-key DES with three equal keys is single DES, and it is in the
 * default provider: route exactly the 'des' algorithm there. Nothing else can be using 'des' in
 * this process, since it throws without the legacy provider.
 */
function installDesShim(): void {
  const marker = Symbol.for('churnwatch.desShim');
  const c = crypto as unknown as Record<symbol, boolean>;
  if (c[marker]) return;
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    c[marker] = true;
    return; // legacy provider loaded: nothing to do
  } catch {
    // fall through and install the shim
  }
  const tripled = (key: crypto.CipherKey) => {
    const buf = Buffer.isBuffer(key) ? key : Buffer.from(key as Uint8Array);
    return buf.length === 8 ? Buffer.concat([buf, buf, buf]) : buf;
  };
  const createCipheriv = crypto.createCipheriv;
  const createDecipheriv = crypto.createDecipheriv;
  const mutable = crypto as unknown as Record<string, unknown>;
  mutable.createCipheriv = (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, options?: unknown) =>
    algorithm.toLowerCase() === 'des'
      ? createCipheriv('des-ede3-cbc', tripled(key), iv)
      : (createCipheriv as (...a: unknown[]) => unknown)(algorithm, key, iv, options);
  mutable.createDecipheriv = (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, options?: unknown) =>
    algorithm.toLowerCase() === 'des'
      ? createDecipheriv('des-ede3-cbc', tripled(key), iv)
      : (createDecipheriv as (...a: unknown[]) => unknown)(algorithm, key, iv, options);
  c[marker] = true;
}

export interface S3EmulatorOptions {
  /** Buckets to create before the server accepts requests. */
  buckets?: string[];
}

interface S3rverObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: unknown;
}
interface S3rverFilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
}

/**
 * s3rver answers a PutObject before its file is written (it ends the write stream and resolves at
 * once) and overwrites an object in place: under load, a GET right after a PUT read half a JSON
 * checkpoint (a large-file Merge failed on it). S3 is read-after-write consistent and replaces objects
 * whole, so the store writes a temporary file to its end and renames it over the object, then answers.
 */
function installAtomicPuts(): void {
  const marker = Symbol.for('churnwatch.s3rverAtomicPut');
  const Store = createRequire(import.meta.url)('s3rver/lib/stores/filesystem') as {
    prototype: S3rverFilesystemStore & Record<symbol, boolean>;
  };
  if (Store.prototype[marker]) return;
  Store.prototype[marker] = true;
  Store.prototype.putObject = async function (this: S3rverFilesystemStore, object: S3rverObject) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const temporary = `${objectPath}.${randomUUID()}.tmp`;
    const md5 = crypto.createHash('md5');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    try {
      await pipeline(source, count, createWriteStream(temporary));
      await rename(temporary, objectPath);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
    const digest = md5.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}

/** Starts s3rver in-process on a loopback port chosen by the OS, storing objects in a fresh temp directory. */
export async function startS3Emulator(options: S3EmulatorOptions = {}): Promise<S3Emulator> {
  installDesShim();
  installAtomicPuts();
  const directory = await mkdtemp(join(tmpdir(), 'churnwatch-s3-'));
  const removeExitHook = onProcessExit(() => rmSync(directory, { recursive: true, force: true }));
  const server = new S3rver({
    address: LOOPBACK,
    port: 0,
    silent: true,
    directory,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  let address: AddressInfo;
  try {
    address = (await server.run()) as AddressInfo;
  } catch (err) {
    removeExitHook();
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const listeners = new Set<(record: S3rverRecord) => void>();
  server.on('event', (event: { Records: S3rverRecord[] }) => {
    for (const record of event.Records) for (const listener of listeners) listener(record);
  });
  let stopped = false;
  return {
    endpoint: `http://${LOOPBACK}:${address.port}`,
    port: address.port,
    directory,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      listeners.clear();
      // keep-alive sockets from SDK clients would hold close() open
      const http = (server as unknown as { httpServer?: { closeAllConnections?: () => void } }).httpServer;
      const closing = server.close();
      http?.closeAllConnections?.();
      await closing;
      removeExitHook();
      // retried: s3rver may still be finishing a write the closed connection asked for
      await rm(directory, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
