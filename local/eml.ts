import type { SentMail } from './ses-emulator';

/** RFC 2047 encoded-word for header text that is not plain ASCII. */
function encodeHeader(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

const base64Lines = (text: string) => Buffer.from(text, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');

/**
 * A sent email as an RFC 5322 message (multipart/alternative, text then HTML) that any mail client
 * opens, so the demo's outbox can be looked at like real mail.
 */
export function toEml(mail: SentMail): string {
  const boundary = `churnwatch-${mail.messageId.replace(/[^A-Za-z0-9]/g, '').slice(0, 24) || 'part'}`;
  const headers = [
    `From: ${mail.from}`,
    `To: ${mail.destination.to.join(', ')}`,
    `Subject: ${encodeHeader(mail.subject)}`,
    `Date: ${new Date(mail.at * 1000).toUTCString()}`,
    `Message-ID: <${mail.messageId}@churnwatch.local>`,
    ...(mail.headers ?? []).map((h) => `${h.name}: ${encodeHeader(h.value)}`),
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  const parts: string[] = [];
  if (mail.body.text !== undefined) {
    parts.push(
      `--${boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(mail.body.text)}`,
    );
  }
  if (mail.body.html !== undefined) {
    parts.push(
      `--${boundary}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(mail.body.html)}`,
    );
  }
  return `${headers.join('\r\n')}\r\n\r\n${parts.join('\r\n')}\r\n--${boundary}--\r\n`;
}
