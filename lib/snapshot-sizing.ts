/**
 * The snapshot function's size, as plain constants: lib/snapshot.ts deploys them, and
 * bench/snapshot-1m.ts runs the snapshot in a child process limited the same way. No CDK import here.
 */

/**
 * Memory of the snapshot function. Lambda gives CPU in proportion (one vCPU at 1,769 MB), and a
 * million-customer run is CPU-bound: at 3,008 MB the garbage collector's helper threads get most of a
 * second vCPU beside the main thread. It runs once a day: the extra memory costs a few cents a month.
 */
export const SNAPSHOT_MEMORY_MB = 3008;

/** Lambda's timeout for one step of the snapshot (a part, Finish) or one whole run of a smaller book; a part of 100k customers takes well under half of it. */
export const SNAPSHOT_TIMEOUT_SECONDS = 600;

/**
 * V8's heap limits, set explicitly rather than left to V8's guess from the machine's memory (a quarter
 * of it). The snapshot allocates a short-lived object graph per profile (~80 attributes, each parsed
 * from JSON): with V8's default 16 MB semi-spaces, scavenges took about a third of the run; 64 MB
 * ones cut the CPU time by about 0.7× (bench/snapshot-1m.ts). The old space stays at a third of the
 * memory, so the whole process keeps under half of it.
 */
export const SNAPSHOT_HEAP_MB = 1024;
export const SNAPSHOT_SEMI_SPACE_MB = 64;
export const SNAPSHOT_V8_FLAGS = [`--max-old-space-size=${SNAPSHOT_HEAP_MB}`, `--max-semi-space-size=${SNAPSHOT_SEMI_SPACE_MB}`];
