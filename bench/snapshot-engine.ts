/**
 * Snapshot engine benchmark: computeSnapshot on 10k and 100k synthetic customers (quick: 2k and 20k),
 * each size in its own process so peak RSS is per size. Seconds exclude generating the data.
 *
 * Child mode: `npx tsx bench/snapshot-engine.ts --size N` prints one measurement.
 */
import { computeSnapshot, SnapshotBuilder } from '../lambdas/domain/snapshot';
import {
  collectGarbage,
  currentRssMb,
  isMain,
  measureInChild,
  parseArgs,
  peakRssMb,
  reportToParent,
  time,
  type BenchModule,
  type Figure,
} from './harness';
import { SYNTHETIC_SETTINGS, syntheticCustomers, syntheticTimelines } from './synthetic';

const AS_OF = '2026-11-20';
const WARMUP_CUSTOMERS = 2_000;

interface Measurement {
  customers: number;
  lines: number;
  /** Best wall-clock time of `repetitions` runs (the least disturbed by other processes). */
  seconds: number;
  /** CPU time (user + system) of that run. */
  cpuSeconds: number;
  repetitions: number;
  /** RSS with the input in memory, before the engine ran. */
  inputRssMb: number;
  peakRssMb: number;
  atRisk: number;
}

/**
 * Peak RSS when customers stream through a SnapshotBuilder (as the handler feeds scan pages), so the
 * input is never all in memory: this is the engine's own footprint. Time here includes generation.
 */
function measureStreamed(size: number): { customers: number; peakRssMb: number } {
  const builder = new SnapshotBuilder(SYNTHETIC_SETTINGS, AS_OF);
  for (const c of syntheticCustomers({ customers: size, asOf: AS_OF, seed: 42 })) builder.add(c);
  builder.finish();
  return { customers: size, peakRssMb: peakRssMb() };
}

async function measure(size: number, repetitions: number): Promise<Measurement> {
  // Warm the JIT on a different small book so both sizes are measured on optimised code.
  computeSnapshot(syntheticTimelines({ customers: WARMUP_CUSTOMERS, asOf: AS_OF, seed: 7 }), SYNTHETIC_SETTINGS, AS_OF);
  const customers = syntheticTimelines({ customers: size, asOf: AS_OF, seed: 42 });
  collectGarbage();
  const inputRssMb = currentRssMb();
  let best = { seconds: Infinity, cpuSeconds: Infinity, atRisk: 0 };
  for (let i = 0; i < repetitions; i++) {
    const cpu = process.cpuUsage();
    const { result, seconds } = await time(() => computeSnapshot(customers, SYNTHETIC_SETTINGS, AS_OF));
    const used = process.cpuUsage(cpu);
    if (seconds < best.seconds) best = { seconds, cpuSeconds: (used.user + used.system) / 1e6, atRisk: result.atRisk.length };
    collectGarbage(); // the previous result's garbage is not the next run's work
  }
  return {
    customers: size,
    lines: customers.reduce((n, c) => n + c.lines.length, 0),
    ...best,
    repetitions,
    inputRssMb,
    peakRssMb: peakRssMb(),
  };
}

const label = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));

export const snapshotEngineBench: BenchModule = {
  name: 'snapshot-engine',
  async run({ quick }) {
    const [small, large] = quick ? [2_000, 20_000] : [10_000, 100_000];
    const [repsSmall, repsLarge] = quick ? [3, 2] : [5, 3];
    const a = await measureInChild<Measurement>('snapshot-engine.ts', ['--size', String(small), '--reps', String(repsSmall)]);
    const b = await measureInChild<Measurement>('snapshot-engine.ts', ['--size', String(large), '--reps', String(repsLarge)]);
    const streamed = await measureInChild<{ peakRssMb: number }>('snapshot-engine.ts', ['--size', String(large), '--stream']);
    const S = label(small);
    const L = label(large);
    const run = (m: Measurement) => `best of ${m.repetitions}, cpu ${m.cpuSeconds.toFixed(2)} s, ${m.lines.toLocaleString('en-US')} lines`;
    const figures: Figure[] = [
      { name: `snapshot.seconds${S}`, value: a.seconds, unit: 's', note: run(a) },
      { name: `snapshot.seconds${L}`, value: b.seconds, unit: 's', note: run(b) },
      {
        name: `snapshot.ratio${L}To${S}`,
        value: b.seconds / a.seconds,
        unit: 'x',
        note: `linear would be ${large / small}; cpu ratio ${(b.cpuSeconds / a.cpuSeconds).toFixed(2)}`,
      },
      { name: `snapshot.cpuSeconds${L}`, value: b.cpuSeconds, unit: 's', note: 'user + system time of the best run' },
      {
        name: `snapshot.peakRssMb${S}`,
        value: a.peakRssMb,
        unit: 'MB',
        note: `process peak; with the input loaded ${a.inputRssMb.toFixed(0)} MB`,
      },
      {
        name: `snapshot.peakRssMb${L}`,
        value: b.peakRssMb,
        unit: 'MB',
        note: `process peak; with the input loaded ${b.inputRssMb.toFixed(0)} MB`,
      },
      {
        name: `snapshot.peakRssMb${L}Streamed`,
        value: streamed.peakRssMb,
        unit: 'MB',
        note: 'process peak, customers fed one by one to SnapshotBuilder',
      },
    ];
    return figures;
  },
};

if (isMain(import.meta.url)) {
  const { size, reps, stream } = parseArgs();
  if (!size) throw new Error('usage: tsx bench/snapshot-engine.ts --size N [--reps R] [--stream]');
  reportToParent(stream ? measureStreamed(size) : await measure(size, reps ?? 1));
}
