import type { EncryptionContext } from '../keys/index.js';

/** Purpose of a bot token sealed to the intake key on its way from the webhook to the onboarding worker. */
export const BOT_TOKEN_INTAKE_PURPOSE = 'bot-token-intake';

/** The intake context of a token an operator sent: only a job of that same operator opens it. */
export function tokenIntakeContext(operatorUserId: number): EncryptionContext {
  return { purpose: BOT_TOKEN_INTAKE_PURPOSE, ownerId: String(operatorUserId) };
}
