import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesModule from 'aws-ses-v2-local';
import { LOOPBACK } from './free-port';

/** One email as aws-ses-v2-local stores it (GET /store). */
export interface SentMail {
  messageId: string;
  from: string;
  replyTo?: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  attachments?: unknown[];
  /** Custom headers sent with SESv2 Content.Simple.Headers (List-Unsubscribe, List-Unsubscribe-Post). */
  headers?: { name: string; value: string }[];
  /** Epoch seconds. */
  at: number;
}

export interface SesEmulator {
  endpoint: string;
  port: number;
  sentMail(): Promise<SentMail[]>;
  clearMail(): Promise<void>;
  /** Releases this handle; the shared server closes when the last handle is released. */
  stop(): Promise<void>;
}

// The package is CommonJS with `exports.default`; depending on the loader the default import is the
// function itself or the exports object.
type StartSes = (config?: { host?: string; port?: number }) => Promise<Server>;
const startSes: StartSes =
  typeof sesModule === 'function' ? (sesModule as StartSes) : (sesModule as unknown as { default: StartSes }).default;

/**
 * aws-ses-v2-local keeps its mail store in a module-level variable, so every server in a process
 * shares one store. The process therefore runs one shared server; each stack holds a reference.
 */
let shared: { server: Server; port: number; refs: number } | undefined;
let starting: Promise<NonNullable<typeof shared>> | undefined;

async function acquire(): Promise<NonNullable<typeof shared>> {
  if (shared) {
    shared.refs += 1;
    return shared;
  }
  starting ??= startSes({ host: LOOPBACK, port: 0 }).then((server) => {
    const port = (server.address() as AddressInfo).port;
    shared = { server, port, refs: 0 };
    starting = undefined;
    return shared;
  });
  const s = await starting;
  s.refs += 1;
  return s;
}

async function release(s: NonNullable<typeof shared>): Promise<void> {
  s.refs -= 1;
  if (s.refs > 0 || shared !== s) return;
  shared = undefined;
  await new Promise<void>((resolve, reject) => {
    s.server.close((err) => (err ? reject(err) : resolve()));
    s.server.closeAllConnections();
  });
}

export async function startSesEmulator(): Promise<SesEmulator> {
  const s = await acquire();
  const endpoint = `http://${LOOPBACK}:${s.port}`;
  let released = false;
  return {
    endpoint,
    port: s.port,
    async sentMail() {
      const res = await fetch(`${endpoint}/store`);
      if (!res.ok) throw new Error(`SES emulator GET /store: HTTP ${res.status}`);
      const store = (await res.json()) as { emails: SentMail[] };
      return store.emails;
    },
    async clearMail() {
      const res = await fetch(`${endpoint}/clear-store`, { method: 'POST' });
      if (!res.ok) throw new Error(`SES emulator POST /clear-store: HTTP ${res.status}`);
      await res.arrayBuffer();
    },
    async stop() {
      if (released) return;
      released = true;
      await release(s);
    },
  };
}
