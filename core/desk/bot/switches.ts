import { Composer } from 'telegraf';
import type { AdminGate } from '../admin/index.js';
import { BROADCAST_CALLBACK } from '../broadcasts/index.js';
import { DEPOSIT_CALLBACK } from '../deposits/index.js';
import type { DeskFeature, DeskFeatures } from '../features.js';
import { PAYOUT_CALLBACK, PAYOUT_CANCEL, WITHDRAW_CALLBACK } from '../payouts/index.js';
import { WATCH_CALLBACK } from '../watches/index.js';
import { DESK_COMMANDS } from './commands.js';
import type { BotContext } from './context.js';
import { CALLBACK } from './menus.js';

type Trigger = string | RegExp;

/** Each feature's buttons: a user's (menu, confirmations, "I've paid") and the admins'. */
const BUTTONS: Record<DeskFeature, { readonly user: readonly Trigger[]; readonly admin: readonly Trigger[] }> = {
  payouts: {
    user: [
      CALLBACK.deposit,
      CALLBACK.withdraw,
      CALLBACK.history,
      WITHDRAW_CALLBACK.confirm,
      WITHDRAW_CALLBACK.cancel,
      PAYOUT_CANCEL.pattern,
      DEPOSIT_CALLBACK.paidPattern,
    ],
    admin: [PAYOUT_CALLBACK.pattern, DEPOSIT_CALLBACK.pattern],
  },
  watches: { user: [CALLBACK.watches, WATCH_CALLBACK.pattern], admin: [] },
  assistant: { user: [CALLBACK.assistant], admin: [] },
  broadcasts: { user: [], admin: [BROADCAST_CALLBACK.send, BROADCAST_CALLBACK.discard, BROADCAST_CALLBACK.cancel] },
};

/**
 * What a bot says to what it does not offer. The commands and buttons of a feature switched off
 * in its record are not registered (nor shown in the menu, `/help` or Telegram's command list),
 * but a user may still type one, or press a button of an older message: each is answered, in the
 * user's language, "this bot does not offer …", and queues nothing. An admin command or button is
 * answered so on the admin gate (admins in the admin chat; anyone else meets it as the gate says).
 */
export function switchedOffFeatures(features: DeskFeatures, gate: AdminGate): Composer<BotContext> {
  const off = new Composer<BotContext>();
  const text = (feature: DeskFeature) => `feature.off.${feature}` as const;
  for (const feature of Object.keys(BUTTONS) as DeskFeature[]) {
    if (features[feature]) continue;
    for (const command of DESK_COMMANDS.filter((c) => c.feature === feature)) {
      if (command.audience === 'admin') gate.command(command.name, (ctx) => ctx.reply(ctx.t(text(feature))));
      else off.command(command.name, (ctx) => ctx.reply(ctx.t(text(feature))));
    }
    const { user, admin } = BUTTONS[feature];
    if (user.length > 0) off.action([...user], (ctx) => ctx.answerCbQuery(ctx.t(text(feature))));
    for (const pattern of admin) gate.action(pattern, (ctx) => ctx.answerCbQuery(ctx.t(text(feature))));
  }
  return off;
}
