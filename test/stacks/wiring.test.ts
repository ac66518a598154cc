import { beforeAll, describe, expect, it } from 'vitest';
import {
  ENV,
  FUNCTIONS,
  type FunctionWiring,
  QUEUE_NAMES,
  type QueueName,
  queueResourceNames,
  SECRETS,
  secretEnvName,
  stageSettings,
} from '../../core/settings.js';
import { WEBHOOK_REGISTRATION, WEBHOOK_UNREGISTRATION } from '../../stacks/Api.js';
import { TABLE_ACTIONS, TELEGRAM_API_ROOT } from '../../stacks/wiring.js';
import {
  actionsOf,
  type Located,
  resourcesOf,
  type Statement,
  type SynthesizedTestApp,
  synthesizeForTest,
} from '../helpers/synth.js';

const STAGE = 'test';
const settings = stageSettings(STAGE).queues;

/** Every function of the app and the wiring it must have. */
const WIRED: Record<string, FunctionWiring> = {
  ...FUNCTIONS,
  registerWebhook: WEBHOOK_REGISTRATION,
  unregisterWebhook: WEBHOOK_UNREGISTRATION,
};
const TELEGRAM_FUNCTIONS = ['webhook', 'notifyWorker', 'alarmNotifier', 'registerWebhook', 'unregisterWebhook'];

let app: SynthesizedTestApp;

beforeAll(async () => {
  app = await synthesizeForTest(STAGE);
});

function environmentOf(id: string): Record<string, unknown> {
  const env = app.fn(id).resource.Properties?.Environment as { Variables: Record<string, unknown> } | undefined;
  return env?.Variables ?? {};
}

/** The queue name (as in `queueResourceNames`) behind a reference from function `id`'s stack. */
function queueNameAt(id: string, reference: unknown): string {
  const located = app.resolve(app.fn(id).stackName, reference);
  expect(located.resource.Type).toBe('AWS::SQS::Queue');
  return String(located.resource.Properties?.QueueName);
}

function queueNames(queues: readonly QueueName[]): string[] {
  return queues.map((name) => queueResourceNames(STAGE, name, settings[name]).queue).sort();
}

function dlqName(queue: QueueName): string {
  return queueResourceNames(STAGE, queue, settings[queue]).dlq;
}

function resolvedResources(id: string, statement: Statement): Located[] {
  return resourcesOf(statement).map((resource) => app.resolve(app.fn(id).stackName, resource));
}

function statementsWith(id: string, prefix: string): Statement[] {
  return app.roleStatements(id).filter((s) => actionsOf(s).some((action) => action.startsWith(prefix)));
}

describe('Function wiring', () => {
  it('creates exactly the functions of FUNCTIONS plus the two webhook registration functions', () => {
    for (const id of Object.keys(WIRED)) expect(app.fn(id).resource.Type).toBe('AWS::Lambda::Function');
  });

  describe.each(Object.entries(WIRED))('%s', (id, wiring) => {
    it('reads its stage and the table name from the environment', () => {
      const env = environmentOf(id);
      expect(env[ENV.stage]).toBe(STAGE);
      const table = app.resolve(app.fn(id).stackName, env[ENV.tableName]);
      expect(table.resource.Type).toBe('AWS::DynamoDB::Table');
    });

    it('gets a queue URL variable for each queue it sends to or consumes, and for no other queue', () => {
      const env = environmentOf(id);
      for (const name of QUEUE_NAMES) {
        const variable = ENV.queueUrl[name];
        if (wiring.sendsTo.includes(name) || wiring.consumes === name) {
          expect(queueNameAt(id, env[variable])).toBe(queueNames([name])[0]);
        } else {
          expect(env, variable).not.toHaveProperty(variable);
        }
      }
    });

    it('gets the Telegram API root only when it talks to Telegram', () => {
      const env = environmentOf(id);
      if (TELEGRAM_FUNCTIONS.includes(id)) expect(env[ENV.telegramApiRoot]).toBe(TELEGRAM_API_ROOT);
      else expect(env).not.toHaveProperty(ENV.telegramApiRoot);
    });

    it('is bound to exactly the secrets its wiring lists, in its environment and in IAM', () => {
      const env = environmentOf(id);
      const readable = statementsWith(id, 'ssm:').flatMap((s) => resourcesOf(s).map((r) => JSON.stringify(r)));
      for (const name of SECRETS) {
        const bound = wiring.secrets.includes(name);
        expect(env[secretEnvName(name)], name).toBe(bound ? '__FETCH_FROM_SSM__' : undefined);
        expect(
          readable.some((arn) => arn.includes(`/Secret/${name}/value`)),
          name,
        ).toBe(bound);
      }
    });

    it('has no wildcard action and no wildcard resource beyond the X-Ray statement CDK emits', () => {
      for (const statement of app.roleStatements(id)) {
        expect(statement.Effect).toBe('Allow');
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/(^|:)\*$/);
        if (resourcesOf(statement).includes('*')) {
          expect(actionsOf(statement).every((action) => action.startsWith('xray:'))).toBe(true);
        }
      }
    });

    it('gets its own DLQ URL when it consumes a queue, to park poison messages', () => {
      const env = environmentOf(id);
      if (wiring.consumes) expect(queueNameAt(id, env[ENV.deadLetterQueueUrl])).toBe(dlqName(wiring.consumes));
      else expect(env).not.toHaveProperty(ENV.deadLetterQueueUrl);
    });

    it('may send only to the queues it sends to, and to its own DLQ', () => {
      const send = statementsWith(id, 'sqs:SendMessage');
      const targets = send.flatMap((s) => resourcesOf(s).map((r) => queueNameAt(id, r))).sort();
      const expected = [...queueNames(wiring.sendsTo), ...(wiring.consumes ? [dlqName(wiring.consumes)] : [])].sort();
      expect(targets).toEqual(expected);
      for (const statement of send) expect(actionsOf(statement)).toEqual(['sqs:SendMessage']);
    });

    it('may consume only the queue it consumes', () => {
      const consume = statementsWith(id, 'sqs:').filter((s) => !actionsOf(s).includes('sqs:SendMessage'));
      const targets = consume.flatMap((s) => resourcesOf(s).map((r) => queueNameAt(id, r)));
      expect([...new Set(targets)]).toEqual(wiring.consumes ? queueNames([wiring.consumes]) : []);
    });

    it('may use only the item actions of its table access, on the table only', () => {
      const statements = statementsWith(id, 'dynamodb:');
      const actions = statements.flatMap(actionsOf).sort();
      expect(actions).toEqual([...TABLE_ACTIONS[wiring.table]].sort());
      expect(actions).not.toContain('dynamodb:Scan');
      for (const statement of statements) {
        for (const target of resolvedResources(id, statement))
          expect(target.resource.Type).toBe('AWS::DynamoDB::Table');
      }
    });

    it('may use the project key only through DynamoDB, and never to sign', () => {
      const statements = statementsWith(id, 'kms:');
      expect(statements.length > 0).toBe(wiring.table !== 'none');
      for (const statement of statements) {
        expect(statement.Condition).toEqual({
          StringEquals: { 'kms:ViaService': `dynamodb.${app.region}.amazonaws.com` },
        });
        expect(actionsOf(statement)).toEqual(['kms:Decrypt']);
        for (const target of resolvedResources(id, statement)) expect(target.resource.Type).toBe('AWS::KMS::Key');
      }
    });
  });

  describe('webhook', () => {
    it('is bound to the bot token, the webhook secret and the bot username', () => {
      const env = environmentOf('webhook');
      for (const name of ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'TELEGRAM_BOT_USERNAME'] as const) {
        expect(env).toHaveProperty(secretEnvName(name));
      }
    });

    it('can neither sign nor decrypt with a KMS key on its own', () => {
      const statements = app.roleStatements('webhook');
      const actions = statements.flatMap(actionsOf);
      expect(actions).not.toContain('kms:Sign');
      const unconditionedDecrypt = statements.filter((s) => actionsOf(s).includes('kms:Decrypt') && !s.Condition);
      expect(unconditionedDecrypt).toEqual([]);
    });
  });

  describe.each(['notifyWorker', 'rpcWorker', 'aiWorker', 'alarmNotifier'])('%s', (id) => {
    it('never sees the webhook secret', () => {
      expect(environmentOf(id)).not.toHaveProperty(secretEnvName('TELEGRAM_WEBHOOK_SECRET'));
      const readable = statementsWith(id, 'ssm:').flatMap((s) => resourcesOf(s).map((r) => JSON.stringify(r)));
      expect(readable.filter((arn) => arn.includes('TELEGRAM_WEBHOOK_SECRET'))).toEqual([]);
    });
  });
});
