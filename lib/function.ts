import { fileURLToPath } from 'node:url';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONFIG_ENV, type Config } from '../lambdas/shared/config';
import { acknowledge } from './nag';

/** The four Lambda entry points, bundled straight from lambdas/<name>/handler.ts. */
export type FunctionName = 'ingest-billing' | 'ingest-usage' | 'snapshot' | 'digest';

export const METRICS_NAMESPACE = 'Churnwatch';

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
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  tracing: boolean;
  bundleAwsSdk: boolean;
  environment?: Record<string, string>;
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

  constructor(scope: Construct, id: string, props: ChurnwatchFunctionProps) {
    super(scope, id);
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
      environment: {
        TABLE_NAME: props.tableName,
        BUCKET_NAME: props.bucketName,
        [CONFIG_ENV]: JSON.stringify(props.config),
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
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

    acknowledge(this.fn, 'AwsSolutions-L1', 'Node.js 22 is the runtime the project targets and tests against (DESIGN.md); moving to a newer runtime is a deliberate upgrade, not a synth-time default.');
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
