import { CsvTokenizer, detectCsvLayout, type TextFormat } from '../formats';
import { countBreaks } from '../formats/csv-tokenizer';

/** A place a range may start: the first byte of a record, and the physical line it lies on. */
export interface Boundary {
  offset: number;
  line: number;
}

/**
 * Finds range boundaries in the text of an export as it streams past: the first record start at or
 * after every `rangeBytes`. Only record starts qualify, as the row reader itself finds them, so a range
 * read on its own yields exactly the rows (and line numbers) the whole file would.
 */
export interface BoundaryFinder {
  push(chunk: Buffer): void;
  end(): void;
  /** Boundaries found so far and not yet taken, in order. */
  take(): Boundary[];
  /** CSV: the header record and the blank lines before it, as bytes [0, bytes) holding `lines` line breaks. */
  readonly header: { bytes: number; lines: number } | undefined;
  /** Set when the CSV header cannot be read: the file is then one range, whose reader reports why. */
  readonly unusableHeader: boolean;
}

export function boundaryFinder(format: TextFormat, rangeBytes: number): BoundaryFinder {
  return format === 'csv' ? new CsvBoundaries(rangeBytes) : new LineBoundaries(rangeBytes);
}

/** JSON Lines: every physical line is a record. */
class LineBoundaries implements BoundaryFinder {
  private offset = 0;
  private breaks = 0;
  private target: number;
  private found: Boundary[] = [];
  readonly header = undefined;
  readonly unusableHeader = false;

  constructor(private readonly rangeBytes: number) {
    this.target = rangeBytes;
  }

  push(chunk: Buffer): void {
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, nl + 1)) {
      this.breaks++;
      const start = this.offset + nl + 1;
      if (start >= this.target) {
        this.found.push({ offset: start, line: this.breaks + 1 });
        this.target = start + this.rangeBytes;
      }
    }
    this.offset += chunk.length;
  }

  end(): void {
    // A boundary at the very end would start an empty range.
    this.found = this.found.filter((b) => b.offset < this.offset);
  }

  take(): Boundary[] {
    const found = this.found.filter((b) => b.offset < this.offset);
    this.found = this.found.filter((b) => b.offset >= this.offset);
    return found;
  }
}

/**
 * CSV: records are found by the same tokenizer the reader uses (a line break inside a quoted field is
 * not a boundary; a malformed record ends where the reader resumes), and mapped to byte offsets by
 * counting the line-break bytes: physical line N starts after the (N-1)th.
 */
class CsvBoundaries implements BoundaryFinder {
  private readonly tokenizer: CsvTokenizer;
  private fed = 0;
  private scannedBytes = 0;
  private breaks = 0;
  /** Chunks fed before the line break character is known (it is decided by the first line break). */
  private unscanned: Buffer[] = [];
  /** Line starts scanned but not yet matched to a record: lines and offsets, ascending. */
  private lines: number[] = [1];
  private offsets: number[] = [0];
  private head = 0;
  /** First lines of records (and malformed records) reported by the tokenizer since the last resolve. */
  private reported: number[] = [];
  private headerEndLine = 0;
  private target: number;
  private found: Boundary[] = [];
  header: { bytes: number; lines: number } | undefined;
  unusableHeader = false;

  constructor(private readonly rangeBytes: number) {
    this.target = rangeBytes;
    this.tokenizer = new CsvTokenizer({
      record: (fields, line, text, start, end) => {
        if (this.headerEndLine === 0) {
          // The reader skips lines of only spaces before the header as well.
          if (fields.length === 1 && fields[0]!.trim() === '') return;
          this.headerEndLine = line + countBreaks(text, this.tokenizer.lineBreak ?? 10, start, end) + 1;
          try {
            detectCsvLayout(fields);
          } catch {
            this.unusableHeader = true;
          }
          return;
        }
        this.reported.push(line);
      },
      error: (_reason, line) => {
        if (this.headerEndLine === 0) this.unusableHeader = true;
        else this.reported.push(line);
      },
    });
  }

  push(chunk: Buffer): void {
    this.tokenizer.write(chunk);
    this.fed += chunk.length;
    this.unscanned.push(chunk);
    this.resolve();
  }

  end(): void {
    this.tokenizer.end();
    this.resolve();
    for (let i = this.head; i < this.lines.length && !this.header; i++) this.headerAt(this.lines[i]!, this.offsets[i]!);
    this.found = this.found.filter((b) => b.offset < this.fed);
  }

  take(): Boundary[] {
    const found = this.found;
    this.found = [];
    return found;
  }

  private resolve(): void {
    const eol = this.tokenizer.lineBreak;
    if (eol === undefined) return;
    for (const chunk of this.unscanned) {
      for (let i = chunk.indexOf(eol); i !== -1; i = chunk.indexOf(eol, i + 1)) {
        this.breaks++;
        this.lines.push(this.breaks + 1);
        this.offsets.push(this.scannedBytes + i + 1);
      }
      this.scannedBytes += chunk.length;
    }
    this.unscanned = [];
    for (const line of this.reported) {
      while (this.lines[this.head]! < line) {
        this.headerAt(this.lines[this.head]!, this.offsets[this.head]!);
        this.head++;
      }
      // Every record starts a physical line, and its line break has been scanned above.
      if (this.lines[this.head] !== line) continue;
      const offset = this.offsets[this.head]!;
      this.headerAt(line, offset);
      if (this.header && !this.unusableHeader && offset >= this.target && offset < this.scannedBytes) {
        this.found.push({ offset, line });
        this.target = offset + this.rangeBytes;
      }
    }
    this.reported = [];
    if (this.head > 4096) {
      this.lines = this.lines.slice(this.head);
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
  }

  private headerAt(line: number, offset: number): void {
    if (!this.header && this.headerEndLine !== 0 && line === this.headerEndLine) this.header = { bytes: offset, lines: line - 1 };
  }
}
