import { Duration } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  RestApi,
  type IApiKey,
  type JsonSchema,
} from 'aws-cdk-lib/aws-apigateway';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { RemovalPolicy } from 'aws-cdk-lib';
import { CfnSamplingRule } from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';
import type { DeployOptions } from './context';
import { ChurnwatchFunction, type ChurnwatchFunctionProps } from './function';
import { grantObjects } from './grants';
import { acknowledge } from './nag';
import { failureQueue } from './queues';
import { PREFIX } from '../lambdas/shared/layout';

export const MAX_EVENTS_PER_REQUEST = 1000;
export const EVENT_FIELDS_REQUIRED = ['eventId', 'customerId', 'feature', 'timestamp'] as const;

/**
 * JSON schema (draft 4, what API Gateway models accept) of the docs/metrics.md §2 body. The gateway rejects
 * bodies that are not `{"events": [...]}` with at least one element before the function runs.
 * Everything inside an event is only described, never constrained: docs/metrics.md §2 keeps the valid events
 * of a batch and reports each invalid one by index (202 with `rejected`), which a whole-body 400 from
 * the gateway would break (a string `count`, a number where an object belongs). Likewise the
 * 1,000-event limit is the handler's, because docs/metrics.md §2 answers it with 413, not the gateway's 400.
 */
export const eventsBodySchema: JsonSchema = {
  schema: JsonSchemaVersion.DRAFT4,
  title: 'UsageEvents',
  type: JsonSchemaType.OBJECT,
  required: ['events'],
  properties: {
    events: {
      type: JsonSchemaType.ARRAY,
      minItems: 1,
      description: `At most ${MAX_EVENTS_PER_REQUEST} events (413 beyond, from the handler). Each event: ${EVENT_FIELDS_REQUIRED.join(', ')} (required), userId, count (positive integer, default 1); checked by the handler and reported per index.`,
    },
  },
};

/**
 * The aggregator's event source mapping: up to 1,000 requests, or whatever arrived in 5 minutes (the
 * longest window SQS allows), per invocation, each batch one S3 object (lambdas/usage-aggregator/handler.ts).
 * Nothing waits on it: events are counted when the snapshot folds the inbox, so the longest window
 * makes the fewest invocations and S3 PUTs (bench/cost-model.ts: 60 s would cost ~5x as many).
 */
/** The API's only stage: its URL path prefix, and half of the X-Ray service name. */
const API_STAGE = 'v1';
export const USAGE_BATCH_SIZE = 1000;
export const USAGE_BATCHING_WINDOW = Duration.seconds(300);
/** Enqueued events wait in the queue this long at most before an alarm (the aggregator is stuck). */
export const USAGE_AGE_ALARM = Duration.minutes(15);

export interface UsageApiProps {
  table: Table;
  bucket: Bucket;
  api: DeployOptions['api'];
  tracing: boolean;
  /** Share of API requests X-Ray records when tracing is on (0 to 1). */
  traceRate: number;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  stage: string;
  /** Concurrency reserved for the function (0: none). */
  reservedConcurrency: number;
  fn: Omit<ChurnwatchFunctionProps, 'name' | 'memoryMb' | 'timeout'>;
}

/**
 * REST API `POST /events` (API key, usage plan, request validation, access logs) → ingest-usage, which
 * validates and enqueues; the usage queue → the aggregator (batching window) → `usage-inbox/` in S3,
 * folded into the table before each snapshot (lambdas/store/usage-inbox.ts).
 */
export class UsageApi extends Construct {
  readonly api: RestApi;
  readonly apiKey: IApiKey;
  readonly function: ChurnwatchFunction;
  readonly aggregator: ChurnwatchFunction;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: UsageApiProps) {
    super(scope, id);
    this.deadLetterQueue = failureQueue(this, 'UsageDlq', 'usage messages the aggregator could not append', {
      isDeadLetterQueueOfAQueue: true,
    });
    this.aggregator = new ChurnwatchFunction(this, 'UsageAggregator', {
      ...props.fn,
      name: 'usage-aggregator',
      memoryMb: 512,
      timeout: Duration.seconds(60),
    });
    this.queue = new Queue(this, 'UsageQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // SQS's maximum: events wait out an aggregator outage of up to two weeks.
      retentionPeriod: Duration.days(14),
      // Six times the function timeout, as Lambda recommends for an event source with a batching window.
      visibilityTimeout: Duration.seconds(6 * 60 + USAGE_BATCHING_WINDOW.toSeconds()),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    this.aggregator.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: USAGE_BATCH_SIZE,
        maxBatchingWindow: USAGE_BATCHING_WINDOW,
        reportBatchItemFailures: true,
      }),
    );
    grantObjects(
      this.aggregator.role,
      props.bucket,
      ['s3:PutObject'],
      [PREFIX.usageInbox],
      'appends each batch of enqueued usage events as one new object',
    );
    acknowledge(
      this.aggregator.fn,
      'Serverless-LambdaEventSourceMappingDestination',
      'SQS event source mappings do not support on-failure destinations; failures are redriven by the usage queue to its dead-letter queue.',
    );
    acknowledge(
      this.aggregator.fn,
      'Serverless-LambdaDLQ',
      "Invoked by the SQS event source mapping: failed messages go to the usage queue's dead-letter queue through its redrive policy.",
    );

    this.function = new ChurnwatchFunction(this, 'IngestUsage', {
      ...props.fn,
      name: 'ingest-usage',
      memoryMb: 512,
      timeout: Duration.seconds(10),
      environment: { ...props.fn.environment, USAGE_QUEUE_URL: this.queue.queueUrl },
      // Its own slice of the account's concurrency: a burst of events/ files or a long snapshot cannot starve it.
      reservedConcurrency: props.reservedConcurrency > 0 ? props.reservedConcurrency : undefined,
    });
    this.queue.grantSendMessages(this.function.role);

    const accessLogs = (this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    }));
    // The standard JSON fields plus the Churnwatch stage, which the 429 metric filter uses as its dimension.
    const accessLogFormat = AccessLogFormat.custom(
      JSON.stringify({ ...(JSON.parse(AccessLogFormat.jsonWithStandardFields().toString()) as object), churnwatchStage: props.stage }),
    );
    this.api = new RestApi(this, 'Api', {
      // The name is the ApiName dimension of the AWS/ApiGateway metrics: one per stage.
      restApiName: `churnwatch-${props.stage}`,
      description: 'Churnwatch usage events',
      endpointTypes: [EndpointType.REGIONAL],
      // The account-level API Gateway CloudWatch role is shared by every API and stage of the account,
      // so no stack owns it (destroying one would break the others' logging); README: one-time setup.
      cloudWatchRole: false,
      deployOptions: {
        stageName: API_STAGE,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat,
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: props.tracing,
        throttlingRateLimit: props.api.rateLimit,
        throttlingBurstLimit: props.api.burstLimit,
      },
    });

    const validator = this.api.addRequestValidator('BodyValidator', {
      requestValidatorName: 'events-body',
      validateRequestBody: true,
      // No request parameters are declared, so this checks nothing today; a missing x-api-key must
      // stay API Gateway's 403 (docs/metrics.md §2), not a validator 400.
      validateRequestParameters: true,
    });
    const model = this.api.addModel('EventsModel', {
      contentType: 'application/json',
      modelName: 'UsageEvents',
      schema: eventsBodySchema,
    });
    const method = this.api.root.addResource('events').addMethod('POST', new LambdaIntegration(this.function.fn, { proxy: true }), {
      apiKeyRequired: true,
      requestValidator: validator,
      requestModels: { 'application/json': model },
    });

    const plan = this.api.addUsagePlan('UsagePlan', {
      description: 'Churnwatch usage events: per-key throttle and daily quota',
      throttle: { rateLimit: props.api.rateLimit, burstLimit: props.api.burstLimit },
      quota: { limit: props.api.quotaPerDay, period: Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    this.apiKey = this.api.addApiKey('ApiKey', { description: 'Churnwatch product backend (x-api-key for POST /events)' });
    plan.addApiKey(this.apiKey);

    acknowledge(
      method,
      'AwsSolutions-APIG4',
      'docs/metrics.md §2 authenticates the product backend with an API key (x-api-key) bound to a usage plan; there is no end-user identity to authorize.',
    );
    acknowledge(method, 'AwsSolutions-COG4', 'Callers are backend services holding an API key (docs/metrics.md §2), not Cognito users.');
    acknowledge(
      this.api,
      'AwsSolutions-APIG3',
      'WAF is an account-level cost and policy decision left to the operator; the API is protected by API keys, per-key throttling and a daily quota.',
    );
    if (props.tracing) this.sampleTraces(props.stage, props.traceRate);
    else {
      acknowledge(
        this.api,
        'Serverless-APIGWXrayEnabled',
        'Tracing was turned off for this stage in cdk.json (churnwatch.tracing = false).',
      );
    }
    acknowledge(
      this.function.fn,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by API Gateway: the caller receives the error and retries; nothing is queued for a dead-letter target.',
    );
  }

  /**
   * X-Ray's default rule records 1 request a second and 5 % beyond: at 10M events a month (0.2
   * requests a second) that is every request, the largest X-Ray bill of the stack. The stage (and
   * with it the functions behind it, which follow the caller's sampling decision) records a fixed
   * share instead, with no reservoir. The rule matches this stack's stage only.
   */
  private sampleTraces(stage: string, rate: number): void {
    new CfnSamplingRule(this, 'ApiTraceSampling', {
      samplingRule: {
        ruleName: `churnwatch-${stage}`,
        priority: 100,
        fixedRate: rate,
        reservoirSize: 0,
        serviceName: `${this.api.restApiName}/${API_STAGE}`,
        serviceType: 'AWS::ApiGateway::Stage',
        host: '*',
        httpMethod: '*',
        // API Gateway does not support URL path matching in sampling rules.
        urlPath: '*',
        resourceArn: '*',
        version: 1,
      },
    });
  }
}
