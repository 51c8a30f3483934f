import { fileURLToPath } from 'node:url';
import { Token, type Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONFIG_ENV, type Config } from '../lambdas/shared/config';
import { STAGE_ENV } from '../lambdas/shared/observability';
import { ContextError } from './context';
import { acknowledge } from './nag';

/** The Lambda entry points, bundled straight from lambdas/<name>/handler.ts. */
export type FunctionName =
  | 'ingest-billing'
  | 'ingest-large'
  | 'ingest-usage'
  | 'usage-aggregator'
  | 'ingest-segment'
  | 'snapshot'
  | 'digest'
  | 'unsubscribe';

export const METRICS_NAMESPACE = 'Churnwatch';
/** Lambda's limit on all environment variables of a function together (keys and values). */
export const LAMBDA_ENV_LIMIT_BYTES = 4096;
/** What an unresolved token (a table or function name) is counted as when sizing the environment. */
const TOKEN_ESTIMATE_BYTES = 96;

/** Bytes of an environment as Lambda counts them, with each deploy-time token at a generous estimate. */
export function environmentBytes(env: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(env)) {
    const literal = Token.isUnresolved(value) ? value.replace(/\$\{Token\[[^\]]*\]\}/g, 'x'.repeat(TOKEN_ESTIMATE_BYTES)) : value;
    total += Buffer.byteLength(key) + Buffer.byteLength(literal);
  }
  return total;
}

export function handlerEntry(name: FunctionName): string {
  return fileURLToPath(new URL(`../lambdas/${name}/handler.ts`, import.meta.url));
}

export interface ChurnwatchFunctionProps {
  name: FunctionName;
  memoryMb: number;
  timeout: Duration;
  config: Config;
  tableName: string;
  bucketName: string;
  stage: string;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  tracing: boolean;
  bundleAwsSdk: boolean;
  environment?: Record<string, string>;
  /** Concurrency reserved for this function (unset: none, the account pool). */
  reservedConcurrency?: number;
  /** V8 options added to NODE_OPTIONS (heap sizes), for a function whose run is sized by them. */
  v8Flags?: readonly string[];
}

/**
 * One Churnwatch Lambda: its own role (no managed policy; the stage adds scoped grants), its own log
 * group with retention, and an ESM bundle built by the locally installed esbuild, so synth needs
 * neither Docker nor network.
 */
export class ChurnwatchFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: ChurnwatchFunctionProps) {
    super(scope, id);
    this.timeout = props.timeout;
    const environment: Record<string, string> = {
      TABLE_NAME: props.tableName,
      BUCKET_NAME: props.bucketName,
      [CONFIG_ENV]: JSON.stringify(props.config),
      [STAGE_ENV]: props.stage,
      POWERTOOLS_SERVICE_NAME: props.name,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // lambdas/shared/aws-clients.ts loads the Powertools Tracer on the SDK clients only when true.
      POWERTOOLS_TRACE_ENABLED: props.tracing ? 'true' : 'false',
      LOG_LEVEL: 'INFO',
      NODE_OPTIONS: ['--enable-source-maps', ...(props.v8Flags ?? [])].join(' '),
      ...props.environment,
    };
    const bytes = environmentBytes(environment);
    if (bytes > LAMBDA_ENV_LIMIT_BYTES) {
      const { coreFeatures, retentionFeatures, fxRates } = props.config;
      throw new ContextError(
        `The ${props.name} function's environment would be about ${bytes} bytes; Lambda allows ${LAMBDA_ENV_LIMIT_BYTES} in all. ` +
          `Most of it is the configuration (${CONFIG_ENV}, ${Buffer.byteLength(environment[CONFIG_ENV]!)} bytes): shorten ` +
          `churnwatch.coreFeatures (${coreFeatures.length}) / retentionFeatures (${retentionFeatures.length}) or fxRates (${Object.keys(fxRates).length}), or use shorter feature names.`,
      );
    }
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Churnwatch ${props.name} function`,
    });
    // Log streams only in this function's own group, instead of AWSLambdaBasicExecutionRole's logs:* on *.
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.name),
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      description: `Churnwatch ${props.name}`,
      environment,
      reservedConcurrentExecutions: props.reservedConcurrency,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        // External source maps: stack traces resolve (NODE_OPTIONS above) without inflating the code.
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // CommonJS dependencies bundled into an ESM file still call require() for Node built-ins.
        banner: "import{createRequire as __cwCreateRequire}from'module';const require=__cwCreateRequire(import.meta.url);",
        // By default the SDK comes from the Node.js 22 runtime (CDK's own default): every bundle stays
        // well under 500 KB. `bundleAwsSdk: true` bundles the exact, tree-shaken versions the tests ran
        // against instead (the runtime's copy is updated by AWS), at ~450 KB more per function.
        bundleAwsSDK: props.bundleAwsSdk,
        externalModules: props.bundleAwsSdk ? [] : ['@aws-sdk/*'],
        forceDockerBundling: false,
      },
    });

    acknowledge(
      this.fn,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime the project targets and tests against (DESIGN.md); moving to a newer runtime is a deliberate upgrade, not a synth-time default.',
    );
    acknowledge(this.fn, 'Serverless-LambdaLatestVersion', 'Node.js 22 is the runtime the project targets and tests against (DESIGN.md).');
    if (!props.tracing) {
      acknowledge(this.fn, 'Serverless-LambdaTracing', 'Tracing was turned off for this stage in cdk.json (churnwatch.tracing = false).');
    } else {
      acknowledge(
        this.role,
        'AwsSolutions-IAM5[Resource::*]',
        'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions; AWS requires Resource "*".',
      );
    }
  }
}
