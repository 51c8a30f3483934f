/**
 * `npm run bench [-- --quick] [-- --large] [-- --only <name>]`: runs the registered bench modules in sequence,
 * prints their figures and merges them into bench/results.json.
 */
import { formatTable, parseArgs, recordResults, type BenchModule, type Figure } from './harness';
import { backtestBench } from './backtest';
import { bundleSizeBench } from './bundle-size';
import { ingestParseBench } from './ingest-parse';
import { ingestStoreBench } from './ingest-store';
import { largeFileBench } from './large-file';
import { snapshotEngineBench } from './snapshot-engine';
import { snapshotStoreBench } from './snapshot-store';
import { snapshot1mBench } from './snapshot-1m';
import { digest1mBench } from './digest-1m';
import { usageBench } from './usage';
import { usageSpreadBench } from './usage-spread';
import { costModelBench } from './cost-model';

/** Register a bench by adding it here (they run in this order). */
const MODULES: BenchModule[] = [
  ingestParseBench,
  ingestStoreBench,
  largeFileBench,
  usageBench,
  usageSpreadBench,
  costModelBench,
  snapshotEngineBench,
  snapshotStoreBench,
  snapshot1mBench,
  digest1mBench,
  bundleSizeBench,
  backtestBench,
];

async function main(): Promise<void> {
  const args = parseArgs();
  const unknown = args.only.filter((n) => !MODULES.some((m) => m.name === n));
  if (unknown.length) {
    throw new Error(`unknown bench ${unknown.join(', ')}; available: ${MODULES.map((m) => m.name).join(', ')}`);
  }
  const selected = args.only.length ? MODULES.filter((m) => args.only.includes(m.name)) : MODULES;
  const all: Figure[] = [];
  for (const m of selected) {
    process.stderr.write(`\n== ${m.name}${args.quick ? ' (quick)' : ''}\n`);
    const started = Date.now();
    const figures = await m.run({ quick: args.quick, large: args.large });
    process.stderr.write(`   ${m.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    recordResults(figures); // after each module, so a later failure keeps earlier figures
    all.push(...figures);
  }
  console.log(`\n${formatTable(all)}\n\nwritten to bench/results.json`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
