/**
 * What the state machine definitions (lib/large-file-definition.ts, lib/snapshot-definition.ts)
 * share: the ASL types, a Lambda task and its retry policy. Plain JSON, no CDK import: local runs load
 * the definitions without aws-cdk-lib.
 */
export type AslState = Record<string, unknown>;
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, AslState>;
}

/** Lambda errors worth retrying at once: the service, throttling, a recycled sandbox. */
export const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** A `lambda:invoke` task of `functionArn` with this payload (a Parameters template). */
export function lambdaInvoke(functionArn: string, payload: Record<string, unknown>): AslState {
  return { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: functionArn, Payload: payload } };
}

/** Transient Lambda errors quickly and often, any other error `maxAttempts` times with backoff. */
export function lambdaRetry(maxAttempts: number): AslState[] {
  return [
    { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' },
    { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: maxAttempts, BackoffRate: 2, JitterStrategy: 'FULL' },
  ];
}
