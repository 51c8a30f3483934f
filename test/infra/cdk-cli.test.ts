import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runChild } from '../support/child-process';
import { scaled } from '../support/timeouts';

const root = join(__dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'churnwatch-cdk-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** A synth takes about 10 s on a quiet machine (the app, esbuild for every function, cdk-nag). */
const SYNTH_MS = scaled(90_000);

/**
 * `npx cdk synth` exactly as an operator runs it: the CLI, cdk.json, the app, esbuild, cdk-nag. The
 * CLI and the app it spawns are killed together if the test gives up, so no `cdk` is left writing
 * into the output directory while it is removed.
 */
const cdk = (args: string[]) =>
  runChild(process.execPath, [join(root, 'node_modules/aws-cdk/bin/cdk'), ...args], {
    cwd: root,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CI: 'true' },
    timeoutMs: SYNTH_MS - 5_000,
  });

describe('cdk synth', () => {
  it(
    'synthesizes the stack offline with the real handlers bundled and cdk-nag passing',
    async () => {
      const run = await cdk(['synth', '--quiet', '--no-notices', '--output', out]);
      expect(run.code, run.stderr).toBe(0);
      const template = JSON.parse(readFileSync(join(out, 'Churnwatch-dev.template.json'), 'utf8')) as {
        Resources: Record<string, { Type: string }>;
      };
      const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThanOrEqual(4);
      // cdk-nag runs on every synth and fails it on an unacknowledged finding (test/infra/nag.test.ts),
      // so exit code 0 is the pass; its report is written beside the template.
      expect(existsSync(join(out, 'validation-report.json'))).toBe(true);
    },
    SYNTH_MS,
  );

  it(
    'fails with the bad field named when the context is wrong',
    async () => {
      const run = await cdk([
        'synth',
        '--quiet',
        '--no-notices',
        '--output',
        join(out, 'bad'),
        '-c',
        'churnwatch={"tierA": 10, "tierB": 50}',
      ]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/tierB/);
    },
    SYNTH_MS,
  );

  it(
    'refuses -c stage=prod with the example sender and no recipient allowlist, saying what to set',
    async () => {
      const run = await cdk(['synth', '--quiet', '--no-notices', '--output', join(out, 'prod'), '-c', 'stage=prod']);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/Stage "prod" is not a test stage/);
      expect(run.stderr).toMatch(/churnwatch\.digest\.from/);
      expect(run.stderr).toMatch(/churnwatch\.digest\.allowedRecipientDomains/);
    },
    SYNTH_MS,
  );
});
