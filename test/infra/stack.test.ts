import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyResource, resourcesOfType, sqsSourceOf, stateMachineInvoking, synth, type Synthesized, removeSynthDirs } from './synth';
import type { Json } from './synth';
import { scaled } from '../support/timeouts';

afterAll(removeSynthDirs);

let s: Synthesized;
/** Imports a bundle in a fresh Node process, as the Lambda runtime would, and reports its exports. */
const exportedTypes = (url: string): Record<string, string> =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(url)}); console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v]))));`,
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: scaled(30_000), killSignal: 'SIGKILL' },
    ),
  ) as Record<string, string>;
beforeAll(() => {
  s = synth();
  // The Lambda runtime resolves the AWS SDK from its own node_modules; the project's stands in for it.
  symlinkSync(join(__dirname, '../../node_modules'), join(s.outdir, 'node_modules'), 'dir');
});

const fnByService = (service: string) =>
  onlyResource(s.template, 'AWS::Lambda::Function', (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service);
const getAttArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('data bucket', () => {
  const dataBucket = () => onlyResource(s.template, 'AWS::S3::Bucket', (p) => p.LoggingConfiguration !== undefined);

  it('blocks public access, is encrypted with S3-managed keys and versioned', () => {
    const { Properties: p } = dataBucket().resource;
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('writes server access logs to the separate log bucket, which is itself private and encrypted', () => {
    const { Properties: p } = dataBucket().resource;
    const logBucketId = p.LoggingConfiguration.DestinationBucketName.Ref as string;
    const logBucket = resourcesOfType(s.template, 'AWS::S3::Bucket')[logBucketId]!;
    expect(logBucketId).not.toBe(dataBucket().id);
    expect(logBucket.Properties?.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });
    expect(logBucket.Properties?.BucketEncryption).toBeDefined();
  });

  it('denies every request that is not over TLS, on both buckets', () => {
    const policies = Object.values(resourcesOfType(s.template, 'AWS::S3::BucketPolicy'));
    const enforced = policies.filter((policy) =>
      (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement.some(
        (st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false' && st.Action === 's3:*',
      ),
    );
    expect(enforced.map((p) => (p.Properties!.Bucket as { Ref: string }).Ref).sort()).toEqual(
      Object.keys(resourcesOfType(s.template, 'AWS::S3::Bucket')).sort(),
    );
  });

  it('moves exports/ to IA after 30 days and Glacier after 180, expires noncurrent versions, never expires quarantine/ or failed/', () => {
    const rules = dataBucket().resource.Properties.LifecycleConfiguration.Rules as Json[];
    const exportsRule = rules.find((r) => r.Prefix === 'exports/');
    expect(exportsRule.Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
      { StorageClass: 'GLACIER', TransitionInDays: 180 },
    ]);
    expect(rules.some((r) => r.NoncurrentVersionExpiration?.NoncurrentDays > 0 && r.Prefix === undefined)).toBe(true);
    for (const rule of rules) {
      // A rule that expires current objects would have to be scoped away from quarantine/ and failed/.
      if (rule.ExpirationInDays !== undefined || rule.ExpirationDate !== undefined) {
        expect(['quarantine/', 'failed/', undefined]).not.toContain(rule.Prefix);
      }
    }
  });

  it('sends object-created events for exports/ and events/ (only) to the ingest queue', () => {
    const { Properties: p } = onlyResource(s.template, 'Custom::S3BucketNotifications').resource;
    const queue = sqsSourceOf(s.template, 'ingest-billing').queue;
    const configs = p.NotificationConfiguration.QueueConfigurations as Json[];
    expect(p.NotificationConfiguration.LambdaFunctionConfigurations).toBeUndefined();
    expect(configs.map((c) => c.Filter.Key.FilterRules)).toHaveLength(2);
    expect(configs.map((c) => c.Filter.Key.FilterRules).flat()).toEqual(
      expect.arrayContaining([
        { Name: 'prefix', Value: 'events/' },
        { Name: 'prefix', Value: 'exports/' },
      ]),
    );
    for (const c of configs) {
      expect(c.Events).toEqual(['s3:ObjectCreated:*']);
      expect(c.QueueArn).toEqual(getAttArn(queue.id));
    }
  });

  it('is retained when the stack is deleted', () => {
    expect(dataBucket().resource.DeletionPolicy).toBe('Retain');
  });
});

describe('usage queue and aggregator', () => {
  it('has the API enqueue (SendMessage only) on an encrypted queue with a dead-letter queue after 5 receives', () => {
    const { queue } = sqsSourceOf(s.template, 'usage-aggregator');
    const api = fnByService('ingest-usage');
    expect(api.resource.Properties.Environment.Variables.USAGE_QUEUE_URL).toEqual({ Ref: queue.id });
    expect(queue.resource.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    expect(queue.resource.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    const role = api.resource.Properties.Role['Fn::GetAtt'][0];
    const sqs = Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Json[] }).Statement)
      .filter((st) => [st.Action].flat().some((a: string) => a.startsWith('sqs:')));
    expect(sqs.map((st) => [[st.Action].flat().sort(), st.Resource])).toEqual([
      [['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], { 'Fn::GetAtt': [queue.id, 'Arn'] }],
    ]);
  });

  it('feeds the aggregator batches of up to 1,000 messages over a 5-minute window, reporting bad messages one by one', () => {
    const { fn, mapping, queue } = sqsSourceOf(s.template, 'usage-aggregator');
    expect(mapping.resource.Properties).toMatchObject({
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 300,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(queue.resource.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (fn.resource.Properties.Timeout as number));
  });
});

describe('ingest queue', () => {
  const ingestQueue = () => sqsSourceOf(s.template, 'ingest-billing').queue;

  it('has a dead-letter queue after 5 receives, and every queue is encrypted and TLS-only', () => {
    const { Properties: p } = ingestQueue().resource;
    expect(p.RedrivePolicy.maxReceiveCount).toBe(5);
    const dlqId = p.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string;
    expect(Object.keys(resourcesOfType(s.template, 'AWS::SQS::Queue'))).toContain(dlqId);
    for (const [id, q] of Object.entries(resourcesOfType(s.template, 'AWS::SQS::Queue'))) {
      expect(q.Properties?.SqsManagedSseEnabled ?? q.Properties?.KmsMasterKeyId, id).toBeTruthy();
    }
    const tlsOnly = Object.values(resourcesOfType(s.template, 'AWS::SQS::QueuePolicy')).flatMap((qp) =>
      (qp.Properties!.PolicyDocument as { Statement: Json[] }).Statement.filter(
        (st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      ).flatMap(() => (qp.Properties!.Queues as { Ref: string }[]).map((q) => q.Ref)),
    );
    expect(tlsOnly.sort()).toEqual(Object.keys(resourcesOfType(s.template, 'AWS::SQS::Queue')).sort());
  });

  it('keeps messages invisible for at least 6x the consuming function timeout', () => {
    const queue = ingestQueue();
    const mapping = onlyResource(s.template, 'AWS::Lambda::EventSourceMapping', (m) => m.EventSourceArn?.['Fn::GetAtt']?.[0] === queue.id);
    const fnId = mapping.resource.Properties.FunctionName.Ref as string;
    const timeout = resourcesOfType(s.template, 'AWS::Lambda::Function')[fnId]!.Properties!.Timeout as number;
    expect(timeout).toBeGreaterThan(0);
    expect(queue.resource.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    // Message size: the SQS default (256 KB) applies unless set lower; S3 events need well under 64 KB.
    expect(queue.resource.Properties.MaximumMessageSize ?? 262_144).toBeGreaterThanOrEqual(65_536);
  });

  it('feeds ingest-billing one file at a time (a slow file never takes others to the DLQ), with partial batch failure reporting', () => {
    const { mapping } = sqsSourceOf(s.template, 'ingest-billing');
    expect(mapping.resource.Properties).toMatchObject({ BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(mapping.resource.Properties.FunctionName).toEqual({ Ref: fnByService('ingest-billing').id });
  });
});

describe('functions', () => {
  const expected = {
    'ingest-billing': { MemorySize: 1024, Timeout: 300 },
    'ingest-large': { MemorySize: 1024, Timeout: 300 },
    'ingest-usage': { MemorySize: 512, Timeout: 10 },
    'ingest-segment': { MemorySize: 512, Timeout: 10 },
    snapshot: { MemorySize: 3008, Timeout: 600 },
    digest: { MemorySize: 1024, Timeout: 300 },
  };

  it.each(Object.entries(expected))('%s: Node.js 22 on arm64 with its memory, timeout and environment', (service, sizing) => {
    const { Properties: p } = fnByService(service).resource;
    expect(p).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', ...sizing });
    const env = p.Environment.Variables;
    expect(env).toMatchObject({
      POWERTOOLS_SERVICE_NAME: service,
      POWERTOOLS_METRICS_NAMESPACE: 'Churnwatch',
      CHURNWATCH_STAGE: 'dev',
      LOG_LEVEL: 'INFO',
    });
    expect(env.TABLE_NAME).toEqual({ Ref: onlyResource(s.template, 'AWS::DynamoDB::Table').id });
    expect(env.BUCKET_NAME.Ref).toMatch(/^StorageData/);
    expect(JSON.parse(env.CHURNWATCH_CONFIG).snapshot.schedule).toBe('cron(0 6 * * ? *)');
  });

  it('sizes the snapshot heap in NODE_OPTIONS: flags Node accepts there, heap under half the memory', () => {
    const { Properties: p } = fnByService('snapshot').resource;
    const options = p.Environment.Variables.NODE_OPTIONS as string;
    expect(options).toMatch(/--max-old-space-size=\d+/);
    expect(options).toMatch(/--max-semi-space-size=\d+/);
    // Node refuses to start on an option NODE_OPTIONS does not allow: this runs the deployed value.
    const limitMb = Number(
      execFileSync(process.execPath, ['-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit / 2 ** 20))'], {
        env: { ...process.env, NODE_OPTIONS: options },
      }).toString(),
    );
    const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(options)![1]);
    const semiSpace = Number(/--max-semi-space-size=(\d+)/.exec(options)![1]);
    expect(limitMb).toBe(oldSpace + 3 * semiSpace);
    expect(limitMb).toBeLessThanOrEqual(p.MemorySize / 2);
    expect(fnByService('digest').resource.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it.each(Object.keys(expected))('%s: logs to its own log group with a retention period', (service) => {
    const logGroupId = fnByService(service).resource.Properties.LoggingConfig.LogGroup.Ref as string;
    expect(resourcesOfType(s.template, 'AWS::Logs::LogGroup')[logGroupId]!.Properties!.RetentionInDays).toBe(30);
  });

  it.each(Object.keys(expected))('%s: is an ESM bundle built into the cloud assembly', (service) => {
    const zip = fnByService(service).resource.Properties.Code.S3Key as string;
    const entry = join(s.outdir, `asset.${zip.replace(/\.zip$/, '')}`, 'index.mjs');
    expect(existsSync(entry)).toBe(true);
    const code = readFileSync(entry, 'utf8');
    expect(code).toMatch(/^import\{createRequire as __cwCreateRequire\}from'module';/);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    expect(code).not.toMatch(/\bmodule\.exports\s*=/);
    // Only the AWS SDK (which the Node.js 22 runtime provides) and Node built-ins stay outside the bundle.
    const external = [...code.matchAll(/\b(?:from|import)\s*["']([\w@/.:-]+)["']/g)].map((m) => m[1]!);
    expect(external.some((spec) => spec.startsWith('@aws-sdk/'))).toBe(true);
    expect(external.filter((spec) => !spec.startsWith('@aws-sdk/') && !spec.startsWith('node:') && !isBuiltin(spec))).toEqual([]);
  });

  it.each(Object.keys(expected))('%s: the bundle loads as an ES module and exports the handler', (service) => {
    const zip = fnByService(service).resource.Properties.Code.S3Key as string;
    const entry = join(s.outdir, `asset.${zip.replace(/\.zip$/, '')}`, 'index.mjs');
    expect(exportedTypes(pathToFileURL(entry).href)).toMatchObject({ handler: 'function' });
  });

  it('hands the snapshot over to the digest by name, and lets it invoke only that function', () => {
    const snapshot = fnByService('snapshot');
    const digest = fnByService('digest');
    expect(snapshot.resource.Properties.Environment.Variables.DIGEST_FUNCTION_NAME).toEqual({ Ref: digest.id });
    // The large-file state machine's own invoke of ingest-large is asserted in large-files.test.ts.
    const invokes = Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy'))
      .filter((policy) => !JSON.stringify(policy.Properties!.Roles).includes('StateMachineRole'))
      .flatMap((policy) =>
        (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement.filter((st) =>
          [st.Action].flat().includes('lambda:InvokeFunction'),
        ).map((st) => ({
          roles: policy.Properties!.Roles,
          resource: st.Resource,
        })),
      );
    expect(invokes).toEqual([
      { roles: [snapshot.resource.Properties.Role['Fn::GetAtt'][0]].map((r) => ({ Ref: r })), resource: getAttArn(digest.id) },
    ]);
  });

  it('gives the snapshot and the digest retries and an SQS on-failure destination for async invokes', () => {
    for (const service of ['snapshot', 'digest']) {
      const fn = fnByService(service);
      const config = onlyResource(s.template, 'AWS::Lambda::EventInvokeConfig', (c) => c.FunctionName?.Ref === fn.id);
      expect(config.resource.Properties.MaximumRetryAttempts).toBe(2);
      const destination = config.resource.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0] as string;
      expect(resourcesOfType(s.template, 'AWS::SQS::Queue')[destination]).toBeDefined();
    }
  });
});

describe('table', () => {
  // Deletion protection of production stages: test/infra/ops.test.ts.
  it("is on-demand with point-in-time recovery and retained; cdk.json's dev test stage is not deletion-protected", () => {
    const { resource } = onlyResource(s.template, 'AWS::DynamoDB::Table');
    expect(resource.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: false,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.UpdateReplacePolicy).toBe('Retain');
  });
});

describe('usage API', () => {
  const eventsResource = () => onlyResource(s.template, 'AWS::ApiGateway::Resource', (r) => r.PathPart === 'events');
  const postEvents = () =>
    onlyResource(s.template, 'AWS::ApiGateway::Method', (m) => m.HttpMethod === 'POST' && m.ResourceId?.Ref === eventsResource().id);

  it('is a regional REST API with POST /events as a Lambda proxy to ingest-usage', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    s.template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'events' });
    const { Properties: p } = postEvents().resource;
    expect(p.Integration.Type).toBe('AWS_PROXY');
    expect(JSON.stringify(p.Integration.Uri)).toContain(fnByService('ingest-usage').id);
  });

  it('requires an API key on POST /events', () => {
    expect(postEvents().resource.Properties.ApiKeyRequired).toBe(true);
  });

  it('validates the body against the docs/metrics.md §2 model: an events array, leaving each event to the handler', () => {
    const { Properties: p } = postEvents().resource;
    const validatorId = p.RequestValidatorId.Ref as string;
    expect(resourcesOfType(s.template, 'AWS::ApiGateway::RequestValidator')[validatorId]!.Properties).toMatchObject({
      ValidateRequestBody: true,
    });
    const modelId = p.RequestModels['application/json'].Ref as string;
    const schema = resourcesOfType(s.template, 'AWS::ApiGateway::Model')[modelId]!.Properties!.Schema as Json;
    expect(schema.required).toEqual(['events']);
    expect(schema.properties.events).toMatchObject({ type: 'array', minItems: 1 });
    // A type error in one event, or 1,001 events, must reach the handler (202 with rejected; 413).
    expect(schema.properties.events.items).toBeUndefined();
    expect(schema.properties.events.maxItems).toBeUndefined();
    expect(schema.properties.events.description).toMatch(/eventId, customerId, feature, timestamp/);
  });

  it('has a usage plan with the API key, throttle 100/200 and a daily quota of 1,000,000', () => {
    const plan = onlyResource(s.template, 'AWS::ApiGateway::UsagePlan');
    expect(plan.resource.Properties).toMatchObject({
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      Quota: { Limit: 1_000_000, Period: 'DAY' },
    });
    const key = onlyResource(s.template, 'AWS::ApiGateway::ApiKey');
    s.template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: key.id },
      UsagePlanId: { Ref: plan.id },
      KeyType: 'API_KEY',
    });
  });

  it('writes JSON access logs to a log group and throttles the stage', () => {
    const { Properties: p } = onlyResource(s.template, 'AWS::ApiGateway::Stage').resource;
    const logGroupId = p.AccessLogSetting.DestinationArn['Fn::GetAtt'][0] as string;
    expect(resourcesOfType(s.template, 'AWS::Logs::LogGroup')[logGroupId]).toBeDefined();
    expect(JSON.parse(p.AccessLogSetting.Format)).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      churnwatchStage: 'dev',
    });
    expect(p.MethodSettings[0]).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, LoggingLevel: 'ERROR' });
    expect(p.TracingEnabled).toBe(true);
  });
});

describe('schedule', () => {
  it('starts the snapshot state machine daily at snapshot.schedule, with retries and a dead-letter queue', () => {
    const rule = onlyResource(s.template, 'AWS::Events::Rule');
    expect(rule.resource.Properties.ScheduleExpression).toBe('cron(0 6 * * ? *)');
    const [target, ...others] = rule.resource.Properties.Targets as Json[];
    expect(others).toEqual([]);
    expect(target.Arn).toEqual({ Ref: stateMachineInvoking(s.template, 'snapshot', '<fn>').id });
    expect(target.Input).toBeUndefined(); // the scheduled event itself: Plan reads its time
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    const dlq = target.DeadLetterConfig.Arn['Fn::GetAtt'][0] as string;
    expect(resourcesOfType(s.template, 'AWS::SQS::Queue')[dlq]).toBeDefined();
  });
});

describe('SES', () => {
  it('lets only the digest send, and only as the configured sender address or its domain', () => {
    const senders = Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement.filter((st) =>
        [st.Action].flat().some((a: string) => a.startsWith('ses:')),
      ).map((st) => ({ roles: policy.Properties!.Roles, st })),
    );
    expect(senders).toHaveLength(1);
    const digestRole = fnByService('digest').resource.Properties.Role['Fn::GetAtt'][0];
    expect(senders[0]!.roles).toEqual([{ Ref: digestRole }]);
    expect([senders[0]!.st.Action].flat().sort()).toEqual(['ses:SendEmail']);
    const resources = JSON.stringify(senders[0]!.st.Resource);
    expect(resources).toContain(':identity/churnwatch@example.com');
    expect(resources).toContain(':identity/example.com');
    expect(resources).toContain(':configuration-set/churnwatch-dev-digest');
    expect(resources).not.toContain('*');
  });
});

describe('IAM', () => {
  const statements = () =>
    Object.entries(resourcesOfType(s.template, 'AWS::IAM::Policy')).flatMap(([id, policy]) =>
      (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement.map((st) => ({ id, st })),
    );

  it('has no statement allowing every action', () => {
    const all = [
      ...statements(),
      ...Object.entries(resourcesOfType(s.template, 'AWS::IAM::Role')).flatMap(([id, role]) =>
        ((role.Properties!.Policies as { PolicyDocument: { Statement: Json[] } }[] | undefined) ?? []).flatMap((p) =>
          p.PolicyDocument.Statement.map((st) => ({ id, st })),
        ),
      ),
    ];
    expect(all.length).toBeGreaterThan(0);
    for (const { id, st } of all) {
      expect([st.Action].flat(), id).not.toContain('*');
      for (const action of [st.Action].flat() as string[]) expect(action, id).not.toMatch(/^[a-z0-9-]+:\*$/);
    }
  });

  it('uses no action wildcards in the function roles, and Resource "*" only for X-Ray', () => {
    // The state machine's role (log delivery needs Resource "*") is asserted in large-files.test.ts.
    const fnPolicies = statements().filter(
      ({ id }) => !id.startsWith('BucketNotificationsHandler') && !id.includes('NotificationsHandler') && !id.includes('StateMachineRole'),
    );
    for (const { id, st } of fnPolicies) {
      for (const action of [st.Action].flat() as string[]) expect(action, id).not.toContain('*');
      if ([st.Resource].flat().includes('*'))
        expect(
          [st.Action].flat().every((a: string) => a.startsWith('xray:')),
          id,
        ).toBe(true);
    }
  });

  it('restricts S3 object access to the prefixes each function needs', () => {
    const s3Grants = (service: string) => {
      const role = fnByService(service).resource.Properties.Role['Fn::GetAtt'][0];
      return statements()
        .filter(({ id }) =>
          (resourcesOfType(s.template, 'AWS::IAM::Policy')[id]!.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === role),
        )
        .filter(({ st }) => [st.Action].flat().some((a: string) => a.startsWith('s3:')))
        .flatMap(({ st }) =>
          // Object ARNs are joined from the bucket ARN and a key pattern; the bucket itself (ListBucket) is its ARN.
          [st.Action]
            .flat()
            .flatMap((a: string) =>
              [st.Resource]
                .flat()
                .map(
                  (r: Json) =>
                    `${a} ${r['Fn::Join'] ? r['Fn::Join'][1][1] : 'bucket'}${st.Condition ? ` ${JSON.stringify(st.Condition)}` : ''}`,
                ),
            ),
        )
        .sort();
    };
    expect(s3Grants('ingest-billing')).toEqual([
      's3:DeleteObject /exports/*',
      's3:GetObject /events/*',
      's3:GetObject /exports/*',
      's3:PutObject /failed/*',
      's3:PutObject /quarantine/*',
    ]);
    expect(s3Grants('ingest-large')).toEqual([
      's3:DeleteObject /exports/*',
      's3:GetObject /exports/*',
      's3:GetObject /staging/*',
      's3:PutObject /failed/*',
      's3:PutObject /quarantine/*',
      's3:PutObject /staging/*',
    ]);
    expect(s3Grants('snapshot')).toEqual([
      's3:AbortMultipartUpload /reports/*',
      's3:AbortMultipartUpload /staging/*',
      's3:DeleteObject /usage-inbox/*',
      's3:GetObject /reports/*',
      's3:GetObject /staging/*',
      's3:GetObject /usage-inbox/*',
      's3:ListBucket bucket {"StringLike":{"s3:prefix":["usage-inbox/*"]}}',
      's3:PutObject /reports/*',
      's3:PutObject /staging/*',
    ]);
    expect(s3Grants('digest')).toEqual(['s3:GetObject /reports/*']);
    expect(s3Grants('ingest-usage')).toEqual([]);
    expect(s3Grants('usage-aggregator')).toEqual(['s3:PutObject /usage-inbox/*']);
  });
});

describe('monitoring', () => {
  it('encrypts the ops topic with a rotating customer key and denies non-TLS publishing', () => {
    const topic = onlyResource(s.template, 'AWS::SNS::Topic', (p) => p.DisplayName === 'Churnwatch alarms');
    const keyId = topic.resource.Properties.KmsMasterKeyId['Fn::GetAtt'][0] as string;
    expect(resourcesOfType(s.template, 'AWS::KMS::Key')[keyId]!.Properties!.EnableKeyRotation).toBe(true);
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it("alarms on the failure queues, the oldest ingest message, every function's errors and duration (throttles surface in the outcome alarms), the API, the table and the custom metrics, all to the topic", () => {
    const topic = onlyResource(s.template, 'AWS::SNS::Topic', (p) => p.DisplayName === 'Churnwatch alarms');
    const alarms = Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties as Record<string, Json>);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topic.id }]);

    const queueOf = (a: Record<string, Json>) => a.Dimensions?.find((d: Json) => d.Name === 'QueueName')?.Value?.['Fn::GetAtt']?.[0];
    const dlqAlarms = alarms.filter((a) => a.Namespace === 'AWS/SQS' && a.MetricName === 'ApproximateNumberOfMessagesVisible').map(queueOf);
    const ingestQueue = sqsSourceOf(s.template, 'ingest-billing').queue;
    const ingestDlq = ingestQueue.resource.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
    const usageQueue = sqsSourceOf(s.template, 'usage-aggregator').queue;
    const usageDlq = usageQueue.resource.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
    const digestFailures = onlyResource(
      s.template,
      'AWS::Lambda::EventInvokeConfig',
      (c) => c.FunctionName?.Ref === fnByService('digest').id,
    ).resource.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
    expect(dlqAlarms).toEqual(expect.arrayContaining([ingestDlq, usageDlq, digestFailures]));
    const age = alarms.filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(Object.fromEntries(age.map((a) => [queueOf(a), a.Threshold]))).toEqual({ [ingestQueue.id]: 1800, [usageQueue.id]: 900 });

    const functions = [
      'ingest-billing',
      'ingest-large',
      'ingest-usage',
      'usage-aggregator',
      'ingest-segment',
      'snapshot',
      'digest',
      'unsubscribe',
    ].map((svc) => fnByService(svc).id);
    const watched = (metric: string) =>
      alarms
        .filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === metric)
        .map((a) => a.Dimensions[0].Value.Ref)
        .sort();
    expect(watched('Errors')).toEqual([...functions].sort());
    // The API's functions: their duration is the API's latency and 5XX alarms.
    const behindApi = ['ingest-usage', 'ingest-segment', 'unsubscribe'].map((svc) => fnByService(svc).id);
    expect(watched('Duration')).toEqual(functions.filter((f) => !behindApi.includes(f)).sort());
    expect(alarms.filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Throttles')).toEqual([]);
    const custom = alarms.filter((a) => a.Namespace === 'Churnwatch');
    expect(custom.map((a) => [a.MetricName, a.Dimensions]).sort()).toEqual([
      ['ApiThrottled', [{ Name: 'stage', Value: 'dev' }]],
      [
        'CustomersScanned',
        [
          { Name: 'service', Value: 'snapshot' },
          { Name: 'stage', Value: 'dev' },
        ],
      ],
      [
        'DigestFailures',
        [
          { Name: 'service', Value: 'digest' },
          { Name: 'stage', Value: 'dev' },
        ],
      ],
      [
        'FilesFailed',
        [
          { Name: 'service', Value: 'ingest-billing' },
          { Name: 'stage', Value: 'dev' },
        ],
      ],
      [
        'FilesFailed',
        [
          { Name: 'service', Value: 'ingest-large' },
          { Name: 'stage', Value: 'dev' },
        ],
      ],
      [
        'QuarantinedRows',
        [
          { Name: 'service', Value: 'ingest-billing' },
          { Name: 'stage', Value: 'dev' },
        ],
      ],
      [
        'QuarantinedRows',
        [
          { Name: 'service', Value: 'ingest-large' },
          { Name: 'stage', Value: 'dev' },
        ],
      ],
      [
        'RecipientsRefused',
        [
          { Name: 'service', Value: 'digest' },
          { Name: 'stage', Value: 'dev' },
        ],
      ],
    ]);
    const api = alarms.filter((a) => a.Namespace === 'AWS/ApiGateway');
    expect(api.map((a) => [a.MetricName, a.Dimensions]).sort()).toEqual([
      ['5XXError', [{ Name: 'ApiName', Value: 'churnwatch-dev' }]],
      ['Latency', [{ Name: 'ApiName', Value: 'churnwatch-dev' }]],
    ]);
    const table = alarms.filter((a) => a.Namespace === 'AWS/DynamoDB');
    expect(table.map((a) => a.MetricName).sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
    const executions = alarms.filter((a) => a.Namespace === 'AWS/States');
    // Failed and timed-out large files, failed snapshots (a snapshot that runs long trips the heartbeat).
    expect(executions.map((a) => a.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    expect(alarms).toHaveLength(
      dlqAlarms.length +
        age.length +
        2 * functions.length -
        behindApi.length +
        custom.length +
        api.length +
        table.length +
        executions.length,
    );
  });

  it('outputs the API URL, API key id, bucket, table and alarm topic', () => {
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ApiKeyId!.Value).toEqual({ Ref: onlyResource(s.template, 'AWS::ApiGateway::ApiKey').id });
    expect(outputs.BucketName!.Value).toEqual({
      Ref: onlyResource(s.template, 'AWS::S3::Bucket', (p) => p.LoggingConfiguration !== undefined).id,
    });
    expect(outputs.TableName!.Value).toEqual({ Ref: onlyResource(s.template, 'AWS::DynamoDB::Table').id });
    expect(outputs.AlarmTopicArn!.Value).toEqual({
      Ref: onlyResource(s.template, 'AWS::SNS::Topic', (p) => p.DisplayName === 'Churnwatch alarms').id,
    });
    expect(JSON.stringify(outputs.ApiUrl!.Value)).toMatch(/execute-api.*\/events/);
  });
});
