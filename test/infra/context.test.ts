import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { ContextError, readSettings } from '../../lib/context';
import { parseConfig } from '../../lambdas/shared/config';
import { onlyResource, repoContext, synth, removeSynthDirs } from './synth';

afterAll(removeSynthDirs);

describe('churnwatch context', () => {
  it('accepts the cdk.json shipped with the repo and splits deployment options from the config', () => {
    const { deploy, config, testStage } = readSettings(repoContext().churnwatch);
    expect(deploy.stage).toBe('dev');
    expect(testStage).toBe(true);
    expect(deploy.deletionProtection).toBe(false);
    expect(deploy.removalPolicy).toBe('retain');
    expect(deploy.api).toEqual({ rateLimit: 100, burstLimit: 200, quotaPerDay: 1_000_000 });
    expect(config.fxRates).toEqual({ EUR: 1.08, GBP: 1.27 });
    expect(config).not.toHaveProperty('stage');
  });

  it('names the bad config field and where it came from', () => {
    expect(() => readSettings({ tierA: 10, tierB: 50 })).toThrow(/cdk\.json context "churnwatch"[\s\S]*tierB/);
    expect(() => readSettings({ digest: { from: 'not-an-email' } })).toThrow(ContextError);
    expect(() => readSettings({ reportingCurrency: 'usd' })).toThrow(/reportingCurrency/);
  });

  it('rejects unknown keys and bad deployment options with the path under churnwatch', () => {
    expect(() => readSettings({ stagee: 'dev' })).toThrow(/stagee/);
    expect(() => readSettings({ stage: 'Prod Stage' })).toThrow(/churnwatch\.stage/);
    expect(() => readSettings({ removalPolicy: 'delete' })).toThrow(/churnwatch\.removalPolicy/);
    expect(() => readSettings({ api: { rateLimit: -1 } })).toThrow(/churnwatch\.api\.rateLimit/);
    expect(() => readSettings('prod')).toThrow(ContextError);
  });

  it('makes a test stage destroyable and unprotected, and applies usage plan overrides', () => {
    const s = synth(
      {
        stage: 'test',
        testStages: ['test'],
        removalPolicy: 'destroy',
        api: { rateLimit: 5, burstLimit: 10, quotaPerDay: 1000 },
        logRetentionDays: 7,
      },
      { bundle: false },
    );
    expect(s.stack.stackName).toBe('Churnwatch-test');
    const table = onlyResource(s.template, 'AWS::DynamoDB::Table').resource;
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    for (const bucket of Object.values(s.template.findResources('AWS::S3::Bucket'))) expect(bucket.DeletionPolicy).toBe('Delete');
    expect(onlyResource(s.template, 'AWS::ApiGateway::UsagePlan').resource.Properties).toMatchObject({
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Quota: { Limit: 1000, Period: 'DAY' },
    });
    for (const group of Object.values(s.template.findResources('AWS::Logs::LogGroup'))) expect(group.Properties.RetentionInDays).toBe(7);
  });

  it('schedules the snapshot from snapshot.schedule and scopes SES to a configuration set when one is set', () => {
    const s = synth(
      {
        stage: 'ses',
        snapshot: { schedule: 'cron(30 5 * * ? *)' },
        digest: {
          from: 'digest@mail.acme.io',
          fallbackTo: 'cs@acme.io',
          allowedRecipientDomains: ['acme.io'],
          configurationSet: 'churnwatch-digest',
        },
      },
      { bundle: false },
    );
    expect(onlyResource(s.template, 'AWS::Events::Rule').resource.Properties.ScheduleExpression).toBe('cron(30 5 * * ? *)');
    const policy = JSON.stringify(s.template.findResources('AWS::IAM::Policy'));
    expect(policy).toContain(':identity/digest@mail.acme.io');
    expect(policy).toContain(':identity/mail.acme.io');
    expect(policy).toContain(':configuration-set/churnwatch-digest');
    // An operator's own configuration set is used as is: the stack creates none.
    expect(Object.keys(s.template.findResources('AWS::SES::ConfigurationSet'))).toEqual([]);
  });

  it('still reads the deprecated digest.schedule, and says so as a synth warning', () => {
    const s = synth({ snapshot: undefined, digest: { schedule: 'cron(15 4 * * ? *)' } }, { bundle: false });
    expect(onlyResource(s.template, 'AWS::Events::Rule').resource.Properties.ScheduleExpression).toBe('cron(15 4 * * ? *)');
    Annotations.fromStack(s.stack).hasWarning(
      '*',
      Match.stringLikeRegexp('churnwatch\\.digest\\.schedule is deprecated.*snapshot\\.schedule'),
    );
    const quiet = synth({ snapshot: { schedule: 'cron(15 4 * * ? *)' } }, { bundle: false });
    expect(Annotations.fromStack(quiet.stack).findWarning('*', Match.stringLikeRegexp('deprecated'))).toEqual([]);
  });

  it('refuses the two schedule keys when they disagree, and checks the new one like the old', () => {
    expect(() => readSettings({ snapshot: { schedule: 'rate(1 day)' }, digest: { schedule: 'cron(0 6 * * ? *)' } })).toThrow(
      /digest\.schedule: set only snapshot\.schedule/,
    );
    expect(() => readSettings({ snapshot: { schedule: 'rate(5 minute)' } })).toThrow(/snapshot\.schedule: .*plural unit/);
    expect(parseConfig({ snapshot: { schedule: 'rate(1 day)' }, digest: { schedule: 'rate(1 day)' } }).snapshot.schedule).toBe(
      'rate(1 day)',
    );
    expect(parseConfig({}).snapshot.schedule).toBe('cron(0 6 * * ? *)');
  });
});
