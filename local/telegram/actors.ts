/**
 * The simulated people: users and groups that write to the peer's bots, press their buttons and block them.
 *
 * Each action turns into a change in one bot's {@link PeerStore} plus an update handed to that bot, which
 * queues it for its webhook or `getUpdates`. A user handle talks to one bot (the peer's default bot unless
 * chosen: `peer.user(42).to('other_bot')`); the user's private chat with each bot has the user's id and its
 * own messages, as on Telegram. A group can have several bots as members: a user's message in it reaches
 * each of them (each with its own message id, as in Telegram's basic groups). Users only do what a real
 * client allows (pressing an existing button, for instance); anything else is a test error, a plain `Error`.
 */
import type { BotRef } from './bots.js';
import type { ChatState, PeerStore } from './store.js';
import type { SentMessage, TgChat, TgChatMember, TgMessage, TgMessageEntity, TgUpdate, TgUser } from './types.js';

/** What the simulated people need from one bot of the peer. */
export interface ActorHost {
  readonly store: PeerStore;
  /** Queues an update for the bot (subject to `allowed_updates`) and returns it. */
  enqueue(update: TgUpdate): TgUpdate;
  /** The bot's messages in one chat. */
  sent(chatId: number): SentMessage[];
}

/** What the simulated people need from the peer: its bots. */
export interface ActorWorld {
  /** The bot `ref` names, the default bot when absent; throws a test error naming the bots for an unknown one. */
  botFor(ref?: BotRef): ActorHost;
  /** The bots that are members of group `chatId`, in the order they were added. */
  groupBots(chatId: number): ActorHost[];
}

const unixNow = (): number => Math.floor(Date.now() / 1000);

/** A simulated Telegram user talking to one bot; their private chat with every bot has the user's id. */
export interface PeerUser {
  readonly id: number;
  /** The id of the bot this handle talks to. */
  readonly botId: number;
  /**
   * The same user talking to another bot of the peer (by id or username): every other method of the
   * returned handle acts on the private chat with that bot.
   */
  to(bot: BotRef): PeerUser;
  /** The user as the bot sees it in updates. */
  readonly info: TgUser;
  /** True after {@link block} until {@link unblock} or the user writes again. */
  readonly blocked: boolean;
  /**
   * The user sends a text message to the bot (a blocked bot is restarted first, as Telegram's "Restart" does),
   * with the formatting their client gave it (`formatting`: bold, links…; offsets in UTF-16 code units).
   */
  sendText(text: string, formatting?: readonly TgMessageEntity[]): Promise<TgUpdate>;
  /**
   * The user presses the inline button with `callbackData` under the bot's message `messageId`.
   * Throws (a test error, not an API error) when the message or button does not exist: users only press what they see.
   */
  pressButton(messageId: number, callbackData: string): Promise<TgUpdate>;
  /** The user blocks the bot: sends to them get 403 and the bot receives a `my_chat_member` update (kicked). */
  block(): Promise<TgUpdate>;
  /** The user unblocks (restarts) the bot: a `my_chat_member` update (member). */
  unblock(): Promise<TgUpdate>;
  /**
   * Puts the private chat in a state reached long ago, without creating any update: the user started the bot
   * (`started`: the bot may write to them) and maybe blocked it since (`blocked` implies `started`).
   * For setting up thousands of chats (benchmarks) without a storm of webhook deliveries. Returns this user.
   */
  seed(state: { started?: boolean; blocked?: boolean }): PeerUser;
  /** The chat as the user sees it: every visible message, both sides, oldest first. */
  messages(): TgMessage[];
  /**
   * The bot's messages in this chat, with edit history. A photo's `text` is its caption (`''` without one);
   * its `photo` lists the sizes, whose bytes `TelegramPeer.file(file_id)` returns.
   */
  botMessages(): SentMessage[];
  /** The bot's latest message in this chat that is not deleted. */
  lastBotMessage(): SentMessage | undefined;
}

/** A simulated group chat (negative id) with one or more of the peer's bots as members, seen by one of them. */
export interface PeerGroup {
  readonly id: number;
  readonly title: string;
  readonly chat: TgChat;
  /** The id of the bot this handle sees the group as (its messages, ids and buttons). */
  readonly botId: number;
  /** The ids of the member bots. */
  readonly botIds: number[];
  /** The group as another member bot sees it; throws when that bot is not a member. */
  to(bot: BotRef): PeerGroup;
  /**
   * `from` writes `text` in the group, with the formatting their client gave it: every member bot gets it
   * (each with its own message id); resolves to the update of this handle's bot.
   */
  sendText(from: PeerUser, text: string, formatting?: readonly TgMessageEntity[]): Promise<TgUpdate>;
  /** `from` presses a button under a message of this handle's bot in the group. */
  pressButton(from: PeerUser, messageId: number, callbackData: string): Promise<TgUpdate>;
  messages(): TgMessage[];
  botMessages(): SentMessage[];
}

/** `/command` and `/command@bot` entities, which Telegram adds to users' messages (telegraf's `command()` needs them). */
function detectEntities(text: string): TgMessageEntity[] {
  const entities: TgMessageEntity[] = [];
  for (const match of text.matchAll(/(?<![\w/@])\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])/g)) {
    entities.push({ type: 'bot_command', offset: match.index, length: match[0].length });
  }
  return entities;
}

/** A user's message in `chat`: the commands Telegram detects, and the formatting the user's client gave it. */
export function userMessage(
  host: ActorHost,
  chat: ChatState,
  from: TgUser,
  text: string,
  formatting: readonly TgMessageEntity[] = [],
): TgUpdate {
  const entities = [...detectEntities(text), ...structuredClone(formatting)];
  const message = host.store.addMessage(chat.chat.id, {
    fromBot: false,
    from,
    text,
    entities: entities.sort((a, b) => a.offset - b.offset || b.length - a.length),
  });
  return host.enqueue({ update_id: host.store.nextUpdateId(), message: host.store.toTgMessage(message) });
}

/** A button press by `from` on bot message `messageId` of `chat`. */
export function buttonPress(host: ActorHost, chat: ChatState, from: TgUser, messageId: number, data: string): TgUpdate {
  const message = host.store.message(chat.chat.id, messageId);
  if (message === undefined || message.deleted) {
    throw new Error(`cannot press a button: chat ${chat.chat.id} has no message ${messageId}`);
  }
  if (!message.fromBot) throw new Error(`cannot press a button: message ${messageId} was not sent by the bot`);
  const buttons = message.reply_markup?.inline_keyboard.flat() ?? [];
  if (!buttons.some((button) => button.callback_data === data)) {
    const available = buttons.map((b) => b.callback_data).filter((d) => d !== undefined);
    throw new Error(
      `cannot press a button: message ${messageId} has no button with callback_data ${JSON.stringify(data)} (has ${JSON.stringify(available)})`,
    );
  }
  const query = host.store.newCallbackQuery(chat.chat.id, messageId, from, data);
  return host.enqueue({
    update_id: host.store.nextUpdateId(),
    callback_query: {
      id: query.id,
      from: structuredClone(from),
      message: host.store.toTgMessage(message),
      chat_instance: host.store.chatInstance(chat.chat.id),
      data,
    },
  });
}

/** The bot's membership in a private chat changed (block / unblock). */
export function membershipChange(host: ActorHost, chat: ChatState, from: TgUser, blocked: boolean): TgUpdate {
  chat.blocked = blocked;
  const member = (status: TgChatMember['status']): TgChatMember =>
    status === 'kicked' ? { user: host.store.bot, status, until_date: 0 } : { user: host.store.bot, status };
  return host.enqueue({
    update_id: host.store.nextUpdateId(),
    my_chat_member: {
      chat: structuredClone(chat.chat),
      from: structuredClone(from),
      date: unixNow(),
      old_chat_member: member(blocked ? 'member' : 'kicked'),
      new_chat_member: member(blocked ? 'kicked' : 'member'),
    },
  });
}

/** A {@link PeerUser} backed by one bot's store. */
export class User implements PeerUser {
  constructor(
    private readonly world: ActorWorld,
    private readonly peer: ActorHost,
    readonly id: number,
  ) {}

  get botId(): number {
    return this.peer.store.bot.id;
  }

  to(bot: BotRef): PeerUser {
    return new User(this.world, this.world.botFor(bot), this.id);
  }

  private get chat(): ChatState {
    return this.peer.store.privateChat(this.id)!;
  }

  get info(): TgUser {
    return structuredClone(this.peer.store.users.get(this.id)!);
  }

  get blocked(): boolean {
    return this.chat.blocked;
  }

  async sendText(text: string, formatting?: readonly TgMessageEntity[]): Promise<TgUpdate> {
    if (this.chat.blocked) await this.unblock();
    this.chat.known = true;
    return userMessage(this.peer, this.chat, this.info, text, formatting);
  }

  async pressButton(messageId: number, callbackData: string): Promise<TgUpdate> {
    return buttonPress(this.peer, this.chat, this.info, messageId, callbackData);
  }

  async block(): Promise<TgUpdate> {
    if (this.chat.blocked) throw new Error(`user ${this.id} has already blocked the bot ${this.botId}`);
    return membershipChange(this.peer, this.chat, this.info, true);
  }

  async unblock(): Promise<TgUpdate> {
    if (!this.chat.blocked) throw new Error(`user ${this.id} has not blocked the bot ${this.botId}`);
    return membershipChange(this.peer, this.chat, this.info, false);
  }

  seed(state: { started?: boolean; blocked?: boolean }): PeerUser {
    if (state.blocked === true && state.started === false) {
      throw new Error(`user ${this.id} cannot have blocked a bot they never started`);
    }
    const chat = this.chat;
    if (state.started !== undefined) chat.known = state.started;
    if (state.blocked !== undefined) chat.blocked = state.blocked;
    if (state.blocked === true) chat.known = true;
    return this;
  }

  messages(): TgMessage[] {
    return this.chat.messages.filter((m) => !m.deleted).map((m) => this.peer.store.toTgMessage(m));
  }

  botMessages(): SentMessage[] {
    return this.peer.sent(this.id);
  }

  lastBotMessage(): SentMessage | undefined {
    return this.botMessages()
      .filter((m) => !m.deleted)
      .at(-1);
  }
}

/** A {@link PeerGroup} backed by the store of the bot it is seen by. */
export class Group implements PeerGroup {
  constructor(
    private readonly world: ActorWorld,
    private readonly peer: ActorHost,
    readonly id: number,
  ) {
    if (!world.groupBots(id).includes(peer)) throw new Error(`bot ${peer.store.bot.id} is not a member of group ${id}`);
  }

  private get state(): ChatState {
    return this.peer.store.chat(this.id)!;
  }

  get botId(): number {
    return this.peer.store.bot.id;
  }

  get botIds(): number[] {
    return this.world.groupBots(this.id).map((bot) => bot.store.bot.id);
  }

  to(bot: BotRef): PeerGroup {
    return new Group(this.world, this.world.botFor(bot), this.id);
  }

  get title(): string {
    return this.state.chat.title ?? '';
  }

  get chat(): TgChat {
    return structuredClone(this.state.chat);
  }

  async sendText(from: PeerUser, text: string, formatting?: readonly TgMessageEntity[]): Promise<TgUpdate> {
    let own: TgUpdate | undefined;
    for (const bot of this.world.groupBots(this.id)) {
      const update = userMessage(bot, bot.store.chat(this.id)!, from.info, text, formatting);
      if (bot === this.peer) own = update;
    }
    return own!;
  }

  async pressButton(from: PeerUser, messageId: number, callbackData: string): Promise<TgUpdate> {
    return buttonPress(this.peer, this.state, from.info, messageId, callbackData);
  }

  messages(): TgMessage[] {
    return this.state.messages.filter((m) => !m.deleted).map((m) => this.peer.store.toTgMessage(m));
  }

  botMessages(): SentMessage[] {
    return this.peer.sent(this.id);
  }
}
