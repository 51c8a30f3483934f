import { stripControls } from '../report/escape';

/** Plain-text helpers for the digest's text part, which must read well in an 80-column terminal. */
export const TEXT_WIDTH = 78;

/** Word-wraps `text` to `width` columns, continuing lines with `indent`; words longer than a line are split. */
export function wrapText(text: string, width = TEXT_WIDTH, firstIndent = '', indent = firstIndent): string[] {
  // Every piece of the text part that came from an export passes here: no ESC reaches a terminal.
  const words = stripControls(text).replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const lines: string[] = [];
  let line = firstIndent;
  let lineHasWord = false;
  const push = () => {
    lines.push(line.trimEnd());
    line = indent;
    lineHasWord = false;
  };
  for (let word of words) {
    while ([...word].length > width - indent.length) {
      if (lineHasWord) push();
      const room = width - line.length;
      const chars = [...word];
      line += chars.slice(0, room).join('');
      word = chars.slice(room).join('');
      lineHasWord = true;
      push();
    }
    if (!word) continue;
    const extra = (lineHasWord ? 1 : 0) + [...word].length;
    if (lineHasWord && [...line].length + extra > width) push();
    line += (lineHasWord ? ' ' : '') + word;
    lineHasWord = true;
  }
  if (lineHasWord || !lines.length) lines.push(line.trimEnd());
  return lines;
}
