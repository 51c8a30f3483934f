import { randomUUID, createHash } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './local-env';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface LocalSqsQueueOptions {
  name?: string;
  /** Records per handler invocation, like the event source mapping's BatchSize. */
  batchSize?: number;
  /** Receives before a message moves to the dead-letter list, like the redrive policy. */
  maxReceiveCount?: number;
  region?: string;
  /** Called when the handler throws: the whole batch is then retried, as Lambda does. */
  onError?: (error: unknown, event: SQSEvent) => void;
}

interface Message {
  messageId: string;
  body: string;
  sentTimestamp: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
}

export interface DeadLetter {
  record: SQSRecord;
  /** The error of the last attempt when the handler threw, else undefined (reported as a batch item failure). */
  lastError?: unknown;
}

/**
 * An in-process stand-in for an SQS queue with a Lambda event source mapping: messages are
 * delivered in batches to the handler, failures reported in `batchItemFailures` (or a thrown
 * handler, which fails the whole batch) are received again with a higher receive count, and a
 * message received `maxReceiveCount` times without success goes to `deadLetters`.
 */
export class LocalSqsQueue {
  readonly name: string;
  readonly arn: string;
  readonly deadLetters: DeadLetter[] = [];
  private readonly batchSize: number;
  private readonly maxReceiveCount: number;
  private readonly region: string;
  private readonly waiting: Message[] = [];
  private inFlight = 0;
  private pumping: Promise<void> | undefined;
  private handler: SqsHandler | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly onError: ((error: unknown, event: SQSEvent) => void) | undefined;

  constructor(options: LocalSqsQueueOptions = {}) {
    this.name = options.name ?? `churnwatch-local-${randomUUID().slice(0, 8)}`;
    this.region = options.region ?? LOCAL_REGION;
    this.arn = `arn:aws:sqs:${this.region}:${LOCAL_ACCOUNT_ID}:${this.name}`;
    this.batchSize = Math.max(1, options.batchSize ?? 10);
    this.maxReceiveCount = Math.max(1, options.maxReceiveCount ?? 3);
    this.onError = options.onError;
  }

  /** Messages waiting or being handled. */
  get depth(): number {
    return this.waiting.length + this.inFlight;
  }

  /** Connects the consumer; waiting messages start flowing. Without a handler messages just wait. */
  subscribe(handler: SqsHandler): void {
    this.handler = handler;
    this.pump();
  }

  unsubscribe(): void {
    this.handler = undefined;
  }

  /**
   * Disconnects the consumer and waits for the batch it is handling: a shutdown must not take the
   * emulators away from under a handler that is still writing.
   */
  async stop(): Promise<void> {
    this.handler = undefined;
    await this.pumping;
  }

  /** Sends a message (a string body, or a value serialised as JSON); returns its messageId. */
  send(body: string | object): string {
    const message: Message = {
      messageId: randomUUID(),
      body: typeof body === 'string' ? body : JSON.stringify(body),
      sentTimestamp: Date.now(),
      receiveCount: 0,
    };
    this.waiting.push(message);
    this.pump();
    return message.messageId;
  }

  /** Resolves once no message is waiting or in flight (needs a subscribed handler to ever drain). */
  drain(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.pump();
    });
  }

  private pump(): void {
    if (this.pumping || !this.handler || this.waiting.length === 0) return;
    // Deliver on a later tick so a burst of sends is batched together, as a poller would see it.
    this.pumping = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.deliverAll())
      .finally(() => {
        this.pumping = undefined;
        if (this.handler && this.waiting.length > 0) this.pump();
        else this.notifyIfIdle();
      });
  }

  private async deliverAll(): Promise<void> {
    while (this.handler && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.batchSize);
      this.inFlight += batch.length;
      try {
        await this.deliver(this.handler, batch);
      } finally {
        this.inFlight -= batch.length;
      }
    }
  }

  private async deliver(handler: SqsHandler, batch: Message[]): Promise<void> {
    const now = Date.now();
    for (const message of batch) {
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
    }
    const records = batch.map((m) => this.toRecord(m));
    const event: SQSEvent = { Records: records };
    let failedIds: Set<string>;
    let error: unknown;
    try {
      const response = await handler(event);
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (err) {
      error = err;
      failedIds = new Set(batch.map((m) => m.messageId));
      this.onError?.(err, event);
    }
    batch.forEach((message, i) => {
      if (!failedIds.has(message.messageId)) return;
      if (message.receiveCount >= this.maxReceiveCount) {
        this.deadLetters.push({ record: records[i]!, lastError: error });
      } else {
        this.waiting.push(message);
      }
    });
  }

  private toRecord(m: Message): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: Buffer.from(`${m.messageId}#${m.receiveCount}#${randomUUID()}`).toString('base64'),
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentTimestamp),
        SenderId: LOCAL_ACCOUNT_ID,
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp ?? Date.now()),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(m.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: this.region,
    };
  }

  private notifyIfIdle(): void {
    if (this.depth !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
