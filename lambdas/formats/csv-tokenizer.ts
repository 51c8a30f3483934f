import { StringDecoder } from 'node:string_decoder';
import { UnreadableFileError } from './errors';
import { Utf8Check } from './utf8';

/**
 * A streaming RFC 4180 tokenizer for the billing-export hot path.
 *
 * Why hand-written: on this machine csv-parse 7 streams our exports at ~17 MB/s, papaparse ~90 MB/s and
 * udsv ~130 MB/s, and neither of the fast two reports physical line numbers or lets a malformed record
 * be skipped with a reason. This one scans with `indexOf` (native, vectorised) instead of a per-byte
 * state machine, slices fields out of the decoded chunk, and reports each record's first physical
 * line and its original text (for quarantine) without copying it for good rows. csv-parse stays the
 * reference it is tested against (test/unit/formats/csv-tokenizer.property.test.ts).
 *
 * Dialect: comma delimiter, `"` quote doubled inside quoted fields, records end at LF, CRLF or (when
 * the first line ends so) a lone CR; a UTF-8 BOM is dropped; empty lines are skipped; rows may have
 * any number of fields.
 *
 * Damage stays local: a malformed record (a quote never closed, or one closed before junk) is reported
 * on its first physical line, and reading resumes at the next physical line, so the rows after a stray
 * quote are recovered and every physical line is accounted for. A quoted field may span at most
 * MAX_QUOTED_LINES line breaks and MAX_QUOTED_CHARS characters: past that, it is taken for a quote
 * that is never closed rather than buffered on.
 */
export interface CsvSink {
  /**
   * One record. `fields` is reused for the next record: copy what must outlive the call. `text`,
   * `start` and `end` locate the record's original text (without its line break), for quarantine.
   */
  record(fields: string[], line: number, text: string, start: number, end: number): void;
  /** A malformed record, skipped up to the end of the physical line where the problem is. */
  error(reason: string, line: number, raw: string): void;
}

/** A record (or unclosed quoted field) this long is not an export row; stop rather than buffer without bound. */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;
/** Line breaks a quoted field may contain before it is reported as a quote that is never closed. */
export const MAX_QUOTED_LINES = 100;
/**
 * Characters a quoted field may hold before it is reported as a quote that is never closed: below
 * MAX_RECORD_CHARS, so that such a quote costs one row, not the file. (Ignored columns may carry long
 * texts: a 1 MB description is read whole.)
 */
export const MAX_QUOTED_CHARS = 8 * 1024 * 1024;

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Physical line breaks in `s[from, to)`: the delimiter character (LF, which CRLF ends with, or CR) counted. */
export function countBreaks(s: string, eol: number, from = 0, to = s.length): number {
  const ch = eol === CR ? '\r' : '\n';
  let n = 0;
  for (let i = s.indexOf(ch, from); i !== -1 && i < to; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/** Sentinel results of the record scanner. */
const INCOMPLETE = -1;
const FAILED = -2;

export class CsvTokenizer {
  private readonly decoder = new StringDecoder('utf8');
  /** Text from the start of an incomplete record, plus chunks received since (joined lazily). */
  private pending = '';
  private parts: string[] = [];
  private partsLength = 0;
  /** With a long incomplete record, wait until the buffered text has doubled before scanning again (linear total work). */
  private retryAt = 0;
  private line = 1;
  private started = false;
  /** Record delimiter, from the first line break of the file: LF (also CRLF) or a lone CR. 0 until seen. */
  private eol = 0;
  private eolChar = '\n';
  private readonly fields: string[] = [];
  /** The last search for a quote in the text being scanned: from where, and the first found (-1: none). */
  private quoteFrom = Infinity;
  private quoteAt = -1;
  /** Set by scanRecord on FAILED. */
  private failure = '';
  private failureAt = 0;

  private readonly utf8 = new Utf8Check();
  /**
   * Set once the input held bytes that are not UTF-8: they decode to U+FFFD, so from then on a record
   * containing U+FFFD may hide two different ids behind one text, and the reader refuses it.
   */
  invalidUtf8 = false;

  constructor(
    private readonly sink: CsvSink,
    /** Physical line number of the first byte written. */
    firstLine = 1,
  ) {
    this.line = firstLine;
  }

  /**
   * The byte that ends a physical line ('\n', which CRLF ends with too, or '\r' in a file of lone CRs),
   * once the first line break has been seen; physical line N starts after the (N-1)th such byte.
   */
  get lineBreak(): 10 | 13 | undefined {
    return this.eol === 0 ? undefined : (this.eol as 10 | 13);
  }

  write(chunk: Buffer): void {
    if (!this.utf8.push(chunk)) this.invalidUtf8 = true;
    this.push(this.decoder.write(chunk), false);
  }

  end(): void {
    if (!this.utf8.end()) this.invalidUtf8 = true;
    this.push(this.decoder.end(), true);
  }

  private push(s: string, final: boolean): void {
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const size = this.pending.length + this.partsLength + s.length;
    if (!final && size < this.retryAt) {
      this.parts.push(s);
      this.partsLength += s.length;
      return;
    }
    let text = this.pending;
    if (this.parts.length > 0) {
      text += this.parts.join('');
      this.parts = [];
      this.partsLength = 0;
    }
    text += s;
    const rest = this.eol !== 0 || this.detectEol(text, final) ? this.scan(text, final) : 0;
    this.pending = rest < text.length ? text.slice(rest) : '';
    if (this.pending.length > MAX_RECORD_CHARS) {
      throw new UnreadableFileError(
        `The record starting on line ${this.line} is longer than 16 MB (a quote that is never closed?): not a CSV export`,
        this.line,
      );
    }
    this.retryAt = this.pending.length >= 65536 ? Math.min(this.pending.length * 2, MAX_RECORD_CHARS + 1) : 0;
  }

  /** Sets the record delimiter from the first line break; false when `text` cannot tell yet. */
  private detectEol(text: string, final: boolean): boolean {
    const lf = text.indexOf('\n');
    const cr = text.indexOf('\r');
    if (cr !== -1 && (lf === -1 || cr < lf)) {
      if (cr + 1 === text.length && !final) return false;
      this.eol = text.charCodeAt(cr + 1) === LF ? LF : CR;
    } else if (lf !== -1 || final) this.eol = LF;
    else return false;
    this.eolChar = this.eol === LF ? '\n' : '\r';
    return true;
  }

  /** Emits every complete record of `text`; returns where the incomplete remainder starts. */
  private scan(text: string, final: boolean): number {
    this.quoteFrom = Infinity; // a new text: forget the last search
    const n = text.length;
    const eol = this.eol;
    let pos = 0;
    while (pos < n) {
      const c = text.charCodeAt(pos);
      // Empty lines are skipped, but counted.
      if (c === eol) {
        pos++;
        this.line++;
        continue;
      }
      if (c === CR && eol === LF) {
        if (pos + 1 === n && !final) return pos;
        if (text.charCodeAt(pos + 1) === LF) {
          pos += 2;
          this.line++;
          continue;
        }
      }
      const next = this.scanRecord(text, pos, final);
      if (next === INCOMPLETE) return pos;
      if (next === FAILED) {
        const stop = this.failureAt;
        // The raw text without the CR of a CRLF break.
        const rawEnd = eol === LF && stop > pos && text.charCodeAt(stop - 1) === CR ? stop - 1 : stop;
        this.sink.error(this.failure, this.line, text.slice(pos, rawEnd));
        this.line += countBreaks(text, eol, pos, stop);
        pos = stop;
        continue;
      }
      pos = next;
    }
    return pos;
  }

  /**
   * Skips a malformed record to the end of its first physical line (the record starts at `start`):
   * the next line is read afresh, so a stray quote does not swallow the rows after it.
   */
  private fail(reason: string, text: string, start: number, final: boolean): number {
    const br = text.indexOf(this.eolChar, start);
    if (br === -1 && !final) return INCOMPLETE;
    this.failure = reason;
    this.failureAt = br === -1 ? text.length : br;
    return FAILED;
  }

  /**
   * Scans one record starting at `start` (not a line break). Returns the position after its line
   * break, INCOMPLETE when the text ends before the record does, or FAILED (see `failure`).
   */
  private scanRecord(text: string, start: number, final: boolean): number {
    const n = text.length;
    const eol = this.eol;
    const fields = this.fields;
    fields.length = 0;
    let breaks = 0;
    let pos = start;
    // The next line break and the next quote, found once and reused across the record's fields.
    let lineEnd = text.indexOf(this.eolChar, pos);
    // The search for the next quote usually ran past the previous record already: reuse it.
    let nextQuote = this.quoteFrom <= pos && (this.quoteAt >= pos || this.quoteAt === -1) ? this.quoteAt : this.findQuote(text, pos);
    for (;;) {
      if (pos === nextQuote) {
        let segment = pos + 1;
        let value = '';
        let q: number;
        for (;;) {
          q = text.indexOf('"', segment);
          if (q === -1 || (q + 1 === n && !final)) {
            const unclosed = this.quotedTooLong(text, pos, n);
            if (unclosed) return this.fail(`quote not closed: field ${fields.length + 1} ${unclosed}`, text, start, final);
            if (!final) return INCOMPLETE;
            return this.fail(`quote not closed: field ${fields.length + 1} runs to the end of the file`, text, start, true);
          }
          if (q - pos > MAX_QUOTED_CHARS) {
            const unclosed = this.quotedTooLong(text, pos, q);
            if (unclosed) return this.fail(`quote not closed: field ${fields.length + 1} ${unclosed}`, text, start, final);
          }
          if (text.charCodeAt(q + 1) !== QUOTE) break;
          value += text.slice(segment, q + 1);
          segment = q + 2;
        }
        value = value === '' ? text.slice(segment, q) : value + text.slice(segment, q);
        fields.push(value);
        pos = q + 1;
        if (lineEnd !== -1 && lineEnd < pos) {
          const inField = countBreaks(text, eol, lineEnd, pos);
          if (inField > MAX_QUOTED_LINES) {
            return this.fail(`quote not closed: field ${fields.length} ${this.quotedTooLong(text, lineEnd, pos)}`, text, start, final);
          }
          breaks += inField;
          lineEnd = text.indexOf(this.eolChar, pos);
        }
        nextQuote = this.findQuote(text, pos);
        const d = text.charCodeAt(pos);
        if (d === COMMA) {
          pos++;
          continue;
        }
        if (pos === n) {
          if (!final) return INCOMPLETE;
          return this.emit(text, start, n, n, breaks);
        }
        if (d === eol) return this.emit(text, start, pos, pos + 1, breaks);
        if (d === CR && eol === LF) {
          if (pos + 1 === n && !final) return INCOMPLETE;
          if (text.charCodeAt(pos + 1) === LF) return this.emit(text, start, pos, pos + 2, breaks);
        }
        return this.fail(
          `unexpected ${JSON.stringify(text[pos])} after the closing quote of field ${fields.length} (expected a comma or the end of the line)`,
          text,
          start,
          final,
        );
      }

      // Unquoted field: it ends at the next comma or the end of the line.
      let end: number;
      let next = -1;
      const comma = text.indexOf(',', pos);
      if (comma !== -1 && (comma < lineEnd || lineEnd === -1)) end = comma;
      else if (lineEnd !== -1) {
        next = lineEnd + 1;
        end = eol === LF && lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
      } else if (final) end = next = n;
      else return INCOMPLETE;
      if (nextQuote !== -1 && nextQuote < end) {
        return this.fail(
          `a quote inside unquoted field ${fields.length + 1} (a field containing quotes must be quoted, with each inner quote doubled)`,
          text,
          start,
          final,
        );
      }
      fields.push(text.slice(pos, end));
      if (next !== -1) return this.emit(text, start, end, next, breaks);
      pos = end + 1;
    }
  }

  /** Why the quoted text `text[from, to)` cannot be one field, or '' when it may be. */
  private quotedTooLong(text: string, from: number, to: number): string {
    if (to - from > MAX_QUOTED_CHARS) return `runs past ${MAX_QUOTED_CHARS.toLocaleString('en-US')} characters`;
    if (countBreaks(text, this.eol, from, to) > MAX_QUOTED_LINES) return `runs across more than ${MAX_QUOTED_LINES} lines`;
    return '';
  }

  private findQuote(text: string, from: number): number {
    this.quoteFrom = from;
    this.quoteAt = text.indexOf('"', from);
    return this.quoteAt;
  }

  private emit(text: string, start: number, end: number, next: number, breaks: number): number {
    const line = this.line;
    this.line += 1 + breaks;
    this.sink.record(this.fields, line, text, start, end);
    return next;
  }
}
