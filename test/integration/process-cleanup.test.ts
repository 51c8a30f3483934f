import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChild } from '../support/child-process';
import { scaled } from '../support/timeouts';

// A process that registers an exit hook (as the emulators do) and, when asked, handles SIGINT
// itself with a shutdown that takes a while (as `demo --serve` does).
const SCRIPT = `
import { appendFileSync } from 'node:fs';
import { onProcessExit } from ${JSON.stringify(resolve('local/cleanup.ts'))};
const [log, mode] = process.argv.slice(2);
const note = (line) => appendFileSync(log, line + '\\n');
onProcessExit(() => note('hook'));
const alive = setInterval(() => undefined, 1_000);
if (mode !== 'default') {
  process.once('SIGINT', () => {
    note('orderly stop');
    if (mode === 'orderly') setTimeout(() => { note('stopped'); clearInterval(alive); }, 200);
    process.stdout.write('stopping\\n');
  });
}
process.stdout.write('ready\\n');
`;

describe('process exit hooks (local/cleanup.ts)', () => {
  let dir: string;
  let script: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'churnwatch-cleanup-'));
    script = join(dir, 'child.mjs');
    await writeFile(script, SCRIPT);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function run(mode: 'default' | 'orderly' | 'stuck', signals: number) {
    const log = join(dir, `${mode}.log`);
    await writeFile(log, '');
    const child = startChild(process.execPath, ['--import', 'tsx', script, log, mode], { timeoutMs: scaled(30_000) });
    for (let sent = 0; sent < signals; sent++) {
      const expected = sent === 0 ? 'ready' : 'stopping';
      while (!child.output().includes(expected) && child.child.exitCode === null && child.child.signalCode === null)
        await new Promise((r) => setTimeout(r, 20));
      child.child.kill('SIGINT');
    }
    const outcome = await child.done;
    return { ...outcome, log: (await readFile(log, 'utf8')).trim().split('\n') };
  }

  it('runs the hooks and dies of the signal when nobody else handles it', async () => {
    const outcome = await run('default', 1);
    expect(outcome.signal, outcome.stderr).toBe('SIGINT');
    expect(outcome.log).toEqual(['hook']);
  });

  it('leaves the emulators to a shutdown in progress, and runs the hooks once it has exited', async () => {
    const outcome = await run('orderly', 1);
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(outcome.log).toEqual(['orderly stop', 'stopped', 'hook']);
  });

  it('runs the hooks and dies on a second Ctrl-C when the shutdown does not end', async () => {
    const outcome = await run('stuck', 2);
    expect(outcome.signal, outcome.stderr).toBe('SIGINT');
    expect(outcome.log).toEqual(['orderly stop', 'hook']);
  });
});
