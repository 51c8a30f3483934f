/**
 * Who gets which customers in the digest, built one row at a time so a million-customer snapshot
 * never has to be in memory whole: per recipient only what the digest uses. Red and yellow customers
 * are described, so they are kept (as their JSON text when read from snapshot.json, about a third of
 * the parsed object's heap, and off the V8 heap); green ones are only counted; customers without a
 * band (on the save list, not forecast) are not in the digest's at-risk part at all.
 */
import type { ScheduledChurn } from '../domain/forecast/types';
import type { AtRiskCustomer, Day, Snapshot } from '../domain/types';
import { recipientDomainAllowed } from '../shared/config';
import { isListed } from './render';

/** One recipient's part of the snapshot. */
export interface OwnerBook {
  /** Red and yellow customers, in snapshot order. */
  listed: ListedCustomers;
  /** Green customers with a warning signal: counted in the digest, not described. */
  signalsOnly: number;
  scheduled: ScheduledChurn[];
  /** Whether any customer is here because its owner is missing or outside the allowed domains. */
  hasFallbackCustomers: boolean;
}

/** The snapshot as the digest sends it: recipients in order of first appearance, as the snapshot lists them. */
export interface SnapshotBooks {
  asOf: Day;
  currency: string;
  owners: Map<string, OwnerBook>;
  /** Owners a digest may not be addressed to (outside the allowed domains), in order of first appearance. */
  refused: string[];
}

/** Red and yellow customers, kept as given or as the JSON text they were read from. */
export class ListedCustomers {
  private readonly rows: (AtRiskCustomer | Uint8Array)[] = [];

  get length(): number {
    return this.rows.length;
  }

  add(customer: AtRiskCustomer, json?: Uint8Array): void {
    // A copy (from Buffer's shared pool): the text is a view of a read chunk that must not stay alive with it.
    this.rows.push(json ? Buffer.from(json) : customer);
  }

  /** The customers as objects, for one owner's digest at a time. */
  toArray(): AtRiskCustomer[] {
    return this.rows.map((row) => (row instanceof Uint8Array ? (JSON.parse(utf8.decode(row)) as AtRiskCustomer) : row));
  }
}

const utf8 = new TextDecoder();

/**
 * Groups at-risk rows and save-list entries by account owner as they arrive; customers without one,
 * or whose owner is outside `allowedDomains` (digest.allowedRecipientDomains), go to `fallbackTo`.
 */
export class OwnerBooksBuilder {
  // A Map: owners are data from billing exports (an owner may be "__proto__").
  private readonly owners = new Map<string, OwnerBook>();
  private readonly refused = new Set<string>();

  constructor(
    private readonly fallbackTo: string,
    private readonly allowedDomains?: readonly string[],
  ) {}

  /** One at-risk row; `json`, its text as read, is kept instead of the object when it is listed. */
  addAtRisk(customer: AtRiskCustomer, json?: Uint8Array): void {
    if (customer.band === null) return;
    const book = this.bookOf(customer.owner);
    if (isListed(customer)) book.listed.add(customer, json);
    else book.signalsOnly++;
  }

  addScheduled(entry: ScheduledChurn): void {
    this.bookOf(entry.owner).scheduled.push(entry);
  }

  finish(header: { asOf: Day; currency: string }): SnapshotBooks {
    return { asOf: header.asOf, currency: header.currency, owners: this.owners, refused: [...this.refused] };
  }

  private bookOf(owner: string | null): OwnerBook {
    const allowed = owner !== null && recipientDomainAllowed(this.allowedDomains, owner);
    if (owner !== null && !allowed) this.refused.add(owner);
    const key = allowed ? owner : this.fallbackTo;
    let book = this.owners.get(key);
    if (!book) this.owners.set(key, (book = { listed: new ListedCustomers(), signalsOnly: 0, scheduled: [], hasFallbackCustomers: false }));
    if (!allowed) book.hasFallbackCustomers = true;
    return book;
  }
}

/** The books of a snapshot held as an object (tests, the CLI's in-memory runs). */
export function snapshotBooks(
  snapshot: Pick<Snapshot, 'asOf' | 'currency' | 'atRisk' | 'scheduledChurn'>,
  fallbackTo: string,
  allowedDomains?: readonly string[],
): SnapshotBooks {
  const builder = new OwnerBooksBuilder(fallbackTo, allowedDomains);
  for (const customer of snapshot.atRisk) builder.addAtRisk(customer);
  for (const entry of snapshot.scheduledChurn ?? []) builder.addScheduled(entry);
  return builder.finish(snapshot);
}
