import { isUtf8 } from 'node:buffer';

/** Bytes of the UTF-8 sequence a lead byte starts; 1 for ASCII and for bytes that cannot lead one. */
function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 1;
}

/** Length of the incomplete sequence `chunk` ends with (0 when its last character is complete). */
function incompleteTail(chunk: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, chunk.length); back++) {
    const b = chunk[chunk.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    return sequenceLength(b) > back ? back : 0;
  }
  return 0;
}

/**
 * Whether a stream of chunks is valid UTF-8, whatever the chunking (a character may be split over
 * two chunks). Uses the native validator on whole chunks: the check costs next to nothing on the
 * valid files that are the rule. Decoders replace bad bytes with U+FFFD silently, which would make
 * `cus_\xff` and `cus_\xfe` one customer; this lets the readers refuse them instead.
 */
export class Utf8Check {
  private tail: Buffer | undefined;

  /** False when the bytes so far (this chunk included) are not valid UTF-8. */
  push(chunk: Buffer): boolean {
    let body = chunk;
    let ok = true;
    if (this.tail) {
      const need = sequenceLength(this.tail[0]!) - this.tail.length;
      if (chunk.length < need) {
        this.tail = Buffer.concat([this.tail, chunk]);
        // Still incomplete; it is valid so far only if every byte is a continuation byte.
        return chunk.every((b) => (b & 0xc0) === 0x80);
      }
      ok = isUtf8(Buffer.concat([this.tail, chunk.subarray(0, need)]));
      this.tail = undefined;
      body = chunk.subarray(need);
    }
    const cut = incompleteTail(body);
    if (cut > 0) {
      this.tail = Buffer.from(body.subarray(body.length - cut));
      body = body.subarray(0, body.length - cut);
    }
    return isUtf8(body) && ok;
  }

  /** False when the input ended inside a character. */
  end(): boolean {
    const ok = this.tail === undefined;
    this.tail = undefined;
    return ok;
  }
}
