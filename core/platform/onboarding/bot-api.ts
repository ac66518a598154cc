import * as z from 'zod/mini';
import { TransientError } from '../errors.js';
import { type ChatGateway, HttpChatGateway } from '../telegram/index.js';

/** `getMe`, the part onboarding reads. */
const BotUserSchema = z.object({
  id: z.int().check(z.positive()),
  is_bot: z.literal(true),
  first_name: z.string(),
  username: z.string(),
});
export type BotUser = z.infer<typeof BotUserSchema>;

/** The body of one `setMyCommands` call. */
export interface CommandList {
  readonly commands: readonly { readonly command: string; readonly description: string }[];
  readonly scope?: { readonly type: string; readonly chat_id?: number };
  readonly language_code?: string;
}

/** The body of `setWebhook` as onboarding sends it. */
export interface WebhookRegistration {
  readonly url: string;
  readonly secret_token: string;
  readonly allowed_updates: readonly string[];
  readonly max_connections: number;
}

/** The Bot API calls that set a hosted bot up and take it down, each answer schema-checked. */
export interface BotSetupApi {
  getMe(): Promise<BotUser>;
  setWebhook(registration: WebhookRegistration): Promise<void>;
  deleteWebhook(): Promise<void>;
  setMyCommands(list: CommandList): Promise<void>;
}

/** Where the Bot API is (`https://api.telegram.org`, or a local peer) and how to reach it. */
export interface BotApiOptions {
  readonly apiRoot: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * The setup calls for `token`, over the platform's HTTP gateway (its errors: a 401 is a transient
 * `telegram.unauthorized`, 5xx and network failures transient, other refusals
 * `TelegramRejectedError`; none carries the token). An answer of the wrong shape is a transient
 * `telegram.bad_response`.
 */
export function botSetupApi(token: string, options: BotApiOptions): BotSetupApi {
  const gateway: ChatGateway = new HttpChatGateway({ ...options, token });
  const call = async <T>(method: string, params: object, schema: z.ZodMiniType<T>): Promise<T> => {
    const result = schema.safeParse(await gateway.call({ method, params: { ...params } }));
    if (!result.success)
      throw new TransientError('telegram.bad_response', `Telegram ${method} answered an unexpected result`);
    return result.data;
  };
  const done = z.literal(true);
  return {
    getMe: () => call('getMe', {}, BotUserSchema),
    setWebhook: async (registration) => {
      await call('setWebhook', registration, done);
    },
    deleteWebhook: async () => {
      await call('deleteWebhook', { drop_pending_updates: false }, done);
    },
    setMyCommands: async (list) => {
      await call('setMyCommands', list, done);
    },
  };
}

/** Whether Telegram refused the bot's token (401): the token was revoked or is wrong. */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof TransientError && error.code === 'telegram.unauthorized';
}
