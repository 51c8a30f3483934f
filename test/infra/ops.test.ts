import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextError, readSettings } from '../../lib/context';
import { TABLE_ACCESS } from '../../lib/grants';
import { heartbeatWindow } from '../../lib/monitoring';
import { scheduleProblem } from '../../lambdas/shared/config';
import { createMetrics } from '../../lambdas/shared/observability';
import { onlyResource, repoContext, resourcesOfType, sqsSourceOf, synth, removeSynthDirs, type Json, type Synthesized } from './synth';
import { scaled } from '../support/timeouts';

afterAll(removeSynthDirs);

/** A production stage as an operator would configure it. */
const PROD = {
  stage: 'prod',
  digest: {
    from: 'churnwatch@acme.io',
    fallbackTo: 'cs@acme.io',
    allowedRecipientDomains: ['acme.io', 'acme.co.uk'],
    schedule: 'cron(0 6 * * ? *)',
  },
};
const repo = () => repoContext().churnwatch as Record<string, unknown>;

describe('stages: test stages and production stages', () => {
  it('lets the repository default (dev, a test stage) synthesize with the example sender and no allowlist', () => {
    const settings = readSettings(repo());
    expect(settings.testStage).toBe(true);
    expect(settings.config.digest.from).toBe('churnwatch@example.com');
    expect(settings.deploy.deletionProtection).toBe(false);
  });

  it('refuses -c stage=prod without a real sender and a recipient allowlist, saying what to set', () => {
    let error: unknown;
    try {
      readSettings(repo(), { stage: 'prod' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ContextError);
    const message = (error as Error).message;
    expect(message).toMatch(/Stage "prod" is not a test stage \(churnwatch\.testStages: \["dev"\]\)/);
    expect(message).toMatch(/churnwatch\.digest\.from is "churnwatch@example\.com".*set it to your verified sender/);
    expect(message).toMatch(/churnwatch\.digest\.fallbackTo is "cs-team@example\.com"/);
    expect(message).toMatch(/churnwatch\.digest\.allowedRecipientDomains is not set: list the domains/);
    expect(message).toMatch(/add "prod" to churnwatch\.testStages/);
  });

  it('accepts a production stage that names them, with deletion protection on by default and as a setting', () => {
    const prod = readSettings({ ...repo(), ...PROD });
    expect(prod.testStage).toBe(false);
    expect(prod.deploy.deletionProtection).toBe(true);
    expect(readSettings({ ...repo(), ...PROD, deletionProtection: false }).deploy.deletionProtection).toBe(false);
    expect(readSettings({ ...repo(), deletionProtection: true }).deploy.deletionProtection).toBe(true);
    // A stage name alone is not enough: "prod" marked as a test stage is the operator's explicit choice.
    expect(readSettings({ ...repo(), stage: 'prod', testStages: ['prod'] }).testStage).toBe(true);
  });
});

describe('settings errors name the allowed values', () => {
  const message = (raw: Record<string, unknown>) => {
    try {
      readSettings({ ...repo(), ...raw });
    } catch (err) {
      expect(err).toBeInstanceOf(ContextError);
      return (err as Error).message;
    }
    throw new Error('expected a ContextError');
  };

  it('logRetentionDays, removalPolicy, unknown keys', () => {
    expect(message({ logRetentionDays: 45 })).toMatch(
      /churnwatch\.logRetentionDays: must be one of the CloudWatch Logs retention periods: 1, 3, 5, 7, 14, 30, 60, 90/,
    );
    expect(message({ removalPolicy: 'delete' })).toMatch(/churnwatch\.removalPolicy: must be "retain" or "destroy"/);
    expect(message({ api: { rateLimit: 5, burst: 1 } })).toMatch(
      /Unrecognized key: "burst"; allowed keys: rateLimit, burstLimit, quotaPerDay/,
    );
    expect(message({ digest: { form: 'a@acme.io' } })).toMatch(
      /digest: Unrecognized key: "form"; allowed keys: from, fallbackTo, schedule, allowedRecipientDomains/,
    );
    expect(message({ ingestMaxConcurrency: 1 })).toMatch(/ingestMaxConcurrency: must be at least 2/);
  });

  it.each([
    ['cron(0 6 * * *)', /6 fields.*found 5/],
    ['cron(0 6 * * * *)', /exactly one of day-of-month .* and day-of-week .* must be "\?"/],
    ['cron(0 6 ? * ? *)', /exactly one of/],
    ['cron(0 25 * * ? *)', /hours field "25" is not valid \(0-23/],
    ['cron(0 6 * FOO ? *)', /month field "FOO"/],
    ['rate(5 minute)', /rate above 1 takes the plural unit, "rate\(5 minutes\)"/],
    ['rate(1 days)', /rate of 1 takes the singular unit, "rate\(1 day\)"/],
    ['rate(0 hours)', /positive whole number/],
    ['rate(2 weeks)', /minute\|minutes\|hour\|hours\|day\|days/],
    ['at(2026-01-01T00:00:00)', /cron\(\.\.\.\) or rate\(\.\.\.\)/],
  ])('schedule %s fails synth: %s', (schedule, expected) => {
    expect(message({ digest: { schedule } })).toMatch(/digest\.schedule/);
    expect(message({ digest: { schedule } })).toMatch(expected);
  });

  it.each([
    'cron(0 6 * * ? *)',
    'cron(0/15 8-18 ? * MON-FRI *)',
    'cron(0 6 L * ? *)',
    'cron(0 6 ? * 2#1 *)',
    'cron(30 5 1,15 * ? 2026-2030)',
    'rate(1 day)',
    'rate(12 hours)',
    'rate(5 minutes)',
  ])('schedule %s is accepted', (schedule) => {
    expect(scheduleProblem(schedule)).toBeUndefined();
  });

  it("a configuration whose environment would pass Lambda's 4 KB fails synth with what to shorten", () => {
    const features = Array.from({ length: 40 }, (_, i) => `product-area-${i}-feature-with-a-descriptive-name`);
    expect(() => synth({ coreFeatures: features, retentionFeatures: features }, { bundle: false })).toThrow(
      /environment would be about \d+ bytes; Lambda allows 4096.*coreFeatures \(40\) \/ retentionFeatures \(40\)/,
    );
  });
});

describe('a production stage', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(PROD, { bundle: false });
  });
  const roleOf = (service: string) =>
    onlyResource(s.template, 'AWS::Lambda::Function', (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service).resource
      .Properties.Role['Fn::GetAtt'][0] as string;
  const statementsOf = (role: string) =>
    Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Json[] }).Statement);
  const tableId = () => onlyResource(s.template, 'AWS::DynamoDB::Table').id;

  it('is deletion-protected and named by its stage', () => {
    expect(s.stack.stackName).toBe('Churnwatch-prod');
    expect(onlyResource(s.template, 'AWS::DynamoDB::Table').resource.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it.each(Object.keys(TABLE_ACCESS))(
    '%s: exactly its DynamoDB actions, on the table (and the profiles index only where it scans it)',
    (service) => {
      const dynamo = statementsOf(roleOf(service)).filter((st) => [st.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
      const byResource = Object.fromEntries(dynamo.map((st) => [JSON.stringify(st.Resource), [st.Action].flat().sort()]));
      const access = TABLE_ACCESS[service as keyof typeof TABLE_ACCESS];
      const expected: Record<string, string[]> = access.table.length
        ? { [JSON.stringify({ 'Fn::GetAtt': [tableId(), 'Arn'] })]: [...access.table].sort() }
        : {};
      if (access.profileIndex) {
        expected[JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId(), 'Arn'] }, '/index/profiles']] })] = [
          ...access.profileIndex,
        ].sort();
      }
      expect(byResource).toEqual(expected);
    },
  );

  it('grants each function the DynamoDB actions its code sends, nothing else', () => {
    expect(TABLE_ACCESS).toEqual({
      'ingest-usage': { table: [] },
      'usage-aggregator': { table: [] },
      'ingest-segment': { table: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'] },
      'ingest-billing': {
        table: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      },
      'ingest-large': {
        table: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      },
      snapshot: {
        table: [
          'dynamodb:BatchGetItem',
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        profileIndex: ['dynamodb:Scan'],
      },
      digest: { table: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] },
      unsubscribe: { table: ['dynamodb:GetItem', 'dynamodb:PutItem'] },
    });
    const all = Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties!.PolicyDocument as { Statement: Json[] }).Statement,
    );
    expect(JSON.stringify(all)).not.toContain('/index/*');
    expect(JSON.stringify(all)).not.toMatch(/dynamodb:(DeleteItem|ConditionCheckItem|GetRecords|GetShardIterator)/);
  });

  it('lets the digest send only SendEmail, to recipients in the allowed domains', () => {
    const ses = statementsOf(roleOf('digest')).filter((st) => [st.Action].flat().some((a: string) => a.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    expect(ses[0].Action).toBe('ses:SendEmail');
    expect(ses[0].Condition).toEqual({ 'ForAllValues:StringLike': { 'ses:Recipients': ['*@acme.io', '*@acme.co.uk'] } });
    expect(JSON.stringify(ses[0].Resource)).toContain(':configuration-set/churnwatch-prod-digest');
    const config = JSON.parse(
      onlyResource(s.template, 'AWS::Lambda::Function', (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'digest').resource
        .Properties.Environment.Variables.CHURNWATCH_CONFIG,
    );
    expect(config.digest).toMatchObject({ allowedRecipientDomains: ['acme.io', 'acme.co.uk'], configurationSet: 'churnwatch-prod-digest' });
  });

  it('sends through a configuration set that suppresses bounced and complained addresses and publishes those events to an encrypted topic', () => {
    const set = onlyResource(s.template, 'AWS::SES::ConfigurationSet').resource.Properties;
    expect(set.Name).toBe('churnwatch-prod-digest');
    expect([...set.SuppressionOptions.SuppressedReasons].sort()).toEqual(['BOUNCE', 'COMPLAINT']);
    const destination = onlyResource(s.template, 'AWS::SES::ConfigurationSetEventDestination').resource.Properties;
    expect([...destination.EventDestination.MatchingEventTypes].sort()).toEqual(['bounce', 'complaint', 'reject']);
    const topicId = destination.EventDestination.SnsDestination.TopicARN.Ref as string;
    const topic = resourcesOfType(s.template, 'AWS::SNS::Topic')[topicId]!;
    expect(topic.Properties!.KmsMasterKeyId).toBeDefined();
    const publish = Object.values(resourcesOfType(s.template, 'AWS::SNS::TopicPolicy'))
      .filter((p) => JSON.stringify(p.Properties!.Topics).includes(topicId))
      .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Json[] }).Statement)
      .find((st) => st.Principal?.Service === 'ses.amazonaws.com');
    expect(publish.Condition.StringEquals['AWS:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('scopes the KMS grants to CloudWatch alarms and the SES configuration set of this account', () => {
    const statements = (onlyResource(s.template, 'AWS::KMS::Key').resource.Properties.KeyPolicy.Statement as Json[]).filter(
      (st) => st.Principal?.Service,
    );
    const byService = Object.fromEntries(statements.map((st) => [st.Principal.Service, st]));
    expect(Object.keys(byService).sort()).toEqual(['cloudwatch.amazonaws.com', 'ses.amazonaws.com']);
    const cw = byService['cloudwatch.amazonaws.com'];
    expect([cw.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(cw.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(JSON.stringify(cw.Condition.ArnLike['aws:SourceArn'])).toMatch(/:cloudwatch:.*:alarm:\*/);
    const ses = byService['ses.amazonaws.com'];
    expect(ses.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(JSON.stringify(ses.Condition.StringEquals['aws:SourceArn'])).toContain(':configuration-set/churnwatch-prod-digest');
  });

  it('dimensions every custom alarm metric by stage, and every function reports its stage', () => {
    const custom = Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties as Json)
      .filter((a) => a.Namespace === 'Churnwatch');
    expect(custom.length).toBeGreaterThanOrEqual(6);
    for (const alarm of custom) expect(alarm.Dimensions, alarm.MetricName).toContainEqual({ Name: 'stage', Value: 'prod' });
    for (const fn of Object.values(resourcesOfType(s.template, 'AWS::Lambda::Function')).filter(
      (f) => (f.Properties!.Environment as Json)?.Variables?.POWERTOOLS_SERVICE_NAME,
    )) {
      expect((fn.Properties!.Environment as Json).Variables.CHURNWATCH_STAGE).toBe('prod');
    }
    const filter = onlyResource(s.template, 'AWS::Logs::MetricFilter').resource.Properties;
    expect(filter.FilterPattern).toBe('{ $.status = 429 }');
    expect(filter.MetricTransformations).toEqual([
      {
        MetricNamespace: 'Churnwatch',
        MetricName: 'ApiThrottled',
        MetricValue: '1',
        Dimensions: [{ Key: 'stage', Value: '$.churnwatchStage' }],
      },
    ]);
  });

  it('alarms when a function nears its timeout and when no snapshot ran for a day (missing data breaches)', () => {
    const alarms = Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties as Json);
    const durations = alarms
      .filter((a) => a.MetricName === 'Duration')
      .map((a) => a.Threshold)
      .sort((a, b) => a - b);
    // 80 % of each timeout; the three 10 s functions behind the API have none (ApiLatency, Api5xx).
    expect(durations).toEqual([48_000, 240_000, 240_000, 240_000, 480_000]);
    const heartbeat = alarms.find((a) => a.MetricName === 'CustomersScanned');
    expect(heartbeat).toMatchObject({
      Statistic: 'SampleCount',
      Period: 86_400,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(heartbeatWindow('cron(0 6 ? * MON *)').toDays()).toBe(7);
    expect(heartbeatWindow('rate(5 minutes)').toHours()).toBe(1);
    expect(heartbeatWindow('rate(2 days)').toDays()).toBe(2);
  });

  it('leaves the account-wide API Gateway CloudWatch role alone', () => {
    expect(Object.keys(resourcesOfType(s.template, 'AWS::ApiGateway::Account'))).toEqual([]);
    const roles = Object.values(resourcesOfType(s.template, 'AWS::IAM::Role')).map((r) =>
      JSON.stringify(r.Properties!.AssumeRolePolicyDocument),
    );
    expect(roles.some((r) => r.includes('apigateway.amazonaws.com'))).toBe(false);
    expect(onlyResource(s.template, 'AWS::ApiGateway::RestApi').resource.Properties.Name).toBe('churnwatch-prod');
  });

  it('caps the SQS event source and reserves concurrency for the usage API', () => {
    expect(sqsSourceOf(s.template, 'ingest-billing').mapping.resource.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
    const api = onlyResource(
      s.template,
      'AWS::Lambda::Function',
      (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'ingest-usage',
    );
    expect(api.resource.Properties.ReservedConcurrentExecutions).toBe(20);
    const off = synth({ ...PROD, stage: 'small', apiReservedConcurrency: 0, ingestMaxConcurrency: 2 }, { bundle: false });
    expect(
      onlyResource(off.template, 'AWS::Lambda::Function', (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'ingest-usage')
        .resource.Properties.ReservedConcurrentExecutions,
    ).toBeUndefined();
    expect(sqsSourceOf(off.template, 'ingest-billing').mapping.resource.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 2 });
  });
});

describe('metrics in the functions', () => {
  it('carry the stage from CHURNWATCH_STAGE beside the service', () => {
    const metrics = createMetrics('digest', { CHURNWATCH_STAGE: 'staging', POWERTOOLS_SERVICE_NAME: 'digest' });
    metrics.addMetric('DigestFailures', 'Count', 1);
    const emf = metrics.serializeMetrics() as unknown as Record<string, Json>;
    expect(emf.stage).toBe('staging');
    expect(emf.service).toBe('digest');
    expect(emf._aws.CloudWatchMetrics[0].Dimensions[0].sort()).toEqual(['service', 'stage']);
  });
});

describe('Powertools Tracer on the AWS SDK clients', () => {
  /** Which clients carry the X-Ray middleware in a fresh process with `env` (as in Lambda, or locally). */
  const instrumented = (env: Record<string, string>): string => {
    const script = `const c = await import(${JSON.stringify(join(__dirname, '../../lambdas/shared/aws-clients.ts'))});
      const x = (cl) => cl.middlewareStack.identify().some((m) => m.startsWith('XRaySDKInstrumentation'));
      console.log(JSON.stringify([x(c.dynamo()), x(c.s3Client()), x(c.sesClient())]));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env },
      timeout: scaled(30_000),
      killSignal: 'SIGKILL',
    });
    return out.trim().split('\n').at(-1)!;
  };

  it('traces DynamoDB, S3 and SES calls in Lambda with tracing on, and loads nothing otherwise', () => {
    expect(instrumented({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'true' })).toBe('[true,true,true]');
    expect(instrumented({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'false' })).toBe('[false,false,false]');
    expect(instrumented({})).toBe('[false,false,false]');
  }, 60_000);

  it('is switched by churnwatch.tracing through POWERTOOLS_TRACE_ENABLED', () => {
    const env = (t: Synthesized) =>
      Object.values(resourcesOfType(t.template, 'AWS::Lambda::Function'))
        .map((f) => (f.Properties!.Environment as Json)?.Variables)
        .filter((v) => v?.POWERTOOLS_SERVICE_NAME)
        .map((v) => v.POWERTOOLS_TRACE_ENABLED);
    expect(env(synth({}, { bundle: false }))).toEqual(Array(8).fill('true'));
    expect(env(synth({ tracing: false }, { bundle: false }))).toEqual(Array(8).fill('false'));
  });

  it('records a fixed share of API requests (no reservoir), on this stage only; no rule without tracing', () => {
    const rules = (t: Synthesized) =>
      Object.values(resourcesOfType(t.template, 'AWS::XRay::SamplingRule')).map((r) => (r.Properties as Json).SamplingRule);
    const s = synth(PROD, { bundle: false });
    const stage = onlyResource(s.template, 'AWS::ApiGateway::Stage').resource.Properties;
    const api = onlyResource(s.template, 'AWS::ApiGateway::RestApi').resource.Properties;
    expect(stage.TracingEnabled).toBe(true);
    expect(rules(s)).toEqual([
      expect.objectContaining({
        RuleName: 'churnwatch-prod',
        FixedRate: 0.01,
        ReservoirSize: 0,
        ServiceName: `${api.Name}/${stage.StageName}`,
        ServiceType: 'AWS::ApiGateway::Stage',
      }),
    ]);
    expect(rules(synth({ ...PROD, apiTraceRate: 0.2 }, { bundle: false }))[0].FixedRate).toBe(0.2);
    expect(rules(synth({ ...PROD, tracing: false }, { bundle: false }))).toEqual([]);
  });
});
