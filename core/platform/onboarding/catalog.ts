/** What the deployment tells a bot's operators about their bot, in English and Simplified Chinese. */
import { catalog, translators } from '../i18n/index.js';

export const tenantMessages = /* @__PURE__ */ catalog(
  {
    'tenant.revoked':
      '⚠️ Telegram no longer accepts the token of @{username}, so the bot has stopped answering. If you revoked it in @BotFather, send me its new token to add the bot again (/addbot); its users and data are kept.',
  },
  {
    'tenant.revoked':
      '⚠️ Telegram 已不再接受 @{username} 的令牌，机器人已停止回复。如果您在 @BotFather 中撤销了它，请把新令牌发给我以重新添加该机器人（/addbot）；其用户和数据均保留。',
  },
);

export const tenantTranslator = /* @__PURE__ */ translators([tenantMessages]);
