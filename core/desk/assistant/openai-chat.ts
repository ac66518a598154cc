import * as z from 'zod/mini';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../platform/http/index.js';
import { AiRateLimitedError, AiRejectedError, AiTimeoutError, AiUnavailableError } from './errors.js';
import type { ChatAnswer, ChatModel, ChatRequest, FinishReason } from './model.js';

/** How to reach an OpenAI-compatible Chat Completions provider. */
export interface OpenAiChatModelOptions {
  /** The provider's base URL, e.g. `https://api.deepseek.com/v1` (a trailing slash is fine). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`; never put into an error. */
  apiKey: string;
  model: string;
  fetch?: typeof fetch;
}

/** The part of a `chat.completion` we use; unknown fields are ignored, as providers add them freely. */
const CompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.nullable(z.string()) }),
        finish_reason: z.optional(z.nullable(z.string())),
      }),
    )
    .check(z.minLength(1)),
  // A usage block we cannot read costs us the token counts, not the answer.
  usage: z.catch(
    z.optional(z.nullable(z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }))),
    undefined,
  ),
});

/** OpenAI's error body `{ error: { message } }`, as DeepSeek and most compatible providers send it. */
const ErrorBodySchema = z.object({ error: z.object({ message: z.string() }) });

/** Longest part of a provider's error message kept in ours. */
const MAX_PROVIDER_MESSAGE = 200;
/** Prompt texts shorter than this are not scrubbed from provider messages (too likely to match by chance). */
const MIN_SCRUBBED_PROMPT = 8;

const FINISH_REASONS: ReadonlySet<string> = new Set<FinishReason>(['stop', 'length', 'content_filter']);

/**
 * A {@link ChatModel} over OpenAI-compatible Chat Completions (DeepSeek by default, the local LLM
 * peer in tests and `npm run dev`): one non-streaming `POST <baseUrl>/chat/completions` per call.
 *
 * Every failure becomes one of the `core/desk/assistant/errors.ts` errors: 429 → `AiRateLimitedError`
 * (`Retry-After` or OpenAI's `retry-after-ms`), 5xx, network failures and any 2xx body that is not a
 * completion → `AiUnavailableError`, an aborted `request.signal` → `AiTimeoutError`, any other
 * status → `AiRejectedError` carrying the provider's message cut to 200 characters. Error messages
 * never carry the API key (it is scrubbed even if the provider echoes it) nor a prompt the provider
 * quotes back; raw network errors stay in `cause`, which logs do not render.
 */
export class OpenAiChatModel implements ChatModel {
  private readonly fetch: typeof fetch;
  private readonly url: string;

  constructor(private readonly options: OpenAiChatModelOptions) {
    this.fetch = options.fetch ?? fetch;
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  async complete(request: ChatRequest): Promise<ChatAnswer> {
    const { signal } = request;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${this.options.apiKey}`,
        },
        body: JSON.stringify({
          model: this.options.model,
          messages: request.messages.map(({ role, content }) => ({ role, content })),
          max_tokens: request.maxTokens,
          stream: false,
        }),
        signal,
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted || isAbort(error)) {
        throw new AiTimeoutError('the AI provider did not answer in time', { cause: error });
      }
      throw new AiUnavailableError(`the AI provider could not be reached (${networkCode(error)})`, { cause: error });
    }

    const { status } = response;
    if (status === 429) {
      throw new AiRateLimitedError('the AI provider answered 429 (rate limited)', {
        retryAfterSeconds: retryAfterSeconds(response.headers),
      });
    }
    if (status >= 500) {
      throw new AiUnavailableError(`the AI provider answered ${status}`, {
        retryAfterSeconds: retryAfterSeconds(response.headers),
      });
    }
    if (status < 200 || status > 299) {
      const said = this.providerMessage(text, request);
      throw new AiRejectedError(status, `the AI provider refused the request (${status})${said ? `: ${said}` : ''}`);
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new AiUnavailableError(`the AI provider answered a malformed completion (not JSON, ${status})`, {
        cause: error,
      });
    }
    const parsed = CompletionSchema.safeParse(json);
    if (!parsed.success) {
      throw new AiUnavailableError(`the AI provider answered a malformed completion (${status})`, {
        cause: parsed.error,
      });
    }
    const [choice] = parsed.data.choices;
    const usage = parsed.data.usage;
    return {
      text: choice!.message.content ?? '',
      finishReason: finishReason(choice!.finish_reason),
      ...(usage ? { usage: { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } } : {}),
    };
  }

  /**
   * The provider's `error.message`, cut to {@link MAX_PROVIDER_MESSAGE} characters, with the API key
   * and any of our prompt texts it quotes replaced; `undefined` when the body has none.
   */
  private providerMessage(text: string, request: ChatRequest): string | undefined {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = ErrorBodySchema.safeParse(json);
    if (!parsed.success) return undefined;
    let message = parsed.data.error.message;
    if (this.options.apiKey !== '') message = message.replaceAll(this.options.apiKey, '[key]');
    for (const { content } of request.messages) {
      if (content.length >= MIN_SCRUBBED_PROMPT) message = message.replaceAll(content, '[prompt]');
    }
    // Scrub before cutting, so a cut cannot leave a key's or prompt's head behind.
    return Array.from(message).slice(0, MAX_PROVIDER_MESSAGE).join('') || undefined;
  }
}

/** Seconds to wait from `retry-after-ms` (OpenAI's) or `Retry-After` (seconds or an HTTP date). */
function retryAfterSeconds(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS) / 1000;
  const parsed = parseRetryAfter(headers.get('retry-after'));
  return parsed === undefined ? undefined : parsed / 1000;
}

function finishReason(reason: string | null | undefined): FinishReason {
  return reason != null && FINISH_REASONS.has(reason) ? (reason as FinishReason) : 'other';
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** A log-safe tag for a network failure: the system error code (`ECONNREFUSED`...) or the error's name. */
function networkCode(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  return error instanceof Error ? error.name : 'unknown error';
}
