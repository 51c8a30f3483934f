/**
 * A customer's daily activity drawn so every mail client shows it: in HTML a row of tiny table cells
 * coloured with both `bgcolor` and an inline style (Outlook honours the attribute, others the style;
 * no image, SVG or class survives everywhere), in plain text a Unicode block sparkline.
 */
import { activityLevel, activityMax } from '../report/activity-scale';
import { escapeHtml } from '../report/escape';
import { addDays } from '../domain/dates';

export const SPARK_BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/** One character per day: a space for no event, ▁…█ by share of the busiest day (which gets █). */
export function sparkline(counts: readonly number[]): string {
  const max = activityMax(counts);
  return counts.map((c) => (c > 0 ? SPARK_BLOCKS[activityLevel(c, max, SPARK_BLOCKS.length) - 1] : ' ')).join('');
}

/**
 * The text-part activity block: weeks separated by │ so a reader can count back, framed so trailing
 * idle days (spaces) stay visible, with the scale below. At most 2 + 8×8 + 1 = 67 columns for 56 days.
 */
export function activityTextBlock(counts: readonly number[], indent = '    '): string[] {
  if (!counts.length) return [`${indent}(no activity data)`];
  const line = sparkline(counts);
  const weeks: string[] = [];
  // Align weeks on the end (today), so the last group is always a full week ending asOf.
  const first = line.length % 7;
  if (first) weeks.push(line.slice(0, first));
  for (let i = first; i < line.length; i += 7) weeks.push(line.slice(i, i + 7));
  const bar = `│${weeks.join('│')}│`;
  const max = activityMax(counts);
  const label = `${Math.ceil(counts.length / 7)} weeks ago`;
  const scale = label + ' '.repeat(Math.max(1, bar.length - label.length - 'today'.length)) + 'today';
  return [
    `${indent}${bar}`,
    `${indent}${scale}`,
    `${indent}${max > 0 ? `█ = ${max} events/day (busiest day), blank = no activity` : 'no activity in this window'}`,
  ];
}

export const GRID_COLOURS = ['#e5e7eb', '#bfdbfe', '#60a5fa', '#2563eb', '#1e3a8a'] as const;

/**
 * One table row of day cells, oldest to newest, each with its date and count as a tooltip. 5px cells
 * keep 56 days at about 350px, so the strip fits a phone screen without the client shrinking the mail.
 */
export function activityGridHtml(counts: readonly number[], asOf: string): string {
  const max = activityMax(counts);
  const cells = counts
    .map((c, i) => {
      const colour = GRID_COLOURS[activityLevel(c, max, GRID_COLOURS.length - 1)]!;
      const day = addDays(asOf, i - (counts.length - 1));
      // A wider white left border every 7 days (counted from today) marks the weeks.
      const weekStart = (counts.length - i) % 7 === 0 && i > 0;
      const border = weekStart ? 'border-left:2px solid #ffffff;' : '';
      const tip = escapeHtml(`${day}: ${c} event${c === 1 ? '' : 's'}`);
      return `<td width="5" height="18" bgcolor="${colour}" title="${tip}" style="width:5px;height:18px;padding:0;background-color:${colour};${border}font-size:1px;line-height:1px;mso-line-height-rule:exactly;">&nbsp;</td>`;
    })
    .join('');
  const weeks = Math.ceil(counts.length / 7);
  return `<table role="presentation" cellpadding="0" cellspacing="1" border="0" style="border-collapse:separate;"><tr>${cells}</tr></table>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:352px;"><tr><td style="font-family:Arial,Helvetica,sans-serif;font-size:11px;color:#6b7280;padding-top:2px;">${weeks} weeks ago</td><td align="right" style="font-family:Arial,Helvetica,sans-serif;font-size:11px;color:#6b7280;padding-top:2px;text-align:right;">today · busiest day ${max} events</td></tr></table>`;
}
