import { Annotations, App, type AppProps } from 'aws-cdk-lib';
import { ChurnwatchStack } from './churnwatch-stack';
import { readSettings } from './context';
import { addNagChecks } from './nag';

/**
 * Feature flags the stack relies on, applied unless cdk.json sets them: S3 access logs are delivered
 * under a bucket policy (the log bucket keeps ACLs disabled) instead of the legacy LogDeliveryWrite ACL.
 */
export const FEATURE_FLAGS: Record<string, unknown> = {
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

export interface ChurnwatchAppResult {
  app: App;
  stack: ChurnwatchStack;
}

/**
 * Builds the app from the `churnwatch` context (cdk.json, or `context` for tests) and registers the
 * cdk-nag packs, so every synth fails on an unacknowledged finding.
 */
export function buildApp(props: AppProps = {}, opts: { nag?: boolean } = {}): ChurnwatchAppResult {
  const app = new App(props);
  for (const [flag, value] of Object.entries(FEATURE_FLAGS)) {
    if (app.node.tryGetContext(flag) === undefined) app.node.setContext(flag, value);
  }
  const settings = readSettings(app.node.tryGetContext('churnwatch'), { stage: app.node.tryGetContext('stage') });
  const stack = new ChurnwatchStack(app, `Churnwatch-${settings.deploy.stage}`, {
    settings,
    description: `Churnwatch churn early-warning pipeline (${settings.deploy.stage})`,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  for (const note of settings.notes) Annotations.of(stack).addWarningV2('churnwatch:config', note);
  // Tests that only inspect the template skip the packs at synth; test/infra/nag.test.ts runs them.
  if (opts.nag !== false) addNagChecks(app);
  return { app, stack };
}
