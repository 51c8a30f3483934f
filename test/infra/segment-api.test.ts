import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, resourcesOfType, sqsSourceOf, synth, removeSynthDirs, type Json, type Synthesized } from './synth';
import { SEGMENT_ENDPOINTS } from '../../lambdas/formats/segment';

afterAll(removeSynthDirs);

let s: Synthesized;
beforeAll(() => {
  s = synth({}, { bundle: false });
});

const fnByService = (service: string) =>
  onlyResource(s.template, 'AWS::Lambda::Function', (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service);
const roleOf = (service: string) => fnByService(service).resource.Properties.Role['Fn::GetAtt'][0] as string;
const statementsOf = (roleId: string): Json[] =>
  Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((policy) => (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement);

describe('Segment/RudderStack intake', () => {
  it('routes POST /v1/<endpoint> for every Segment endpoint to ingest-segment as a Lambda proxy, without an API key', () => {
    const v1 = onlyResource(s.template, 'AWS::ApiGateway::Resource', (r) => r.PathPart === 'v1');
    const fn = fnByService('ingest-segment');
    for (const endpoint of SEGMENT_ENDPOINTS) {
      const resource = onlyResource(s.template, 'AWS::ApiGateway::Resource', (r) => r.PathPart === endpoint && r.ParentId?.Ref === v1.id);
      const method = onlyResource(s.template, 'AWS::ApiGateway::Method', (m) => m.ResourceId?.Ref === resource.id);
      expect(method.resource.Properties).toMatchObject({ HttpMethod: 'POST', ApiKeyRequired: false, Integration: { Type: 'AWS_PROXY' } });
      expect(JSON.stringify(method.resource.Properties.Integration.Uri)).toContain(fn.id);
    }
    expect(
      Object.values(resourcesOfType(s.template, 'AWS::ApiGateway::Resource')).filter((r) => r.Properties!.PathPart === 'v1'),
    ).toHaveLength(1);
  });

  it('generates the write key and webhook secret in Secrets Manager, and passes the function only their ARNs', () => {
    const secrets = resourcesOfType(s.template, 'AWS::SecretsManager::Secret');
    const byName = (suffix: string) => Object.entries(secrets).find(([, r]) => String(r.Properties!.Name).endsWith(suffix))!;
    const [writeKeysId, writeKeys] = byName('/segment-write-keys');
    const [webhookId, webhook] = byName('/segment-webhook-secret');
    expect(writeKeys.Properties!.GenerateSecretString).toMatchObject({ PasswordLength: 32, ExcludePunctuation: true });
    expect(webhook.Properties!.GenerateSecretString).toMatchObject({ PasswordLength: 40 });
    expect(writeKeys.Properties!.SecretString).toBeUndefined();
    const env = fnByService('ingest-segment').resource.Properties.Environment.Variables;
    expect(env.SEGMENT_WRITE_KEYS_SECRET).toEqual({ Ref: writeKeysId });
    expect(env.SEGMENT_WEBHOOK_SECRET).toEqual({ Ref: webhookId });
    expect(JSON.parse(env.CHURNWATCH_CONFIG).segment).toEqual({
      groupIdPaths: ['context.groupId', 'properties.groupId'],
      anonymousUsers: true,
      nameTrait: 'name',
      ownerTrait: 'owner_email',
    });
  });

  it('lets only ingest-segment read the two secrets, with GetSecretValue alone', () => {
    const reads = Object.entries(resourcesOfType(s.template, 'AWS::IAM::Policy')).flatMap(([, policy]) =>
      (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement.filter((st) =>
        [st.Action].flat().some((a: string) => a.startsWith('secretsmanager:')),
      ).map((st) => ({
        roles: policy.Properties!.Roles,
        st,
      })),
    );
    const secretIds = Object.entries(resourcesOfType(s.template, 'AWS::SecretsManager::Secret'))
      .filter(([, secret]) => /\/segment-/.test(String(secret.Properties!.Name)))
      .map(([id]) => id)
      .sort();
    expect(secretIds).toHaveLength(2);
    const segmentReads = reads.filter((r) => [r.st.Resource].flat().some((res: Json) => secretIds.includes(res.Ref)));
    expect(segmentReads).toHaveLength(1);
    expect(segmentReads[0]!.roles).toEqual([{ Ref: roleOf('ingest-segment') }]);
    expect(segmentReads[0]!.st.Action).toBe('secretsmanager:GetSecretValue');
    expect(
      [segmentReads[0]!.st.Resource]
        .flat()
        .map((r: Json) => r.Ref)
        .sort(),
    ).toEqual(secretIds);
  });

  it('grants ingest-segment exactly its table actions and no S3 access', () => {
    const actions = statementsOf(roleOf('ingest-segment')).flatMap((st) => [st.Action].flat() as string[]);
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual([]);
  });

  it('enqueues to the usage queue the aggregator drains, as ingest-usage does: its URL, and SendMessage on it alone', () => {
    const { queue } = sqsSourceOf(s.template, 'usage-aggregator');
    for (const service of ['ingest-segment', 'ingest-usage']) {
      expect(fnByService(service).resource.Properties.Environment.Variables.USAGE_QUEUE_URL, service).toEqual({ Ref: queue.id });
    }
    const sqs = statementsOf(roleOf('ingest-segment')).filter((st) => [st.Action].flat().some((a: string) => a.startsWith('sqs:')));
    expect(sqs).toHaveLength(1);
    expect([sqs[0]!.Action].flat().sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(sqs[0]!.Resource).toEqual({ 'Fn::GetAtt': [queue.id, 'Arn'] });
  });

  it('watches ingest-segment like the usage API function: its errors (its duration is the API latency and 5XX alarms)', () => {
    const fn = fnByService('ingest-segment');
    const watched = Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties as Record<string, Json>)
      .filter((a) => a.Namespace === 'AWS/Lambda' && a.Dimensions?.[0]?.Value?.Ref === fn.id)
      .map((a) => a.MetricName);
    expect(watched.sort()).toEqual(['Errors']);
  });
});

describe('Slack digests', () => {
  const digestSecretReads = (t: Synthesized) =>
    Object.values(resourcesOfType(t.template, 'AWS::IAM::Policy'))
      .filter((policy) => {
        const role = onlyResource(
          t.template,
          'AWS::Lambda::Function',
          (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'digest',
        ).resource.Properties.Role['Fn::GetAtt'][0];
        return (policy.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === role);
      })
      .flatMap((policy) => (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement)
      .filter((st) => [st.Action].flat().some((a: string) => a.startsWith('secretsmanager:')))
      // The unsubscribe key (test/infra/unsubscribe.test.ts) is read with Slack or without.
      .map((st) => ({ ...st, Resource: [st.Resource].flat().filter((r: Json) => !JSON.stringify(r).includes('UnsubscribeKey')) }))
      .filter((st) => st.Resource.length > 0);

  it('give the digest no secret access unless slack.secretName is set', () => {
    expect(digestSecretReads(s)).toEqual([]);
  });

  it('let the digest read exactly the named secret (its ARN with the random suffix), and keep the URLs out of the template', () => {
    const withSlack = synth({ slack: { secretName: 'churnwatch/slack-webhooks', mode: 'channel' } }, { bundle: false });
    const reads = digestSecretReads(withSlack);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.Action).toBe('secretsmanager:GetSecretValue');
    expect(JSON.stringify(reads[0]!.Resource)).toContain(':secret:churnwatch/slack-webhooks-??????');
    expect(JSON.stringify(withSlack.template.toJSON())).not.toMatch(/hooks\.slack\.com/);
    const env = onlyResource(
      withSlack.template,
      'AWS::Lambda::Function',
      (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'digest',
    ).resource.Properties.Environment.Variables;
    expect(JSON.parse(env.CHURNWATCH_CONFIG).slack).toEqual({ secretName: 'churnwatch/slack-webhooks', mode: 'channel' });
  });

  it("alarm on SlackDigestFailures (the digest's metric, this stage) when Slack is on, and not otherwise", () => {
    const slackAlarms = (t: Synthesized) =>
      Object.values(resourcesOfType(t.template, 'AWS::CloudWatch::Alarm'))
        .map((a) => a.Properties as Record<string, Json>)
        .filter((a) => a.MetricName === 'SlackDigestFailures');
    expect(slackAlarms(s)).toEqual([]);
    const withSlack = synth({ slack: { secretName: 'churnwatch/slack-webhooks' } }, { bundle: false });
    const [alarm, ...more] = slackAlarms(withSlack);
    expect(more).toEqual([]);
    const topic = onlyResource(withSlack.template, 'AWS::SNS::Topic', (p) => p.DisplayName === 'Churnwatch alarms');
    expect(alarm).toMatchObject({
      Namespace: 'Churnwatch',
      Dimensions: [
        { Name: 'service', Value: 'digest' },
        { Name: 'stage', Value: 'dev' },
      ],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic.id }],
    });
  });
});
