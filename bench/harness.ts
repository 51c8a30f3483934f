/**
 * Shared benchmark helpers: timing, peak memory, child-process isolation, a readable table and
 * bench/results.json (docs/metrics.md §6: `{ "<name>": { "value": number, "unit": "..." } }`).
 *
 * A bench module exports a `BenchModule`; register it in bench/run.ts (one line). Figures that depend on
 * peak memory should be measured in a child process per size (`measureInChild`), since a process's
 * peak RSS never goes down and would otherwise carry over from one size to the next.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_FILE = join(BENCH_DIR, 'results.json');

export interface BenchOptions {
  /** Reduced sizes: the whole `npm run bench -- --quick` must finish in under two minutes. */
  quick: boolean;
  /** Also the largest sizes (`--large`: the large-file bench at 1 GB). */
  large?: boolean;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Shown in the table only: what was measured, on what. */
  note?: string;
}

export interface BenchModule {
  name: string;
  run(opts: BenchOptions): Promise<Figure[]>;
}

export interface CliArgs {
  quick: boolean;
  large: boolean;
  only: string[];
  size?: number;
  reps?: number;
  /** Bench-specific switch (snapshot-engine: feed customers one by one). */
  stream: boolean;
}

export function parseArgs(argv: readonly string[] = process.argv.slice(2)): CliArgs {
  const args: CliArgs = { quick: false, large: false, only: [], stream: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--large') args.large = true;
    else if (a === '--only') args.only.push(...value().split(','));
    else if (a.startsWith('--only=')) args.only.push(...a.slice(7).split(','));
    else if (a === '--size') args.size = Number(value());
    else if (a.startsWith('--size=')) args.size = Number(a.slice(7));
    else if (a === '--reps') args.reps = Number(value());
    else if (a === '--stream') args.stream = true;
    else throw new Error(`unknown argument ${a} (expected --quick, --large, --only <name>, --size <n>, --reps <n>, --stream)`);
  }
  for (const k of ['size', 'reps'] as const) {
    const v = args[k];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new Error(`--${k} must be a positive integer`);
  }
  return args;
}

/** Wall-clock seconds of `fn` (awaited if it returns a promise). */
export async function time<T>(fn: () => T | Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** Peak resident set size of this process so far, in MB (Linux reports maxRSS in KB). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function currentRssMb(): number {
  return process.memoryUsage.rss() / (1024 * 1024);
}

/** Runs a full GC when the process was started with --expose-gc, so one phase's garbage is not billed to the next. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const RESULT_MARKER = 'BENCH_RESULT ';

/** In a child started by `measureInChild`: hands the measurement back to the parent. */
export function reportToParent(result: unknown): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

/** Whether `moduleUrl` (pass import.meta.url) is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return !!entry && (moduleUrl === pathToFileURL(entry).href || moduleUrl === pathToFileURL(`${entry}.ts`).href);
}

/**
 * Runs `bench/<script>` in a fresh Node process (TypeScript via tsx, with --expose-gc) and returns
 * what it passed to `reportToParent`. Its stderr is forwarded so progress stays visible.
 */
export function measureInChild<T>(script: string, args: string[], nodeArgs: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', ...nodeArgs, join(BENCH_DIR, script), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code !== 0 || !line) {
        reject(new Error(`${script} ${args.join(' ')} exited with ${code}${line ? '' : ' without a result'}\n${out}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as T);
    });
  });
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  return v.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 1 : abs >= 1 ? 3 : 4 });
}

/** A plain-text table of figures. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [f.name, formatValue(f.value), f.unit, f.note ?? '']);
  const header = ['figure', 'value', 'unit', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export type Results = Record<string, { value: number; unit: string }>;

/** Merges figures into results.json, keeping every other bench's figures (read-modify-write). */
export function recordResults(figures: readonly Figure[], file = RESULTS_FILE): Results {
  let results: Results = {};
  if (existsSync(file)) {
    try {
      results = JSON.parse(readFileSync(file, 'utf8')) as Results;
    } catch {
      results = {}; // a corrupt file is rewritten rather than blocking the run
    }
  }
  for (const f of figures) results[f.name] = { value: f.value, unit: f.unit };
  const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(sorted, null, 2)}\n`);
  renameSync(tmp, file); // atomic: a concurrent reader never sees half a file
  return sorted;
}
