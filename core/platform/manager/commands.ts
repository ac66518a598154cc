import { isLanguage, translators } from '../i18n/index.js';
import { managerMessages } from './catalog.js';

const texts = /* @__PURE__ */ translators([managerMessages]);
const MANAGER_COMMANDS = ['addbot', 'mybots', 'usage', 'removebot'] as const;

/** A `setMyCommands` list, as far as the manager reads it. */
interface Menu {
  readonly commands: readonly { readonly command: string; readonly description: string }[];
  readonly scope?: { readonly type: string };
  readonly language_code?: string;
}

/**
 * The deployment's own bot's menus with the manager's commands added to its private-chat lists, in
 * each list's language (a list with no `language_code` is the English default).
 */
export function withManagerCommands<M extends Menu>(menus: readonly M[]): M[] {
  return menus.map((menu) => {
    if (menu.scope?.type !== 'all_private_chats') return menu;
    const t = texts(menu.language_code !== undefined && isLanguage(menu.language_code) ? menu.language_code : 'en');
    const added = MANAGER_COMMANDS.map((command) => ({ command, description: t(`manager.command.${command}`) }));
    return { ...menu, commands: [...menu.commands, ...added] };
  });
}
