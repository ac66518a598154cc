/**
 * fast-check arbitraries of Telegram updates, written from the Bot API reference
 * (core.telegram.org/bots/api#update and the types it links): every update type Telegram sends,
 * messages of every content type (text, media, service messages, group migrations), edited
 * messages, channel posts, callback queries with an accessible, an inaccessible or no message,
 * inline queries, `my_chat_member` when a user blocks or restarts the bot, join requests, and so on.
 *
 * A case is a small cast (users, groups, addresses) and a few steps among them, so a session can
 * evolve within a case (link a wallet, then press its button) and an update can be redelivered.
 * Bodies are then encoded the ways a webhook may receive them, or broken (see `mutate.ts`).
 */
import fc from 'fast-check';
import { encodeBase58 } from '../../core/desk/solana/address.js';
import { LOCAL_ADMIN_CHAT_ID, LOCAL_ADMIN_USER_ID } from '../../local/index.js';
import { hugeString, type Json, mutated, truncated, unicodeText } from './mutate.js';

type Obj = { [key: string]: Json };

/** Bot API `User` of a person (the bot itself is added where Telegram names it). */
export interface FuzzUser {
  id: number;
  is_bot: false;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: true;
}

/** Bot API `Chat` (only the fields an update carries). */
export interface FuzzChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  username?: string;
  first_name?: string;
  is_forum?: true;
}

/** Who and what one case's updates are about. */
export interface Cast {
  users: FuzzUser[];
  groups: FuzzChat[];
  channel: FuzzChat;
  addresses: string[];
  /** The bot's own `User` (its id is the token's prefix). */
  bot: { id: number; is_bot: true; first_name: string; username: string };
}

/** The local stack's bot (`startLocalStack`'s default identity: id 123456789, `@local_desk_bot`). */
const BOT = { id: 123_456_789, is_bot: true as const, first_name: 'Local Desk', username: 'local_desk_bot' };

/** Unix time of a plausible message (2015–2033). */
const date = fc.integer({ min: 1_420_070_400, max: 2_000_000_000 });
const fileId = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'),
  minLength: 20,
  maxLength: 80,
});
const uniqueId = fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789'), minLength: 8, maxLength: 16 });
const usernameOf = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{4,31}$/);
const languageCode = fc.constantFrom('en', 'zh-hans', 'zh', 'ru', 'es', 'pt-br', 'ar', 'fa', 'uk', 'de', 'xx');
const personName = fc.oneof(
  fc.constantFrom('Mei', 'Ola', 'José', 'Даша', '小明', 'محمد', '🦊', 'A', "O'Brien", '<b>Bob</b>', 'Amp & Co'),
  // Telegram keeps names to 64 characters.
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }).map((name) => [...name].slice(0, 64).join('')),
);

/** A person: ids up to 2^40 (Telegram's user ids passed 2^32 long ago), or the local admin now and then. */
export const userArb: fc.Arbitrary<FuzzUser> = fc
  .record(
    {
      id: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 2 ** 40 }), weight: 9 }, fc.constant(LOCAL_ADMIN_USER_ID)),
      is_bot: fc.constant(false as const),
      first_name: personName,
      last_name: personName,
      username: usernameOf,
      language_code: languageCode,
      is_premium: fc.constant(true as const),
    },
    { requiredKeys: ['id', 'is_bot', 'first_name'] },
  )
  .map((user) => user as FuzzUser);

const title = fc.oneof(
  fc.constantFrom('Desk admins', 'Crypto chat', '交易群', 'a'),
  unicodeText(128).filter((s) => s.length > 0),
);

/** A basic group (`-id`, small), a supergroup (`-100…`), or the local admin group. */
export const groupArb: fc.Arbitrary<FuzzChat> = fc.oneof(
  fc.record({ id: fc.integer({ min: -999_999_999_999, max: -1 }), type: fc.constant('group' as const), title }),
  fc
    .record(
      {
        id: fc.integer({ min: 1, max: 9_999_999_999 }).map((n) => -1_000_000_000_000 - n),
        type: fc.constant('supergroup' as const),
        title,
        username: usernameOf,
        is_forum: fc.constant(true as const),
      },
      { requiredKeys: ['id', 'type', 'title'] },
    )
    .map((chat) => chat as FuzzChat),
  fc.constant<FuzzChat>({ id: LOCAL_ADMIN_CHAT_ID, type: 'supergroup', title: 'Desk admins' }),
);

const channelArb: fc.Arbitrary<FuzzChat> = fc.record({
  id: fc.integer({ min: 1, max: 9_999_999_999 }).map((n) => -1_000_000_000_000 - n),
  type: fc.constant('channel' as const),
  title,
});

/** A Solana address: a random public key, a well-known one, or something that only looks like one. */
export const addressArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeBase58), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      '11111111111111111111111111111111',
      'So11111111111111111111111111111111111111112',
      'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA',
      'Vote111111111111111111111111111111111111111',
    ),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom(
      '0x52908400098527886E0F7030069857D2E4169EE7',
      '0OIl1111111111111111111111111111111111111111',
      '1111',
      'So1111111111111111111111111111111111111111211111',
    ),
    weight: 1,
  },
);

export const castArb: fc.Arbitrary<Cast> = fc.record({
  users: fc.array(userArb, { minLength: 1, maxLength: 3 }),
  groups: fc.array(groupArb, { minLength: 1, maxLength: 2 }),
  channel: channelArb,
  addresses: fc.array(addressArb, { minLength: 1, maxLength: 3 }),
  bot: fc.constant(BOT),
});

const privateChat = (user: FuzzUser): FuzzChat => ({
  id: user.id,
  type: 'private',
  first_name: user.first_name,
  ...(user.username ? { username: user.username } : {}),
});

const COMMANDS = [
  'start',
  'menu',
  'help',
  'lang',
  'wallets',
  'balance',
  'verify',
  'deposit',
  'history',
  'withdraw',
  'secrets',
  'setsecret',
  'checksecret',
  'delsecret',
  'watch',
  'watches',
  'reset',
  'stats',
  'user',
  'block',
  'unblock',
  'broadcast',
  'unknown',
] as const;

/** A command as typed, with the arguments the bot expects or something else. */
function commandText(cast: Cast): fc.Arbitrary<string> {
  const address = fc.constantFrom(...cast.addresses);
  const args = fc.oneof(
    fc.constant(''),
    address,
    fc.array(address, { minLength: 1, maxLength: 12 }).map((a) => a.join(' ')),
    fc
      .tuple(fc.constantFrom('0.1', '1', '1.5', '0', '-1', '1e9', 'abc', '0.000000001', '99999999999'), address)
      .map(([sol, a]) => `${sol} ${a}`),
    fc.tuple(address, fc.constantFrom('', '0', '0.5', '10', 'x')).map(([a, sol]) => `${a} ${sol}`),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
    fc.constantFrom('@someone', '12345', '@', 'binance_api', 'hello world <b>', String(LOCAL_ADMIN_USER_ID)),
    unicodeText(200),
  );
  return fc
    .tuple(fc.constantFrom(...COMMANDS), fc.constantFrom('', '@local_desk_bot', '@other_bot', '@LOCAL_DESK_BOT'), args)
    .map(([command, mention, rest]) => `/${command}${mention}${rest ? ` ${rest}` : ''}`);
}

/** Text a user types: commands, addresses, chatter, long or odd text (Telegram allows 4,096 characters, counted in code points as the local peer does). */
function textArb(cast: Cast): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: commandText(cast), weight: 6 },
    { arbitrary: fc.constantFrom(...cast.addresses), weight: 2 },
    { arbitrary: fc.constantFrom('hello', 'what is SOL?', 'my label', 'sk-secret-value-123', '🙂', 'a'), weight: 2 },
    { arbitrary: unicodeText(300).filter((s) => s.length > 0), weight: 2 },
    {
      arbitrary: fc.constantFrom('x'.repeat(4_096), '🚀'.repeat(2_048), '🚀'.repeat(4_096), 'я '.repeat(2_048)),
      weight: 1,
    },
  );
}

/** The entities Telegram attaches to a text: a leading bot command, and others at random. */
function entitiesFor(text: string): fc.Arbitrary<Obj[] | undefined> {
  const command = text.match(/^\/\S+/);
  const leading = command ? [{ type: 'bot_command', offset: 0, length: command[0].length }] : [];
  const extra = fc.array(
    fc.record({
      type: fc.constantFrom('bold', 'italic', 'url', 'mention', 'code', 'spoiler', 'text_link', 'custom_emoji'),
      offset: fc.nat({ max: Math.max(0, text.length - 1) }),
      length: fc.integer({ min: 1, max: Math.max(1, text.length) }),
    }),
    { maxLength: 3 },
  );
  return fc.option(extra, { nil: undefined }).map((more) => {
    const all = [...leading, ...(more ?? [])];
    return all.length > 0 ? all : undefined;
  });
}

const photo = fc.array(
  fc.record({
    file_id: fileId,
    file_unique_id: uniqueId,
    width: fc.integer({ min: 1, max: 2_560 }),
    height: fc.integer({ min: 1, max: 2_560 }),
    file_size: fc.nat({ max: 20_000_000 }),
  }),
  { minLength: 1, maxLength: 4 },
);
const media = (extra: Record<string, fc.Arbitrary<Json>>) =>
  fc.record({ file_id: fileId, file_unique_id: uniqueId, ...extra });
const location = fc.record({
  latitude: fc.double({ min: -90, max: 90, noNaN: true }),
  longitude: fc.double({ min: -180, max: 180, noNaN: true }),
});

/** The content of a message of one of the Bot API's content types (a `Message` minus its header). */
function contentArb(cast: Cast, chat: FuzzChat): fc.Arbitrary<Obj> {
  const caption = fc.option(unicodeText(1_024), { nil: undefined });
  const withCaption = (key: string, value: fc.Arbitrary<Json>) =>
    fc.tuple(value, caption).map(([v, c]) => (c === undefined ? { [key]: v } : { [key]: v, caption: c }));
  const someone = fc.oneof(fc.constantFrom(...cast.users), userArb);
  const content: fc.Arbitrary<Obj>[] = [
    textArb(cast).chain((text) =>
      entitiesFor(text).map((entities) => (entities ? { text, entities } : { text }) as Obj),
    ),
    withCaption('photo', photo),
    fc.constant({}).chain(() =>
      media({
        type: fc.constantFrom('regular', 'mask', 'custom_emoji'),
        width: fc.constant(512),
        height: fc.constant(512),
        is_animated: fc.boolean(),
        is_video: fc.boolean(),
        emoji: fc.constantFrom('😀', '👍'),
      }).map((sticker) => ({ sticker })),
    ),
    withCaption('voice', media({ duration: fc.nat({ max: 3_600 }), mime_type: fc.constant('audio/ogg') })),
    withCaption('audio', media({ duration: fc.nat({ max: 3_600 }), title: unicodeText(), performer: unicodeText() })),
    withCaption('video', media({ width: fc.nat(), height: fc.nat(), duration: fc.nat() })),
    media({ length: fc.nat({ max: 640 }), duration: fc.nat({ max: 60 }) }).map((video_note) => ({ video_note })),
    withCaption(
      'document',
      media({
        file_name: fc.constantFrom('keys.txt', 'wallet.json', '私钥.pdf', '../../etc/passwd'),
        mime_type: fc.constant('text/plain'),
      }),
    ),
    media({ width: fc.nat(), height: fc.nat(), duration: fc.nat() }).map((animation) => ({
      animation,
      document: animation,
    })),
    location.map((l) => ({ location: l })),
    fc
      .record({ location, title: unicodeText(), address: unicodeText() })
      .map((venue) => ({ venue, location: venue.location })),
    fc
      .record({ phone_number: fc.constantFrom('+15551234567', '123'), first_name: personName, user_id: fc.nat() })
      .map((contact) => ({ contact })),
    fc
      .record({
        id: fc.stringMatching(/^\d{10,19}$/),
        question: unicodeText(300),
        options: fc.array(fc.record({ text: unicodeText(100), voter_count: fc.nat() }), {
          minLength: 2,
          maxLength: 10,
        }),
        total_voter_count: fc.nat(),
        is_closed: fc.boolean(),
        is_anonymous: fc.boolean(),
        type: fc.constantFrom('regular', 'quiz'),
        allows_multiple_answers: fc.boolean(),
      })
      .map((poll) => ({ poll })),
    fc
      .record({ emoji: fc.constantFrom('🎲', '🎯', '🏀', '⚽', '🎳', '🎰'), value: fc.integer({ min: 1, max: 64 }) })
      .map((dice) => ({ dice })),
    fc.record({ id: fc.nat(), chat: fc.constant(cast.channel as unknown as Json) }).map((story) => ({ story })),
    fc.record({ data: unicodeText(4_096), button_text: unicodeText() }).map((web_app_data) => ({ web_app_data })),
    fc
      .record({
        request_id: fc.nat(),
        users: fc.array(fc.record({ user_id: fc.nat() }), { minLength: 1, maxLength: 3 }),
      })
      .map((users_shared) => ({ users_shared })),
    fc.record({ request_id: fc.nat(), chat_id: fc.integer() }).map((chat_shared) => ({ chat_shared })),
    fc.constant({ write_access_allowed: { from_request: true } }),
    fc
      .record({
        currency: fc.constantFrom('XTR', 'USD'),
        total_amount: fc.nat(),
        invoice_payload: unicodeText(128),
        telegram_payment_charge_id: fc.string(),
        provider_payment_charge_id: fc.string(),
      })
      .map((successful_payment) => ({ successful_payment })),
  ];
  if (chat.type !== 'private') {
    content.push(
      fc
        .array(fc.oneof(someone, fc.constant(cast.bot as unknown as FuzzUser)), { minLength: 1, maxLength: 3 })
        .map((users) => ({ new_chat_members: users as unknown as Json, new_chat_member: users[0] as unknown as Json })),
      fc.oneof(someone, fc.constant(cast.bot as unknown as FuzzUser)).map((user) => ({
        left_chat_member: user as unknown as Json,
      })),
      title.map((new_chat_title) => ({ new_chat_title })),
      photo.map((new_chat_photo) => ({ new_chat_photo })),
      fc.constant({ delete_chat_photo: true }),
      fc.constant({ group_chat_created: true }),
      fc.constant({ supergroup_chat_created: true }),
      fc.record({ message_auto_delete_time: fc.nat({ max: 31_536_000 }) }).map((timer) => ({
        message_auto_delete_timer_changed: timer,
      })),
      fc.record({ name: unicodeText(128), icon_color: fc.constant(7_322_096) }).map((topic) => ({
        forum_topic_created: topic,
      })),
      // The pinned message is a whole `Message` (or an inaccessible one, with date 0).
      fc
        .record({
          message_id: fc.integer({ min: 1, max: 2 ** 31 }),
          date: fc.oneof(date, fc.constant(0)),
          text: unicodeText(),
        })
        .map((pinned) => ({ pinned_message: { ...pinned, chat: chat as unknown as Json } })),
    );
  }
  // Text (commands, addresses, questions) is what users mostly send and what the bot mostly reads.
  const [text, ...others] = content;
  return fc.oneof(
    { arbitrary: text!, weight: others.length },
    ...others.map((arbitrary) => ({ arbitrary, weight: 1 })),
  );
}

/** Optional header fields of a `Message`: reply, forward origin, topic thread, protected content… */
function headerExtras(cast: Cast, chat: FuzzChat): fc.Arbitrary<Obj> {
  return fc
    .record(
      {
        reply_to_message: fc.record({
          message_id: fc.integer({ min: 1, max: 2 ** 31 }),
          date,
          chat: fc.constant(chat as unknown as Json),
          from: fc.constant(cast.bot as unknown as Json),
          text: fc.constantFrom('menu', 'Send the secret value now'),
        }),
        forward_origin: fc.oneof(
          fc.record({ type: fc.constant('hidden_user'), sender_user_name: personName, date }),
          fc.record({
            type: fc.constant('user'),
            sender_user: fc.constantFrom(...cast.users).map((u) => u as unknown as Json),
            date,
          }),
          fc.record({
            type: fc.constant('channel'),
            chat: fc.constant(cast.channel as unknown as Json),
            message_id: fc.nat(),
            date,
          }),
        ),
        message_thread_id: fc.integer({ min: 1, max: 100_000 }),
        is_topic_message: fc.constant(true),
        has_protected_content: fc.constant(true),
        media_group_id: fc.stringMatching(/^\d{10,19}$/),
        via_bot: fc.constant(cast.bot as unknown as Json),
        link_preview_options: fc.record({ is_disabled: fc.boolean() }),
      },
      { requiredKeys: [] },
    )
    .map((extras) => extras as Obj);
}

/** A `Message` from `user` in `chat` (its `from`), with some content. */
function messageArb(cast: Cast, chat: FuzzChat, user: FuzzUser): fc.Arbitrary<Obj> {
  return fc
    .tuple(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      date,
      contentArb(cast, chat),
      fc.option(headerExtras(cast, chat), { freq: 3, nil: undefined }),
    )
    .map(([message_id, d, content, extras]) => ({
      message_id,
      from: user as unknown as Json,
      chat: chat as unknown as Json,
      date: d,
      ...(extras ?? {}),
      ...content,
    }));
}

/** A group's service messages when it becomes a supergroup: one in the old group, one in the new. */
function migrationArb(user: FuzzUser): fc.Arbitrary<Obj> {
  return fc
    .tuple(fc.integer({ min: 1, max: 999_999_999 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), date, fc.boolean())
    .map(([n, message_id, d, inOld]) => {
      const oldChat = { id: -n, type: 'group', title: 'Old group' };
      const newChat = { id: -1_000_000_000_000 - n, type: 'supergroup', title: 'Old group' };
      const from: Json = user as unknown as Json;
      return inOld
        ? ({ message_id, from, chat: oldChat, date: d, migrate_to_chat_id: newChat.id } as Obj)
        : ({
            message_id,
            // Telegram sends the new supergroup's first message from the group's anonymous admin bot.
            from: { id: 1_087_968_824, is_bot: true, first_name: 'Group', username: 'GroupAnonymousBot' },
            sender_chat: newChat,
            chat: newChat,
            date: d,
            migrate_from_chat_id: oldChat.id,
          } as Obj);
    });
}

function callbackDataArb(cast: Cast): fc.Arbitrary<string> {
  const shortId = fc.stringMatching(/^[a-z2-7]{16}$/);
  const prefix = fc.constantFrom(...cast.addresses).map((a) => a.slice(0, 6));
  return fc.oneof(
    fc.constantFrom(
      'lang:en',
      'lang:zh',
      'lang:xx',
      'menu:main',
      'menu:help',
      'menu:lang',
      'w:l',
      'bc:go',
      'bc:drop',
      'dp:scan',
    ),
    fc
      .tuple(fc.constantFrom('o', 'r', 'd', 'y', 'b', 'z'), fc.integer({ min: -1, max: 11 }), prefix)
      .map(([action, index, p]) => `w:${action}:${index}:${p}`),
    fc.tuple(fc.constantFrom('po:ok:', 'po:no:', 'dp:ok:', 'dp:no:', 'wt:rm:'), shortId).map(([p, id]) => p + id),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map((id) => `bc:stop:${id}`),
    fc.string({ maxLength: 64 }).filter((s) => Buffer.byteLength(s) <= 64),
  );
}

/** `CallbackQuery`: pressed on a message the bot can see, one it can no longer see, or an inline message. */
function callbackQueryArb(cast: Cast, user: FuzzUser, chat: FuzzChat): fc.Arbitrary<Obj> {
  const base = fc.record({
    id: fc.stringMatching(/^\d{15,19}$/),
    from: fc.constant(user as unknown as Json),
    chat_instance: fc.stringMatching(/^-?\d{15,19}$/),
  });
  const message = fc.record({
    message_id: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    from: fc.constant(cast.bot as unknown as Json),
    chat: fc.constant(chat as unknown as Json),
    date,
    text: fc.constantFrom('menu', 'Choose your language / 选择语言', '👛 Wallets'),
  });
  const inaccessible = fc.record({
    message_id: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    chat: fc.constant(chat as unknown as Json),
    date: fc.constant(0),
  });
  const where = fc.oneof(
    { arbitrary: message.map((m) => ({ message: m }) as Obj), weight: 6 },
    { arbitrary: inaccessible.map((m) => ({ message: m }) as Obj), weight: 1 },
    {
      arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{20,40}$/).map((id) => ({ inline_message_id: id }) as Obj),
      weight: 1,
    },
  );
  const payload = fc.oneof(
    { arbitrary: callbackDataArb(cast).map((data) => ({ data }) as Obj), weight: 8 },
    { arbitrary: fc.constant({ game_short_name: 'game' } as Obj), weight: 1 },
  );
  return fc.tuple(base, where, payload).map(([b, w, p]) => ({ ...b, ...w, ...p }));
}

const member = (status: string, user: Json, extra: Obj = {}): Obj => ({ status, user, ...extra });
const ADMIN_RIGHTS: Obj = {
  can_be_edited: false,
  is_anonymous: false,
  can_manage_chat: true,
  can_delete_messages: true,
  can_manage_video_chats: true,
  can_restrict_members: true,
  can_promote_members: false,
  can_change_info: true,
  can_invite_users: true,
  can_post_stories: false,
  can_edit_stories: false,
  can_delete_stories: false,
};

/**
 * `ChatMemberUpdated` about the bot: a user blocks it (member → kicked) or restarts it
 * (kicked → member) in their private chat, or it is added to, promoted in or removed from a group.
 */
function myChatMemberArb(cast: Cast, user: FuzzUser): fc.Arbitrary<Obj> {
  const bot = cast.bot as unknown as Json;
  const transitions: [FuzzChat, Obj, Obj][] = [
    [privateChat(user), member('member', bot), member('kicked', bot, { until_date: 0 })],
    [privateChat(user), member('kicked', bot, { until_date: 0 }), member('member', bot)],
    ...cast.groups.flatMap((group): [FuzzChat, Obj, Obj][] => [
      [group, member('left', bot), member('member', bot)],
      [group, member('member', bot), member('administrator', bot, ADMIN_RIGHTS)],
      [group, member('member', bot), member('left', bot)],
      [group, member('member', bot), member('kicked', bot, { until_date: 0 })],
    ]),
    [cast.channel, member('left', bot), member('administrator', bot, { ...ADMIN_RIGHTS, can_post_messages: true })],
  ];
  return fc.tuple(fc.constantFrom(...transitions), date).map(([[chat, old_chat_member, new_chat_member], d]) => ({
    chat: chat as unknown as Json,
    from: user as unknown as Json,
    date: d,
    old_chat_member,
    new_chat_member,
  }));
}

/** One update of any type the Bot API has, about the cast. */
export function updateArb(cast: Cast, updateId: fc.Arbitrary<number>): fc.Arbitrary<Obj> {
  const user = fc.constantFrom(...cast.users);
  const group = fc.constantFrom(...cast.groups);
  const chatOf = fc.tuple(user, fc.oneof(fc.constant(undefined), group)).map(([u, g]) => ({
    user: u,
    chat: g ?? privateChat(u),
  }));
  const message = chatOf.chain(({ user: u, chat }) => messageArb(cast, chat, u));
  const channelPost = fc
    .tuple(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      date,
      textArb(cast),
      fc.option(fc.constant('Admin'), { nil: undefined }),
    )
    .map(([message_id, d, text, signature]) => ({
      message_id,
      sender_chat: cast.channel as unknown as Json,
      chat: cast.channel as unknown as Json,
      date: d,
      text,
      ...(signature ? { author_signature: signature } : {}),
    }));
  const someone = user.map((u) => u as unknown as Json);
  const kinds: Record<string, fc.Arbitrary<Json>> = {
    message: fc.oneof(
      { arbitrary: message, weight: 9 },
      user.chain((u) => migrationArb(u)),
    ),
    edited_message: fc.tuple(message, date).map(([m, edit_date]) => ({ ...m, edit_date })),
    channel_post: channelPost,
    edited_channel_post: fc.tuple(channelPost, date).map(([m, edit_date]) => ({ ...m, edit_date })),
    callback_query: chatOf.chain(({ user: u, chat }) => callbackQueryArb(cast, u, chat)),
    inline_query: fc.record(
      {
        id: fc.stringMatching(/^\d{15,19}$/),
        from: someone,
        query: fc.oneof(unicodeText(256), fc.constantFrom(...cast.addresses)),
        offset: fc.constantFrom('', '10'),
        chat_type: fc.constantFrom('sender', 'private', 'group', 'supergroup', 'channel'),
      },
      { requiredKeys: ['id', 'from', 'query', 'offset'] },
    ),
    chosen_inline_result: fc.record({ result_id: fc.string(), from: someone, query: unicodeText() }),
    shipping_query: fc.record({
      id: fc.string({ minLength: 1 }),
      from: someone,
      invoice_payload: unicodeText(),
      shipping_address: fc.record({
        country_code: fc.constantFrom('US', 'CN'),
        state: fc.string(),
        city: fc.string(),
        street_line1: fc.string(),
        street_line2: fc.string(),
        post_code: fc.string(),
      }),
    }),
    pre_checkout_query: fc.record({
      id: fc.string({ minLength: 1 }),
      from: someone,
      currency: fc.constantFrom('XTR', 'USD'),
      total_amount: fc.nat(),
      invoice_payload: unicodeText(),
    }),
    poll: fc.record({
      id: fc.stringMatching(/^\d{10,19}$/),
      question: unicodeText(),
      options: fc.array(fc.record({ text: unicodeText(), voter_count: fc.nat() }), { minLength: 2, maxLength: 4 }),
      total_voter_count: fc.nat(),
      is_closed: fc.boolean(),
      is_anonymous: fc.boolean(),
      type: fc.constantFrom('regular', 'quiz'),
      allows_multiple_answers: fc.boolean(),
    }),
    poll_answer: fc.record({
      poll_id: fc.stringMatching(/^\d{10,19}$/),
      user: someone,
      option_ids: fc.array(fc.nat({ max: 9 })),
    }),
    my_chat_member: user.chain((u) => myChatMemberArb(cast, u)),
    chat_member: fc.tuple(group, user, date).map(([chat, u, d]) => ({
      chat: chat as unknown as Json,
      from: u as unknown as Json,
      date: d,
      old_chat_member: member('left', u as unknown as Json),
      new_chat_member: member('member', u as unknown as Json),
    })),
    chat_join_request: fc
      .tuple(group, user, date, fc.option(unicodeText(70), { nil: undefined }))
      .map(([chat, u, d, bio]) => ({
        chat: chat as unknown as Json,
        from: u as unknown as Json,
        user_chat_id: u.id,
        date: d,
        ...(bio === undefined ? {} : { bio }),
        invite_link: {
          invite_link: 'https://t.me/+AbCdEfGhIjKlMnOp',
          creator: cast.bot as unknown as Json,
          creates_join_request: true,
          is_primary: false,
          is_revoked: false,
        },
      })),
    message_reaction: fc.tuple(group, user, date).map(([chat, u, d]) => ({
      chat: chat as unknown as Json,
      message_id: 7,
      user: u as unknown as Json,
      date: d,
      old_reaction: [],
      new_reaction: [{ type: 'emoji', emoji: '👍' }],
    })),
    message_reaction_count: fc.tuple(group, date).map(([chat, d]) => ({
      chat: chat as unknown as Json,
      message_id: 7,
      date: d,
      reactions: [{ type: { type: 'emoji', emoji: '🔥' }, total_count: 3 }],
    })),
    chat_boost: fc.tuple(user, date).map(([u, d]) => ({
      chat: cast.channel as unknown as Json,
      boost: {
        boost_id: 'b1',
        add_date: d,
        expiration_date: d + 86_400,
        source: { source: 'premium', user: u as unknown as Json },
      },
    })),
    removed_chat_boost: fc.tuple(user, date).map(([u, d]) => ({
      chat: cast.channel as unknown as Json,
      boost_id: 'b1',
      remove_date: d,
      source: { source: 'premium', user: u as unknown as Json },
    })),
    business_connection: fc.tuple(user, date).map(([u, d]) => ({
      id: 'bc1',
      user: u as unknown as Json,
      user_chat_id: u.id,
      date: d,
      can_reply: true,
      is_enabled: true,
    })),
    deleted_business_messages: user.map((u) => ({
      business_connection_id: 'bc1',
      chat: privateChat(u) as unknown as Json,
      message_ids: [1, 2],
    })),
    purchased_paid_media: user.map((u) => ({ from: u as unknown as Json, paid_media_payload: 'p' })),
  };
  // What the bot handles comes most often; every other type still shows up.
  const weights: Record<string, number> = { message: 24, callback_query: 12, edited_message: 3, my_chat_member: 4 };
  const kind = fc.oneof(
    ...Object.entries(kinds).map(([name, arb]) => ({
      arbitrary: arb.map((payload) => [name, payload] as const),
      weight: weights[name] ?? 1,
    })),
  );
  return fc.tuple(updateId, kind).map(([update_id, [name, payload]]) => ({ update_id, [name]: payload }));
}

/** How one update reaches the webhook, and what it should answer (401 aside). */
export interface Delivery {
  label: string;
  body: string | undefined;
  isBase64Encoded: boolean;
}

/** A valid update's JSON, broken in transit or replaced by something that is not an update at all. */
function brokenBody(update: Obj): fc.Arbitrary<Delivery> {
  const text = JSON.stringify(update);
  const raw = (label: string, body: string | undefined, isBase64Encoded = false): Delivery => ({
    label,
    body,
    isBase64Encoded,
  });
  return fc.oneof(
    fc.nat().map((at) => raw('truncated', truncated(text, at))),
    fc
      .constantFrom(
        '',
        'null',
        '[]',
        '{}',
        '1',
        '-1',
        '"update"',
        'true',
        '[{"update_id":1}]',
        '{"update_id":',
        '\uFEFF{}',
      )
      .map((body) => raw('not an update', body)),
    fc.constant(raw('no body', undefined)),
    fc.string({ unit: 'binary', maxLength: 500 }).map((body) => raw('text', body)),
    fc.uint8Array({ maxLength: 2_000 }).map((bytes) => raw('bytes', Buffer.from(bytes).toString('base64'), true)),
    fc.constant(raw('base64 of a BOM body', Buffer.from(`\uFEFF${text}`).toString('base64'), true)),
    unicodeText(200).map((body) => raw('not base64', body, true)),
    fc.constant(raw('bom', `\uFEFF${text}`)),
    fc.constant(raw('json lines', `${text}\n${text}`)),
  );
}

/** The body over, at or under the webhook's size limit (a padding field, or a huge text). */
export function sizedBody(update: Obj, limit: number): fc.Arbitrary<Delivery> {
  const base = JSON.stringify({ ...update, padding: '' });
  return fc.integer({ min: -2, max: 200_000 }).map((over) => {
    const bytes = limit + over;
    const padding = 'p'.repeat(Math.max(0, bytes - Buffer.byteLength(base)));
    return { label: `size ${bytes}`, body: JSON.stringify({ ...update, padding }), isBase64Encoded: false };
  });
}

/** A real update encoded as JSON text or as base64 (API Gateway does so for some content types). */
const encoded = (update: Json): fc.Arbitrary<Delivery> =>
  fc.oneof(
    { arbitrary: fc.constant({ label: 'json', body: JSON.stringify(update), isBase64Encoded: false }), weight: 5 },
    {
      arbitrary: fc.constant({
        label: 'base64',
        body: Buffer.from(JSON.stringify(update)).toString('base64'),
        isBase64Encoded: true,
      }),
      weight: 1,
    },
  );

/** One step of a case: a delivery, or Telegram redelivering the previous one (it retries on a timeout). */
export type Step = { delivery: Delivery; update: Json | undefined } | { redeliver: true };

export interface Case {
  cast: Cast;
  steps: Step[];
}

/**
 * Update ids: spread wide, so two updates of a run rarely share one (when they do, the second is
 * a redelivery, as it would be from Telegram); beyond 2^31 now and then.
 */
const updateIdArb = fc.oneof(
  { arbitrary: fc.integer({ min: 1_000_000, max: 2 ** 31 - 1 }), weight: 9 },
  { arbitrary: fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }), weight: 1 },
);

/**
 * A case: a cast and one to `maxSteps` deliveries among them, each a real update (encoded as JSON
 * or base64), a real update with mutations, two kinds in one update, a broken body, or a
 * redelivery of the previous step; `limit` is the webhook's body limit (bodies around it come too).
 */
export function caseArb(limit: number, maxSteps = 4): fc.Arbitrary<Case> {
  return castArb.chain((cast) => {
    const update = updateArb(cast, updateIdArb);
    const step: fc.Arbitrary<Step> = fc.oneof(
      { arbitrary: update.chain((u) => encoded(u).map((delivery) => ({ delivery, update: u }))), weight: 8 },
      {
        arbitrary: mutated(update).chain((u) =>
          fc.oneof(
            {
              arbitrary: encoded(u).map((delivery) => ({
                delivery: { ...delivery, label: `mutated ${delivery.label}` },
                update: u,
              })),
              weight: 5,
            },
            {
              arbitrary: hugeString(4_097, 20_000).map((text) => {
                const long = withText(u, text);
                return {
                  delivery: { label: 'huge text', body: JSON.stringify(long), isBase64Encoded: false },
                  update: long,
                };
              }),
              weight: 1,
            },
          ),
        ),
        weight: 5,
      },
      {
        arbitrary: fc.tuple(update, update).map(([a, b]) => {
          const both = { ...b, ...a };
          return { delivery: { label: 'two kinds', body: JSON.stringify(both), isBase64Encoded: false }, update: both };
        }),
        weight: 1,
      },
      { arbitrary: update.chain(brokenBody).map((delivery) => ({ delivery, update: undefined })), weight: 2 },
      {
        arbitrary: update.chain((u) => sizedBody(u, limit)).map((delivery) => ({ delivery, update: undefined })),
        weight: 1,
      },
      { arbitrary: fc.constant({ redeliver: true as const }), weight: 1 },
    );
    return fc.array(step, { minLength: 1, maxLength: maxSteps }).map((steps) => ({ cast, steps }));
  });
}

/** `update` with its message text (if it has one) replaced. */
function withText(update: Json, text: string): Json {
  if (update === null || typeof update !== 'object' || Array.isArray(update)) return update;
  const message = update.message;
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return update;
  return { ...update, message: { ...message, text } };
}

export { BOT as FUZZ_BOT };
