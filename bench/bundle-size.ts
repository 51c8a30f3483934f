/**
 * Lambda bundle sizes: synthesizes the CDK app (esbuild bundling, exactly what `cdk synth` ships)
 * into a temporary cloud assembly and measures each function's minified `index.mjs` (source maps
 * are external and not loaded at cold start, so they are reported apart). Target: ≤ 500 KB each.
 *
 *   npx tsx bench/bundle-size.ts
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildApp } from '../lib/app';
import { formatTable, isMain, recordResults, time, type BenchModule, type Figure } from './harness';

const TARGET_KB = 500;

interface FunctionBundle {
  service: string;
  kb: number;
  gzipKb: number;
  mapKb: number;
}

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

/** Synthesizes into `outdir` and returns each function's bundle, found through its asset key. */
export function measureBundles(outdir: string, overrides: Record<string, unknown> = {}): FunctionBundle[] {
  const context = cdkJsonContext();
  context.churnwatch = { ...(context.churnwatch as Record<string, unknown>), ...overrides };
  const { app, stack } = buildApp({ outdir, context }, { nag: false });
  app.synth();
  const template = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Properties: { Environment?: { Variables?: Record<string, string> }; Code: { S3Key: string } } }
    >;
  };
  const bundles: FunctionBundle[] = [];
  for (const resource of Object.values(template.Resources)) {
    const service = resource.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME as string | undefined;
    if (resource.Type !== 'AWS::Lambda::Function' || !service) continue;
    const dir = join(outdir, `asset.${String(resource.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    const code = readFileSync(join(dir, 'index.mjs'));
    let mapBytes = 0;
    try {
      mapBytes = statSync(join(dir, 'index.mjs.map')).size;
    } catch {
      mapBytes = 0;
    }
    bundles.push({ service, kb: code.length / 1024, gzipKb: gzipSync(code).length / 1024, mapKb: mapBytes / 1024 });
  }
  if (bundles.length === 0) throw new Error('no Churnwatch function found in the synthesized template');
  return bundles.sort((a, b) => a.service.localeCompare(b.service));
}

export const bundleSizeBench: BenchModule = {
  name: 'bundle',
  async run(opts) {
    const outdir = mkdtempSync(join(tmpdir(), 'churnwatch-bundle-'));
    const round = (n: number) => Math.round(n * 10) / 10;
    const largest = (bundles: FunctionBundle[]) => bundles.reduce((a, b) => (b.kb > a.kb ? b : a));
    try {
      const { result: bundles, seconds } = await time(() => measureBundles(join(outdir, 'default')));
      const max = largest(bundles);
      const camel = (s: string) => s.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
      // The alternative deployment choice (cdk.json churnwatch.bundleAwsSdk = true), for comparison.
      const alternative: Figure[] = [];
      if (!opts.quick) {
        const pinned = largest(measureBundles(join(outdir, 'bundled-sdk'), { bundleAwsSdk: true }));
        alternative.push({
          name: 'bundle.maxKbBundledSdk',
          value: round(pinned.kb),
          unit: 'KB',
          note: `largest with the AWS SDK bundled (bundleAwsSdk: true): ${pinned.service}`,
        });
      }
      return [
        {
          name: 'bundle.maxKb',
          value: round(max.kb),
          unit: 'KB',
          note: `largest: ${max.service} (minified ESM, target ≤ ${TARGET_KB} KB)`,
        },
        ...bundles.map<Figure>((b) => ({
          name: `bundle.${camel(b.service)}Kb`,
          value: round(b.kb),
          unit: 'KB',
          note: `${round(b.gzipKb)} KB gzipped; external source map ${round(b.mapKb)} KB`,
        })),
        ...alternative,
        {
          name: 'bundle.synthSeconds',
          value: round(seconds),
          unit: 's',
          note: 'CDK synth with esbuild bundling of all functions, no cdk-nag',
        },
      ];
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  },
};

export default bundleSizeBench;

if (isMain(import.meta.url)) {
  const figures = await bundleSizeBench.run({ quick: process.argv.includes('--quick') });
  recordResults(figures);
  console.log(`\n${formatTable(figures)}\n\nwritten to bench/results.json`);
}
