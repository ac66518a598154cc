/** Factories for Telegram updates shaped like the real Bot API ones. */
let nextUpdateId = 1000;
let nextMessageId = 1;

export interface UserSpec {
  id: number;
  first_name?: string;
  language_code?: string;
  username?: string;
}

const user = (spec: UserSpec) => ({
  id: spec.id,
  is_bot: false,
  first_name: spec.first_name ?? `User${spec.id}`,
  ...(spec.language_code ? { language_code: spec.language_code } : {}),
  ...(spec.username ? { username: spec.username } : {}),
});

const privateChat = (spec: UserSpec) => ({
  id: spec.id,
  type: 'private' as const,
  first_name: spec.first_name ?? `User${spec.id}`,
});

export function textUpdate(
  from: UserSpec,
  text: string,
  overrides: { update_id?: number; chat?: { id: number; type: string; title?: string } } = {},
) {
  const entities = text.startsWith('/')
    ? [{ type: 'bot_command', offset: 0, length: text.split(/\s/)[0]!.length }]
    : undefined;
  return {
    update_id: overrides.update_id ?? nextUpdateId++,
    message: {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: overrides.chat ?? privateChat(from),
      from: user(from),
      text,
      ...(entities ? { entities } : {}),
    },
  };
}

export function callbackUpdate(from: UserSpec, data: string, messageId = 1, overrides: { update_id?: number } = {}) {
  return {
    update_id: overrides.update_id ?? nextUpdateId++,
    callback_query: {
      id: `cb${nextUpdateId}`,
      from: user(from),
      chat_instance: `ci${from.id}`,
      data,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: privateChat(from),
        from: { id: 42, is_bot: true, first_name: 'desk_bot', username: 'desk_bot' },
        text: 'menu',
      },
    },
  };
}

/** A button press on a message in `chat` (`callbackUpdate`'s presses are all in the presser's private chat). */
export function pressIn(
  chat: { id: number; type: string; title?: string },
  from: UserSpec & { username?: string },
  data: string,
) {
  const update = callbackUpdate(from, data, 33);
  const { from: userFrom } = update.callback_query;
  return {
    ...update,
    callback_query: {
      ...update.callback_query,
      from: { ...userFrom, ...(from.username ? { username: from.username } : {}) },
      message: { ...update.callback_query.message, chat },
    },
  };
}
