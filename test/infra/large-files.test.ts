import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../lib/asl';
import { largeFileDefinition, LARGE_FILE_STATES } from '../../lib/large-file-definition';
import { assertSupported } from '../../local/state-machine';
import { removeSynthDirs, resourcesOfType, onlyResource, stateMachineInvoking, synth, type Json, type Synthesized } from './synth';

afterAll(removeSynthDirs);

const FN = '<ingest-large ARN>';

/** The deployed definition as JSON, with the ingest-large function's ARN token replaced by FN. */
function deployedDefinition(s: Synthesized): { definition: AslDefinition; props: Json; fnId: string } {
  const sm = stateMachineInvoking(s.template, 'ingest-large', FN);
  return { definition: sm.definition as AslDefinition, props: sm.resource.Properties, fnId: sm.fnId };
}

const largeFileMachine = (s: Synthesized) => stateMachineInvoking(s.template, 'ingest-large', FN);

describe('the large-file state machine', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({}, { bundle: false });
  });

  it('deploys exactly lib/large-file-definition.ts, which the local runner understands in full', () => {
    const { definition, fnId } = deployedDefinition(s);
    expect(definition).toEqual(largeFileDefinition({ functionArn: FN, maxConcurrency: 10 }));
    expect(() => assertSupported(definition)).not.toThrow();
    // The function every step invokes is ingest-large.
    const fn = resourcesOfType(s.template, 'AWS::Lambda::Function')[fnId]!;
    expect((fn.Properties!.Environment as Json).Variables.POWERTOOLS_SERVICE_NAME).toBe('ingest-large');
  });

  it('the local runner refuses a field it does not implement, so the two cannot drift apart', () => {
    const definition = largeFileDefinition({ functionArn: FN, maxConcurrency: 3 });
    (definition.States[LARGE_FILE_STATES.ranges] as Json).ToleratedFailurePercentage = 5;
    expect(() => assertSupported(definition)).toThrow(/IngestRanges: field ToleratedFailurePercentage of a Map state is not supported/);
    const waiting = largeFileDefinition({ functionArn: FN, maxConcurrency: 3 });
    waiting.States.Pause = { Type: 'Wait', Seconds: 1, Next: LARGE_FILE_STATES.merge };
    expect(() => assertSupported(waiting)).toThrow(/Pause: state type Wait is not supported/);
  });

  it('fans the ranges out with a Distributed Map over the S3 manifest, at most largeFiles.maxConcurrency at a time', () => {
    const map = deployedDefinition(s).definition.States[LARGE_FILE_STATES.ranges] as Json;
    expect(map.Type).toBe('Map');
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ItemReader).toMatchObject({ Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' } });
    expect(map.MaxConcurrency).toBe(10);
    const four = synth({ stage: 'four', testStages: ['four'], largeFiles: { maxConcurrency: 4 } }, { bundle: false });
    expect((deployedDefinition(four).definition.States[LARGE_FILE_STATES.ranges] as Json).MaxConcurrency).toBe(4);
  });

  it('retries a range (at once after a checkpointed stop, with backoff after a crash) and catches every step into MoveToFailed, which ends failed', () => {
    const { States } = deployedDefinition(s).definition as Json;
    const range = States[LARGE_FILE_STATES.ranges].ItemProcessor.States[LARGE_FILE_STATES.range];
    expect(range.Retry[0]).toMatchObject({ ErrorEquals: ['RangeIncomplete'], IntervalSeconds: 1, BackoffRate: 1 });
    expect(range.Retry.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 4, BackoffRate: 2 });
    for (const name of [LARGE_FILE_STATES.split, LARGE_FILE_STATES.ranges, LARGE_FILE_STATES.merge]) {
      expect(States[name].Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: LARGE_FILE_STATES.fail }]);
    }
    expect(States[LARGE_FILE_STATES.fail].Next).toBe(LARGE_FILE_STATES.failed);
    expect(States[LARGE_FILE_STATES.failed].Type).toBe('Fail');
  });

  it('is a named Standard workflow with a timeout, X-Ray tracing and full logging without execution data', () => {
    const { props } = deployedDefinition(s);
    expect(props).toMatchObject({
      StateMachineName: 'churnwatch-dev-large-files',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    expect(deployedDefinition(s).definition.TimeoutSeconds).toBe(6 * 3600);
  });

  it('lets its role invoke only ingest-large, read only staging/, and run and stop only its own child executions', () => {
    const { fnId } = deployedDefinition(s);
    const sm = largeFileMachine(s);
    const roleId = sm.resource.Properties.RoleArn['Fn::GetAtt'][0];
    const statements = Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Json[] }).Statement);
    const of = (action: string) => statements.filter((st) => [st.Action].flat().includes(action)).map((st) => st.Resource);
    expect(of('lambda:InvokeFunction')).toEqual([
      [{ 'Fn::GetAtt': [fnId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fnId, 'Arn'] }, ':*']] }],
    ]);
    expect(JSON.stringify(of('s3:GetObject'))).toContain('/staging/*');
    expect(JSON.stringify(of('states:StartExecution'))).toContain(':stateMachine:churnwatch-dev-large-files"');
    expect(JSON.stringify(of('states:StopExecution'))).toContain(':execution:churnwatch-dev-large-files/*"');
    for (const st of statements) {
      for (const action of [st.Action].flat() as string[]) expect(action).not.toContain('*');
      if ([st.Resource].flat().includes('*'))
        expect([st.Action].flat().every((a: string) => a.startsWith('xray:') || a.startsWith('logs:'))).toBe(true);
    }
  });

  it('is started by ingest-billing, which knows its ARN and may start it, and nothing else', () => {
    const sm = largeFileMachine(s);
    const billing = onlyResource(
      s.template,
      'AWS::Lambda::Function',
      (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'ingest-billing',
    );
    expect(billing.resource.Properties.Environment.Variables.LARGE_FILE_STATE_MACHINE_ARN).toEqual({ Ref: sm.id });
    const starts = Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties!.PolicyDocument as { Statement: Json[] }).Statement.filter((st) =>
        [st.Action].flat().includes('states:StartExecution'),
      ).map((st) => ({
        roles: p.Properties!.Roles,
        resource: st.Resource,
      })),
    );
    const ofThis = starts.filter(
      (st) => JSON.stringify(st.resource) === JSON.stringify({ Ref: sm.id }) || JSON.stringify(st.resource).includes('large-files'),
    );
    expect(ofThis).toContainEqual({ roles: [{ Ref: billing.resource.Properties.Role['Fn::GetAtt'][0] }], resource: { Ref: sm.id } });
    expect(ofThis).toHaveLength(2); // and the state machine itself, for its map's children
  });

  it('alarms on failed and timed-out executions', () => {
    const sm = largeFileMachine(s);
    const alarms = Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties as Json)
      .filter((a) => a.Namespace === 'AWS/States' && a.Dimensions[0].Value.Ref === sm.id);
    expect(alarms.map((a) => a.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ Threshold: 1, Statistic: 'Sum', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(alarm.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: sm.id } }]);
    }
  });

  it('keeps the staged objects a few days only', () => {
    const bucket = onlyResource(s.template, 'AWS::S3::Bucket', (p) => p.LoggingConfiguration !== undefined);
    const rule = (bucket.resource.Properties.LifecycleConfiguration.Rules as Json[]).find((r) => r.Id === 'expire-staging');
    expect(rule).toMatchObject({ Prefix: 'staging/', ExpirationInDays: 3, Status: 'Enabled' });
  });
});
