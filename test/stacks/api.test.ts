import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../core/desk/settings.js';
import { Api, WEBHOOK_PATH, WEBHOOK_ROUTE } from '../../stacks/Api.js';
import { onlyResource, propertyOf, type SynthesizedTestApp, synthesizeForTest } from '../helpers/synth.js';

const STAGE = 'test';
const webhook = stageSettings(STAGE).webhook;

let app: SynthesizedTestApp;
let template: Template;

beforeAll(async () => {
  app = await synthesizeForTest(STAGE);
  template = app.template(Api);
});

/** The Script's `UserParams`, with the API endpoint token replaced by `endpoint`. */
function scriptParams(endpoint: string): { params: unknown; apiLogicalId: string } {
  const script = onlyResource(template, 'Custom::SSTScript').resource;
  const join = propertyOf<{ 'Fn::Join': [string, unknown[]] }>(script, 'UserParams')['Fn::Join'];
  let apiLogicalId = '';
  const text = join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const [logicalId, attribute] = (part as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      expect(attribute).toBe('ApiEndpoint');
      apiLogicalId = logicalId;
      return endpoint;
    })
    .join(join[0]);
  return { params: JSON.parse(text), apiLogicalId };
}

describe('Api stack', () => {
  it('routes POST /telegram to the webhook function with payload format 2.0', () => {
    const fn = app.fn('webhook');
    expect(fn.stackName).toBe('test-wallet-desk-Api');
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: WEBHOOK_ROUTE, AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
    expect(WEBHOOK_ROUTE).toBe(`POST ${WEBHOOK_PATH}`);
  });

  it('runs the webhook on nodejs22.x arm64 with the timeout and memory of settings.webhook', () => {
    const fn = app.fn('webhook');
    expect(fn.resource.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: webhook.timeoutSeconds,
      MemorySize: webhook.memoryMb,
    });
    // Code is not bundled in tests (placeholder runtime), so also check what SST builds from.
    expect(fn.props).toMatchObject({
      runtime: 'nodejs22.x',
      architecture: 'arm_64',
      handler: 'functions/webhook.handler',
    });
  });

  it('serves no CORS preflight (Telegram calls server to server)', () => {
    const api = onlyResource(template, 'AWS::ApiGatewayV2::Api').resource;
    expect(api.Properties?.ProtocolType).toBe('HTTP');
    expect(api.Properties?.CorsConfiguration).toBeUndefined();
  });

  describe('webhook registration script', () => {
    it('calls setWebhook on create and update, and deleteWebhook on delete', () => {
      template.resourceCountIs('Custom::SSTScript', 1);
      const register = app.fn('registerWebhook');
      const unregister = app.fn('unregisterWebhook');
      template.hasResourceProperties('Custom::SSTScript', {
        UserCreateFunction: { Ref: register.logicalId },
        UserUpdateFunction: { Ref: register.logicalId },
        UserDeleteFunction: { Ref: unregister.logicalId },
      });
      expect(register.props.handler).toBe('functions/register-webhook.register');
      expect(unregister.props.handler).toBe('functions/register-webhook.unregister');
      expect(register.props).toMatchObject({ runtime: 'nodejs22.x', architecture: 'arm_64', enableLiveDev: false });
    });

    it('passes the API url + /telegram, allowed updates and max connections of settings.webhook as params', () => {
      const { params, apiLogicalId } = scriptParams('https://abc.execute-api.example');
      expect(params).toEqual({
        url: `https://abc.execute-api.example${WEBHOOK_PATH}`,
        allowedUpdates: webhook.allowedUpdates,
        maxConnections: webhook.maxConnections,
      });
      const api = app.resolve('test-wallet-desk-Api', { Ref: apiLogicalId });
      expect(api.resource.Type).toBe('AWS::ApiGatewayV2::Api');
    });

    it('puts no secret in the params (the script runner logs them)', () => {
      const { params } = scriptParams('https://x');
      expect(JSON.stringify(params)).not.toMatch(/secret|token|__FETCH_FROM/i);
    });
  });

  it('outputs the API and webhook URLs', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('WebhookUrl', {});
  });
});
