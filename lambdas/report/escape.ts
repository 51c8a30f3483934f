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

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}
