import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Day } from '../domain/types';
import { utcDay } from '../domain/dates';
import type { UsageEvent } from '../formats/usage-event';
import { readJsonLines } from '../formats/usage-lines';
import { PREFIX } from '../shared/layout';
import { ingestUsageEvents, type UsageIngestResult } from './usage-store';

/**
 * The usage inbox (docs/data-model.md, "Usage ingest"): the API validates a request and enqueues its
 * events; the aggregator appends each SQS batch to one S3 object under `usage-inbox/`; the fold, run
 * before every snapshot, reads the inbox and writes each customer once per fold (its DAY#, SEEN# and
 * profile usage part, through the same exactly-once writer as bulk loads), then deletes the objects.
 *
 * Why a fold and not a write per batch: at 10M events a month over 10k customers a customer gets about
 * 0.1 event per 5-minute batching window, so "once per customer per window" is still once per event,
 * and a customer write costs its whole profile (≈10 KB → 10 write units, doubled in a transaction).
 * Folded once a day, a customer's ~33 events share one write.
 */

/** SQS's message limit is 256 KB; a 1 MB request is split into messages well under it. */
export const MAX_MESSAGE_BYTES = 200 * 1024;
/** Events read into memory per fold pass (~200 B each); a larger inbox is folded in several passes. */
export const MAX_EVENTS_PER_PASS = 1_000_000;

/** One enqueued request (or part of one): events that passed validation, and when they arrived. */
export interface UsageMessage {
  receivedAt: string;
  events: UsageEventInput[];
}

/** An event as the client sent it (validated), minus nothing: the fold validates it again identically. */
export type UsageEventInput = Pick<UsageEvent, 'eventId' | 'customerId' | 'feature' | 'timestamp' | 'count'> & { userId?: string };

const messageSchema = z.object({
  receivedAt: z.iso.datetime(),
  events: z.array(z.record(z.string(), z.unknown())),
});

/** Message bodies for the valid events of one request, each under MAX_MESSAGE_BYTES. */
export function usageMessageBodies(events: UsageEvent[], receivedAt: Date): string[] {
  const head = `{"receivedAt":${JSON.stringify(receivedAt.toISOString())},"events":[`;
  const bodies: string[] = [];
  let parts: string[] = [];
  let bytes = head.length + 2;
  for (const e of events) {
    const input: UsageEventInput = {
      eventId: e.eventId,
      customerId: e.customerId,
      feature: e.feature,
      timestamp: e.timestamp,
      count: e.count,
    };
    if (e.userId !== undefined) input.userId = e.userId;
    const text = JSON.stringify(input);
    const size = Buffer.byteLength(text) + 1;
    if (parts.length > 0 && bytes + size > MAX_MESSAGE_BYTES) {
      bodies.push(`${head}${parts.join(',')}]}`);
      parts = [];
      bytes = head.length + 2;
    }
    parts.push(text);
    bytes += size;
  }
  if (parts.length > 0) bodies.push(`${head}${parts.join(',')}]}`);
  return bodies;
}

export function parseUsageMessage(body: string): UsageMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new Error(`usage message is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success) throw new Error(`usage message has the wrong shape: ${parsed.error.issues[0]?.message}`);
  return parsed.data as UsageMessage;
}

export interface InboxDeps {
  s3: S3Client;
  bucketName: string;
}

/** Writes one batch of messages (their bodies, one per line) as a new inbox object; returns its key. */
export async function appendToInbox(deps: InboxDeps, bodies: string[], now = new Date()): Promise<string> {
  // Time-ordered keys: the fold reads the oldest first.
  const key = `${PREFIX.usageInbox}${now.toISOString()}-${randomUUID()}.jsonl`;
  await deps.s3.send(
    new PutObjectCommand({ Bucket: deps.bucketName, Key: key, Body: `${bodies.join('\n')}\n`, ContentType: 'application/x-ndjson' }),
  );
  return key;
}

export interface FoldDeps extends InboxDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  /** Epoch ms by which contended writes stop retrying (the caller's remaining time). */
  deadline?: number;
  /** Customers written in parallel. */
  concurrency?: number;
  maxEventsPerPass?: number;
}

export interface FoldResult extends UsageIngestResult {
  objects: number;
  messages: number;
  events: number;
  /** Lines of inbox objects that were not usage messages (never expected: the API writes them). */
  badLines: number;
  /** Folded objects S3 did not delete: the next fold reads them again, and counts nothing twice. */
  undeleted: number;
}

/**
 * Folds every inbox object present when it starts into the table, oldest first, and deletes them.
 * Safe to run twice, or concurrently, or after a crash half-way: the writer recognises events it already
 * counted (by id, within DEDUP_ARRIVAL_DAYS of their arrival), so a re-read object counts nothing twice.
 */
export async function foldUsageInbox(deps: FoldDeps): Promise<FoldResult> {
  const result: FoldResult = { objects: 0, messages: 0, events: 0, badLines: 0, undeleted: 0, accepted: 0, duplicates: 0, rejected: [] };
  const pending = await listInbox(deps);
  const maxEvents = deps.maxEventsPerPass ?? MAX_EVENTS_PER_PASS;
  while (pending.length > 0) {
    const pass: string[] = [];
    const byArrivalDay = new Map<Day, { events: unknown[]; latest: string }>();
    let events = 0;
    while (pending.length > 0 && (pass.length === 0 || events < maxEvents)) {
      const key = pending.shift()!;
      pass.push(key);
      for (const message of await readInboxObject(deps, key, result)) {
        result.messages++;
        const day = utcDay(Date.parse(message.receivedAt));
        let group = byArrivalDay.get(day);
        if (!group) byArrivalDay.set(day, (group = { events: [], latest: message.receivedAt }));
        if (message.receivedAt > group.latest) group.latest = message.receivedAt;
        for (const e of message.events) group.events.push(e);
        events += message.events.length;
      }
    }
    for (const day of [...byArrivalDay.keys()].sort()) {
      const group = byArrivalDay.get(day)!;
      // Validated again at the latest arrival of the day: same arrival day (so the same SEEN# item),
      // and an event valid when it arrived is still valid later.
      const r = await ingestUsageEvents(group.events, {
        dynamo: deps.dynamo,
        tableName: deps.tableName,
        now: () => new Date(group.latest),
        deadline: deps.deadline ?? Date.now() + 10 * 60_000,
        concurrency: deps.concurrency ?? 16,
      });
      result.events += group.events.length;
      result.accepted += r.accepted;
      result.duplicates += r.duplicates;
      result.rejected.push(...r.rejected);
    }
    result.undeleted += await deleteObjects(deps, pass);
    result.objects += pass.length;
  }
  return result;
}

async function listInbox(deps: InboxDeps): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({ Bucket: deps.bucketName, Prefix: PREFIX.usageInbox, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

async function readInboxObject(deps: InboxDeps, key: string, result: FoldResult): Promise<UsageMessage[]> {
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucketName, Key: key }));
  const messages: UsageMessage[] = [];
  for await (const line of readJsonLines(out.Body as Readable)) {
    if (line.error !== undefined) {
      result.badLines++;
      continue;
    }
    try {
      messages.push(parseUsageMessage(line.text));
    } catch {
      result.badLines++;
    }
  }
  return messages;
}

/** Returns how many keys S3 did not delete. */
async function deleteObjects(deps: InboxDeps, objectKeys: string[]): Promise<number> {
  let failed = 0;
  for (let i = 0; i < objectKeys.length; i += 1000) {
    const chunk = objectKeys.slice(i, i + 1000);
    const out = await deps.s3.send(
      new DeleteObjectsCommand({ Bucket: deps.bucketName, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }),
    );
    failed += out.Errors?.length ?? 0;
  }
  return failed;
}
