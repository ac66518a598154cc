import type { JobDraft } from '../jobs/index.js';
import { TelegramSendJob } from './send-job.js';

/** A button under a notice: its label and callback data. */
export interface NoticeButton {
  readonly text: string;
  readonly data: string;
}

/** A message to one chat, in Telegram HTML, delivered by the notify worker; optionally with one row of buttons. */
export function notice(
  chatId: number,
  userId: number | null,
  html: string,
  buttons?: readonly NoticeButton[],
): JobDraft {
  const markup = buttons?.length
    ? { reply_markup: { inline_keyboard: [buttons.map((b) => ({ text: b.text, callback_data: b.data }))] } }
    : {};
  return {
    job: TelegramSendJob,
    payload: {
      calls: [{ method: 'sendMessage', params: { chat_id: chatId, text: html, parse_mode: 'HTML', ...markup } }],
    },
    chatId,
    userId,
  };
}
