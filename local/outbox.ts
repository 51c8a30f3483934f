import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toEml } from './eml';
import type { SentMail } from './ses-emulator';

export interface OutboxFiles {
  emails: { to: string; subject: string; html: string; eml: string }[];
  report?: string;
}

/** A file name from an address: readable, and safe on every file system. */
export const fileNameFor = (address: string) => address.toLowerCase().replace(/[^a-z0-9@._-]+/g, '_');

/** Writes each digest email as `<recipient>.html` and `<recipient>.eml`, and the HTML report beside them. */
export async function writeOutbox(dir: string, mail: SentMail[], reportHtml?: string): Promise<OutboxFiles> {
  await mkdir(dir, { recursive: true });
  const files: OutboxFiles = { emails: [] };
  const used = new Map<string, number>();
  for (const message of mail) {
    const to = message.destination.to.join(',');
    let name = fileNameFor(to);
    const seen = used.get(name) ?? 0;
    used.set(name, seen + 1);
    if (seen > 0) name = `${name}-${seen + 1}`;
    const html = join(dir, `${name}.html`);
    const eml = join(dir, `${name}.eml`);
    await writeFile(html, message.body.html ?? '', 'utf8');
    await writeFile(eml, toEml(message), 'utf8');
    files.emails.push({ to, subject: message.subject, html, eml });
  }
  if (reportHtml !== undefined) {
    files.report = join(dir, 'report.html');
    await writeFile(files.report, reportHtml, 'utf8');
  }
  return files;
}
