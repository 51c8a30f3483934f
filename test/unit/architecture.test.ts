import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of docs/architecture.md, checked on every import of the source tree: a module may import
 * only from the places its layer lists. `import type` counts too: a type is a dependency.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const HANDLERS = [
  'digest',
  'snapshot',
  'ingest-billing',
  'ingest-large',
  'ingest-usage',
  'ingest-segment',
  'usage-aggregator',
  'unsubscribe',
];
const BELOW_HANDLERS = ['lambdas/domain', 'lambdas/formats', 'lambdas/report', 'lambdas/shared', 'lambdas/store'];

interface Layer {
  /** Folders (relative to the repository) this layer's modules may import from, besides its own. */
  may: string[];
  /** Whether npm packages and node: built-ins may be imported (the domain and reports stay pure). */
  packages: boolean | RegExp;
}

const LAYERS: Record<string, Layer> = {
  'lambdas/domain': { may: [], packages: false },
  'lambdas/report': { may: ['lambdas/domain'], packages: false },
  'lambdas/formats': { may: ['lambdas/domain'], packages: /^(node:|zod$|hyparquet)/ },
  'lambdas/shared': { may: ['lambdas/domain'], packages: true },
  'lambdas/store': { may: ['lambdas/domain', 'lambdas/formats', 'lambdas/shared'], packages: true },
  ...Object.fromEntries(
    HANDLERS.map((h) => [
      `lambdas/${h}`,
      // The large-file steps fold rows with the small path's own code (ingest-billing/ingest-file.ts).
      { may: [...BELOW_HANDLERS, ...(h === 'ingest-large' ? ['lambdas/ingest-billing'] : [])], packages: true },
    ]),
  ),
  // The stack reads names and schemas from the functions' code, never their runtime modules.
  lib: {
    may: [
      'lambdas/shared/config.ts',
      'lambdas/shared/layout.ts',
      'lambdas/shared/observability.ts',
      'lambdas/shared/unsubscribe-key.ts',
      'lambdas/store/keys.ts',
      'lambdas/store/table.ts',
      'lambdas/formats/segment.ts',
      'lambdas/ingest-segment/credentials.ts',
    ],
    packages: true,
  },
  // The state machines' definitions and the snapshot's size: the embedded stack runs what is deployed.
  local: {
    may: [
      'lambdas',
      'lib/app.ts',
      'lib/context.ts',
      'lib/asl.ts',
      'lib/large-file-definition.ts',
      'lib/snapshot-definition.ts',
      'lib/snapshot-sizing.ts',
    ],
    packages: true,
  },
  bin: { may: ['lambdas', 'lib', 'local'], packages: true },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s+'([^']+)'/g;

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

function layerOf(file: string): string {
  const key = Object.keys(LAYERS).find((l) => file === l || file.startsWith(`${l}/`));
  if (!key) throw new Error(`${file} is in no layer of docs/architecture.md`);
  return key;
}

const within = (target: string, place: string) => target === place || target.startsWith(`${place}/`) || target === `${place}.ts`;

/** Whether `file` may import `spec` (a relative path or a package name). */
function allowed(file: string, spec: string): boolean {
  const layer = layerOf(file);
  const rule = LAYERS[layer]!;
  if (!spec.startsWith('.')) return rule.packages === true || (rule.packages instanceof RegExp && rule.packages.test(spec));
  const target = relative(ROOT, resolve(dirname(join(ROOT, file)), spec)).replace(/(\.ts)?$/, '.ts');
  return within(target, layer) || rule.may.some((p) => target === p || within(target, p.replace(/\.ts$/, '')));
}

const violations = (file: string) =>
  importsOf(file)
    .filter((spec) => !allowed(file, spec))
    .map((spec) => `${file} imports ${spec}`);

describe('layers (docs/architecture.md)', () => {
  const files = ['lambdas', 'lib', 'local', 'bin'].flatMap(sourceFiles);

  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain('lambdas/domain/snapshot.ts');
  });

  it('every module imports only from the layers below it', () => {
    expect(files.flatMap(violations)).toEqual([]);
  });

  it('the check catches a wrong import', () => {
    expect(allowed('lambdas/domain/snapshot.ts', '../store/keys')).toBe(false);
    expect(allowed('lambdas/domain/snapshot.ts', 'zod')).toBe(false);
    expect(allowed('lambdas/store/keys.ts', '../snapshot/handler')).toBe(false);
    expect(allowed('lambdas/digest/handler.ts', '../snapshot/handler')).toBe(false);
    expect(allowed('lib/snapshot.ts', '../lambdas/store/ledger-store')).toBe(false);
    expect(allowed('lambdas/snapshot/handler.ts', '../store/profile-reader')).toBe(true);
    expect(allowed('lib/snapshot.ts', '../lambdas/store/keys')).toBe(true);
    expect(importsOf('lambdas/domain/snapshot.ts').length).toBeGreaterThan(3);
  });
});
