import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CiphertextRejectedError,
  createEnvelopeVault,
  KmsDataKeys,
  WrongContextError,
} from '../../../../core/platform/keys/index.js';
import { botTokenContext, openBotToken, sealBotToken } from '../../../../core/platform/onboarding/index.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { type KmsEmulator, startKmsEmulator } from '../../../../local/kms/index.js';
import { rejection } from '../../../helpers/rejection.js';

let dir: string;
let kms: KmsEmulator;
let client: KMSClient;
let keyId: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tenant-sealing-'));
  kms = await startKmsEmulator({ dataDir: dir });
  client = new KMSClient({ ...localClientConfig(kms.endpoint), maxAttempts: 1 });
  keyId = await kms.ensureKey('alias/tenants-test', 'SYMMETRIC_DEFAULT');
});
afterAll(async () => {
  client?.destroy();
  await kms?.stop();
  await rm(dir, { recursive: true, force: true });
});

const TOKEN_A = `4242:${'A'.repeat(35)}`;

describe("a tenant's sealed bot token", () => {
  it("is sealed for { purpose: 'bot-token', ownerId: <botId> } and opens for that tenant only", async () => {
    expect(botTokenContext('4242')).toEqual({ purpose: 'bot-token', ownerId: '4242' });
    const vault = createEnvelopeVault(new KmsDataKeys({ client, keyId }));
    const sealed = await sealBotToken(vault, '4242', TOKEN_A);
    expect(sealed.startsWith('wd1:')).toBe(true);
    expect(sealed).not.toContain(TOKEN_A.slice(5));
    // A fresh vault (another container) opens it through KMS.
    const other = createEnvelopeVault(new KmsDataKeys({ client, keyId }));
    expect(await openBotToken(other, '4242', sealed)).toBe(TOKEN_A);
    expect(await rejection(openBotToken(other, '4243', sealed))).toBeInstanceOf(WrongContextError);
  });

  it('does not open when its header is rewritten to another tenant: KMS refuses the data key', async () => {
    const vault = createEnvelopeVault(new KmsDataKeys({ client, keyId }));
    const sealed = await sealBotToken(vault, '4242', TOKEN_A);
    const bytes = Buffer.from(sealed.slice(4), 'base64');
    // The owner field is "4242" at a fixed place (magic 3, version 1, purpose length + 'bot-token', owner length).
    const at = 3 + 1 + 1 + 'bot-token'.length + 1;
    expect(bytes.subarray(at, at + 4).toString()).toBe('4242');
    bytes.write('4243', at);
    const forged = `wd1:${bytes.toString('base64')}`;
    const fresh = createEnvelopeVault(new KmsDataKeys({ client, keyId }));
    expect(await rejection(openBotToken(fresh, '4243', forged))).toBeInstanceOf(CiphertextRejectedError);
  });
});
