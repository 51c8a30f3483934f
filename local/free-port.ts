import { createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/**
 * Asks the OS for a free loopback port by binding port 0 and releasing it. The port can be taken by
 * someone else before the caller binds it, so callers that cannot bind port 0 themselves retry.
 */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  // Never hand the same port out twice in one process: the OS may reuse a just-released one.
  for (let i = 0; i < 20; i++) {
    const port = await askOs();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no fresh free port after 20 attempts');
}

function askOs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read the bound port'))));
    });
  });
}

/** True when nothing listens on the port (used by tests to check that stop() released it). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}
