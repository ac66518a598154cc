import { Composer } from 'telegraf';
import type { BotModule } from '../../platform/bot.js';
import { isLanguage } from '../../platform/i18n/index.js';
import type { JobType } from '../../platform/jobs/index.js';
import { userStatus } from '../../platform/users/index.js';
import { AdminGate, adminDesk, adminEvent, blockGate, handleOf, seenDue, userSeen } from '../admin/index.js';
import { assistantCommands } from '../assistant/index.js';
import { broadcastCommands } from '../broadcasts/index.js';
import { depositCommands } from '../deposits/index.js';
import { ALL_FEATURES, type DeskFeatures } from '../features.js';
import { payoutCommands } from '../payouts/index.js';
import { replaceScreen, showScreen } from '../screens.js';
import type { PayoutSettings, VaultSettings } from '../settings.js';
import { checkAddress } from '../solana/index.js';
import { secretCommands, secretGuard } from '../vault/index.js';
import {
  addressProblemReply,
  linkedAddresses,
  WalletBalanceJob,
  WalletVerifyJob,
  walletCommands,
  walletLabelPrompt,
} from '../wallets/index.js';
import { WatchLangJob, watchCommands } from '../watches/index.js';
import { BotContext, parseSession } from './context.js';
import { rateLimit } from './limits.js';
import { menuActions } from './menu-actions.js';
import { CALLBACK, helpScreen, languageScreen, mainMenu } from './menus.js';
import { switchedOffFeatures } from './switches.js';

function displayName(ctx: BotContext): string {
  return ctx.from?.first_name ?? ctx.from?.username ?? '';
}

/**
 * A command that asks the chain: addresses are checked here (syntax only; cheap, no RPC), and
 * the question goes to the rpc queue, whose worker answers in the chat when the chain has.
 */
function chainQuery<P>(
  ctx: BotContext,
  args: string[],
  max: number,
  usage: 'balance.usage' | 'verify.usage',
  draft: (addresses: string[]) => { job: JobType<P>; payload: P },
) {
  const addresses = [...new Set(args)].slice(0, max);
  if (addresses.length === 0) return ctx.reply(ctx.t(usage), { parse_mode: 'HTML' });
  for (const address of addresses) {
    const check = checkAddress(address);
    if (!check.ok) return addressProblemReply(ctx, address, check.problem);
  }
  ctx.enqueue({ ...draft(addresses), chatId: ctx.chat?.id ?? null, userId: ctx.from?.id ?? null });
  return ctx.reply(ctx.t('chain.checking'));
}

/**
 * Records the user blocking or restarting the bot (`my_chat_member` in their private chat) as
 * `user.status`, with their username when they have one (for the admins' `/user @name`). It runs
 * before the block gate, so the directory knows whether a blocked user still has the bot (only
 * Telegram makes this update, once per real change; it carries no text and queues one small job).
 */
function membership(): Composer<BotContext> {
  const members = new Composer<BotContext>();
  members.on('my_chat_member', (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const active = ctx.myChatMember.new_chat_member.status !== 'kicked';
    ctx.session = { ...ctx.session, joined: true };
    ctx.enqueue(userStatus(ctx.chat.id, { active, lang: ctx.lang, username: ctx.from.username }));
  });
  return members;
}

/**
 * Keeps the user directory current without a write of its own: the first update of a private
 * chat queues `user.status` (and a "new user" admin event).
 */
function directory(): Composer<BotContext> {
  const users = new Composer<BotContext>();
  users.use((ctx, next) => {
    if (ctx.chat?.type === 'private' && ctx.from && !ctx.session.joined) {
      ctx.session = { ...ctx.session, joined: true };
      ctx.enqueue(userStatus(ctx.chat.id, { active: true, lang: ctx.lang, username: ctx.from.username }));
      ctx.enqueue(
        adminEvent({
          kind: 'user.new',
          userId: ctx.from.id,
          facts: [
            ['user', String(ctx.from.id)],
            ['name', handleOf(ctx.from)],
            ['lang', ctx.from.language_code ?? '-'],
          ],
        }),
      );
    }
    return next();
  });
  return users;
}

/**
 * Reports a private chat's user as seen (`user.seen`) at most once an hour, for /stats' "active
 * in the last 24 h": one small job and no extra write (the session is saved on every update anyway).
 */
function activity(): Composer<BotContext> {
  const seen = new Composer<BotContext>();
  seen.use((ctx, next) => {
    if (ctx.chat?.type === 'private' && ctx.from && seenDue(ctx.session.seenAt, Date.now())) {
      ctx.session = { ...ctx.session, seenAt: Date.now() };
      ctx.enqueue(userSeen(ctx.from.id));
    }
    return next();
  });
  return seen;
}

export interface BotOptions {
  /** The admin group: admin commands and buttons are taken there only, and from admins only. */
  adminChatId: number;
  /** The admins (`ADMIN_USER_IDS`): admin power goes by the acting user's id, never by chat membership. */
  adminUserIds: ReadonlySet<number>;
  /** The intake key's public key: users' secrets are sealed to it before they go anywhere. */
  intakePublicKey: Uint8Array;
  vault: VaultSettings;
  /** Withdrawal limits, the network fee shown before confirming, and how long a confirmation lasts. */
  payouts: PayoutSettings;
  /** The treasury's address (deposit requests themselves are built by the rpc worker). */
  treasuryAddress: string;
  /**
   * What this bot offers (its record's `features`; default all): a feature switched off has no
   * command, button or menu entry, and what still names it is answered "not offered" (./switches.ts).
   */
  features?: DeskFeatures;
  /**
   * Report users as seen for /stats (default true). Turn tests of other features switch it off so
   * their sessions and jobs hold only what those features do.
   */
  reportActivity?: boolean;
}

/** The wallet desk as a bot on the platform: its context, its session and its conversation. */
export function deskBot(options: BotOptions): BotModule<BotContext> {
  return { name: 'wallet-desk', context: BotContext, parseSession, composer: createBot(options) };
}

/**
 * The wallet desk's conversation. Handlers only describe effects: they mutate `ctx.session`,
 * call the Bot API through the outbox client, and enqueue jobs; the platform commits them.
 */
export function createBot(options: BotOptions): Composer<BotContext> {
  const bot = new Composer<BotContext>();
  const features = options.features ?? ALL_FEATURES;
  // The one gate of admin power: every admin command and button is registered on it.
  const admins = new AdminGate({ adminChatId: options.adminChatId, adminUserIds: options.adminUserIds });
  bot.use(membership());
  // Nothing from a user an admin blocked goes further, in any chat: no job, no reply, not even
  // the directory's or /stats' bookkeeping below.
  bot.use(blockGate());
  bot.use(directory());
  if (options.reportActivity ?? true) bot.use(activity());
  // Admins decide payouts and deposits in bursts: they are not rate limited.
  bot.use(rateLimit({ exemptUserIds: options.adminUserIds }));
  // A message carrying a secret is deleted and goes no further (a pending /setsecret's value excepted).
  bot.use(secretGuard());
  // A pending wallet rename takes the next message, and any command or button ends it; it steps
  // aside for a pending /setsecret.
  bot.use(walletLabelPrompt());
  // Then: a message that is a secret's value must be sealed and deleted before anything else sees it.
  bot.use(
    secretCommands({
      intakePublicKey: options.intakePublicKey,
      settings: options.vault,
      admins,
    }),
  );
  adminDesk(admins);
  if (features.broadcasts) broadcastCommands(admins);
  // Before the rest: what names a feature this bot does not offer is answered so, and goes no further.
  bot.use(switchedOffFeatures(features, admins));
  bot.use(admins);
  if (features.payouts) bot.use(payoutCommands(admins, options.payouts));
  if (features.watches) bot.use(watchCommands());
  if (features.payouts) bot.use(depositCommands({}, admins));
  // `/wallets`, wallet buttons, and a Solana address sent in a private chat (linked).
  bot.use(walletCommands());

  // In groups, only commands addressed to us (telegraf matches `/cmd@our_username`) and our buttons count.
  bot.command('start', (ctx) =>
    ctx.session.lang ? showScreen(ctx, mainMenu(ctx.t, displayName(ctx), features)) : showScreen(ctx, languageScreen()),
  );
  bot.command('menu', (ctx) => showScreen(ctx, mainMenu(ctx.t, displayName(ctx), features)));
  // Admins in the admin chat see their commands too.
  const isAdminHere = (ctx: BotContext) =>
    ctx.chat?.id === options.adminChatId && ctx.from !== undefined && options.adminUserIds.has(ctx.from.id);
  bot.command('help', (ctx) => showScreen(ctx, helpScreen(ctx.t, { admin: isAdminHere(ctx), features })));
  bot.command('lang', (ctx) => showScreen(ctx, languageScreen()));
  // With no addresses: the linked wallets'.
  bot.command('balance', (ctx) =>
    chainQuery(
      ctx,
      ctx.args.length > 0 ? ctx.args : linkedAddresses(ctx.session),
      10,
      'balance.usage',
      (addresses) => ({
        job: WalletBalanceJob,
        payload: { addresses, lang: ctx.lang },
      }),
    ),
  );
  bot.command('verify', (ctx) =>
    chainQuery(ctx, ctx.args, 1, 'verify.usage', ([address]) => ({
      job: WalletVerifyJob,
      payload: { address: address!, lang: ctx.lang },
    })),
  );

  bot.action(/^lang:([a-z]{2})$/, async (ctx) => {
    const lang = ctx.match[1] ?? '';
    if (!isLanguage(lang)) return ctx.answerCbQuery(ctx.t('button.stale'));
    ctx.session = { ...ctx.session, lang };
    if (ctx.chat?.type === 'private') {
      // The directory keeps the language the bot now speaks (an admin's `/user` reads it there; a
      // session that expires starts over with `user.status` at its next update), and watch alerts
      // go out in the watcher's language: move both along.
      ctx.enqueue(userStatus(ctx.chat.id, { active: true, lang, username: ctx.from.username }));
      if (features.watches)
        ctx.enqueue({ job: WatchLangJob, payload: { lang }, chatId: ctx.chat.id, userId: ctx.from.id });
    }
    await ctx.answerCbQuery(ctx.t('lang.saved'));
    await replaceScreen(ctx, mainMenu(ctx.t, displayName(ctx), features));
  });
  bot.action(CALLBACK.menu, async (ctx) => {
    await ctx.answerCbQuery();
    await replaceScreen(ctx, mainMenu(ctx.t, displayName(ctx), features));
  });
  bot.action(CALLBACK.help, async (ctx) => {
    await ctx.answerCbQuery();
    await replaceScreen(ctx, helpScreen(ctx.t, { admin: isAdminHere(ctx), features }));
  });
  bot.use(menuActions(options.payouts));
  bot.action(CALLBACK.chooseLanguage, async (ctx) => {
    await ctx.answerCbQuery();
    await replaceScreen(ctx, languageScreen());
  });
  // Any other button (forged, or from an older version of the bot) is answered, politely, and ignored.
  bot.on('callback_query', (ctx) => ctx.answerCbQuery(ctx.t('button.stale'), { show_alert: false }));

  // Free text no flow took, in a private chat: a question for the assistant; /reset. Without the
  // assistant, free text meets the pointer to the menu below.
  if (features.assistant) bot.use(assistantCommands());
  // Anything else in a private chat (an unknown command, a sticker…): point to the menu. Group
  // chatter is not ours to answer.
  bot.on('message', (ctx) => (ctx.chat.type === 'private' ? ctx.reply(ctx.t('text.unknown')) : undefined));
  return bot;
}
