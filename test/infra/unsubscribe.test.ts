import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { onlyResource, resourcesOfType, synth, removeSynthDirs, type Json, type Synthesized } from './synth';

afterAll(removeSynthDirs);

let s: Synthesized;
beforeAll(() => {
  s = synth({}, { bundle: false });
});

const fnByService = (service: string) =>
  onlyResource(s.template, 'AWS::Lambda::Function', (p) => p.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service);
const statementsOf = (service: string): Json[] => {
  const roleId = fnByService(service).resource.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((policy) => (policy.Properties!.PolicyDocument as { Statement: Json[] }).Statement);
};
const keySecret = () => onlyResource(s.template, 'AWS::SecretsManager::Secret', (p) => p.Name === 'churnwatch-dev/unsubscribe-key');

describe('one-click unsubscribe', () => {
  it('routes GET and POST /unsubscribe on the usage API to the unsubscribe function, without an API key', () => {
    const resource = onlyResource(s.template, 'AWS::ApiGateway::Resource', (r) => r.PathPart === 'unsubscribe');
    const api = onlyResource(s.template, 'AWS::ApiGateway::RestApi');
    expect(resource.resource.Properties.ParentId).toEqual({ 'Fn::GetAtt': [api.id, 'RootResourceId'] });
    const methods = Object.values(resourcesOfType(s.template, 'AWS::ApiGateway::Method'))
      .map((m) => m.Properties as Record<string, Json>)
      .filter((m) => m.ResourceId?.Ref === resource.id);
    expect(methods.map((m) => m.HttpMethod).sort()).toEqual(['GET', 'POST']);
    const fn = fnByService('unsubscribe');
    for (const m of methods) {
      expect(m).toMatchObject({
        ApiKeyRequired: false,
        AuthorizationType: 'NONE',
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
      expect(JSON.stringify(m.Integration.Uri)).toContain(fn.id);
    }
  });

  it('generates the signing key in Secrets Manager; both functions may read exactly it, and its value is nowhere in the template', () => {
    const key = keySecret();
    expect(key.resource.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true });
    expect(key.resource.Properties.SecretString).toBeUndefined();
    for (const service of ['unsubscribe', 'digest']) {
      const reads = statementsOf(service).filter((st) => [st.Action].flat().some((a: string) => a.startsWith('secretsmanager:')));
      expect(reads, service).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: key.id } }]);
      expect(fnByService(service).resource.Properties.Environment.Variables.UNSUBSCRIBE_KEY_SECRET).toEqual({ Ref: key.id });
    }
  });

  it('gives the unsubscribe function Get and Put on the table only, and nothing on S3, SES or SQS', () => {
    const actions = statementsOf('unsubscribe').flatMap((st) => [st.Action].flat() as string[]);
    expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(actions.filter((a) => /^(s3|ses|sqs|sns):/.test(a))).toEqual([]);
  });

  it('tells the digest the public https URL of the endpoint (the stage URL + /unsubscribe), also as a stack output', () => {
    const url = JSON.stringify(fnByService('digest').resource.Properties.Environment.Variables.UNSUBSCRIBE_URL);
    expect(url).toMatch(/"https:\/\/".*execute-api.*\/unsubscribe/);
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.UnsubscribeUrl!.Value)).toBe(url);
  });

  it("watches the unsubscribe function like the API's other functions (errors; its duration is the API latency and 5XX alarms)", () => {
    const fn = fnByService('unsubscribe');
    const watched = Object.values(resourcesOfType(s.template, 'AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties as Record<string, Json>)
      .filter((a) => a.Namespace === 'AWS/Lambda' && a.Dimensions?.[0]?.Value?.Ref === fn.id)
      .map((a) => a.MetricName);
    expect(watched.sort()).toEqual(['Errors']);
  });
});
