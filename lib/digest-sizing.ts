/**
 * The digest function's size, as plain constants: lib/digest.ts deploys them, and bench/digest-1m.ts
 * runs the digest in a child process limited the same way. No CDK import here.
 */

/**
 * Memory of the digest function. It streams snapshot.json (lambdas/digest/snapshot-lines.ts) and keeps
 * only the red and yellow rows, as text, and one owner's rows parsed at a time: at a million customers
 * that peaked at 369 MB, 0.72 of 512 MB; 1,024 MB keeps it under half (bench/digest-1m.ts,
 * `digest.peakRssMb1M`). It runs once a day for seconds: the doubling costs under a cent a month.
 */
export const DIGEST_MEMORY_MB = 1024;

/**
 * The V8 old space the function runs with: no heap flag is set, so V8 sizes it from the machine's
 * memory, a quarter of it. The bench limits its child to the same.
 */
export const DIGEST_HEAP_MB = DIGEST_MEMORY_MB / 4;
