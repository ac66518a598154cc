/**
 * Message catalogs. Every string a user sees lives here, in English and Simplified Chinese,
 * written for Telegram's HTML parse mode. Parameters are HTML-escaped when substituted, so
 * user-supplied text can never inject markup.
 */
export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

const en = {
  'lang.prompt': 'Choose your language / 选择语言',
  'lang.saved': 'Language set to English.',
  'lang.name': 'English',
  'menu.title': '<b>Solana wallet desk</b>\nHello, {name}! What would you like to do?',
  'menu.help': '❓ Help',
  'menu.language': '🌐 Language',
  'menu.back': '⬅️ Back',
  'help.text':
    '<b>Help</b>\n/start – start or restart\n/menu – main menu\n/lang – change language\n/help – this help\n\nMore desk features are on their way.',
  'button.stale': 'This button is no longer valid. Send /menu for a fresh menu.',
  'text.unknown': 'I did not understand that. Send /menu to see what I can do.',
} as const;

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  'lang.prompt': 'Choose your language / 选择语言',
  'lang.saved': '语言已设置为中文。',
  'lang.name': '中文',
  'menu.title': '<b>Solana 钱包服务台</b>\n你好，{name}！请选择操作：',
  'menu.help': '❓ 帮助',
  'menu.language': '🌐 语言',
  'menu.back': '⬅️ 返回',
  'help.text':
    '<b>帮助</b>\n/start – 开始或重新开始\n/menu – 主菜单\n/lang – 切换语言\n/help – 查看帮助\n\n更多功能即将上线。',
  'button.stale': '此按钮已失效。请发送 /menu 获取新菜单。',
  'text.unknown': '没有理解您的消息。发送 /menu 查看可用功能。',
};

const CATALOGS: Record<Language, Record<MessageKey, string>> = { en, zh };

/** Escapes text for Telegram HTML: only `&`, `<`, `>` and `"` need it. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** A translator for one language; unknown `{placeholders}` are left visible so they get noticed. */
export function translator(language: Language): Translate {
  const catalog = CATALOGS[language];
  return (key, params = {}) =>
    catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in params ? escapeHtml(String(params[name])) : whole,
    );
}

/** Picks the user's language: their choice, else their Telegram client's, else English. */
export function pickLanguage(chosen: Language | undefined, clientLanguage: string | undefined): Language {
  if (chosen) return chosen;
  return clientLanguage?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}
