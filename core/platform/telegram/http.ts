import * as z from 'zod/mini';
import { TransientError } from '../errors.js';
import type { TelegramCall } from './calls.js';
import {
  type ChatGateway,
  TelegramForbiddenError,
  TelegramRateLimitedError,
  TelegramRejectedError,
} from './gateway.js';

const ResponseSchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error_code: z.int(),
    description: z.string(),
    parameters: z.optional(
      z.object({ retry_after: z.optional(z.number()), migrate_to_chat_id: z.optional(z.number()) }),
    ),
  }),
]);

export interface HttpChatGatewayOptions {
  apiRoot: string;
  token: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * The Bot API over HTTPS with `fetch`. The token is part of the URL, so no URL or raw network
 * error message is ever put into an error: only the method and Telegram's description.
 */
export class HttpChatGateway implements ChatGateway {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpChatGatewayOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  async call(call: TelegramCall): Promise<unknown> {
    const url = `${this.options.apiRoot.replace(/\/$/, '')}/bot${this.options.token}/${call.method}`;
    let response: Response;
    let body: unknown;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        ...requestBody(call),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      body = await response.json().catch(() => undefined);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Unknown';
      throw new TransientError('telegram.unreachable', `Telegram ${call.method} failed: ${name}`);
    }
    const parsed = ResponseSchema.safeParse(body);
    if (!parsed.success) {
      if (response.status >= 500 || response.status === 429) {
        throw new TransientError('telegram.unavailable', `Telegram ${call.method} answered ${response.status}`);
      }
      throw new TransientError(
        'telegram.bad_response',
        `Telegram ${call.method} answered an unexpected body (${response.status})`,
      );
    }
    const answer = parsed.data;
    if (answer.ok) return answer.result;
    const description = answer.description.slice(0, 200);
    if (answer.error_code === 429) {
      throw new TelegramRateLimitedError(description, answer.parameters?.retry_after ?? 1);
    }
    if (answer.error_code >= 500) {
      throw new TransientError('telegram.unavailable', `Telegram ${call.method} answered ${answer.error_code}`);
    }
    if (answer.error_code === 403) throw new TelegramForbiddenError(description);
    // Our token is wrong or revoked: every call fails until an operator sets the new one, so the
    // message must wait (retried, then kept in the DLQ for a redrive), not be dropped as a bad call.
    if (answer.error_code === 401) {
      throw new TransientError(
        'telegram.unauthorized',
        `Telegram ${call.method} refused the bot token (401: ${description})`,
      );
    }
    throw new TelegramRejectedError(answer.error_code, description);
  }
}

/**
 * JSON for a call without files; `multipart/form-data` for one with files (fetch sets the
 * boundary), where objects such as `reply_markup` go as JSON strings, as Telegram reads them.
 */
function requestBody(call: TelegramCall): { headers?: Record<string, string>; body: string | FormData } {
  if (call.files === undefined) {
    return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(call.params) };
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(call.params)) {
    if (value !== undefined) form.append(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  for (const [name, file] of Object.entries(call.files)) {
    form.append(name, new Blob([Buffer.from(file.base64, 'base64')], { type: file.contentType }), file.filename);
  }
  return { body: form };
}
