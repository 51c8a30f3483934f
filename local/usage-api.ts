import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/**
 * Local stand-in for the REST API in front of the ingest-usage Lambda: checks the API key as API
 * Gateway does, turns the HTTP request into the same proxy event and writes the handler's result back.
 */

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface UsageApiOptions {
  handler: ProxyHandler;
  apiKeys: string[];
  /**
   * Routes beside `/events` that need no API key because their handler authenticates the caller
   * itself (the Segment intake: write keys, webhook signatures), keyed by path, e.g. `/v1/batch`.
   */
  openRoutes?: Record<string, ProxyHandler | OpenRoute>;
  /** 0 (default) picks a free port. */
  port?: number;
  stage?: string;
}

/** An open route answering other methods than POST (the unsubscribe page: GET and POST). */
export interface OpenRoute {
  handler: ProxyHandler;
  methods: readonly string[];
}

export interface UsageApi {
  /** Base URL, e.g. `http://127.0.0.1:41234`; events go to `${url}/events`. */
  url: string;
  stop(): Promise<void>;
}

/** API Gateway's own payload limit (the handler enforces the 1 MB API limit). */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
const RESOURCE = '/events';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

/** Reads the body, or returns 'too-large' once it passes the limit (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function lambdaContext(requestId: string): Context {
  const fail = () => undefined;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'churnwatch-ingest-usage',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:churnwatch-ingest-usage',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/churnwatch-ingest-usage',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: fail,
    fail,
    succeed: fail,
  };
}

function decodeBody(body: Buffer): { body: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  try {
    return { body: new TextDecoder('utf-8', { fatal: true }).decode(body), isBase64Encoded: false };
  } catch {
    return { body: body.toString('base64'), isBase64Encoded: true };
  }
}

export function toProxyEvent(
  req: IncomingMessage,
  body: Buffer,
  stage: string,
  apiKey: string | null,
  resource = RESOURCE,
): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (!values) continue;
    headers[name] = values[values.length - 1]!;
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  const requestId = randomUUID();
  const now = Date.now();
  return {
    resource,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    ...decodeBody(body),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: '127',
      extendedRequestId: requestId,
      httpMethod: req.method ?? 'GET',
      path: `/${stage}${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: resource,
      stage,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey,
        apiKeyId: apiKey === null ? null : 'local',
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

export async function startUsageApi(options: UsageApiOptions): Promise<UsageApi> {
  const stage = options.stage ?? 'local';
  const validKeys = new Set(options.apiKeys);

  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
      const route =
        options.openRoutes && Object.prototype.hasOwnProperty.call(options.openRoutes, path) ? options.openRoutes[path] : undefined;
      const open = typeof route === 'function' ? route : route?.handler;
      const methods = typeof route === 'object' ? route.methods : ['POST'];
      if (path !== RESOURCE && !open) return send(res, 404, { message: 'Not Found' });
      if (!methods.includes(req.method ?? '')) return send(res, 405, { message: 'Method Not Allowed' }, { allow: methods.join(', ') });
      const key = req.headers['x-api-key'];
      if (!open && (typeof key !== 'string' || !validKeys.has(key))) {
        req.resume();
        return send(res, 403, { message: 'Forbidden' });
      }
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (declared > GATEWAY_MAX_BODY_BYTES) {
        // Refuse before reading; close so the client stops sending.
        send(res, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
        req.destroy();
        return;
      }
      const body = await readBody(req, GATEWAY_MAX_BODY_BYTES);
      if (body === 'too-large') return send(res, 413, { message: 'Request Entity Too Large' });
      const event = open ? toProxyEvent(req, body, stage, null, path) : toProxyEvent(req, body, stage, key as string);
      let result: APIGatewayProxyResult;
      try {
        result = await (open ?? options.handler)(event, lambdaContext(event.requestContext.requestId));
      } catch (err) {
        console.error('ingest-usage handler failed:', err);
        // What API Gateway answers when the Lambda integration fails.
        return send(res, 502, { message: 'Internal server error' });
      }
      const outHeaders: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(result.headers ?? {})) outHeaders[k.toLowerCase()] = String(v);
      for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) outHeaders[k.toLowerCase()] = v.map(String);
      const payload = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
      outHeaders['content-length'] = String(payload.length);
      outHeaders['x-amzn-requestid'] = event.requestContext.requestId;
      res.writeHead(result.statusCode, outHeaders);
      res.end(payload);
    })().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { message: (err as Error).message });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
