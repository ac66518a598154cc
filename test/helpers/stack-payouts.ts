import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Connection, Keypair, type PublicKey } from '@solana/web3.js';
import { DynamoPayoutStore } from '../../core/desk/payouts/dynamodb-store.js';
import { formatSol } from '../../core/desk/solana/format.js';
import {
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalStack,
  localClientConfig,
  startLocalStack,
} from '../../local/index.js';
import { openWebChat, transactionUrlTemplate } from '../../local/web-chat/server.js';
import { payRequest, pressPaidUntil, requestDeposit } from './stack-deposits.js';
import { homeScope } from './tenants.js';

/**
 * A local stack for payouts (50-ms slots, so blockhashes expire as they would on a busy chain), a
 * connection to its chain, and its payout store, to read payouts as the functions left them. With
 * `webChat`, the web chat page as `npm run dev` runs it: the explorer link points at its transaction
 * view (stop it with the stack). `stage` picks the stage settings (`local` by default).
 */
export async function startPayoutStack(options: { webChat?: boolean; stage?: string } = {}) {
  const page = options.webChat ? await openWebChat() : undefined;
  const stack = await startLocalStack({
    ...(options.stage && { stage: options.stage }),
    onFunctionLog: () => undefined,
    solana: { slotMs: 50 },
    ...(page && { explorerTxUrl: transactionUrlTemplate(page) }),
  });
  const webChat = page?.serve({
    peer: stack.telegram,
    adminChatId: LOCAL_ADMIN_CHAT_ID,
    transactions: (signature) => stack.solana.transaction(signature),
  });
  const chain = new Connection(stack.solana.urls[0]!, { commitment: 'confirmed', disableRetryOnRateLimit: true });
  const client = new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 });
  // The stack's own bot's payouts, as its functions store them.
  const payouts = new DynamoPayoutStore({ client: homeScope(stack, client), tableName: stack.dynamodb.tableName });
  return { stack, chain, payouts, webChat };
}

/** Successful transactions that reached `wallet` from the treasury: less its airdrop and its deposit. */
export async function paymentsTo(chain: Connection, wallet: PublicKey): Promise<number> {
  const signatures = await chain.getSignaturesForAddress(wallet);
  return signatures.filter((s) => s.err === null).length - 2;
}

const SAYS = {
  en: { wallet: 'is a wallet', credited: 'confirmed and credited', pending: 'An admin will confirm it' },
  zh: { wallet: '是钱包', credited: '已确认入账', pending: '管理员将尽快确认' },
} as const;

/** The admin chat, and its admin (user 1000), on the local stack. */
export const adminGroup = (stack: LocalStack) => stack.telegram.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins');
export const localAdmin = (stack: LocalStack) => stack.telegram.user(LOCAL_ADMIN_USER_ID, { first_name: 'Admin' });

/** The first bot message in `chatId` that includes `includes`. */
export const waitForText = (stack: LocalStack, chatId: number, includes: string, timeoutMs = 30_000) =>
  stack.telegram.waitFor(() => stack.telegram.sent(chatId).find((m) => m.text.includes(includes)), timeoutMs);

/**
 * A user with a linked, verified wallet and an internal balance, the way users get them: they
 * send the wallet's address, ask for a deposit request (`/deposit <SOL>`), pay it from the wallet,
 * press "I've paid" until it is finalized and credited (an admin confirms it when it is above the
 * automatic threshold).
 */
export async function userWithBalance(
  stack: LocalStack,
  userId: number,
  depositLamports = 1_000_000_000n,
  lang: 'en' | 'zh' = 'en',
) {
  const keypair = Keypair.generate();
  const wallet = keypair.publicKey;
  await stack.solana.svm.airdrop(wallet, 3_000_000_000n + depositLamports);
  const user = stack.telegram.user(userId, { first_name: `U${userId}`, language_code: lang });
  await user.sendText(wallet.toBase58());
  await waitForText(stack, userId, SAYS[lang].wallet);
  const request = await requestDeposit(stack, user, formatSol(depositLamports));
  if (!request.url.startsWith(`solana:${stack.solana.treasury!.address}?`))
    throw new Error('/deposit did not pay the treasury');
  await payRequest(stack, keypair, request.url);
  const outcome = await pressPaidUntil(stack, user, request, [SAYS[lang].credited, SAYS[lang].pending]);
  if (outcome.text.includes(SAYS[lang].pending)) {
    const found = await stack.telegram.waitFor(() => {
      for (const message of stack.telegram.sent(LOCAL_ADMIN_CHAT_ID)) {
        const confirm = message.reply_markup?.inline_keyboard.flat().find((b) => b.callback_data?.startsWith('dp:ok:'));
        if (confirm && message.text.includes(String(userId))) return { message, data: confirm.callback_data! };
      }
      return undefined;
    }, 30_000);
    await adminGroup(stack).pressButton(localAdmin(stack), found.message.message_id, found.data);
    await waitForText(stack, userId, SAYS[lang].credited);
  }
  return { user, wallet };
}

/**
 * The admin digest message carrying the approve button of the payout to `wallet`, and the payout id
 * (in the stage's admin chat, or in `where`: another bot's).
 */
export async function approvalFor(
  stack: LocalStack,
  wallet: PublicKey,
  where: { readonly chat: number; readonly bot?: number } = { chat: LOCAL_ADMIN_CHAT_ID },
) {
  return stack.telegram.waitFor(() => {
    for (const message of stack.telegram.sent(where.chat, where.bot === undefined ? {} : { bot: where.bot })) {
      for (const button of message.reply_markup?.inline_keyboard.flat() ?? []) {
        const id = button.callback_data?.startsWith('po:ok:') ? button.callback_data.slice('po:ok:'.length) : undefined;
        const line = id && message.text.split('\n').find((l) => l.includes(id));
        if (id && line?.includes(wallet.toBase58())) return { message, data: button.callback_data!, id };
      }
    }
    return undefined;
  }, 30_000);
}

/** `/withdraw <sol> <wallet>`, then Confirm on the screen it shows, as a user does. */
export async function withdraw(
  stack: LocalStack,
  user: ReturnType<LocalStack['telegram']['user']>,
  sol: string,
  wallet: string,
) {
  const before = user.botMessages().length;
  await user.sendText(`/withdraw ${sol} ${wallet}`);
  const screen = await stack.telegram.waitFor(
    () =>
      user
        .botMessages()
        .slice(before)
        .find((m) => m.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data === 'wd:ok')),
    20_000,
  );
  await user.pressButton(screen.message_id, 'wd:ok');
}
