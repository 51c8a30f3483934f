import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { CustomerTimeline, DayActivity } from '../../lambdas/domain/types';
import { readBillingExport } from '../../lambdas/formats';
import { validateUsageEvent } from '../../lambdas/formats/usage-event';
import type { Config } from '../../lambdas/shared/config';

/**
 * The engine's input built straight from the files, in memory, with none of the storage path
 * (no S3, queue, DynamoDB, profiles or HTTP): what the pipeline must reproduce through AWS.
 * Semantics follow docs/metrics.md §1–2 directly: later files win, a line is identified by (invoice, line),
 * one cancellation per subscription, events counted once per (customer, eventId).
 */
export async function referenceTimelines(
  billingFiles: string[],
  eventFiles: string[],
  config: Config,
  now = new Date(),
): Promise<CustomerTimeline[]> {
  const byId = new Map<string, CustomerTimeline>();
  const lineKeys = new Map<string, Map<string, number>>();
  const customer = (id: string): CustomerTimeline => {
    let c = byId.get(id);
    if (!c) {
      c = { customerId: id, lines: [], cancellations: [], activity: {}, featureFirstSeen: {} };
      byId.set(id, c);
      lineKeys.set(id, new Map());
    }
    return c;
  };

  for (const file of billingFiles) {
    for await (const row of readBillingExport(createReadStream(file), file, config)) {
      if (!row.ok) continue;
      const r = row.record;
      const c = customer(r.customerId);
      if (r.kind === 'invoice_line') {
        const key = `${r.line.invoiceId}\u001f${r.line.lineId}`;
        const index = lineKeys.get(r.customerId)!;
        const at = index.get(key);
        if (at === undefined) {
          index.set(key, c.lines.length);
          c.lines.push(r.line);
        } else {
          c.lines[at] = r.line;
        }
        if (r.customerName !== undefined) c.name = r.customerName;
        if (r.ownerEmail !== undefined) c.ownerEmail = r.ownerEmail;
      } else if (r.kind === 'cancellation') {
        c.cancellations = c.cancellations.filter((x) => x.subscriptionId !== r.cancellation.subscriptionId);
        c.cancellations.push(r.cancellation);
      } else {
        for (const [k, v] of Object.entries(r.attributes)) {
          if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
        }
      }
    }
  }

  const seen = new Set<string>();
  const users = new Map<DayActivity, Set<string>>();
  for (const file of eventFiles) {
    const raw = await readFile(file);
    const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      const v = validateUsageEvent(value, now);
      if (!v.ok) continue;
      const e = v.event;
      const id = `${e.customerId}\u0000${e.eventId}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const c = customer(e.customerId);
      const day = (c.activity[e.day] ??= { events: 0, features: {} });
      day.events += e.count;
      day.features[e.feature] = (day.features[e.feature] ?? 0) + e.count;
      if (e.userId !== undefined) {
        let set = users.get(day);
        if (!set) users.set(day, (set = new Set()));
        set.add(e.userId);
        day.users = set.size;
      }
      if (!c.firstEventDay || e.day < c.firstEventDay) c.firstEventDay = e.day;
      const first = c.featureFirstSeen[e.feature];
      if (!first || e.day < first) c.featureFirstSeen[e.feature] = e.day;
    }
  }
  return [...byId.values()];
}
