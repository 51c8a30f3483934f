import { spawn, type SpawnOptions } from 'node:child_process';
import { onTestFinished } from 'vitest';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The deadline passed and the child's whole process group was killed. */
  timedOut: boolean;
}

export interface ChildOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** Kill the child (and everything it started) after this long; give it less than the test's timeout. */
  timeoutMs: number;
}

const live = new Set<number>();

/** SIGTERM to the child's process group, then SIGKILL if it is still there 5 s later. */
function killGroup(pid: number): void {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  setTimeout(() => signal('SIGKILL'), 5_000).unref();
  live.delete(pid);
}

// A worker that exits (the run ends, or vitest gives up on it) takes its children with it.
process.once('exit', () => {
  for (const pid of live) killGroup(pid);
});

/**
 * Starts a child in its own process group so that a test that times out or fails can kill the child
 * and whatever the child started (an emulator, `cdk` spawning the app): nothing is left behind to
 * hold ports or files. Returns the handle and a promise of its outcome.
 */
export function startChild(command: string, args: readonly string[], opts: ChildOptions) {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = () => {
    if (pid !== undefined && live.has(pid)) killGroup(pid);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, opts.timeoutMs);
  try {
    onTestFinished(kill);
  } catch {
    // Started outside a test (a beforeAll): the deadline and the exit hook still apply.
  }
  const done = new Promise<ChildRun>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      kill();
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  return { child, done, output: () => stdout, kill };
}

/** Runs a child to its end (or its deadline). */
export const runChild = (command: string, args: readonly string[], opts: ChildOptions): Promise<ChildRun> =>
  startChild(command, args, opts).done;
