import { escapeHtml, LANGUAGES, type Language } from '../../platform/i18n/index.js';
import { ALL_FEATURES, type DeskFeature, type DeskFeatures } from '../features.js';
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
  /** The feature it belongs to, offered only by a bot with that feature on; none: every bot's. */
  readonly feature?: DeskFeature;
}

/** A command whose catalog keys are `command.<name>` (and `command.<name>.args` when it takes arguments). */
const command = (audience: CommandAudience, name: string, args: boolean, feature?: DeskFeature): DeskCommand => ({
  name,
  description: `command.${name}` as ConversationKey,
  ...(args ? { args: `command.${name}.args` as ConversationKey } : {}),
  audience,
  ...(feature ? { feature } : {}),
});
const user = (name: string, args = false, feature?: DeskFeature) => command('user', name, args, feature);
const admin = (name: string, args = true, feature?: DeskFeature) => command('admin', name, args, feature);

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
  user('deposit', true, 'payouts'),
  user('history', false, 'payouts'),
  user('withdraw', true, 'payouts'),
  user('watch', true, 'watches'),
  user('watches', false, 'watches'),
  user('secrets'),
  user('setsecret', true),
  user('checksecret', true),
  user('delsecret', true),
  user('reset', false, 'assistant'),
  user('lang'),
  admin('stats', false),
  admin('user'),
  admin('block'),
  admin('unblock'),
  admin('broadcast', true, 'broadcasts'),
  admin('credit', true, 'payouts'),
  admin('treasury', false, 'payouts'),
];

/** The commands of `audience` a bot with `features` offers. */
export const commandsFor = (audience: CommandAudience, features: DeskFeatures = ALL_FEATURES) =>
  DESK_COMMANDS.filter((c) => c.audience === audience && offered(c, features));

/** The command belongs to no feature, or to one the bot offers. */
export const offered = (command: DeskCommand, features: DeskFeatures) =>
  command.feature === undefined || features[command.feature];

function helpLine(t: ConversationTranslate, command: DeskCommand): string {
  const args = command.args ? ` ${escapeHtml(t(command.args))}` : '';
  return `/${command.name}${args} – ${escapeHtml(t(command.description))}`;
}

/**
 * `/help`: every command a user may use; with `admin`, the admin commands after them (only
 * admins in the admin chat are shown those). Only what the bot offers (`features`, default all).
 */
export function helpText(t: ConversationTranslate, options: { admin: boolean; features?: DeskFeatures }): string {
  const features = options.features ?? ALL_FEATURES;
  const commands = commandsFor('user', features).map((c) => helpLine(t, c));
  const parts = [[t('help.title'), t('help.intro', { max: MAX_WALLETS }), ...commands].join('\n')];
  if (features.assistant) parts.push(t('help.assistant'));
  if (options.admin) {
    parts.push([t('help.admin_title'), ...commandsFor('admin', features).map((c) => helpLine(t, c))].join('\n'));
  }
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
 * language under its `language_code`; only the commands of the features the bot offers. Set on
 * deploy, at onboarding and by the local stack.
 */
export function commandMenus(adminChatId: number, features: DeskFeatures = ALL_FEATURES): SetMyCommandsParams[] {
  const scopes: { scope: CommandScope; commands: readonly DeskCommand[] }[] = [
    { scope: { type: 'all_private_chats' }, commands: commandsFor('user', features) },
    {
      scope: { type: 'chat', chat_id: adminChatId },
      commands: [...commandsFor('admin', features), ...DESK_COMMANDS.filter((c) => c.name === 'help')],
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
