import { isoOf, type DayNumber } from './calendar';
import type { UsageEventRecord } from './types';

/**
 * Usage events kept as parallel typed arrays: a million event objects would cost hundreds of MB and
 * most of the generation time; records are made only when iterated or written.
 */
export class UsageLog {
  private capacity = 1 << 16;
  size = 0;
  private customer = new Int32Array(this.capacity);
  private day = new Int32Array(this.capacity);
  private second = new Int32Array(this.capacity);
  private user = new Int32Array(this.capacity);
  private feature = new Uint8Array(this.capacity);
  private count = new Int32Array(this.capacity);
  private sequence = new Int32Array(this.capacity);

  constructor(
    private readonly customerIds: readonly string[],
    private readonly featureNames: readonly string[],
  ) {}

  push(customer: number, day: DayNumber, secondOfDay: number, user: number, feature: number, count: number, sequence: number): void {
    if (this.size === this.capacity) this.grow();
    const i = this.size++;
    this.customer[i] = customer;
    this.day[i] = day;
    this.second[i] = secondOfDay;
    this.user[i] = user;
    this.feature[i] = feature;
    this.count[i] = count;
    this.sequence[i] = sequence;
  }

  private grow(): void {
    this.capacity *= 2;
    const widen = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(this.capacity);
      b.set(a);
      return b;
    };
    this.customer = widen(this.customer, (n) => new Int32Array(n));
    this.day = widen(this.day, (n) => new Int32Array(n));
    this.second = widen(this.second, (n) => new Int32Array(n));
    this.user = widen(this.user, (n) => new Int32Array(n));
    this.feature = widen(this.feature, (n) => new Uint8Array(n));
    this.count = widen(this.count, (n) => new Int32Array(n));
    this.sequence = widen(this.sequence, (n) => new Int32Array(n));
  }

  record(i: number): UsageEventRecord {
    const customerId = this.customerIds[this.customer[i]!]!;
    return {
      eventId: `${customerId}-e${this.sequence[i]!.toString(36)}`,
      customerId,
      feature: this.featureNames[this.feature[i]!]!,
      timestamp: timestampOf(this.day[i]!, this.second[i]!),
      userId: `${customerId}-u${this.user[i]}`,
      count: this.count[i]!,
    };
  }

  /**
   * Indices in time order (by day, then second): analytics pipelines deliver events roughly as they
   * happen, so each batch spans many customers, as it would in production.
   */
  timeOrder(): Uint32Array {
    const n = this.size;
    let minDay = Infinity;
    let maxDay = -Infinity;
    for (let i = 0; i < n; i++) {
      const d = this.day[i]!;
      if (d < minDay) minDay = d;
      if (d > maxDay) maxDay = d;
    }
    if (n === 0) return new Uint32Array(0);
    // Counting sort on the minute of the history: linear.
    const minutes = (maxDay - minDay + 1) * 1440;
    const starts = new Uint32Array(minutes + 1);
    const keyOf = (i: number): number => (this.day[i]! - minDay) * 1440 + Math.floor(this.second[i]! / 60);
    for (let i = 0; i < n; i++) starts[keyOf(i) + 1]!++;
    for (let k = 0; k < minutes; k++) starts[k + 1]! += starts[k]!;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[starts[keyOf(i)]!++] = i;
    // Within a minute (a handful of events), insertion sort on the second.
    for (let k = 1; k < n; k++) {
      const i = order[k]!;
      const key = keyOf(i);
      const second = this.second[i]!;
      let j = k - 1;
      while (j >= 0 && keyOf(order[j]!) === key && this.second[order[j]!]! > second) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = i;
    }
    return order;
  }

  *events(): Generator<UsageEventRecord> {
    const order = this.timeOrder();
    for (let k = 0; k < order.length; k++) yield this.record(order[k]!);
  }

  dayOf(i: number): DayNumber {
    return this.day[i]!;
  }

  customerOf(i: number): number {
    return this.customer[i]!;
  }
}

function timestampOf(day: DayNumber, secondOfDay: number): string {
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor((secondOfDay % 3600) / 60);
  const s = secondOfDay % 60;
  return `${isoOf(day)}T${pad(h)}:${pad(m)}:${pad(s)}Z`;
}

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));
