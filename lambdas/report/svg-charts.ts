/**
 * Inline SVG charts for the report. Plain SVG with presentation attributes, no script and no external
 * reference, so the page opens offline and prints. Labels are escaped like any other text.
 */
import { activityMax } from './activity-scale';
import { escapeHtml } from './escape';

export const PALETTE = {
  ink: '#1f2933',
  muted: '#616e7c',
  grid: '#e4e7eb',
  base: '#52606d',
  up: '#2f8f5b',
  down: '#c2410c',
  accent: '#2563eb',
  accentSoft: '#93b4f5',
};

const r1 = (n: number) => Math.round(n * 10) / 10;

export interface WaterfallStep {
  label: string;
  /** For 'total' the level itself; otherwise the signed change. */
  value: number;
  kind: 'total' | 'up' | 'down';
  display: string;
}

/** A waterfall: totals rise from zero, changes float from the running level. */
export function waterfallSvg(steps: readonly WaterfallStep[], title: string): string {
  const width = 760;
  const height = 300;
  const pad = { top: 28, right: 12, bottom: 46, left: 12 };
  const plotH = height - pad.top - pad.bottom;
  const slot = (width - pad.left - pad.right) / Math.max(1, steps.length);
  const barW = Math.min(72, slot * 0.62);

  // Running levels, to know each bar's span and the scale.
  let level = 0;
  const spans = steps.map((s) => {
    if (s.kind === 'total') {
      level = s.value;
      return { from: 0, to: s.value };
    }
    const from = level;
    level += s.kind === 'up' ? Math.abs(s.value) : -Math.abs(s.value);
    return { from, to: level };
  });
  const hi = Math.max(0, ...spans.flatMap((s) => [s.from, s.to]));
  const lo = Math.min(0, ...spans.flatMap((s) => [s.from, s.to]));
  const range = hi - lo || 1;
  const y = (v: number) => pad.top + ((hi - v) / range) * plotH;

  const parts: string[] = [];
  parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${r1(y(0))}" y2="${r1(y(0))}" stroke="${PALETTE.grid}"/>`);
  steps.forEach((s, i) => {
    const span = spans[i]!;
    const x = pad.left + slot * i + (slot - barW) / 2;
    const top = y(Math.max(span.from, span.to));
    const h = Math.max(1, Math.abs(y(span.from) - y(span.to)));
    const fill = s.kind === 'total' ? PALETTE.base : s.kind === 'up' ? PALETTE.up : PALETTE.down;
    parts.push(`<rect x="${r1(x)}" y="${r1(top)}" width="${r1(barW)}" height="${r1(h)}" rx="2" fill="${fill}"/>`);
    if (i < steps.length - 1) {
      // The connector shows where the next bar starts from.
      const next = pad.left + slot * (i + 1) + (slot - barW) / 2;
      parts.push(
        `<line x1="${r1(x + barW)}" x2="${r1(next)}" y1="${r1(y(span.to))}" y2="${r1(y(span.to))}" stroke="${PALETTE.muted}" stroke-dasharray="2 2"/>`,
      );
    }
    parts.push(
      `<text x="${r1(x + barW / 2)}" y="${r1(top - 7)}" text-anchor="middle" font-size="12" fill="${PALETTE.ink}">${escapeHtml(s.display)}</text>`,
    );
    parts.push(
      `<text x="${r1(x + barW / 2)}" y="${height - pad.bottom + 20}" text-anchor="middle" font-size="12" fill="${PALETTE.muted}">${escapeHtml(s.label)}</text>`,
    );
  });
  return svg(width, height, title, parts);
}

export interface LinePoint {
  label: string;
  value: number | null;
}

/**
 * A line chart of one series; null points break the line (a month with no customers at start has no
 * rate, and joining across it would invent one). An isolated point is drawn as a dot.
 */
export function lineChartSvg(
  points: readonly LinePoint[],
  opts: { title: string; format: (v: number) => string; color?: string; reference?: number },
): string {
  const width = 520;
  const height = 220;
  const pad = { top: 16, right: 28, bottom: 32, left: 60 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const values = points.map((p) => p.value).filter((v): v is number => v != null && Number.isFinite(v));
  if (opts.reference != null) values.push(opts.reference);
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (lo > 0 && lo / (hi || 1) < 0.5) lo = 0; // rates near zero read better against a zero baseline
  if (hi - lo < 1e-9) {
    hi += Math.abs(hi) * 0.1 || 0.01;
    lo -= Math.abs(lo) * 0.1 || 0;
  }
  const span = hi - lo;
  hi += span * 0.08;
  if (lo !== 0) lo -= span * 0.08;
  const color = opts.color ?? PALETTE.accent;
  const x = (i: number) => pad.left + (points.length <= 1 ? plotW / 2 : (plotW * i) / (points.length - 1));
  const y = (v: number) => pad.top + ((hi - v) / (hi - lo)) * plotH;

  const parts: string[] = [];
  for (let t = 0; t <= 3; t++) {
    const v = lo + ((hi - lo) * t) / 3;
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${r1(y(v))}" y2="${r1(y(v))}" stroke="${PALETTE.grid}"/>`);
    parts.push(
      `<text x="${pad.left - 6}" y="${r1(y(v) + 4)}" text-anchor="end" font-size="11" fill="${PALETTE.muted}">${escapeHtml(opts.format(v))}</text>`,
    );
  }
  if (opts.reference != null) {
    parts.push(
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${r1(y(opts.reference))}" y2="${r1(y(opts.reference))}" stroke="${PALETTE.muted}" stroke-dasharray="4 3"/>`,
    );
  }
  const segments: string[][] = [];
  let current: string[] = [];
  points.forEach((p, i) => {
    if (p.value == null || !Number.isFinite(p.value)) {
      if (current.length) segments.push(current);
      current = [];
      return;
    }
    current.push(`${r1(x(i))},${r1(y(p.value))}`);
  });
  if (current.length) segments.push(current);
  for (const seg of segments) {
    if (seg.length > 1)
      parts.push(`<polyline points="${seg.join(' ')}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"/>`);
  }
  points.forEach((p, i) => {
    if (p.value != null && Number.isFinite(p.value)) {
      parts.push(
        `<circle cx="${r1(x(i))}" cy="${r1(y(p.value))}" r="3.5" fill="#fff" stroke="${color}" stroke-width="2"><title>${escapeHtml(`${p.label}: ${opts.format(p.value)}`)}</title></circle>`,
      );
    }
    // Every other month label keeps 12 labels from colliding.
    if (i % 2 === (points.length - 1) % 2) {
      parts.push(
        `<text x="${r1(x(i))}" y="${height - 10}" text-anchor="middle" font-size="11" fill="${PALETTE.muted}">${escapeHtml(p.label)}</text>`,
      );
    }
  });
  return svg(width, height, opts.title, parts);
}

/** Daily activity as tiny bars: gaps (days without events) stay visible, unlike a line. */
export function sparklineSvg(counts: readonly number[], title: string): string {
  const barW = 2;
  const gap = 1;
  const height = 24;
  const width = Math.max(1, counts.length * (barW + gap) - gap);
  const max = activityMax(counts);
  const parts = [`<line x1="0" x2="${width}" y1="${height - 0.5}" y2="${height - 0.5}" stroke="${PALETTE.grid}"/>`];
  counts.forEach((c, i) => {
    if (!(c > 0) || max === 0) return;
    const h = Math.max(2, (c / max) * (height - 2));
    const recent = i >= counts.length - 28;
    parts.push(
      `<rect x="${i * (barW + gap)}" y="${r1(height - h)}" width="${barW}" height="${r1(h)}" fill="${recent ? PALETTE.accent : PALETTE.accentSoft}"/>`,
    );
  });
  return svg(width, height, title, parts, true);
}

function svg(width: number, height: number, title: string, parts: string[], fixed = false): string {
  const size = fixed ? `width="${width}" height="${height}"` : `width="100%" style="max-width:${width}px"`;
  return `<svg viewBox="0 0 ${width} ${height}" ${size} role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${parts.join('')}</svg>`;
}
