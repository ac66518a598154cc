import { beforeAll, describe, expect, it } from 'vitest';
import { DepositDecideJob } from '../../core/desk/deposits/jobs.js';
import { PayoutDecideJob } from '../../core/desk/payouts/jobs.js';
import { stageSettings } from '../../core/desk/settings.js';
import { FUNCTIONS, type FunctionName, queueResourceNames } from '../../stacks/manifest.js';
import { Queues } from '../../stacks/Queues.js';
import { stringLike, TABLE_GRANTS, type TableAction } from '../../stacks/table-grants.js';
import { functionRoleName } from '../../stacks/wiring.js';
import {
  actionsOf,
  type CfnResource,
  type Statement,
  type SynthesizedTestApp,
  synthesizeForTest,
} from '../helpers/synth.js';

let app: SynthesizedTestApp;

beforeAll(async () => {
  app = await synthesizeForTest('test');
});

const FUNCTION_IDS = Object.keys(FUNCTIONS) as FunctionName[];

/** IAM action matching (`dynamodb:*` matches every DynamoDB action). */
const actionMatches = (pattern: string, action: string) => stringLike(pattern.toLowerCase(), action.toLowerCase());

/**
 * Whether a function's role allows `action` on an item of the table with partition key `pk`, as IAM
 * evaluates its statements: an Allow on the table whose condition (if any) is met by the key.
 */
/** Whether a role may act on a tenant's item (the tests name its keys as the stores do: `session#42` is `t1001/session#42`). */
function roleAllows(id: string, action: TableAction, tenantPk: string): boolean {
  const pk = `t1001/${tenantPk}`;
  return app.roleStatements(id).some((statement: Statement) => {
    if (statement.Effect !== 'Allow' || !actionsOf(statement).some((pattern) => actionMatches(pattern, action)))
      return false;
    const target = app.resolve(app.fn(id).stackName, [statement.Resource].flat()[0]);
    if (target.resource.Type !== 'AWS::DynamoDB::Table') return false;
    const conditions = statement.Condition ?? {};
    for (const [operator, keys] of Object.entries(conditions)) {
      for (const [key, values] of Object.entries(keys)) {
        if (operator !== 'ForAllValues:StringLike' || key !== 'dynamodb:LeadingKeys') return false;
        if (![values].flat().some((pattern) => stringLike(String(pattern), pk))) return false;
      }
    }
    return true;
  });
}

const WRITES: TableAction[] = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
const MONEY_KEYS = ['payout#abcdefghabcdefgh', 'balance#42', 'ledger#42', 'ledgerref#withdrawal#x', 'hold#x'];

describe('Least privilege (synthesized templates)', () => {
  it('keeps the ai worker from writing any money item: payouts, balances, ledger entries, holds', () => {
    for (const pk of MONEY_KEYS) {
      for (const action of WRITES) expect(roleAllows('aiWorker', action, pk), `${action} ${pk}`).toBe(false);
    }
  });

  it('keeps the ai worker to its own items (ai#), reading and writing', () => {
    expect(roleAllows('aiWorker', 'dynamodb:UpdateItem', 'ai#42')).toBe(true);
    expect(roleAllows('aiWorker', 'dynamodb:GetItem', 'ai#42')).toBe(true);
    for (const pk of ['session#42', 'users', 'secrets#42', 'payout#abcdefghabcdefgh', 'wallets#42']) {
      expect(roleAllows('aiWorker', 'dynamodb:GetItem', pk), pk).toBe(false);
      expect(roleAllows('aiWorker', 'dynamodb:PutItem', pk), pk).toBe(false);
    }
  });

  it('lets only the rpc worker and the signer write payouts, balances and the ledger', () => {
    for (const pk of MONEY_KEYS.filter((key) => !key.startsWith('hold#'))) {
      const writers = FUNCTION_IDS.filter(
        (id) => FUNCTIONS[id].table !== 'none' && roleAllows(id, 'dynamodb:UpdateItem', pk),
      );
      const putters = FUNCTION_IDS.filter(
        (id) => FUNCTIONS[id].table !== 'none' && roleAllows(id, 'dynamodb:PutItem', pk),
      );
      expect([...new Set([...writers, ...putters])].sort(), pk).toEqual(['rpcWorker', 'signer']);
    }
  });

  it('keeps the webhook to sessions and update ids', () => {
    expect(roleAllows('webhook', 'dynamodb:PutItem', 'session#42')).toBe(true);
    expect(roleAllows('webhook', 'dynamodb:PutItem', 'update#42')).toBe(true);
    for (const pk of [...MONEY_KEYS, 'secrets#42', 'ai#42', 'users']) {
      expect(roleAllows('webhook', 'dynamodb:PutItem', pk), pk).toBe(false);
      expect(roleAllows('webhook', 'dynamodb:GetItem', pk), pk).toBe(false);
    }
  });

  it('lets only the vault worker touch stored secrets', () => {
    const touching = FUNCTION_IDS.filter(
      (id) => roleAllows(id, 'dynamodb:GetItem', 'secrets#42') || roleAllows(id, 'dynamodb:PutItem', 'secrets#42'),
    );
    expect(touching).toEqual(['vaultWorker']);
  });

  it('declares every function with the table in the one grant list', () => {
    for (const id of FUNCTION_IDS) {
      const wiring = FUNCTIONS[id];
      if (wiring.table === 'none') expect(TABLE_GRANTS).not.toHaveProperty(id);
      else expect(wiring.table).toBe(TABLE_GRANTS[id as keyof typeof TABLE_GRANTS]);
    }
  });

  it('names each function role as the key policies name it', () => {
    for (const id of FUNCTION_IDS) {
      const role = app.resolve(app.fn(id).stackName, app.fn(id).resource.Properties?.Role);
      expect(role.resource.Type).toBe('AWS::IAM::Role');
      expect(role.resource.Properties?.RoleName).toBe(functionRoleName('wallet-desk', 'test', id));
    }
  });

  it('rejects a role name IAM would refuse', () => {
    expect(() => functionRoleName('wallet-desk', 'x'.repeat(60), 'signer')).toThrow(/not a valid IAM role name/);
  });
});

describe('Admin decisions (synthesized templates)', () => {
  const everyRole = [...FUNCTION_IDS, 'registerWebhook', 'unregisterWebhook'];
  const decisionsQueue = queueResourceNames('test', 'decisions', stageSettings('test').queues.decisions).queue;

  /** The queues a function's role may send to, by physical name. */
  function sendTargets(id: string): string[] {
    return app
      .roleStatements(id)
      .filter((statement) => actionsOf(statement).some((action) => actionMatches(action, 'sqs:SendMessage')))
      .flatMap((statement) =>
        [statement.Resource].flat().map((resource) => {
          const target = app.resolve(app.fn(id).stackName, resource);
          return String(target.resource.Properties?.QueueName);
        }),
      );
  }

  it('puts payout and deposit decisions on the decisions queue', () => {
    expect(PayoutDecideJob.queue).toBe('decisions');
    expect(DepositDecideJob.queue).toBe('decisions');
  });

  it('lets no role but the webhook send to the decisions queue', () => {
    const senders = everyRole.filter((id) => sendTargets(id).includes(decisionsQueue));
    expect(senders).toEqual(['webhook']);
  });

  it('has the signer consume the decisions queue', () => {
    const queues = app.template(Queues).toJSON().Resources as Record<string, CfnResource>;
    const [queueId] = Object.entries(queues).find(
      ([, resource]) => resource.Type === 'AWS::SQS::Queue' && resource.Properties?.QueueName === decisionsQueue,
    )!;
    const mappings = Object.values(queues).filter(
      (resource) =>
        resource.Type === 'AWS::Lambda::EventSourceMapping' &&
        JSON.stringify(resource.Properties?.EventSourceArn).includes(queueId),
    );
    expect(mappings.map((m) => m.Properties?.FunctionName)).toEqual([{ Ref: app.fn('signer').logicalId }]);
  });
});

describe('Function logs', () => {
  const ids = [...FUNCTION_IDS, 'registerWebhook', 'unregisterWebhook'];

  it.each(ids)('gives %s its own log group kept for the stage retention', (id) => {
    const logging = app.fn(id).resource.Properties?.LoggingConfig as { LogGroup?: unknown } | undefined;
    expect(logging?.LogGroup).toBeDefined();
    const group = app.resolve(app.fn(id).stackName, logging?.LogGroup);
    expect(group.resource.Type).toBe('AWS::Logs::LogGroup');
    expect(group.resource.Properties?.RetentionInDays).toBe(stageSettings('test').logs.retentionDays);
  });

  it('keeps production logs longer than a disposable stage, and only CloudWatch retention values', () => {
    expect(stageSettings('test').logs.retentionDays).toBe(30);
    expect(stageSettings('prod').logs.retentionDays).toBe(90);
  });
});
