/** Marks a line longer than the cap: its bytes were dropped, not buffered, up to the next newline. */
export const OVERLONG = Symbol('overlong line');

/**
 * Splits a byte stream on `\n` without decoding it (a decoder would hide bad UTF-8, and a multi-byte
 * character may straddle two chunks): yields each line's bytes without the `\n`, and a last line
 * without one when it is not empty. A line longer than `maxBytes` is yielded as OVERLONG instead, so a
 * file that is not line-shaped cannot make the reader buffer without bound. CR and BOM are the caller's.
 */
export async function* byteLines(source: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer | typeof OVERLONG> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  for await (const buf of source) {
    let start = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
      const piece = buf.subarray(start, nl);
      start = nl + 1;
      const whole = overlong ? undefined : pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingBytes = 0;
      overlong = false;
      yield whole === undefined || whole.length > maxBytes ? OVERLONG : whole;
    }
    if (start < buf.length && !overlong) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
      if (pendingBytes > maxBytes) {
        overlong = true;
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (overlong) yield OVERLONG;
  else if (pending.length > 0) {
    const last = Buffer.concat(pending);
    yield last.length > maxBytes ? OVERLONG : last;
  }
}
