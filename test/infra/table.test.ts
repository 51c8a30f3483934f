import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition, TTL_ATTRIBUTE } from '../../lambdas/store/table';
import { onlyResource, synth, type Synthesized, removeSynthDirs } from './synth';
import type { Json } from './synth';

afterAll(removeSynthDirs);

/** The embedded stack creates the table from tableDefinition(); the deployed one must be the same table. */
describe('CDK table matches the embedded stack table definition', () => {
  let table: Record<string, Json>;
  beforeAll(() => {
    const s: Synthesized = synth({}, { bundle: false });
    table = onlyResource(s.template, 'AWS::DynamoDB::Table').resource.Properties;
  });
  const local = tableDefinition('Json');
  const byName = <T extends { AttributeName?: string }>(xs: T[] | undefined) =>
    [...(xs ?? [])].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));

  it('has the same key schema', () => {
    expect(table.KeySchema).toEqual(local.KeySchema);
  });

  it('declares the same attribute definitions', () => {
    expect(byName(table.AttributeDefinitions)).toEqual(byName(local.AttributeDefinitions));
  });

  it('has the same global secondary indexes (name, keys, projection)', () => {
    const strip = (gsis: Json[] | undefined) =>
      (gsis ?? []).map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection }));
    expect(strip(table.GlobalSecondaryIndexes)).toEqual(strip(local.GlobalSecondaryIndexes));
  });

  it('indexes profiles by key only, hashed on the customer (no owner, no shared hot key)', () => {
    expect(table.GlobalSecondaryIndexes).toEqual([
      { IndexName: 'profiles', KeySchema: [{ AttributeName: 'gsi1sk', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
    ]);
  });

  it('keeps the former owner index beside it only for the first deploy of an upgrade', () => {
    const upgrading = onlyResource(synth({ keepLegacyOwnerIndex: true }, { bundle: false }).template, 'AWS::DynamoDB::Table').resource
      .Properties;
    expect((upgrading.GlobalSecondaryIndexes as Json[]).map((g) => [g.IndexName, g.Projection.ProjectionType])).toEqual([
      ['profiles', 'KEYS_ONLY'],
      ['byOwner', 'ALL'],
    ]);
  });

  it('uses the same billing mode and TTL attribute', () => {
    expect(table.BillingMode).toBe(local.BillingMode);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
  });
});
