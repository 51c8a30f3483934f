import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UpdateExpression } from '../../../lambdas/store/update-expression';
import { propertyRuns } from '../../support/property-runs';

describe('UpdateExpression', () => {
  it('builds SET, ADD and REMOVE with a version guard, names and values only behind placeholders', () => {
    const parts = new UpdateExpression().bumpVersion('v', 3).add('n', 2).set('f:search', 'x').remove('a:2026-01-01').build();
    expect(parts).toEqual({
      UpdateExpression: 'SET #n0 = :v1, #n2 = :v3 ADD #n1 :v2 REMOVE #n3',
      ConditionExpression: '#n0 = :v0',
      ExpressionAttributeNames: { '#n0': 'v', '#n1': 'n', '#n2': 'f:search', '#n3': 'a:2026-01-01' },
      ExpressionAttributeValues: { ':v0': 3, ':v1': 4, ':v2': 2, ':v3': 'x' },
    });
  });

  it('requires a missing version for the first write, and omits values for a REMOVE-only update', () => {
    expect(new UpdateExpression().bumpVersion('uv', 0).build()).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#n0)',
      ExpressionAttributeValues: { ':v0': 1 },
    });
    expect(new UpdateExpression().remove('a').build()).toEqual({
      UpdateExpression: 'REMOVE #n0',
      ExpressionAttributeNames: { '#n0': 'a' },
    });
    expect(() => new UpdateExpression().build()).toThrow(/at least one/);
  });

  it('keeps any attribute name (syntax, reserved words, __proto__) out of the expression text', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 12 }), (names) => {
        const update = new UpdateExpression();
        names.forEach((name, i) => (i % 3 === 0 ? update.set(name, i) : i % 3 === 1 ? update.add(name, i) : update.remove(name)));
        const parts = update.build();
        // Only placeholders, keywords and separators in the text.
        expect(parts.UpdateExpression).toMatch(/^((SET|ADD|REMOVE) |#n\d+( = :v\d+| :v\d+)?(, | |$))+$/);
        expect(Object.values(parts.ExpressionAttributeNames).sort()).toEqual([...names].sort());
        expect(Object.getPrototypeOf(parts.ExpressionAttributeNames)).toBe(Object.prototype);
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});
