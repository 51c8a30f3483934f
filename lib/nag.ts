import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Runs the cdk-nag AwsSolutions and Serverless packs on every synth of `app`. */
export function addNagChecks(app: IConstruct): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}

/** The packs, for tests that validate a construct tree directly and inspect the findings. */
export function nagPacks(): { name: string; validateScope(scope: IConstruct): { violations: unknown[] } }[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()];
}

/** Acknowledges one cdk-nag finding on a construct (and everything below it), with the reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The token cdk-nag prints for `Fn::GetAtt [<resource>, Arn]` inside a finding, e.g.
 * `<DataTable1234ABCD.Arn>`, so wildcard findings on our own resources can be acknowledged exactly.
 */
export function arnToken(resource: IConstruct): string {
  const cfn = (resource.node.defaultChild ?? resource) as CfnElement;
  return `<${Stack.of(cfn).getLogicalId(cfn)}.Arn>`;
}
