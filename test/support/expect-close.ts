import { expect } from 'vitest';

/**
 * Deep equality where numbers may differ by float rounding only (sums taken in another order):
 * relative 1e-9, absolute 1e-9 near zero. Every other value, key and array length must match.
 */
export function expectClose(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
    if (Math.abs(actual - expected) > tolerance) expect.fail(`${path}: ${actual} is not ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) expect.fail(`${path}: expected an array, got ${JSON.stringify(actual)}`);
    if (actual.length !== expected.length) expect.fail(`${path}: length ${actual.length} is not ${expected.length}`);
    expected.forEach((value, i) => expectClose((actual as unknown[])[i], value, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') expect.fail(`${path}: expected an object, got ${JSON.stringify(actual)}`);
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = (o: Record<string, unknown>) =>
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
    expect(keys(a), `${path} keys`).toEqual(keys(e));
    for (const key of keys(e)) expectClose(a[key], e[key], `${path}.${key}`);
    return;
  }
  if (actual !== expected) expect.fail(`${path}: ${JSON.stringify(actual)} is not ${JSON.stringify(expected)}`);
}
