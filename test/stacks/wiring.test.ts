import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ENV,
  QUEUE_NAMES,
  type QueueName,
  SERVICE_SECRET_PURPOSE,
  stageSettings,
  USER_SECRET_PURPOSE,
} from '../../core/desk/settings.js';
import { BOT_TOKEN_PURPOSE } from '../../core/platform/settings.js';
import { WEBHOOK_REGISTRATION, WEBHOOK_UNREGISTRATION } from '../../stacks/Api.js';
import {
  BUNDLE_ALIASES,
  consumedQueues,
  FUNCTION_LOGGING,
  FUNCTIONS,
  type FunctionWiring,
  KEY_NAMES,
  type KeyName,
  queueResourceNames,
  SECRETS,
  secretEnvName,
} from '../../stacks/manifest.js';
import { TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS } from '../../stacks/table-grants.js';
import { TELEGRAM_API_ROOT } from '../../stacks/wiring.js';
import {
  actionsOf,
  type Located,
  resourcesOf,
  type Statement,
  type SynthesizedTestApp,
  synthesizeForTest,
} from '../helpers/synth.js';

const ROOT = join(import.meta.dirname, '..', '..');
const STAGE = 'test';
const settings = stageSettings(STAGE).queues;

/** Every function of the app and the wiring it must have. */
const WIRED: Record<string, FunctionWiring> = {
  ...FUNCTIONS,
  registerWebhook: WEBHOOK_REGISTRATION,
  unregisterWebhook: WEBHOOK_UNREGISTRATION,
};
// The vault worker onboards bots from the manager bot: it calls the Bot API with their tokens.
const TELEGRAM_FUNCTIONS = [
  'webhook',
  'notifyWorker',
  'vaultWorker',
  'alarmNotifier',
  'registerWebhook',
  'unregisterWebhook',
];

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

/** Which of the stage's keys a resolved resource is, by its key spec. */
function keyNameOf(located: Located): KeyName {
  expect(located.resource.Type).toBe('AWS::KMS::Key');
  const spec = located.resource.Properties?.KeySpec;
  return spec === 'ECC_NIST_EDWARDS25519' ? 'treasury' : spec === 'RSA_2048' ? 'intake' : 'project';
}

function keyNamesOf(id: string, statement: Statement): KeyName[] {
  return resolvedResources(id, statement).map(keyNameOf);
}

/** The actions that make registered bots' treasury keys (`onboardsBots`). */
const KEY_MAKING = ['kms:CreateKey', 'kms:TagResource', 'kms:CreateAlias'];
const isKeyMaking = (s: Statement) => actionsOf(s).every((action) => KEY_MAKING.includes(action));

/** The statement on registered bots' own treasury keys: any key of the account tagged with a tenant. */
const isTenantTreasury = (s: Statement) =>
  !isKeyMaking(s) && JSON.stringify(s.Condition ?? {}).includes('aws:ResourceTag/tenant');

function statementsWith(id: string, prefix: string): Statement[] {
  return app.roleStatements(id).filter((s) => actionsOf(s).some((action) => action.startsWith(prefix)));
}

/** The statement of a function that inspects queues: queue attributes, nothing else. */
const isInspection = (s: Statement) => actionsOf(s).join() === 'sqs:GetQueueAttributes';

describe('Function wiring', () => {
  it('creates exactly the functions of FUNCTIONS plus the two webhook registration functions', () => {
    for (const id of Object.keys(WIRED)) expect(app.fn(id).resource.Type).toBe('AWS::Lambda::Function');
  });

  it('logs JSON: Lambda’s own lines at WARN (no START/END/REPORT), ours and the metrics’ EMF at INFO', () => {
    expect(FUNCTION_LOGGING).toEqual({ format: 'JSON', systemLogLevel: 'WARN', applicationLogLevel: 'INFO' });
  });

  it('bundles with module aliases that name files of the project', () => {
    expect(Object.keys(BUNDLE_ALIASES)).toContain('whatwg-url');
    for (const path of Object.values(BUNDLE_ALIASES)) expect(existsSync(join(ROOT, path)), path).toBe(true);
  });

  describe.each(Object.entries(WIRED))('%s', (id, wiring) => {
    it('logs as FUNCTION_LOGGING says (which the cost model reads), into its own log group', () => {
      expect(app.fn(id).resource.Properties?.LoggingConfig).toEqual({
        LogFormat: FUNCTION_LOGGING.format,
        SystemLogLevel: FUNCTION_LOGGING.systemLogLevel,
        ApplicationLogLevel: FUNCTION_LOGGING.applicationLogLevel,
        LogGroup: expect.anything(),
      });
    });

    it('is bundled as local/ bundles it: BUNDLE_OPTIONS, with the module aliases of BUNDLE_ALIASES', () => {
      expect(app.fn(id).props.nodejs).toMatchObject({
        format: 'esm',
        minify: true,
        esbuild: { alias: BUNDLE_ALIASES, keepNames: false },
      });
    });

    it('reads its stage and the table name from the environment', () => {
      const env = environmentOf(id);
      expect(env[ENV.stage]).toBe(STAGE);
      const table = app.resolve(app.fn(id).stackName, env[ENV.tableName]);
      expect(table.resource.Type).toBe('AWS::DynamoDB::Table');
    });

    it('gets a queue URL variable for each queue it sends to, consumes or inspects, and for no other queue', () => {
      const env = environmentOf(id);
      for (const name of QUEUE_NAMES) {
        const variable = ENV.queueUrl[name];
        if (wiring.sendsTo.includes(name) || consumedQueues(wiring).includes(name) || wiring.inspectsQueues) {
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
        // CreateKey names no resource: it is allowed only with the tenant tag (see the onboarding test below).
        if (resourcesOf(statement).includes('*') && !actionsOf(statement).includes('kms:CreateKey')) {
          expect(actionsOf(statement).every((action) => action.startsWith('xray:'))).toBe(true);
        }
      }
    });

    it('gets its own DLQ URL when it consumes a queue, to park poison messages', () => {
      const env = environmentOf(id);
      if (wiring.consumes) expect(queueNameAt(id, env[ENV.deadLetterQueueUrl])).toBe(dlqName(wiring.consumes));
      else expect(env).not.toHaveProperty(ENV.deadLetterQueueUrl);
    });

    it('gets the URL of every DLQ only when it inspects queues, and of the DLQs of the queues it also consumes', () => {
      const env = environmentOf(id);
      for (const name of QUEUE_NAMES) {
        const variable = ENV.deadLetterQueueUrls[name];
        if (wiring.inspectsQueues || wiring.alsoConsumes?.includes(name))
          expect(queueNameAt(id, env[variable])).toBe(dlqName(name));
        else expect(env, variable).not.toHaveProperty(variable);
      }
    });

    it('may read queue attributes of the queue it consumes, and of every queue and DLQ only if it inspects queues', () => {
      const targets = statementsWith(id, 'sqs:')
        .filter((s) => actionsOf(s).includes('sqs:GetQueueAttributes'))
        .flatMap((s) => resourcesOf(s).map((r) => queueNameAt(id, r)));
      const expected = wiring.inspectsQueues
        ? [...queueNames(QUEUE_NAMES), ...QUEUE_NAMES.map(dlqName)]
        : queueNames(consumedQueues(wiring));
      expect([...new Set(targets)].sort()).toEqual(expected.sort());
    });

    it('may send only to the queues it sends to, and to the DLQs of the queues it consumes', () => {
      const send = statementsWith(id, 'sqs:SendMessage');
      const targets = send.flatMap((s) => resourcesOf(s).map((r) => queueNameAt(id, r))).sort();
      const expected = [...queueNames(wiring.sendsTo), ...consumedQueues(wiring).map(dlqName)].sort();
      expect(targets).toEqual(expected);
      for (const statement of send) expect(actionsOf(statement)).toEqual(['sqs:SendMessage']);
    });

    it('may consume only the queues it consumes', () => {
      const consume = statementsWith(id, 'sqs:').filter(
        (s) => !actionsOf(s).includes('sqs:SendMessage') && !isInspection(s),
      );
      const targets = consume.flatMap((s) => resourcesOf(s).map((r) => queueNameAt(id, r)));
      expect([...new Set(targets)].sort()).toEqual(queueNames(consumedQueues(wiring)));
    });

    it('may use only the item actions of its table grant, on the table only, each on its granted partition keys', () => {
      const statements = statementsWith(id, 'dynamodb:');
      const granted = statements.map((statement) => ({
        actions: actionsOf(statement).sort(),
        condition: statement.Condition,
      }));
      const grant = wiring.table === 'none' ? { read: [], write: [] } : wiring.table;
      const expected = [
        { actions: TABLE_READ_ACTIONS, keys: grant.read },
        { actions: TABLE_WRITE_ACTIONS, keys: grant.write },
      ]
        .filter((part) => part.keys.length > 0)
        .map((part) => ({
          actions: [...part.actions].sort(),
          condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...part.keys] } },
        }));
      expect(granted).toEqual(expected);
      expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:Scan');
      for (const statement of statements) {
        for (const target of resolvedResources(id, statement))
          expect(target.resource.Type).toBe('AWS::DynamoDB::Table');
      }
    });

    it('may use the project key through DynamoDB for its table, and other keys only as its wiring grants', () => {
      const statements = statementsWith(id, 'kms:');
      const viaTable = statements.filter((s) => JSON.stringify(s.Condition ?? {}).includes('kms:ViaService'));
      expect(viaTable.length > 0).toBe(wiring.table !== 'none');
      for (const statement of viaTable) {
        expect(statement.Condition).toEqual({
          StringEquals: { 'kms:ViaService': `dynamodb.${app.region}.amazonaws.com` },
        });
        expect(actionsOf(statement)).toEqual(['kms:Decrypt']);
        for (const target of resolvedResources(id, statement)) expect(keyNameOf(target)).toBe('project');
      }
      const tagged = statements.filter(isTenantTreasury);
      expect(tagged.map((statement) => actionsOf(statement).sort())).toEqual(
        wiring.tenantTreasuryKeys ? [[...wiring.tenantTreasuryKeys].sort()] : [],
      );
      const direct = statements.filter((s) => !viaTable.includes(s) && !tagged.includes(s) && !isKeyMaking(s));
      expect(statements.some(isKeyMaking)).toBe(wiring.onboardsBots === true);
      const granted = direct.map((statement) => ({
        key: keyNamesOf(id, statement),
        actions: actionsOf(statement).sort(),
        condition: statement.Condition,
      }));
      const expected = (wiring.keys ?? []).map((grant) => ({
        key: [grant.key],
        actions: [...grant.actions].sort(),
        condition: grant.purposes
          ? {
              StringEquals: {
                'kms:EncryptionContext:purpose': [...grant.purposes],
              },
            }
          : undefined,
      }));
      expect(granted).toEqual(expected);
      const env = environmentOf(id);
      for (const name of KEY_NAMES) {
        const variable = ENV.keyId[name];
        if ((wiring.keys ?? []).some((grant) => grant.key === name)) {
          expect(keyNameOf(app.resolve(app.fn(id).stackName, env[variable]))).toBe(name);
        } else expect(env).not.toHaveProperty(variable);
      }
    });
  });

  describe('queue inspection, function by function', () => {
    it('lets only the rpc worker (which answers /stats) read the attributes of queues it does not consume', () => {
      const inspectors = Object.keys(WIRED).filter((id) => app.roleStatements(id).some(isInspection));
      expect(inspectors).toEqual(['rpcWorker']);
      expect(
        Object.entries(WIRED)
          .filter(([, wiring]) => wiring.inspectsQueues)
          .map(([id]) => id),
      ).toEqual(['rpcWorker']);
      const [inspection, ...more] = app.roleStatements('rpcWorker').filter(isInspection);
      expect(more).toEqual([]);
      expect(inspection?.Condition).toBeUndefined();
      const targets = resourcesOf(inspection!).map((r) => queueNameAt('rpcWorker', r));
      expect(targets.sort()).toEqual([...queueNames(QUEUE_NAMES), ...QUEUE_NAMES.map(dlqName)].sort());
    });
  });

  describe('KMS, function by function', () => {
    const kmsActions = (id: string) => statementsWith(id, 'kms:').flatMap(actionsOf);
    const ids = Object.keys(WIRED);

    it('lets only the signer sign: with the treasury key, and with registered bots’ keys (tagged with their tenant) only', () => {
      expect(ids.filter((id) => kmsActions(id).includes('kms:Sign'))).toEqual(['signer']);
      const sign = statementsWith('signer', 'kms:Sign');
      const tagged = sign.filter(isTenantTreasury);
      expect(tagged).toHaveLength(1);
      expect(tagged[0]?.Condition).toEqual({ StringLike: { 'aws:ResourceTag/tenant': '*' } });
      expect(sign.filter((s) => !tagged.includes(s)).flatMap((s) => keyNamesOf('signer', s))).toEqual(['treasury']);
    });

    it('lets only the vault worker make treasury keys: tagged with their tenant and nothing else, aliased under the stage’s tenant prefix', () => {
      expect(ids.filter((id) => app.roleStatements(id).some(isKeyMaking))).toEqual(['vaultWorker']);
      const making = app.roleStatements('vaultWorker').filter(isKeyMaking);
      const tenantTagOnly = {
        Null: { 'aws:RequestTag/tenant': 'false' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['tenant'] },
      };
      const byAction = (action: string) => making.filter((s) => actionsOf(s).includes(action));
      expect(byAction('kms:CreateKey').map((s) => [actionsOf(s), s.Condition])).toEqual([
        [['kms:CreateKey'], tenantTagOnly],
      ]);
      expect(byAction('kms:TagResource').map((s) => s.Condition)).toEqual([tenantTagOnly]);
      const aliases = byAction('kms:CreateAlias');
      expect(aliases).toHaveLength(2);
      const onAlias = aliases.find((s) => JSON.stringify(resourcesOf(s)).includes(':alias/'));
      expect(JSON.stringify(resourcesOf(onAlias!))).toContain(`:alias/wallet-desk-${STAGE}-treasury-*`);
      expect(onAlias?.Condition).toBeUndefined();
      const onKey = aliases.find((s) => s !== onAlias);
      expect(onKey?.Condition).toEqual({ StringLike: { 'aws:ResourceTag/tenant': '*' } });
      // Using those keys: only what finding one again by its alias and reading its address need.
      expect(
        statementsWith('vaultWorker', 'kms:')
          .filter(isTenantTreasury)
          .map((s) => actionsOf(s).sort()),
      ).toEqual([['kms:DescribeKey', 'kms:GetPublicKey']]);
    });

    it('lets only the vault worker decrypt outside DynamoDB (the project key only under the user-secret, service-credential or bot-token context, or the intake key), and the notify worker only bot tokens', () => {
      const direct = (id: string) =>
        statementsWith(id, 'kms:').filter(
          (s) => actionsOf(s).includes('kms:Decrypt') && !JSON.stringify(s.Condition ?? {}).includes('kms:ViaService'),
        );
      expect(ids.filter((id) => direct(id).length > 0)).toEqual(['notifyWorker', 'vaultWorker']);
      for (const statement of direct('notifyWorker')) {
        expect(keyNamesOf('notifyWorker', statement)).toEqual(['project']);
        expect(actionsOf(statement)).toEqual(['kms:Decrypt']);
        expect(statement.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:purpose': ['bot-token'] } });
      }
      for (const statement of direct('vaultWorker')) {
        const [key] = keyNamesOf('vaultWorker', statement);
        if (key === 'project') {
          expect(statement.Condition).toEqual({
            StringEquals: {
              'kms:EncryptionContext:purpose': [USER_SECRET_PURPOSE, SERVICE_SECRET_PURPOSE, BOT_TOKEN_PURPOSE],
            },
          });
        } else expect(key).toBe('intake');
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

    it('can neither sign nor decrypt with a KMS key on its own, and has no key id at all', () => {
      const statements = app.roleStatements('webhook');
      const actions = statements.flatMap(actionsOf);
      expect(actions).not.toContain('kms:Sign');
      expect(actions).not.toContain('kms:GenerateDataKey');
      const direct = statementsWith('webhook', 'kms:').filter(
        (s) => !JSON.stringify(s.Condition ?? {}).includes('kms:ViaService'),
      );
      expect(direct).toEqual([]);
      for (const name of KEY_NAMES) expect(environmentOf('webhook')).not.toHaveProperty(ENV.keyId[name]);
    });
  });

  describe('aiWorker', () => {
    it('holds the provider key and its base URL, and no Telegram token, RPC endpoint or KMS key', () => {
      const env = environmentOf('aiWorker');
      expect(env[ENV.aiBaseUrl]).toBe(stageSettings(STAGE).ai.baseUrl);
      expect(env).toHaveProperty(secretEnvName('AI_API_KEY'));
      for (const name of SECRETS.filter((s) => s !== 'AI_API_KEY')) expect(env).not.toHaveProperty(secretEnvName(name));
      for (const name of KEY_NAMES) expect(env).not.toHaveProperty(ENV.keyId[name]);
      const direct = statementsWith('aiWorker', 'kms:').filter(
        (s) => !JSON.stringify(s.Condition ?? {}).includes('kms:ViaService'),
      );
      expect(direct).toEqual([]);
    });

    it('is the only function given the provider key or its base URL', () => {
      for (const id of Object.keys(WIRED).filter((name) => name !== 'aiWorker')) {
        expect(environmentOf(id)).not.toHaveProperty(secretEnvName('AI_API_KEY'));
        expect(environmentOf(id)).not.toHaveProperty(ENV.aiBaseUrl);
      }
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
