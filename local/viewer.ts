import { createServer, type Server } from 'node:http';
import { escapeHtml } from '../lambdas/report/escape';
import type { SentMail } from './ses-emulator';
import type { ReceivedSlackMessage } from './slack-receiver';

export interface Viewer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A small read-only web page for `demo --serve`: the HTML report and every digest email as the
 * recipient would see it. Listens on loopback only.
 */
/** A Slack message as plain HTML: each block's text, escaped (mrkdwn is shown as written, not rendered). */
function slackHtml(m: ReceivedSlackMessage): string {
  const blocks = m.message.blocks
    .map((b) => {
      if (b.type === 'divider') return '<hr>';
      const text = b.type === 'context' ? b.elements.map((e) => e.text).join(' ') : b.text.text;
      const style = b.type === 'header' ? 'font-weight:bold;font-size:1.2em' : b.type === 'context' ? 'color:#667;font-size:.9em' : '';
      return `<pre style="white-space:pre-wrap;font-family:system-ui,sans-serif;margin:.4rem 0;${style}">${escapeHtml(text)}</pre>`;
    })
    .join('\n');
  return `<!doctype html><meta charset="utf-8"><title>Slack message</title><body style="font-family:system-ui,sans-serif;max-width:720px;margin:2rem auto;line-height:1.4">
<p style="color:#667">#${escapeHtml(m.hook)} · ${escapeHtml(m.receivedAt)} · notification text: ${escapeHtml(m.message.text.split('\n')[0] ?? '')}</p>${blocks}</body>`;
}

/** The List-Unsubscribe link of a mail (its page on the local API), as a mail client offers it. */
function unsubscribeLink(m: SentMail): string {
  const header = m.headers?.find((h) => h.name.toLowerCase() === 'list-unsubscribe')?.value;
  const url = header && /^<(http[^>]+)>/.exec(header)?.[1];
  return url ? ` · <a href="${escapeHtml(url)}">unsubscribe</a> <span style="color:#667">(List-Unsubscribe, one-click)</span>` : '';
}

export async function startViewer(opts: {
  reportHtml: string;
  mail: SentMail[];
  slack?: ReceivedSlackMessage[];
  links?: Record<string, string>;
}): Promise<Viewer> {
  const slack = opts.slack ?? [];
  const index = () => {
    const mails = opts.mail
      .map(
        (m, i) =>
          `<li><a href="/mail/${i}">${escapeHtml(m.subject)}</a> <span style="color:#667">to ${escapeHtml(m.destination.to.join(', '))}</span> · <a href="/mail/${i}.txt">text</a>${unsubscribeLink(m)}</li>`,
      )
      .join('\n');
    const links = Object.entries(opts.links ?? {})
      .map(([label, url]) => `<li>${escapeHtml(label)}: <code>${escapeHtml(url)}</code></li>`)
      .join('\n');
    return `<!doctype html><meta charset="utf-8"><title>Churnwatch local</title>
<body style="font-family:system-ui,sans-serif;max-width:860px;margin:2rem auto;line-height:1.5">
<h1>Churnwatch — local stack</h1>
<p><a href="/report">The snapshot report</a></p>
<h2>Digest emails (${opts.mail.length})</h2><ul>${mails}</ul>
<h2>Slack messages (${slack.length})</h2><ul>${slack.map((m, i) => `<li><a href="/slack/${i}">${escapeHtml(m.message.text.split('\n')[0] ?? '')}</a> <span style="color:#667">to #${escapeHtml(m.hook)}</span> · <a href="/slack/${i}.json">JSON</a></li>`).join('\n')}</ul>
<h2>Endpoints</h2><ul>${links}</ul></body>`;
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    if (path === '/') return send(200, 'text/html', index());
    if (path === '/report') return send(200, 'text/html', opts.reportHtml);
    const slackMatch = /^\/slack\/(\d+)(\.json)?$/.exec(path);
    const posted = slackMatch ? slack[Number(slackMatch[1])] : undefined;
    if (posted && slackMatch?.[2]) return send(200, 'application/json', JSON.stringify(posted.message, null, 2));
    if (posted) return send(200, 'text/html', slackHtml(posted));
    const match = /^\/mail\/(\d+)(\.txt)?$/.exec(path);
    const mail = match ? opts.mail[Number(match[1])] : undefined;
    if (mail && match?.[2]) return send(200, 'text/plain', mail.body.text ?? '');
    if (mail) return send(200, 'text/html', mail.body.html ?? '');
    return send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
