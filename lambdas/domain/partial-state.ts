/**
 * Checked readers for a snapshot part's state read back from JSON (see SnapshotPartial): each names
 * the place that is wrong, so a corrupt or foreign part fails with a specific error before it is
 * merged into anything.
 */

export class InvalidSnapshotPartial extends Error {
  override readonly name = 'InvalidSnapshotPartial';
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text === undefined ? typeof value : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function invalid(at: string, expected: string, got: unknown): never {
  throw new InvalidSnapshotPartial(`snapshot partial: ${at} must be ${expected}, got ${shown(got)}`);
}

export function record(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(at, 'an object', value);
  return value as Record<string, unknown>;
}

export function list(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) invalid(at, 'an array', value);
  return value as unknown[];
}

export function count(value: unknown, at: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) invalid(at, 'a count (an integer ≥ 0)', value);
  return value as number;
}

export function finite(value: unknown, at: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(at, 'a finite number', value);
  return value as number;
}

export function text(value: unknown, at: string): string {
  if (typeof value !== 'string') invalid(at, 'a string', value);
  return value as string;
}

export function nullableText(value: unknown, at: string): string | null {
  return value === null ? null : text(value, at);
}

export function oneOf<T extends string>(options: readonly T[], value: unknown, at: string): T {
  if (!options.includes(value as T)) invalid(at, `one of ${options.join(', ')}`, value);
  return value as T;
}

/**
 * `[key, value]` pairs: how the state carries a Map whose keys are data from exports (a plan named
 * "__proto__" stays a plan, as it would not as an object key). A key listed twice is an error.
 */
export function entries<K, V>(
  value: unknown,
  at: string,
  readKey: (v: unknown, at: string) => K,
  readValue: (v: unknown, at: string) => V,
): [K, V][] {
  const seen = new Set<K>();
  return list(value, at).map((pair, i) => {
    const p = list(pair, `${at}[${i}]`);
    if (p.length !== 2) invalid(`${at}[${i}]`, 'a [key, value] pair', pair);
    const key = readKey(p[0], `${at}[${i}][0]`);
    if (seen.has(key)) invalid(`${at}[${i}][0]`, 'a key not listed before', key);
    seen.add(key);
    return [key, readValue(p[1], `${at}[${i}][1]`)];
  });
}
