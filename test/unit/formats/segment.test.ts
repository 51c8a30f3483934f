import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  basicAuthUser,
  DEFAULT_SEGMENT_MAPPING,
  mapSegmentMessage,
  parseSegmentBody,
  SEGMENT_MAX_BATCH_MESSAGES,
  segmentTimestamp,
  verifyWebhookSignature,
  type MappedMessage,
} from '../../../lambdas/formats/segment';
import { parseWriteKeys } from '../../../lambdas/ingest-segment/credentials';
import { propertyRuns } from '../../support/property-runs';

const RUNS = propertyRuns(200);
const NOW = new Date('2026-11-24T12:00:00Z');
const mapping = DEFAULT_SEGMENT_MAPPING;
const map = (raw: unknown, impliedType?: string) => mapSegmentMessage(0, raw, { impliedType, mapping, receivedAt: NOW });

const track = (extra: Record<string, unknown> = {}) => ({
  type: 'track',
  messageId: 'msg-1',
  userId: 'u1',
  event: 'Report Exported',
  timestamp: '2026-11-20T10:00:00Z',
  context: { groupId: 'cus_1' },
  ...extra,
});

describe('Segment track calls', () => {
  it('map messageId, event, userId and context.groupId onto a usage event', () => {
    expect(map(track())).toEqual({
      index: 0,
      kind: 'event',
      event: { eventId: 'msg-1', customerId: 'cus_1', feature: 'Report Exported', timestamp: '2026-11-20T10:00:00Z', userId: 'u1' },
    });
  });

  it('find the account in properties.groupId when the context has none, else ask for the user link', () => {
    const m = map(track({ context: {}, properties: { groupId: 'cus_2' } }));
    expect(m.kind === 'event' && m.event.customerId).toBe('cus_2');
    const n = map(track({ context: {} }));
    expect(n).toMatchObject({ kind: 'needsLink', userId: 'u1', event: { eventId: 'msg-1' } });
  });

  it('use anonymousId for a missing userId, unless configured not to', () => {
    const m = map(track({ userId: undefined, anonymousId: 'anon-7' }));
    expect(m.kind === 'event' && m.event.userId).toBe('anon-7');
    const strict = mapSegmentMessage(0, track({ userId: undefined, anonymousId: 'anon-7' }), {
      mapping: { ...mapping, anonymousUsers: false },
      receivedAt: NOW,
    });
    expect(strict).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^userId or anonymousId/) });
  });

  it('take the feature and count from properties when configured', () => {
    const m = mapSegmentMessage(0, track({ properties: { feature: 'export', n: 3 } }), {
      mapping: { ...mapping, featureProperty: 'feature', countProperty: 'n' },
      receivedAt: NOW,
    });
    expect(m).toMatchObject({ kind: 'event', event: { feature: 'export', count: 3 } });
  });

  it('reject calls without messageId, event or user, naming the field', () => {
    expect(map(track({ messageId: undefined }))).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^messageId/) });
    expect(map(track({ event: '' }))).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^event:/) });
    expect(map(track({ userId: undefined }))).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^userId or anonymousId/) });
    expect(map('not an object')).toMatchObject({ kind: 'rejected', reason: 'call: must be a JSON object' });
    expect(map(track({ type: 'purchase' }))).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^type: "purchase"/) });
  });

  it('reject a call over 32 KB and a type that disagrees with the endpoint', () => {
    expect(map(track({ properties: { blob: 'x'.repeat(33 * 1024) } }))).toMatchObject({
      kind: 'rejected',
      reason: expect.stringMatching(/32 KB/),
    });
    expect(map(track({ type: 'group' }), 'track')).toMatchObject({ kind: 'rejected', reason: 'type: "group" sent to /v1/track' });
  });

  it('read paths as data: __proto__ and constructor are never looked up on the prototype', () => {
    const m = mapSegmentMessage(0, track({ context: {} }), {
      mapping: { ...mapping, groupIdPaths: ['constructor.name', '__proto__'] },
      receivedAt: NOW,
    });
    expect(m.kind).toBe('needsLink');
    const n = map(JSON.parse('{"type":"track","messageId":"m","userId":"u","event":"__proto__","context":{"groupId":"constructor"}}'));
    expect(n).toMatchObject({ kind: 'event', event: { feature: '__proto__', customerId: 'constructor' } });
  });
});

describe('Segment timestamps', () => {
  it('prefer timestamp, else correct originalTimestamp by the device clock (sentAt vs received)', () => {
    expect(segmentTimestamp({ timestamp: '2026-11-01T00:00:00Z', originalTimestamp: 'x' }, undefined, NOW)).toEqual({
      ok: true,
      timestamp: '2026-11-01T00:00:00Z',
    });
    // The device clock runs 1 hour fast: sent at 13:00 by its clock, received at 12:00.
    expect(segmentTimestamp({ originalTimestamp: '2026-11-24T12:30:00Z', sentAt: '2026-11-24T13:00:00Z' }, undefined, NOW)).toEqual({
      ok: true,
      timestamp: '2026-11-24T11:30:00.000Z',
    });
    expect(segmentTimestamp({ originalTimestamp: '2026-11-24T12:30:00+01:00' }, '2026-11-24T12:00:00Z', NOW)).toEqual({
      ok: true,
      timestamp: '2026-11-24T11:30:00.000Z',
    });
    expect(segmentTimestamp({}, undefined, NOW)).toEqual({ ok: true, timestamp: NOW.toISOString() });
    expect(segmentTimestamp({ originalTimestamp: 'yesterday' }, undefined, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^originalTimestamp/),
    });
  });

  it('the corrected time is received − (sent − original), whatever the clocks', () => {
    const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });
    fc.assert(
      fc.property(instant, instant, instant, (original, sent, received) => {
        const r = segmentTimestamp(
          { originalTimestamp: new Date(original).toISOString(), sentAt: new Date(sent).toISOString() },
          undefined,
          new Date(received),
        );
        expect(r).toEqual({ ok: true, timestamp: new Date(received - (sent - original)).toISOString() });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('group and identify calls', () => {
  it('a group call links the user to the account, with name and owner from its traits', () => {
    const m = map({
      type: 'group',
      userId: 'u1',
      groupId: 'cus_9',
      traits: { name: ' Acme ', owner_email: 'csm@acme.io' },
      timestamp: '2026-11-20T10:00:00Z',
    });
    expect(m).toEqual({
      index: 0,
      kind: 'link',
      link: { userId: 'u1', groupId: 'cus_9', at: Date.parse('2026-11-20T10:00:00Z'), name: 'Acme', ownerEmail: 'csm@acme.io' },
    });
    expect(map({ type: 'group', userId: 'u1' })).toMatchObject({ kind: 'rejected', reason: 'groupId: is required in a group call' });
    expect(map({ type: 'group', userId: 'u1', groupId: 'g', traits: { owner_email: '"><svg>@x.io' } })).toMatchObject({
      kind: 'rejected',
      reason: 'traits.owner_email: "\\"><svg>@x.io" is not an email address',
    });
    // Both ids become key material: bounded and clean as docs/metrics.md §2's ids.
    expect(map({ type: 'group', userId: 'u'.repeat(300), groupId: 'g' })).toMatchObject({
      kind: 'rejected',
      reason: 'userId: must be at most 256 bytes in UTF-8',
    });
    expect(map({ type: 'group', userId: 'u1', groupId: 'a\u0000b' })).toMatchObject({
      kind: 'rejected',
      reason: expect.stringMatching(/^groupId: must not contain control characters/),
    });
  });

  it('an identify links only when it names the account, and is otherwise acknowledged and not counted', () => {
    expect(map({ userId: 'u1', traits: { email: 'a@b.c' } }, 'identify')).toMatchObject({ kind: 'ignored' });
    expect(map({ userId: 'u1', context: { groupId: 'cus_3' } }, 'identify')).toMatchObject({
      kind: 'link',
      link: { userId: 'u1', groupId: 'cus_3' },
    });
    expect(map({ type: 'page', userId: 'u1' })).toMatchObject({ kind: 'ignored' });
  });
});

describe('request bodies', () => {
  it('a batch applies its top-level context and sentAt to every call, the call’s own context winning', () => {
    const r = parseSegmentBody(
      'batch',
      {
        writeKey: 'wk',
        context: { groupId: 'cus_batch' },
        sentAt: '2026-11-24T12:00:00Z',
        batch: [
          track({ context: undefined }),
          track({ messageId: 'm2', context: { groupId: 'cus_own' } }),
          { type: 'identify', userId: 'u' },
        ],
      },
      mapping,
      NOW,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.writeKey).toBe('wk');
    expect(r.messages.map((m) => (m.kind === 'event' ? m.event.customerId : m.kind))).toEqual(['cus_batch', 'cus_own', 'link']);
  });

  it('refuses a body that is not a batch, an empty batch and one over 2,500 calls', () => {
    expect(parseSegmentBody('batch', [track()], mapping, NOW)).toMatchObject({ ok: false, status: 400 });
    expect(parseSegmentBody('batch', { batch: [] }, mapping, NOW)).toMatchObject({ ok: false, status: 400 });
    expect(
      parseSegmentBody('batch', { batch: Array.from({ length: SEGMENT_MAX_BATCH_MESSAGES + 1 }, () => track()) }, mapping, NOW),
    ).toMatchObject({ ok: false, status: 413 });
  });

  it('the webhook endpoint takes an array (batched) or one call', () => {
    const one = parseSegmentBody('webhook', track(), mapping, NOW);
    const many = parseSegmentBody('webhook', [track(), track({ messageId: 'm2' })], mapping, NOW);
    expect(one.ok && one.messages.length).toBe(1);
    expect(many.ok && many.messages.length).toBe(2);
  });

  it('every call gets exactly one outcome, at its own index, in order', () => {
    const call = fc.oneof(
      fc.record(
        {
          type: fc.constantFrom('track', 'group', 'identify', 'page', 'bogus'),
          messageId: fc.string(),
          userId: fc.string(),
          event: fc.string(),
          groupId: fc.string(),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 30 }), (batch) => {
        const r = parseSegmentBody('batch', { batch }, mapping, NOW);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.messages.map((m: MappedMessage) => m.index)).toEqual(batch.map((_, i) => i));
      }),
      { numRuns: RUNS },
    );
  });

  it('any messageId, event and groupId come through unchanged (ids are data)', () => {
    const id = fc.string({ minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(id, id, id, (messageId, event, groupId) => {
        const m = map(track({ messageId, event, context: { groupId } }));
        expect(m).toMatchObject({ kind: 'event', event: { eventId: messageId, feature: event, customerId: groupId } });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('authentication', () => {
  it('the write key is the Basic-auth user, whatever the password (RudderStack sends "")', () => {
    expect(basicAuthUser(`Basic ${Buffer.from('wk_123:').toString('base64')}`)).toBe('wk_123');
    expect(basicAuthUser('Basic MVhrNURDaGZKQW9sM3h0VzdxTm5LMWE1cDoiIg==')).toBe('1Xk5DChfJAol3xtW7qNnK1a5p');
    expect(basicAuthUser('Bearer abc')).toBeUndefined();
    expect(basicAuthUser(`Basic ${Buffer.from(':pw').toString('base64')}`)).toBeUndefined();
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes(':')),
        fc.string(),
        (user, pw) => {
          expect(basicAuthUser(`Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`)).toBe(user);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('X-Signature verifies exactly the HMAC-SHA1 of the body with the secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (body, secret, other) => {
        const raw = Buffer.from(body);
        const sig = createHmac('sha1', secret).update(raw).digest('hex');
        expect(verifyWebhookSignature(raw, sig, secret)).toBe(true);
        expect(verifyWebhookSignature(raw, sig.toUpperCase(), secret)).toBe(true);
        if (other !== secret) expect(verifyWebhookSignature(raw, sig, other)).toBe(false);
        if (other !== body) expect(verifyWebhookSignature(Buffer.from(other), sig, secret)).toBe(false);
      }),
      { numRuns: RUNS },
    );
    expect(verifyWebhookSignature(Buffer.from('{}'), undefined, 's')).toBe(false);
  });

  it('a batched webhook signed over its first call verifies; tampering with that call does not', () => {
    const first = track();
    const sig = createHmac('sha1', 'sh').update(JSON.stringify(first)).digest('hex');
    const body = [first, track({ messageId: 'm2' })];
    expect(verifyWebhookSignature(Buffer.from(JSON.stringify(body)), sig, 'sh', body)).toBe(true);
    const tampered = [{ ...first, event: 'Other' }, body[1]];
    expect(verifyWebhookSignature(Buffer.from(JSON.stringify(tampered)), sig, 'sh', tampered)).toBe(false);
  });

  it('a write-keys secret may hold one key, a list or a JSON array', () => {
    expect(parseWriteKeys('wk_1')).toEqual(['wk_1']);
    expect(parseWriteKeys(' wk_1, wk_2\nwk_3 ')).toEqual(['wk_1', 'wk_2', 'wk_3']);
    expect(parseWriteKeys('["a", "b"]')).toEqual(['a', 'b']);
    expect(() => parseWriteKeys('[1]')).toThrow(/JSON array of strings/);
  });
});
