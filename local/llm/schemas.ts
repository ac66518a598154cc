/**
 * The request body of OpenAI-compatible Chat Completions (the subset DeepSeek documents and our
 * client sends). Unknown fields (`top_p`, `user`...) are accepted and ignored, as providers do.
 */
import * as z from 'zod/mini';

/** One turn of the conversation. Content is plain text: the peer does not take content parts. */
export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

/** `POST /v1/chat/completions` body. */
export const ChatRequestSchema = z.object({
  model: z.string().check(z.minLength(1)),
  messages: z.array(ChatMessageSchema).check(z.minLength(1)),
  max_tokens: z.optional(z.int().check(z.positive())),
  temperature: z.optional(z.number().check(z.gte(0), z.lte(2))),
  stream: z.optional(z.boolean()),
});

export type ChatMessage = z.infer<typeof ChatMessageSchema>;
export type ChatRequest = z.infer<typeof ChatRequestSchema>;
