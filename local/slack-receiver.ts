import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateSlackMessage, type SlackMessage } from '../lambdas/digest/render-slack';

/**
 * A stand-in for Slack's incoming webhooks on loopback: `POST /hooks/<name>` takes a message as Slack
 * does (200 `ok`; 400 `invalid_blocks` when the message breaks Block Kit's limits) and keeps it for
 * the tests and the local viewer. `failNext` makes the next posts answer an error, as Slack can.
 */

export interface ReceivedSlackMessage {
  hook: string;
  message: SlackMessage;
  receivedAt: string;
}

export interface SlackReceiver {
  /** Base URL; a webhook is `${url}/hooks/<name>`. */
  url: string;
  hookUrl(name: string): string;
  messages(): ReceivedSlackMessage[];
  clear(): void;
  /** The next `count` posts answer `status` (e.g. 500, 429, 404) instead of taking the message. */
  failNext(status: number, count?: number): void;
  stop(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
/** The body Slack answers with each status (incoming webhooks' error codes). */
const SLACK_ERRORS: Record<number, string> = {
  400: 'invalid_payload',
  403: 'action_prohibited',
  404: 'no_service',
  410: 'channel_is_archived',
  429: 'rate_limited',
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const received: ReceivedSlackMessage[] = [];
  const failures: number[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const answer = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(text);
      };
      const match = /^\/hooks\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
      if (!match || req.method !== 'POST') return answer(404, 'no_service');
      const body = await readBody(req);
      const status = failures.shift();
      if (status !== undefined) return answer(status, SLACK_ERRORS[status] ?? 'failure');
      let message: unknown;
      try {
        message = JSON.parse(body);
      } catch {
        return answer(400, 'invalid_payload');
      }
      if (validateSlackMessage(message).length > 0) return answer(400, 'invalid_blocks');
      received.push({ hook: match[1]!, message: message as SlackMessage, receivedAt: new Date().toISOString() });
      return answer(200, 'ok');
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end('failure');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    hookUrl: (name) => `${url}/hooks/${name}`,
    messages: () => [...received],
    clear: () => void received.splice(0),
    failNext: (status, count = 1) => failures.push(...Array.from({ length: count }, () => status)),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
