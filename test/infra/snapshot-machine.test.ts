import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../lib/asl';
import { SNAPSHOT_MAX_CONCURRENCY, SNAPSHOT_STATES, snapshotDefinition } from '../../lib/snapshot-definition';
import { assertSupported } from '../../local/state-machine';
import { onlyResource, removeSynthDirs, resourcesOfType, stateMachineInvoking, synth, type Json, type Synthesized } from './synth';

afterAll(removeSynthDirs);

const FN = '<snapshot ARN>';

describe('the snapshot state machine', () => {
  let s: Synthesized;
  let sm: ReturnType<typeof stateMachineInvoking>;
  beforeAll(() => {
    s = synth({}, { bundle: false });
    sm = stateMachineInvoking(s.template, 'snapshot', FN);
  });

  const statementsOfRole = (roleId: string) =>
    Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Json[] }).Statement);

  it('deploys exactly lib/snapshot-definition.ts, which the local runner understands in full', () => {
    expect(sm.definition).toEqual(snapshotDefinition({ functionArn: FN, maxConcurrency: SNAPSHOT_MAX_CONCURRENCY }));
    expect(() => assertSupported(sm.definition as AslDefinition)).not.toThrow();
  });

  it('folds the parts in an inline Map, at most ten at a time, and catches every step into Failed', () => {
    const { States } = sm.definition as Json;
    const map = States[SNAPSHOT_STATES.parts];
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.plan.Payload.parts', MaxConcurrency: 10 });
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'INLINE' });
    expect(map.ItemProcessor.States[SNAPSHOT_STATES.part].Retry.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 3 });
    for (const name of [SNAPSHOT_STATES.plan, SNAPSHOT_STATES.parts, SNAPSHOT_STATES.finish]) {
      expect(States[name].Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: SNAPSHOT_STATES.failed }]);
    }
    expect(States[SNAPSHOT_STATES.failed].Type).toBe('Fail');
  });

  it('is a Standard workflow with a timeout, X-Ray tracing and full logging without execution data', () => {
    expect(sm.resource.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    expect(sm.definition.TimeoutSeconds).toBe(2 * 3600);
  });

  it('may invoke only the snapshot function, which may write only its staging files besides its reports', () => {
    const statements = statementsOfRole(sm.resource.Properties.RoleArn['Fn::GetAtt'][0]);
    const invokes = statements.filter((st) => [st.Action].flat().includes('lambda:InvokeFunction'));
    expect(invokes.map((st) => st.Resource)).toEqual([
      [{ 'Fn::GetAtt': [sm.fnId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [sm.fnId, 'Arn'] }, ':*']] }],
    ]);
    for (const st of statements) {
      for (const action of [st.Action].flat() as string[]) expect(action).not.toContain('*');
      if ([st.Resource].flat().includes('*'))
        expect([st.Action].flat().every((a: string) => a.startsWith('xray:') || a.startsWith('logs:'))).toBe(true);
    }
  });

  it('is started only by the schedule rule, whose role may start only it', () => {
    const rule = onlyResource(s.template, 'AWS::Events::Rule');
    const [target] = rule.resource.Properties.Targets as Json[];
    const starts = statementsOfRole(target.RoleArn['Fn::GetAtt'][0]).filter((st) => [st.Action].flat().includes('states:StartExecution'));
    expect(starts.map((st) => st.Resource)).toEqual([{ Ref: sm.id }]);
    expect(target.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 });
  });

  it('alarms on a failed execution, and names its ARN in the outputs for a manual run', () => {
    const alarms = Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties as Json)
      .filter((a) => a.Namespace === 'AWS/States' && a.Dimensions[0].Value.Ref === sm.id);
    expect(alarms.map((a) => a.MetricName)).toEqual(['ExecutionsFailed']);
    expect(alarms[0]).toMatchObject({ Threshold: 1, Statistic: 'Sum', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(alarms[0].AlarmActions).toHaveLength(1);
    const output = s.template.findOutputs('SnapshotStateMachineArn');
    expect(Object.values(output)[0]).toMatchObject({ Value: { Ref: sm.id } });
    expect(JSON.stringify(output)).toContain('aws stepfunctions start-execution');
  });
});
