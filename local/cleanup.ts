/**
 * Shutdown hooks shared by every emulator of the process: child processes must die with us (a
 * leftover java process holds a port and ~200 MB), temp directories must go.
 */
type SyncCleanup = () => void;

const hooks = new Set<SyncCleanup>();
let installed = false;

function runAll(): void {
  for (const hook of [...hooks]) {
    try {
      hook();
    } catch {
      // best effort at exit: one failing hook must not keep the others from running
    }
  }
  hooks.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // Someone else handles the signal (`demo --serve` stops its stack in order): killing the
      // emulators now would pull them from under that shutdown. The exit hook still runs after it.
      if (process.listenerCount(signal) > 1) return;
      runAll();
      // Nobody else: die of the signal, as the default behaviour would.
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Registers a synchronous hook run on exit or on a terminating signal; returns its remover. */
export function onProcessExit(hook: SyncCleanup): () => void {
  install();
  hooks.add(hook);
  return () => hooks.delete(hook);
}
