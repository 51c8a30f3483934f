import { Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { nagPacks } from '../../lib/nag';
import { repoContext, synth, type Synthesized, removeSynthDirs, tempOutdir } from './synth';

afterAll(removeSynthDirs);

interface Violation {
  ruleName: string;
  violatingResources: { constructPath: string }[];
}

const findings = (scope: Parameters<ReturnType<typeof nagPacks>[number]['validateScope']>[0]) =>
  nagPacks().flatMap((pack) =>
    (pack.validateScope(scope).violations as Violation[]).map(
      (v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    ),
  );

describe('cdk-nag AwsSolutions and Serverless packs', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({}, { bundle: false });
  });

  it('report no unacknowledged finding on the stack', () => {
    expect(findings(s.app)).toEqual([]);
  });

  it('report none either with tracing off and resources destroyable (a test stage)', () => {
    const test = synth({ stage: 'test', testStages: ['test'], tracing: false, removalPolicy: 'destroy' }, { bundle: false });
    expect(findings(test.app)).toEqual([]);
  });

  it('report none with Slack digests on (the webhook secret read by the digest)', () => {
    const slack = synth({ slack: { secretName: 'churnwatch/slack-webhooks' } }, { bundle: false });
    expect(findings(slack.app)).toEqual([]);
  });

  it('report none on a production stage (recipient allowlist, SES configuration set and its event topic)', () => {
    const prod = synth(
      {
        stage: 'prod',
        digest: { from: 'churnwatch@acme.io', fallbackTo: 'cs@acme.io', allowedRecipientDomains: ['acme.io'] },
        apiReservedConcurrency: 0,
      },
      { bundle: false },
    );
    expect(findings(prod.app)).toEqual([]);
  });

  it('give every acknowledgement a written reason', () => {
    const acks = s.app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) {
      expect(reason.length, id).toBeGreaterThan(30);
    }
  });

  it('run on every synth of the app (as `cdk synth` does) and fail it on an unacknowledged finding', () => {
    const context = { ...repoContext(), 'aws:cdk:bundling-stacks': [] };
    const clean = buildApp({ outdir: tempOutdir(), context });
    expect(() => clean.app.synth()).not.toThrow();

    const dirty = buildApp({ outdir: tempOutdir(), context });
    new Bucket(dirty.stack, 'CarelessBucket');
    expect(() => dirty.app.synth()).toThrow(/AwsSolutions-S1'[\s\S]*validation-report\.json/);
  });

  it('do catch a finding that nobody acknowledged (the check is live)', () => {
    const probe = synth({ stage: 'probe', testStages: ['probe'] }, { bundle: false });
    new Bucket(probe.stack as Stack, 'CarelessBucket');
    const found = findings(probe.app);
    expect(found.some((f) => f.startsWith('AwsSolutions-S1 @') && f.includes('CarelessBucket'))).toBe(true);
    expect(found.some((f) => f.startsWith('AwsSolutions-S10 @') && f.includes('CarelessBucket'))).toBe(true);
  });
});
