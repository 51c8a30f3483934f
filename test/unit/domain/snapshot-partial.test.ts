import { describe, expect, it } from 'vitest';
import { readRowLine, rowLine } from '../../../lambdas/domain/snapshot-partial';
import { InvalidSnapshotPartial, SnapshotBuilder, type SnapshotPartial } from '../../../lambdas/domain/snapshot';
import { makeBook } from './books';

const AS_OF = '2026-11-20';

function part() {
  const book = makeBook({ seed: 42, size: 120, asOf: AS_OF, months: 24, previous: [], orderSeed: 1, eurRate: undefined });
  const builder = new SnapshotBuilder(book.settings, AS_OF, book.forecast);
  for (const c of book.customers) builder.add(c);
  const fresh = () => new SnapshotBuilder(book.settings, AS_OF, book.forecast);
  return { builder, fresh, state: JSON.parse(JSON.stringify(builder.partialState())) as SnapshotPartial, settings: book.settings };
}

/** The state with one field replaced (by path), as a corrupt or foreign file would carry it. */
function altered(state: SnapshotPartial, path: (string | number)[], value: unknown): SnapshotPartial {
  if (path.length === 0) return value as SnapshotPartial;
  const copy = JSON.parse(JSON.stringify(state)) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  if (value === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
  return copy as unknown as SnapshotPartial;
}

describe('SnapshotBuilder.mergeState of a bad part', () => {
  const { builder, fresh, state, settings } = part();

  it('refuses a part of another snapshot or format, saying which', () => {
    expect(() => fresh().mergeState(altered(state, ['asOf'], '2026-10-31'))).toThrow(
      'snapshot partial: the part is of the snapshot as of "2026-10-31", not 2026-11-20',
    );
    expect(() => fresh().mergeState(altered(state, ['version'], 2))).toThrow(
      'snapshot partial: version 2 cannot be merged by this code, which reads version 1',
    );
    expect(() => fresh().mergeState(altered(state, ['currency'], 'EUR'))).toThrow(
      'snapshot partial: the part\'s sums are in "EUR", not the reporting currency USD',
    );
    const otherDay = new SnapshotBuilder(settings, '2026-11-21');
    expect(() => otherDay.mergeState(state)).toThrow(InvalidSnapshotPartial);
  });

  it.each<[string, (string | number)[], unknown, string]>([
    ['no object', [], null, 'state must be an object, got null'],
    ['a missing table', ['movements'], undefined, 'state.movements must be an object, got nothing'],
    ['a negative count', ['customers'], -1, 'state.customers must be a count (an integer ≥ 0), got -1'],
    ['a fractional count', ['movements', 'customers', 'churned'], 1.5, 'state.movements.customers.churned must be a count'],
    ['a sum that is no list', ['movements', 'mrr', 'start'], 100, 'state.movements.mrr.start must be an array, got 100'],
    ['a plan that is not text', ['byPlan', 0, 0], 7, 'state.byPlan[0][0] must be a string, got 7'],
    ['a plan as an object key', ['byPlan'], { starter: {} }, 'state.byPlan must be an array'],
    ['an unknown tier', ['byTier', 0, 0], 'D', 'state.byTier[0][0] must be one of A, B, C, got "D"'],
    ['a pair of three', ['churnReasons', 0], ['a', {}, 1], 'state.churnReasons[0] must be a [key, value] pair'],
    ['a short trend', ['trend'], [], 'state.trend has 0 months, not 12'],
    ['a cohort of nobody', ['cohorts', 0, 'size'], 0, 'state.cohorts[0].size must be at least 1, got 0'],
    ['a cohort with the wrong months', ['cohorts', 0, 'active'], [1], 'state.cohorts[0].active must be'],
    [
      'a save-list entry without its MRR',
      ['scheduledChurn', 0, 'mrr'],
      '12',
      'state.scheduledChurn[0].mrr must be a finite number, got "12"',
    ],
    ['green kept for hysteresis', ['forecastBands', 0, 1], 'green', 'state.forecastBands[0][1] must be one of red, yellow, got "green"'],
  ])('throws on %s, naming the place', (_what, path, value, message) => {
    expect(() => fresh().mergeState(altered(state, path, value))).toThrow(message);
  });

  it('refuses a key listed twice', () => {
    const plans = state.byPlan;
    expect(plans.length).toBeGreaterThan(0);
    expect(() => fresh().mergeState(altered(state, ['byPlan'], [...plans, plans[0]]))).toThrow(
      `state.byPlan[${plans.length}][0] must be a key not listed before, got ${JSON.stringify(plans[0]![0])}`,
    );
  });

  it('leaves the builder as it was when a part is bad', () => {
    const merged = fresh();
    merged.mergeState(state);
    const before = JSON.stringify(merged.finishParts().summary);
    // The last field read: everything before it would already have been merged by a careless reader.
    expect(() => merged.mergeState(altered(state, ['forecastBands', 0, 1], 'blue'))).toThrow(InvalidSnapshotPartial);
    expect(JSON.stringify(merged.finishParts().summary)).toBe(before);
    expect(merged.size).toBe(builder.size);
  });
});

describe('SnapshotBuilder.mergeRow of a bad line', () => {
  const { builder, fresh } = part();
  const rows = [...builder.partialRows()];

  it('has rows to test with', () => expect(rows.length).toBeGreaterThan(5));

  it.each<[string, string, string]>([
    ['an empty line', '', 'is not a [probability,mrr,"customerId",{row}] array'],
    ['an object', '{"customerId":"c1"}', 'is not a [probability,mrr,"customerId",{row}] array'],
    ['two lines', `${rows[0]}\n${rows[1]}`, 'holds a line break'],
    ['no customer id', '[0.5,100,{"customerId":"c1"}]', 'lacks the customer id after probability and mrr'],
    ['an unterminated id', '[0.5,100,"c1]', 'has an unterminated customer id'],
    ['a probability that is no number', '["x",1,"c1",{"customerId":"c1","mrr":1}]', 'must start with two numbers and a customer id'],
    ['a malformed number', '[0.5.1,1,"c1",{"customerId":"c1","mrr":1}]', 'has a malformed probability, mrr or customer id'],
    ["another customer's row", '[0.5,1,"c1",{"customerId":"c2","mrr":1}]', "does not carry that customer's row object"],
    ['a cut row', '[0.5,1,"c1",{"customerId":"c1","mrr":1]', "does not carry that customer's row object"],
  ])('throws on %s, naming the problem', (_what, line, problem) => {
    expect(() => fresh().mergeRow(line)).toThrow(`snapshot partial: at-risk row line ${problem}`);
  });

  it('carries ids with quotes, escapes and commas, and the row text unchanged', () => {
    const customerId = 'a"b\\",{c→\u2028';
    const json = JSON.stringify({ customerId, mrr: 12.5, reasons: ['usage ↓ 40 %'] });
    const line = rowLine({ probability: 0.25, mrr: 12.5, customerId, json });
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual([0.25, 12.5, customerId, JSON.parse(json)]);
    expect(readRowLine(line)).toEqual({ probability: 0.25, mrr: 12.5, customerId, json });
  });
});
