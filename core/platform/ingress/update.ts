import * as z from 'zod/mini';
import { TELEGRAM_LIMITS } from '../settings.js';

/**
 * The parts of a Telegram update the platform relies on, validated at the webhook. Fields we
 * do not use pass through untouched (Telegram adds fields over time); fields we do use must
 * have the right shape, or the update is treated as malformed.
 */
const Chat = z.looseObject({ id: z.int(), type: z.enum(['private', 'group', 'supergroup', 'channel']) });
const User = z.looseObject({
  id: z.int(),
  is_bot: z.boolean(),
  first_name: z.string(),
  username: z.optional(z.string()),
  language_code: z.optional(z.string()),
});
/** A Unix time in seconds, up to 2100: abuse control counts time by message dates. */
const UnixTime = z.int().check(z.minimum(0), z.maximum(4_102_444_800));
const Message = z.looseObject({
  message_id: z.int(),
  date: UnixTime,
  edit_date: z.optional(UnixTime),
  chat: Chat,
  from: z.optional(User),
  text: z.optional(z.string().check(z.maxLength(TELEGRAM_LIMITS.maxTextLength))),
});
const CallbackQuery = z.looseObject({
  id: z.string().check(z.minLength(1)),
  from: User,
  chat_instance: z.string(),
  data: z.optional(z.string().check(z.maxLength(256))),
  message: z.optional(z.looseObject({ message_id: z.int(), chat: Chat })),
  inline_message_id: z.optional(z.string()),
});
const ChatMemberUpdated = z.looseObject({
  chat: Chat,
  from: User,
  date: UnixTime,
  old_chat_member: z.looseObject({ status: z.string() }),
  new_chat_member: z.looseObject({ status: z.string() }),
});

/** Update types the platform understands, with the schema of each payload. */
export const UPDATE_SCHEMAS = {
  message: Message,
  edited_message: Message,
  callback_query: CallbackQuery,
  my_chat_member: ChatMemberUpdated,
} as const;
export type UpdateKind = keyof typeof UPDATE_SCHEMAS;

const Envelope = z.looseObject({ update_id: z.int().check(z.minimum(0)) });

/** A validated update: its id, its kind, and the update object as received. */
export interface ValidUpdate {
  updateId: number;
  kind: UpdateKind;
  update: Record<string, unknown> & { update_id: number };
  chatId: number | null;
  userId: number | null;
}

export type UpdateCheck =
  | { ok: true; value: ValidUpdate }
  | { ok: false; reason: 'malformed' | 'unsupported'; updateId?: number; detail: string };

/**
 * Classifies a parsed webhook body: malformed (not an update, more than one kind, or a known kind
 * with a broken payload), unsupported (a kind outside `allowed`), or valid.
 */
export function checkUpdate(body: unknown, allowed: readonly string[]): UpdateCheck {
  const envelope = Envelope.safeParse(body);
  if (!envelope.success) return { ok: false, reason: 'malformed', detail: 'no valid update_id' };
  const update = envelope.data;
  const updateId = update.update_id;
  const kinds = Object.keys(update).filter((key) => key !== 'update_id');
  // Telegram sends exactly one kind per update; with two, the session would be keyed by one and
  // the bot would run on the other, which nothing validated.
  if (kinds.length > 1)
    return { ok: false, reason: 'malformed', updateId, detail: `several kinds: ${kinds.join(',')}` };
  const kind = kinds.find((key): key is UpdateKind => key in UPDATE_SCHEMAS && allowed.includes(key));
  if (!kind) return { ok: false, reason: 'unsupported', updateId, detail: `kinds: ${kinds.join(',') || 'none'}` };
  const payload = UPDATE_SCHEMAS[kind].safeParse(update[kind]);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    return { ok: false, reason: 'malformed', updateId, detail: `${kind}.${issue?.path.join('.')}: ${issue?.message}` };
  }
  const data = payload.data as { chat?: { id: number }; message?: { chat: { id: number } }; from?: { id: number } };
  const userId = data.from?.id ?? null;
  const chatId = data.chat?.id ?? data.message?.chat.id ?? userId;
  return { ok: true, value: { updateId, kind, update: update as ValidUpdate['update'], chatId, userId } };
}
