/**
 * What the web chat page shows, built from the store of the bot the person chose among the peer's bots: the
 * person's private chat with that bot and the admin group as that bot sees it, as plain JSON. Text travels with its entities, never as HTML, so the page renders
 * formatting with DOM nodes and user text can never become markup. A photo travels as a link to this page's own
 * server ({@link photoPath}), which reads the bytes from the peer: the bot token never reaches the browser.
 */
import type { ChatState, PeerStore, TgMessageEntity, TgPhotoSize, TgUser } from '../telegram/index.js';

/** One inline keyboard button: pressable (`data`), a link (`url`), or shown only. */
export interface ButtonView {
  text: string;
  data?: string;
  url?: string;
}

/** A photo in a message: where the page's server serves it, and its size in pixels. */
export interface PhotoView {
  src: string;
  width: number;
  height: number;
}

/** Where the page's server serves the photo with `fileId`. */
export const photoPath = (fileId: string): string => `/api/photo/${encodeURIComponent(fileId)}`;

/** A photo message's largest size (the last one). */
function photoView(sizes: TgPhotoSize[]): PhotoView | undefined {
  const size = sizes.at(-1);
  return size === undefined ? undefined : { src: photoPath(size.file_id), width: size.width, height: size.height };
}

/** One message as the page draws it. */
export interface MessageView {
  id: number;
  fromBot: boolean;
  /** The sender's first name and id. */
  from: string;
  fromId: number;
  /** Unix seconds. */
  date: number;
  edited: boolean;
  /** The text, or a photo's caption (`''` when it has none). */
  text: string;
  entities: TgMessageEntity[];
  /** Set on a photo message (its largest size). */
  photo?: PhotoView;
  keyboard: ButtonView[][];
}

/** One chat pane. */
export interface ChatView {
  id: number;
  title: string;
  /** Only for the private chat: the user blocked the bot. */
  blocked: boolean;
  messages: MessageView[];
  /** How many older messages were left out. */
  omitted: number;
}

/** A callback query answer with text: Telegram shows it as a toast (or an alert) to the one who pressed. */
export interface NoticeView {
  id: string;
  pane: 'user' | 'admin';
  text: string;
  alert: boolean;
}

/** A bot the page can chat with. */
export interface BotView {
  id: number;
  username: string;
  first_name: string;
}

/** Everything one page needs, sent whole on every change. */
export interface PageView {
  /** The bot the conversation shown is with. */
  bot: BotView;
  /** Every bot of the peer, the default one first: the page's bot selector. */
  bots: BotView[];
  user: { id: number; first_name: string };
  admin: { id: number; first_name: string } | undefined;
  userChat: ChatView;
  adminChat: ChatView | undefined;
  notices: NoticeView[];
}

/** Messages kept per pane; older ones are counted, not sent. */
export const MAX_MESSAGES = 100;
const MAX_NOTICES = 20;

function chatView(chat: ChatState | undefined, fallbackTitle: string, id: number): ChatView {
  if (chat === undefined) return { id, title: fallbackTitle, blocked: false, messages: [], omitted: 0 };
  const visible = chat.messages.filter((m) => !m.deleted);
  const shown = visible.slice(-MAX_MESSAGES);
  return {
    id: chat.chat.id,
    title: chat.chat.title ?? chat.chat.first_name ?? fallbackTitle,
    blocked: chat.blocked,
    omitted: visible.length - shown.length,
    messages: shown.map((m) => ({
      id: m.message_id,
      fromBot: m.fromBot,
      from: m.from.first_name,
      fromId: m.from.id,
      date: m.date,
      edited: m.edit_date !== undefined,
      text: m.text,
      entities: m.entities,
      ...(m.photo !== undefined && { photo: photoView(m.photo) }),
      keyboard: (m.reply_markup?.inline_keyboard ?? []).map((row) =>
        row.map((button) => ({
          text: button.text,
          ...(typeof button.callback_data === 'string' && { data: button.callback_data }),
          ...(typeof button.url === 'string' && { url: button.url }),
        })),
      ),
    })),
  };
}

/** A bot as the page names it. */
export const botView = (bot: TgUser): BotView => ({
  id: bot.id,
  username: bot.username ?? '',
  first_name: bot.first_name,
});

/**
 * The page's view for `userId` chatting with the bot of `store`, with the admin group `admin` (pressed in as
 * `admin.as`) and the bots to choose from. The user must exist in the store.
 */
export function pageView(
  store: PeerStore,
  userId: number,
  admin: { chatId: number; as: { id: number; first_name: string } } | undefined,
  bots: readonly TgUser[] = [store.bot],
): PageView {
  const user = store.users.get(userId);
  if (user === undefined) throw new Error(`unknown user ${userId}`);
  const notices: NoticeView[] = [];
  for (const query of store.callbackQueries.values()) {
    const text = query.answer?.text;
    if (text === undefined || text === '') continue;
    const pane =
      query.chatId === userId && query.from.id === userId
        ? 'user'
        : admin !== undefined && query.chatId === admin.chatId && query.from.id === admin.as.id
          ? 'admin'
          : undefined;
    if (pane !== undefined) notices.push({ id: query.id, pane, text, alert: query.answer?.show_alert === true });
  }
  return {
    bot: botView(store.bot),
    bots: bots.map(botView),
    user: { id: user.id, first_name: user.first_name },
    admin: admin?.as,
    userChat: chatView(store.chat(userId), user.first_name, userId),
    adminChat: admin === undefined ? undefined : chatView(store.chat(admin.chatId), 'Admin chat', admin.chatId),
    notices: notices.slice(-MAX_NOTICES),
  };
}
