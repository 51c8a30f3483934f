import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DIGEST_TTL_DAYS, DigestStore } from '../../../lambdas/store/digest-store';
import { TTL_ATTRIBUTE } from '../../../lambdas/store/table';

describe('digest records', () => {
  it(`carry a DynamoDB TTL ${DIGEST_TTL_DAYS} days after their snapshot date`, async () => {
    const sent: { input: { Item?: Record<string, unknown> } }[] = [];
    const dynamo = { send: async (cmd: (typeof sent)[number]) => (sent.push(cmd), {}) } as unknown as DynamoDBDocumentClient;
    expect(await new DigestStore(dynamo, 't').claim('ana@acme.io', '2026-11-30', [])).toBe(true);
    const ttl = sent[0]!.input.Item![TTL_ATTRIBUTE] as number;
    expect(new Date(ttl * 1000).toISOString()).toBe(new Date(Date.UTC(2026, 10, 30) + DIGEST_TTL_DAYS * 86_400_000).toISOString());
    expect(TTL_ATTRIBUTE).toBe('ttl');
  });
});
