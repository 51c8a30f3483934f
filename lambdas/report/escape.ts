/**
 * The one HTML escaper used by the report and the digest email. Every piece of text that came from
 * a billing export, an event or a config (names, ids, plans, reasons, emails) goes through it, in
 * element content and in quoted attribute values alike, so a single function has to be right.
 */
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * C0 controls other than tab, LF and CR, DEL and the C1 controls: ESC sequences from an export would
 * recolour or rewrite a terminal showing the text mail, and HTML may not contain them at all.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** `value` as text without control characters (for the text mail, and under escapeHtml). */
export function stripControls(value: unknown): string {
  return String(value ?? '').replace(CONTROLS, '');
}

export function escapeHtml(value: unknown): string {
  return stripControls(value).replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}
