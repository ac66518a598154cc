import type { JobDraft } from '../jobs/envelope.js';
import { TelegramSendJob } from './send-job.js';

/** A message to one chat, in Telegram HTML, delivered by the notify worker. */
export function notice(chatId: number, userId: number | null, html: string): JobDraft {
  return {
    job: TelegramSendJob,
    payload: { calls: [{ method: 'sendMessage', params: { chat_id: chatId, text: html, parse_mode: 'HTML' } }] },
    chatId,
    userId,
  };
}
