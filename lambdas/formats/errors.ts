/**
 * A billing export that cannot be read at all (not CSV/JSONL, bad gzip, unknown header, empty).
 * The ingest handler moves such a file to `failed/` with this message beside it (docs/metrics.md §1.3), so the
 * message is written for the person who dropped the file.
 */
export class UnreadableFileError extends Error {
  constructor(
    message: string,
    /** Physical line where reading stopped, when known (e.g. a gzip stream truncated after line N). */
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnreadableFileError';
  }
}

/** One row's validation failure: the single reason quarantined with the row. */
export class RowError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RowError';
  }
}
