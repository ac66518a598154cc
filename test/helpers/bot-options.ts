import { constants, generateKeyPairSync, type KeyObject, privateDecrypt } from 'node:crypto';
import type { BotOptions } from '../../core/desk/bot/bot.js';
import { stageSettings } from '../../core/desk/settings.js';
import type { IntakeKeyService } from '../../core/platform/keys/ports.js';

/** The treasury address the test bot shows. */
export const TEST_TREASURY = 'So11111111111111111111111111111111111111112';

/** The admin chat and admin of the bot tests. */
export const TEST_ADMIN_CHAT_ID = -100_123;
export const TEST_ADMIN_ID = 900;

let intakeKeys: { publicKey: KeyObject; privateKey: KeyObject } | undefined;

/** One RSA key pair per test file: the intake key the test bot seals secrets to. */
function intakePair() {
  intakeKeys ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return intakeKeys;
}

/** Options of a bot under test (admin chat, one admin, a fresh intake key). */
export function testBotOptions(overrides: Partial<BotOptions> = {}): BotOptions {
  return {
    adminChatId: TEST_ADMIN_CHAT_ID,
    adminUserIds: new Set([TEST_ADMIN_ID]),
    intakePublicKey: intakePair().publicKey.export({ format: 'der', type: 'spki' }),
    vault: stageSettings('test').vault,
    payouts: stageSettings('test').payouts,
    treasuryAddress: TEST_TREASURY,
    reportActivity: false,
    ...overrides,
  };
}

/** The private half, standing in for KMS `Decrypt` of the intake key (a fake of the port). */
export function testIntakeKey(): IntakeKeyService {
  return {
    decrypt: async (ciphertext) =>
      privateDecrypt(
        { key: intakePair().privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        ciphertext,
      ),
  };
}
