import { webhookSecretOf } from '../../core/platform/onboarding/index.js';
import type { LocalStack } from '../index.js';

const REAL_API_ROOT = 'https://api.telegram.org';

interface BotApiAnswer<T> {
  ok: boolean;
  result?: T;
  description?: string;
  parameters?: { retry_after?: number };
}

async function callBotApi<T>(apiRoot: string, token: string, method: string, params: object): Promise<T> {
  const response = await fetch(`${apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  const answer = (await response.json()) as BotApiAnswer<T>;
  if (!answer.ok) throw new Error(`Telegram ${method} failed: ${answer.description ?? response.status}`);
  return answer.result as T;
}

/** Asks real Telegram who the bot is (dev only: in the cloud, botInfo comes from config). */
export async function realBotIdentity(token: string): Promise<{ username: string; apiRoot: string }> {
  const apiRoot = process.env.TELEGRAM_API_ROOT ?? REAL_API_ROOT;
  const me = await callBotApi<{ username: string }>(apiRoot, token, 'getMe', {});
  return { username: me.username, apiRoot };
}

/**
 * Long-polls real Telegram and delivers each update to the local webhook the way Telegram's
 * webhook would: with the secret header, retrying with growing delay on non-2xx, and executing
 * the method returned in a 2xx body. The offset advances only after a 2xx.
 */
export async function pollRealTelegram(options: {
  token: string;
  apiRoot: string;
  stack: LocalStack;
  /** Long-poll timeout in seconds (Telegram allows up to 50). */
  pollSeconds?: number;
  /** Stops the loop after the current poll. */
  signal?: AbortSignal;
}): Promise<void> {
  const { token, apiRoot, stack, signal } = options;
  // As Telegram delivers to a bot on the deployment: on the bot's path, with its own derived secret.
  const botId = String(stack.bot.id);
  const secret = webhookSecretOf(stack.bot.webhookSecret, botId);
  await callBotApi(apiRoot, token, 'deleteWebhook', { drop_pending_updates: false });
  let offset = 0;
  while (!signal?.aborted) {
    let updates: { update_id: number }[];
    try {
      updates = await callBotApi(apiRoot, token, 'getUpdates', {
        offset,
        timeout: options.pollSeconds ?? 30,
        allowed_updates: stack.settings.webhook.allowedUpdates,
      });
    } catch (error) {
      console.error(String(error));
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      continue;
    }
    for (const update of updates) {
      for (let delay = 500; ; delay = Math.min(delay * 2, 30_000)) {
        const response = await fetch(`${stack.webhookUrl}/${botId}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
          body: JSON.stringify(update),
        }).catch(() => undefined);
        if (response?.ok) {
          const body = (await response.json().catch(() => ({}))) as { method?: string };
          if (body.method) {
            const { method, ...params } = body;
            await callBotApi(apiRoot, token, method, params).catch((error: unknown) => console.error(String(error)));
          }
          break;
        }
        console.error(`webhook answered ${response?.status ?? 'nothing'} for update ${update.update_id}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      offset = update.update_id + 1;
    }
  }
}
