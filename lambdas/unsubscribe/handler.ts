import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { verifyUnsubscribeToken } from '../shared/unsubscribe-token';
import { dynamo } from '../shared/aws-clients';
import { lazyHandler } from '../shared/lazy-handler';
import { createLogger, createMetrics } from '../shared/observability';
import { UnsubscribeStore } from '../store/unsubscribe-store';
import { secretsManagerUnsubscribeKey } from '../shared/unsubscribe-key';
import { renderPage, type PageState } from './page';

/**
 * `GET|POST /unsubscribe?t=<token>`, the link in every digest's List-Unsubscribe header (RFC 8058).
 * GET only shows a page with a button: mail scanners and link previews follow links, so a GET never
 * changes anything. POST (the mail client's one-click request, or the button) records the opt-out;
 * POST with `action=resubscribe` (the button on the page after) removes it. Logs carry no address.
 */

export interface UnsubscribeDeps {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  key: () => Promise<string>;
  now?: () => Date;
  logger?: Logger;
  metrics?: Metrics;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SERVICE = 'unsubscribe';

/** The page may not be framed (a hidden button is a click-jacking target) and the token never leaves in a Referer. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function createUnsubscribeHandler(deps: UnsubscribeDeps): ApiHandler {
  const logger = deps.logger ?? createLogger(SERVICE);
  const metrics = deps.metrics ?? createMetrics(SERVICE);
  const store = new UnsubscribeStore(deps.dynamo, deps.tableName);

  const page = (statusCode: number, state: PageState, opts: Parameters<typeof renderPage>[1] = {}): APIGatewayProxyResult => ({
    statusCode,
    headers: PAGE_HEADERS,
    body: renderPage(state, opts),
  });

  const handle = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const method = event.httpMethod.toUpperCase();
    if (method !== 'GET' && method !== 'POST') {
      return {
        statusCode: 405,
        headers: { ...PAGE_HEADERS, allow: 'GET, POST' },
        body: renderPage('refused', { reason: `${method} is not supported here: open the link, or POST to it.` }),
      };
    }
    const token = event.queryStringParameters?.t;
    if (!token) {
      metrics.addMetric('UnsubscribeRefused', MetricUnit.Count, 1);
      return page(400, 'refused', { reason: 'the link has no token (the "t" parameter): copy the whole link from the email.' });
    }
    const check = verifyUnsubscribeToken(token, await deps.key());
    if (!check.ok) {
      metrics.addMetric('UnsubscribeRefused', MetricUnit.Count, 1);
      logger.info('unsubscribe link refused', { method, reason: check.reason });
      return page(403, 'refused', { reason: `Refused: ${check.reason}.` });
    }
    const { owner } = check;
    if (method === 'GET') {
      const state = (await store.isOptedOut(owner)) ? 'alreadyOptedOut' : 'confirm';
      metrics.addMetric('PagesShown', MetricUnit.Count, 1);
      return page(200, state, { owner, token });
    }
    if (event.queryStringParameters?.action === 'resubscribe') {
      await store.optIn(owner, 'page', (deps.now ?? (() => new Date()))());
      metrics.addMetric('OptIns', MetricUnit.Count, 1);
      logger.info('digest email opt-out removed');
      return page(200, 'optedIn', { owner, token });
    }
    const oneClick = /List-Unsubscribe=One-Click/i.test(decodedBody(event));
    await store.optOut(owner, oneClick ? 'one-click' : 'post', (deps.now ?? (() => new Date()))());
    metrics.addMetric('OptOuts', MetricUnit.Count, 1);
    logger.info('digest email opt-out recorded', { oneClick });
    return page(200, 'optedOut', { owner, token });
  };

  return middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics)) as unknown as ApiHandler;
}

function decodedBody(event: APIGatewayProxyEvent): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export const handler: ApiHandler = lazyHandler((runtime) =>
  createUnsubscribeHandler({ dynamo: dynamo(), tableName: runtime.tableName, key: secretsManagerUnsubscribeKey() }),
);
