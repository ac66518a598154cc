/**
 * The assistant's view of a language model: one OpenAI-compatible Chat Completions call. The
 * adapter (core/desk/assistant/openai-chat.ts) owns HTTP and translates every failure into the errors of
 * `./errors.ts`; retries, pacing and deadlines are the client's (`./client.ts`), not the model's.
 */

/** One message of a conversation, as Chat Completions takes it. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  /** `max_tokens` of the answer. */
  readonly maxTokens: number;
  /** Aborts the call (the client's per-request timeout); the adapter then throws `AiTimeoutError`. */
  readonly signal?: AbortSignal;
}

/** Why the model stopped: done, out of tokens, filtered by the provider, or anything else it said. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'other';

export interface ChatAnswer {
  /** The answer's text as the model wrote it (Markdown, usually); may be empty when filtered. */
  readonly text: string;
  readonly finishReason: FinishReason;
  /** Tokens billed, when the provider reports them. */
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
}

/**
 * A chat model. `complete` makes exactly one request: it resolves with the first choice, or
 * rejects with `AiRateLimitedError` (429), `AiUnavailableError` (5xx, network, malformed
 * answer), `AiTimeoutError` (aborted) or `AiRejectedError` (the provider refused our request or
 * key: 4xx other than 429). Errors never carry the API key, the prompt or the answer.
 */
export interface ChatModel {
  complete(request: ChatRequest): Promise<ChatAnswer>;
}
