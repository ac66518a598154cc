import { escapeHtml, LANGUAGES, type Language } from '../../platform/i18n/index.js';
import { type ConversationKey, type ConversationTranslate, conversationTranslator } from '../i18n.js';
import { MAX_WALLETS } from '../wallets/index.js';

/** Who may use a command: every user in their private chat, or admins in the admin chat. */
export type CommandAudience = 'user' | 'admin';

/** One command of the desk: its name, where its description lives in the catalogs, who uses it. */
export interface DeskCommand {
  readonly name: string;
  readonly description: ConversationKey;
  /** The arguments `/help` shows after the name (`<SOL> <wallet>`), if it takes any. */
  readonly args?: ConversationKey;
  readonly audience: CommandAudience;
}

/** A command whose catalog keys are `command.<name>` (and `command.<name>.args` when it takes arguments). */
const command = (audience: CommandAudience, name: string, args = false): DeskCommand => ({
  name,
  description: `command.${name}` as ConversationKey,
  ...(args ? { args: `command.${name}.args` as ConversationKey } : {}),
  audience,
});
const user = (name: string, args = false) => command('user', name, args);
const admin = (name: string, args = true) => command('admin', name, args);

/**
 * Every command of the desk, in the order people meet them. One list drives `/help`, Telegram's
 * command menu (`setMyCommands`, per language and scope) and the test that each one is answered.
 */
export const DESK_COMMANDS: readonly DeskCommand[] = [
  user('start'),
  user('menu'),
  user('help'),
  user('wallets'),
  user('balance', true),
  user('verify', true),
  user('deposit', true),
  user('history'),
  user('withdraw', true),
  user('watch', true),
  user('watches'),
  user('secrets'),
  user('setsecret', true),
  user('checksecret', true),
  user('delsecret', true),
  user('reset'),
  user('lang'),
  admin('stats', false),
  admin('user'),
  admin('block'),
  admin('unblock'),
  admin('broadcast'),
  admin('credit'),
  admin('treasury', false),
];

export const commandsFor = (audience: CommandAudience) => DESK_COMMANDS.filter((c) => c.audience === audience);

function helpLine(t: ConversationTranslate, command: DeskCommand): string {
  const args = command.args ? ` ${escapeHtml(t(command.args))}` : '';
  return `/${command.name}${args} – ${escapeHtml(t(command.description))}`;
}

/**
 * `/help`: every command a user may use; with `admin`, the admin commands after them (only
 * admins in the admin chat are shown those).
 */
export function helpText(t: ConversationTranslate, options: { admin: boolean }): string {
  const parts = [
    [t('help.title'), t('help.intro', { max: MAX_WALLETS }), ...commandsFor('user').map((c) => helpLine(t, c))].join(
      '\n',
    ),
    t('help.assistant'),
  ];
  if (options.admin) parts.push([t('help.admin_title'), ...commandsFor('admin').map((c) => helpLine(t, c))].join('\n'));
  return parts.join('\n\n');
}

/** A Bot API `BotCommandScope` the desk sets commands for. */
export type CommandScope = { type: 'all_private_chats' } | { type: 'chat'; chat_id: number };

/** The parameters of one `setMyCommands` call. */
export interface SetMyCommandsParams {
  commands: { command: string; description: string }[];
  scope: CommandScope;
  /** Absent: the default list, for every language without its own. */
  language_code?: Language;
}

/** The language the default (no `language_code`) lists are written in. */
const DEFAULT_LANGUAGE: Language = 'en';

/**
 * Telegram's command menus: in private chats the user commands, and in the admin chat (scope
 * `chat`) the admin commands with `/help`; each in English as the default and in every other
 * language under its `language_code`. Set on deploy and by the local stack.
 */
export function commandMenus(adminChatId: number): SetMyCommandsParams[] {
  const scopes: { scope: CommandScope; commands: readonly DeskCommand[] }[] = [
    { scope: { type: 'all_private_chats' }, commands: commandsFor('user') },
    {
      scope: { type: 'chat', chat_id: adminChatId },
      commands: [...commandsFor('admin'), ...DESK_COMMANDS.filter((c) => c.name === 'help')],
    },
  ];
  return scopes.flatMap(({ scope, commands }) =>
    LANGUAGES.map((lang) => {
      const t = conversationTranslator(lang);
      return {
        commands: commands.map((c) => ({ command: c.name, description: t(c.description) })),
        scope,
        ...(lang === DEFAULT_LANGUAGE ? {} : { language_code: lang }),
      };
    }),
  );
}
