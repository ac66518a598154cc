/** The secrets of a local stack: what SST would bind to the functions, with local values. */
import type { SecretName } from '../../stacks/manifest.js';
import { LOCAL_ADMIN_CHAT_ID, LOCAL_ADMIN_USER_ID, type LocalTelegramOptions } from './identity.js';

/** Every secret of the manifest, for the local bot and the given values. */
export function localSecrets(
  bot: LocalTelegramOptions,
  values: {
    solanaRpcUrls: string;
    priceUrls: string;
    treasuryAddress: string;
    intakePublicKey: string;
    aiApiKey: string;
  },
): Record<SecretName, string> {
  return {
    TELEGRAM_BOT_TOKEN: bot.token,
    TELEGRAM_WEBHOOK_SECRET: bot.webhookSecret,
    TELEGRAM_BOT_USERNAME: bot.botUsername,
    SOLANA_RPC_URLS: values.solanaRpcUrls,
    PRICE_URLS: values.priceUrls,
    ADMIN_CHAT_ID: String(LOCAL_ADMIN_CHAT_ID),
    TREASURY_ADDRESS: values.treasuryAddress,
    VAULT_INTAKE_KEY: values.intakePublicKey,
    ADMIN_USER_IDS: String(LOCAL_ADMIN_USER_ID),
    AI_API_KEY: values.aiApiKey,
  };
}
