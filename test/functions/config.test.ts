import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assertValid, stageSettings } from '../../core/desk/settings.js';
import {
  aiWorkerConfig,
  notifyWorkerConfig,
  rpcWorkerConfig,
  signerConfig,
  vaultWorkerConfig,
  webhookConfig,
} from '../../functions/lib/config.js';

const env = {
  STAGE: 'test',
  TABLE_NAME: 'table',
  RPC_QUEUE_URL: 'http://127.0.0.1:1/q/rpc',
  NOTIFY_QUEUE_URL: 'http://127.0.0.1:1/q/notify.fifo',
  AI_QUEUE_URL: 'http://127.0.0.1:1/q/ai.fifo',
  AI_BASE_URL: 'https://api.deepseek.com/v1',
  SST_Secret_value_AI_API_KEY: 'sk-test-key-value',
  VAULT_QUEUE_URL: 'http://127.0.0.1:1/q/vault',
  PAYOUTS_QUEUE_URL: 'http://127.0.0.1:1/q/payouts',
  DECISIONS_QUEUE_URL: 'http://127.0.0.1:1/q/decisions',
  DECISIONS_DLQ_URL: 'http://127.0.0.1:1/q/decisions-dlq',
  PROJECT_KEY_ID: 'arn:aws:kms:eu-central-1:1:key/project',
  TREASURY_KEY_ID: 'arn:aws:kms:eu-central-1:1:key/treasury',
  INTAKE_KEY_ID: 'arn:aws:kms:eu-central-1:1:key/intake',
  DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:1/q/notify-dlq.fifo',
  TELEGRAM_API_ROOT: 'https://api.telegram.org',
  SST_Secret_value_TELEGRAM_BOT_TOKEN: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  SST_Secret_value_TELEGRAM_WEBHOOK_SECRET: 'secret_value-1-of-the-deployment-at-least-43-characters',
  SST_Secret_value_TELEGRAM_BOT_USERNAME: 'desk_bot',
  SST_Secret_value_ADMIN_CHAT_ID: '-1001234567890',
  SST_Secret_value_SOLANA_RPC_URLS: '[]',
  SST_Secret_value_PRICE_URLS: '[{"url":"https://prices.example/token_price/solana","rps":1}]',
  SST_Secret_value_TREASURY_ADDRESS: 'So11111111111111111111111111111111111111112',
  SST_Secret_value_ADMIN_USER_IDS: '900,901',
  SST_Secret_value_VAULT_INTAKE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ format: 'der', type: 'spki' })
    .toString('base64'),
};

describe('config', () => {
  it('parses a complete webhook environment', () => {
    const config = webhookConfig(env);
    expect(config.telegram.username).toBe('desk_bot');
    expect(config.queueUrls.notify).toBe(env.NOTIFY_QUEUE_URL);
    expect(config.settings.queues.notify.fifo).toBe(true);
    expect([...config.adminUserIds]).toEqual([900, 901]);
    expect(Buffer.from(config.intakePublicKey).toString('base64')).toBe(env.SST_Secret_value_VAULT_INTAKE_KEY);
  });

  it('refuses an intake key that is not an RSA public key, and admin ids that are not ids', () => {
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(() => webhookConfig({ ...env, SST_Secret_value_VAULT_INTAKE_KEY: ed25519 })).toThrow(/RSA/);
    expect(() => webhookConfig({ ...env, SST_Secret_value_ADMIN_USER_IDS: '@boss' })).toThrow(/ADMIN_USER_IDS/);
  });

  it('gives the vault worker its two keys and the signer the treasury key, and neither any RPC endpoint', () => {
    expect(vaultWorkerConfig(env).keys).toEqual({ project: env.PROJECT_KEY_ID, intake: env.INTAKE_KEY_ID });
    expect(() => vaultWorkerConfig({ ...env, INTAKE_KEY_ID: undefined })).toThrow(/INTAKE_KEY_ID/);
    const signer = signerConfig(env);
    expect(signer.treasuryKeyId).toBe(env.TREASURY_KEY_ID);
    expect(signer).not.toHaveProperty('solanaRpcUrls');
    expect(signer.decisions).toEqual({ queueUrl: env.DECISIONS_QUEUE_URL, deadLetterQueueUrl: env.DECISIONS_DLQ_URL });
    expect(() => signerConfig({ ...env, DECISIONS_DLQ_URL: undefined })).toThrow(/DECISIONS_DLQ_URL/);
    expect(() => signerConfig({ ...env, SST_Secret_value_TREASURY_ADDRESS: undefined })).toThrow(/TREASURY_ADDRESS/);
  });

  it('names every missing or invalid variable without echoing secret values', () => {
    const bad = { ...env, TABLE_NAME: undefined, SST_Secret_value_TELEGRAM_WEBHOOK_SECRET: 'has spaces and !' };
    expect(() => webhookConfig(bad)).toThrow(/TABLE_NAME/);
    try {
      webhookConfig(bad);
    } catch (error) {
      expect(String(error)).toContain('SST_Secret_value_TELEGRAM_WEBHOOK_SECRET');
      expect(String(error)).not.toContain('has spaces');
    }
  });

  it('gives the notify worker only what it needs', () => {
    const config = notifyWorkerConfig(env);
    expect(Object.keys(config.telegram)).toEqual(['apiRoot', 'token', 'username']);
    // The project key, to open registered bots' sealed tokens; no other key.
    expect(config.keys).toEqual({ project: env.PROJECT_KEY_ID });
    expect(config.deadLetterQueueUrl).toBe(env.DEAD_LETTER_QUEUE_URL);
    expect(() => notifyWorkerConfig({ ...env, DEAD_LETTER_QUEUE_URL: undefined })).toThrow(/DEAD_LETTER_QUEUE_URL/);
    expect(config.adminChatId).toBe(-1001234567890);
    expect(() => notifyWorkerConfig({ ...env, SST_Secret_value_ADMIN_CHAT_ID: '@admins' })).toThrow(/ADMIN_CHAT_ID/);
  });

  it('gives the ai worker the provider and the notify queue, and nothing of Telegram, Solana or KMS', () => {
    const config = aiWorkerConfig(env);
    expect(config.provider).toEqual({ baseUrl: env.AI_BASE_URL, apiKey: env.SST_Secret_value_AI_API_KEY });
    expect(config.queueUrls).toEqual({ notify: env.NOTIFY_QUEUE_URL });
    expect(config.queueUrl).toBe(env.AI_QUEUE_URL);
    expect(Object.keys(config).sort()).toEqual(
      ['deadLetterQueueUrl', 'logLevel', 'provider', 'queueUrl', 'queueUrls', 'settings', 'stage', 'tableName'].sort(),
    );
    expect(() => aiWorkerConfig({ ...env, SST_Secret_value_AI_API_KEY: undefined })).toThrow(/AI_API_KEY/);
    expect(() => aiWorkerConfig({ ...env, AI_BASE_URL: 'not a url' })).toThrow(/AI_BASE_URL/);
  });

  it('gives the rpc worker its endpoints and a valid treasury address', () => {
    expect(rpcWorkerConfig(env).treasuryAddress).toBe(env.SST_Secret_value_TREASURY_ADDRESS);
    expect(() => rpcWorkerConfig({ ...env, SST_Secret_value_TREASURY_ADDRESS: '0xdeadbeef' })).toThrow(
      /TREASURY_ADDRESS/,
    );
    expect(() => rpcWorkerConfig({ ...env, SST_Secret_value_SOLANA_RPC_URLS: undefined })).toThrow(/SOLANA_RPC_URLS/);
  });

  it('gives the rpc worker its price sources, and no other function', () => {
    expect(rpcWorkerConfig(env).priceUrls).toBe(env.SST_Secret_value_PRICE_URLS);
    expect(() => rpcWorkerConfig({ ...env, SST_Secret_value_PRICE_URLS: undefined })).toThrow(/PRICE_URLS/);
    expect(() => rpcWorkerConfig({ ...env, SST_Secret_value_PRICE_URLS: '' })).toThrow(/PRICE_URLS/);
    expect(JSON.stringify(webhookConfig(env))).not.toContain('prices.example');
  });
});

describe('stage settings', () => {
  it('keeps every visibility timeout at least six times its consumer timeout', () => {
    for (const stage of ['dev', 'prod']) {
      for (const q of Object.values(stageSettings(stage).queues)) {
        expect(q.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * q.timeoutSeconds);
      }
    }
  });

  it('rejects settings AWS would refuse', () => {
    const base = stageSettings('dev');
    const broken = { ...base, queues: { ...base.queues, notify: { ...base.queues.notify, batchSize: 20 } } };
    expect(() => assertValid(broken)).toThrow(/FIFO/);
    const lowConcurrency = { ...base, queues: { ...base.queues, rpc: { ...base.queues.rpc, maxConcurrency: 1 } } };
    expect(() => assertValid(lowConcurrency)).toThrow(/maxConcurrency/);
  });
});
