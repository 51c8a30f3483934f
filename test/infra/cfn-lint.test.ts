import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeSynthDirs, synth, tempOutdir } from './synth';

afterAll(removeSynthDirs);

/** cfn-lint (`pip install cfn-lint`): not an npm package, so the test is skipped, and says so, where it is absent. */
const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const available = version.status === 0;
if (!available) console.warn('cfn-lint not found on PATH: skipping test/infra/cfn-lint.test.ts (pip install cfn-lint to run it)');

/** Warnings CDK itself produces and that cannot be changed from the app: DependsOn beside a GetAtt. */
const TOLERATED_WARNINGS = new Set(['W3005']);

interface Finding {
  Level: 'Error' | 'Warning' | 'Informational';
  Rule: { Id: string };
  Location: { Path: (string | number)[] };
  Message: string;
}

function lint(churnwatch: Record<string, unknown>): Finding[] {
  const template = join(tempOutdir(), 'template.json');
  writeFileSync(template, JSON.stringify(synth(churnwatch, { bundle: false }).template.toJSON(), null, 1));
  const run = spawnSync('cfn-lint', ['--format', 'json', '--regions', 'us-east-1', 'eu-west-1', '--', template], { encoding: 'utf8' });
  // Exit codes are a bit mask of the levels found; the JSON on stdout is the authority.
  if (!run.stdout.trim().startsWith('[')) throw new Error(`cfn-lint failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Finding[];
}

const describeLint = available ? describe : describe.skip;

describeLint(`cfn-lint (${version.stdout?.trim() ?? 'absent'}) on the synthesized template`, () => {
  const show = (fs: Finding[]) => fs.map((f) => `${f.Level} ${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`);

  it.each([
    ['cdk.json (dev, a test stage)', {}],
    [
      'a production stage',
      { stage: 'prod', digest: { from: 'churnwatch@acme.io', fallbackTo: 'cs@acme.io', allowedRecipientDomains: ['acme.io'] } },
    ],
  ])(
    '%s: 0 errors, and no warning but the ones CDK generates',
    (_name, churnwatch) => {
      const findings = lint(churnwatch);
      expect(show(findings.filter((f) => f.Level === 'Error'))).toEqual([]);
      expect(show(findings.filter((f) => f.Level === 'Warning' && !TOLERATED_WARNINGS.has(f.Rule.Id)))).toEqual([]);
      // A bundled synth of every function plus cfn-lint: 119 s on a busy 2-core machine.
    },
    240_000,
  );
});
