import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../core/desk/settings.js';
import { Api, WEBHOOK_PATH } from '../../stacks/Api.js';
import { onlyResource, propertyOf, type SynthesizedTestApp, synthesizeForTest } from '../helpers/synth.js';

const STAGE = 'test';
const webhook = stageSettings(STAGE).webhook;

let app: SynthesizedTestApp;
let template: Template;

beforeAll(async () => {
  app = await synthesizeForTest(STAGE);
  template = app.template(Api);
});

/** The Script's `UserParams`, with the function URL token replaced by `endpoint`. */
function scriptParams(endpoint: string): { params: unknown; urlLogicalId: string } {
  const script = onlyResource(template, 'Custom::SSTScript').resource;
  const join = propertyOf<{ 'Fn::Join': [string, unknown[]] }>(script, 'UserParams')['Fn::Join'];
  let urlLogicalId = '';
  const text = join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const [logicalId, attribute] = (part as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      expect(attribute).toBe('FunctionUrl');
      urlLogicalId = logicalId;
      return endpoint;
    })
    .join(join[0]);
  return { params: JSON.parse(text), urlLogicalId };
}

describe('Api stack', () => {
  it('serves the webhook function at its own function URL, with no API Gateway in front (no per-update charge)', () => {
    const fn = app.fn('webhook');
    expect(fn.stackName).toBe('test-wallet-desk-Api');
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      TargetFunctionArn: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] },
      InvokeMode: 'BUFFERED',
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 0);
  });

  it('leaves the URL open to Telegram (auth NONE) and public invocation to the URL only: the webhook checks the secret token', () => {
    const fn = app.fn('webhook');
    const url = onlyResource(template, 'AWS::Lambda::Url').resource;
    expect(url.Properties?.AuthType).toBe('NONE');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      FunctionName: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] },
      Principal: '*',
      FunctionUrlAuthType: 'NONE',
    });
    // Anyone may invoke it only through the URL: a public `InvokeFunction` is scoped to URL calls.
    const publicInvoke = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties?.Principal === '*' && p.Properties?.Action !== 'lambda:InvokeFunctionUrl',
    );
    for (const permission of publicInvoke) {
      expect(permission.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true });
    }
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
    const url = onlyResource(template, 'AWS::Lambda::Url').resource;
    expect(url.Properties?.Cors).toBeUndefined();
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

    it('passes the function URL + telegram, allowed updates and max connections of settings.webhook as params', () => {
      const { params, urlLogicalId } = scriptParams('https://abc.lambda-url.example/');
      expect(params).toEqual({
        url: `https://abc.lambda-url.example/${WEBHOOK_PATH}`,
        allowedUpdates: webhook.allowedUpdates,
        maxConnections: webhook.maxConnections,
      });
      const url = app.resolve('test-wallet-desk-Api', { Ref: urlLogicalId });
      expect(url.resource.Type).toBe('AWS::Lambda::Url');
    });

    it('puts no secret in the params (the script runner logs them)', () => {
      const { params } = scriptParams('https://x');
      expect(JSON.stringify(params)).not.toMatch(/secret|token|__FETCH_FROM/i);
    });
  });

  it('outputs the webhook URL', () => {
    template.hasOutput('WebhookUrl', {});
  });
});
