import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type ChurnwatchAppResult } from '../../lib/app';

/** The `churnwatch` context shipped in cdk.json: tests synthesize what `cdk deploy` would. */
export function repoContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

const outdirs: string[] = [];

/** A fresh cloud assembly directory, removed by `removeSynthDirs`. */
export function tempOutdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'churnwatch-cdk-'));
  outdirs.push(dir);
  return dir;
}

/** Deletes every assembly this test file synthesized (bundles are a few MB each); call in afterAll. */
export function removeSynthDirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Synthesized extends ChurnwatchAppResult {
  template: Template;
  outdir: string;
}

/**
 * Synthesizes the app into a temporary cloud assembly. `bundle: false` skips esbuild (CDK's
 * `aws:cdk:bundling-stacks` context) for tests that only look at configuration-dependent properties.
 */
export function synth(churnwatch: Record<string, unknown> = {}, opts: { bundle?: boolean } = {}): Synthesized {
  const outdir = tempOutdir();
  const base = repoContext();
  const context: Record<string, unknown> = {
    ...base,
    churnwatch: { ...(base.churnwatch as Record<string, unknown>), ...churnwatch },
  };
  if (opts.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  // cdk-nag is asserted separately (nag.test.ts); here it would only slow every synth down.
  const result = buildApp({ outdir, context }, { nag: false });
  const template = Template.fromStack(result.stack);
  return { ...result, template, outdir };
}

/**
 * Synthesized CloudFormation is untyped JSON; assertions navigate it by path and let a wrong path fail
 * the expectation, which is what `any` gives here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }>;

export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The logical id of the only resource of `type` whose properties match `pred`. */
export function onlyResource(template: Template, type: string, pred: (props: Record<string, Json>) => boolean = () => true) {
  const found = Object.entries(resourcesOfType(template, type)).filter(([, r]) => pred(r.Properties ?? {}));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return { id: found[0]![0], resource: found[0]![1] as { Properties: Record<string, Json>; [k: string]: Json } };
}

/** The SQS event source mapping feeding the function of `service` (its POWERTOOLS_SERVICE_NAME), and the queue it reads. */
export function sqsSourceOf(template: Template, service: string) {
  const fn = onlyResource(template, 'AWS::Lambda::Function', (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service);
  const mapping = onlyResource(template, 'AWS::Lambda::EventSourceMapping', (m) => m.FunctionName?.Ref === fn.id);
  const queueId = mapping.resource.Properties.EventSourceArn['Fn::GetAtt'][0] as string;
  const queue = {
    id: queueId,
    resource: resourcesOfType(template, 'AWS::SQS::Queue')[queueId] as { Properties: Record<string, Json>; [k: string]: Json },
  };
  return { fn, mapping, queue };
}

/**
 * The state machine whose every task invokes the function of `service`, with its definition as JSON
 * (the function's ARN token replaced by `placeholder`).
 */
export function stateMachineInvoking(template: Template, service: string, placeholder: string) {
  const fn = onlyResource(template, 'AWS::Lambda::Function', (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service);
  const parts = (p: Record<string, Json>) => p.DefinitionString['Fn::Join'][1] as (string | Json)[];
  const tokensOf = (p: Record<string, Json>) => parts(p).filter((x) => typeof x !== 'string');
  const sm = onlyResource(template, 'AWS::StepFunctions::StateMachine', (p) => tokensOf(p).some((t) => t['Fn::GetAtt']?.[0] === fn.id));
  const tokens = tokensOf(sm.resource.Properties);
  for (const t of tokens)
    if (JSON.stringify(t) !== JSON.stringify({ 'Fn::GetAtt': [fn.id, 'Arn'] })) throw new Error(`${sm.id} also names ${JSON.stringify(t)}`);
  const text = parts(sm.resource.Properties)
    .map((x) => (typeof x === 'string' ? x : placeholder))
    .join('');
  return { ...sm, fnId: fn.id, definition: JSON.parse(text) as Json };
}
