import * as z from 'zod/mini';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { defineJob } from '../../platform/jobs/index.js';
import { TELEGRAM_LIMITS } from '../../platform/settings.js';

/**
 * A question to the assistant: free text a user sent in their private chat, and the language to
 * answer in. The ai worker answers it in that chat through the notify queue. The chat and user are
 * the envelope's (both required: the conversation memory is the user's).
 */
export const AiReplyJob = defineJob('ai.reply', 'ai', () =>
  z.object({
    text: z.string().check(z.minLength(1), z.maxLength(TELEGRAM_LIMITS.maxTextLength)),
    lang: z.enum(LANGUAGES),
  }),
);

/**
 * `/reset`: forget the user's conversation. On the ai queue, in the chat's FIFO group, so questions
 * asked before it are answered with the old memory and those after it with none.
 */
export const AiResetJob = defineJob('ai.reset', 'ai', () => z.object({}));
