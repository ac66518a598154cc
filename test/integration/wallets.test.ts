import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoWalletBook } from '../../core/desk/wallets/dynamodb-book.js';
import { DynamoSessionStore } from '../../core/platform/sessions/dynamodb-store.js';
import { type LocalStack, type LogLine, localClientConfig, type PeerUser, startLocalStack } from '../../local/index.js';
import { pressAndWait, unexpectedProblems } from '../helpers/stack-chat.js';
import { homeScope } from '../helpers/tenants.js';

let stack: LocalStack;
let dynamo: DynamoDBClient;
let book: DynamoWalletBook;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line), solana: { slotMs: 50 } });
  // The stack's own bot's items, as its functions see them.
  dynamo = homeScope(stack, new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 }));
  book = new DynamoWalletBook({ client: dynamo, tableName: stack.dynamodb.tableName });
});
afterAll(() => stack?.stop());

type Buttons = [string, string][][];

/** What one language's user sees, word for word (plain text, as the Telegram client shows it). */
interface Script {
  linked: (address: string) => string;
  verified: (address: string) => string;
  list: string;
  empty: string;
  wallet: (address: string, label: string) => string;
  noLabel: string;
  renamePrompt: (address: string) => string;
  renamed: (address: string, label: string) => string;
  balance: (address: string) => string;
  confirm: (address: string) => string;
  removed: string;
  stale: string;
  buttons: { rename: string; remove: string; balance: string; back: string; cancel: string; yes: string; no: string };
}

const ENGLISH: Script = {
  linked: (a) => `👛 Linked ${a} (wallet 1 of 10). Checking it on chain…`,
  verified: (a) => `✅ ${a} is a wallet (system account) holding 1.5 SOL.`,
  list: '👛 Your wallets (1 of 10)\nPick one, or send another Solana address to link it.',
  empty: '👛 You have no linked wallets yet. Send a Solana address to link one.',
  wallet: (a, label) => `👛 Wallet 1\nAddress: ${a}\nLabel: ${label}`,
  noLabel: 'none',
  renamePrompt: (a) => `✏️ Send the new label for ${a} (1 to 32 characters), or /cancel to keep the current one.`,
  renamed: (a, label) => `✏️ Label saved.\n\n👛 Wallet 1\nAddress: ${a}\nLabel: ${label}`,
  // Valued at the local price peer's made-up SOL price ($150, ¥1,080).
  balance: (a) =>
    `Balance of ${a}\nSOL: 1.5 ≈ $225.00\nNo tokens.\n\n≈ values are indicative, at market prices; not a quote.`,
  confirm: (a) => `🗑 Remove ${a} from your wallets? Withdrawals can then no longer go to it.`,
  removed: 'Wallet removed.',
  stale: 'This button is no longer valid. Send /menu for a fresh menu.',
  buttons: {
    rename: '✏️ Rename',
    remove: '🗑 Remove',
    balance: '💰 Balance',
    back: '⬅️ Back',
    cancel: '✖ Cancel',
    yes: '✅ Yes, remove',
    no: '✖ No',
  },
};

const CHINESE: Script = {
  linked: (a) => `👛 已绑定 ${a}（第 1 个，共可绑定 10 个）。正在查询链上数据…`,
  verified: (a) => `✅ ${a} 是钱包（系统账户），余额 1.5 SOL。`,
  list: '👛 您的钱包（1 / 10）\n请选择一个钱包，或发送新的 Solana 地址进行绑定。',
  empty: '👛 您还没有绑定钱包。发送 Solana 地址即可绑定。',
  wallet: (a, label) => `👛 钱包 1\n地址：${a}\n标签：${label}`,
  noLabel: '无',
  renamePrompt: (a) => `✏️ 请发送 ${a} 的新标签（1 到 32 个字符），或发送 /cancel 保留原标签。`,
  renamed: (a, label) => `✏️ 标签已保存。\n\n👛 钱包 1\n地址：${a}\n标签：${label}`,
  balance: (a) => `${a} 的余额\nSOL：1.5 ≈ $225.00 / ¥1,620.00\n没有代币。\n\n≈ 为按市场价估算的参考价值，并非报价。`,
  confirm: (a) => `🗑 确定从您的钱包中移除 ${a}？移除后将无法再提现到该地址。`,
  removed: '钱包已移除。',
  stale: '此按钮已失效。请发送 /menu 获取新菜单。',
  buttons: {
    rename: '✏️ 重命名',
    remove: '🗑 移除',
    balance: '💰 余额',
    back: '⬅️ 返回',
    cancel: '✖ 取消',
    yes: '✅ 确认移除',
    no: '✖ 取消',
  },
};

const buttonsOf = (message: { reply_markup?: { inline_keyboard: { text: string; callback_data?: string }[][] } }) =>
  (message.reply_markup?.inline_keyboard ?? []).map((row) =>
    row.map((b) => [b.text, b.callback_data ?? '']),
  ) as Buttons;

/** The bot's newest message in the chat whose text is exactly `text`. */
const waitForMessage = (chatId: number, text: string, timeoutMs = 20_000) =>
  stack.telegram.waitFor(
    () =>
      stack.telegram
        .sent(chatId)
        .filter((m) => m.text === text && !m.deleted)
        .at(-1),
    timeoutMs,
  );

/** Waits until bot message `messageId` reads `text` (it was edited in place). */
const waitForEdit = (chatId: number, messageId: number, text: string) =>
  stack.telegram.waitFor(() => {
    const message = stack.telegram.sent(chatId).find((m) => m.message_id === messageId);
    return message?.text === text ? message : undefined;
  }, 20_000);

const press = (user: PeerUser, messageId: number, data: string) => pressAndWait(stack.telegram, user, messageId, data);

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function sessionWallets(userId: number): Promise<unknown> {
  const store = new DynamoSessionStore({
    client: dynamo,
    tableName: stack.dynamodb.tableName,
    sessionIdleSeconds: 86_400,
    updateDedupeSeconds: 3_600,
  });
  return (((await store.load(`${userId}:${userId}`)).data ?? {}) as { wallets?: unknown }).wallets;
}

/** One user's whole wallet flow: link, list, open, rename, balance, remove. */
async function walletFlow(user: PeerUser, script: Script, label: string) {
  const chatId = user.id;
  const wallet = Keypair.generate().publicKey;
  await stack.solana.svm.airdrop(wallet, 1_500_000_000n);
  const address = wallet.toBase58();
  const p6 = address.slice(0, 6);
  const short = `${address.slice(0, 4)}…${address.slice(-4)}`;
  const b = script.buttons;

  // Link: the bot says so at once, then the rpc worker answers with what the chain holds.
  await user.sendText(address);
  await waitForMessage(chatId, script.linked(address));
  await waitForMessage(chatId, script.verified(address));
  expect(await book.has(chatId, address)).toBe(true);
  expect(await book.list(chatId)).toEqual([address]);
  expect(await sessionWallets(chatId)).toEqual([{ address }]);

  // The list, then the wallet, edited in place.
  await user.sendText('/wallets');
  const list = await waitForMessage(chatId, script.list);
  expect(buttonsOf(list)).toEqual([[[short, `w:o:0:${p6}`]], [[b.back, 'menu:main']]]);
  expect(await press(user, list.message_id, `w:o:0:${p6}`)).toBeUndefined();
  const walletButtons: Buttons = [
    [
      [b.rename, `w:r:0:${p6}`],
      [b.remove, `w:d:0:${p6}`],
    ],
    [[b.balance, `w:b:0:${p6}`]],
    [[b.back, 'w:l']],
  ];
  const opened = await waitForEdit(chatId, list.message_id, script.wallet(address, script.noLabel));
  expect(buttonsOf(opened)).toEqual(walletButtons);
  // The address is copyable: a code entity over exactly the address.
  const code = opened.entities.find((e) => e.type === 'code');
  expect(code && opened.text.slice(code.offset, code.offset + code.length)).toBe(address);

  // Rename: the prompt replaces the screen, the next message is the label.
  await press(user, list.message_id, `w:r:0:${p6}`);
  const prompt = await waitForEdit(chatId, list.message_id, script.renamePrompt(address));
  expect(buttonsOf(prompt)).toEqual([[[b.cancel, `w:o:0:${p6}`]]]);
  await user.sendText(label);
  const renamed = await waitForMessage(chatId, script.renamed(address, label));
  expect(buttonsOf(renamed)).toEqual(walletButtons);
  expect(await sessionWallets(chatId)).toEqual([{ address, label }]);

  // Balance, from the renamed wallet's screen.
  await press(user, renamed.message_id, `w:b:0:${p6}`);
  await waitForMessage(chatId, script.balance(address));

  // Remove, confirmed: gone from the session and, once the rpc worker has run, from the book.
  await press(user, renamed.message_id, `w:d:0:${p6}`);
  const confirm = await waitForEdit(chatId, renamed.message_id, script.confirm(address));
  expect(buttonsOf(confirm)).toEqual([
    [
      [b.yes, `w:y:0:${p6}`],
      [b.no, `w:o:0:${p6}`],
    ],
  ]);
  expect(await press(user, renamed.message_id, `w:y:0:${p6}`)).toBe(script.removed);
  const empty = await waitForEdit(chatId, renamed.message_id, script.empty);
  expect(buttonsOf(empty)).toEqual([[[b.back, 'menu:main']]]);
  expect(await sessionWallets(chatId)).toEqual([]);
  await until(async () => !(await book.has(chatId, address)), 'the wallet to leave the book');
  expect(await book.list(chatId)).toEqual([]);

  // The rename prompt's Cancel, still under the first message, is stale now: answered, nothing changes.
  expect(await press(user, list.message_id, `w:o:0:${p6}`)).toBe(script.stale);
  expect(stack.telegram.sent(chatId).find((m) => m.message_id === list.message_id)?.text).toBe(
    script.renamePrompt(address),
  );
  expect(await sessionWallets(chatId)).toEqual([]);
}

describe('wallets on the local stack', () => {
  it('links, lists, renames, checks and removes a wallet, in English', { timeout: 120_000 }, async () => {
    const user = stack.telegram.user(1101, { first_name: 'Ann' });
    await walletFlow(user, ENGLISH, 'Trading <b>1</b>');
  });

  it('does the same in Chinese, for a user whose Telegram is in Chinese', { timeout: 120_000 }, async () => {
    const user = stack.telegram.user(1102, { first_name: '小明', language_code: 'zh' });
    await walletFlow(user, CHINESE, '主钱包 🚀');
  });

  it('removes a wallet once when two devices press "Yes, remove" at the same time', { timeout: 120_000 }, async () => {
    const user = stack.telegram.user(1103, { first_name: 'Two' });
    const wallet = Keypair.generate().publicKey;
    await stack.solana.svm.airdrop(wallet, 1_500_000_000n);
    const address = wallet.toBase58();
    const p6 = address.slice(0, 6);
    await user.sendText(address);
    await waitForMessage(user.id, ENGLISH.verified(address));
    await user.sendText('/wallets');
    const list = await waitForMessage(user.id, ENGLISH.list);
    const hasButton = (data: string) =>
      stack.telegram.waitFor(() => {
        const message = stack.telegram.sent(user.id).find((m) => m.message_id === list.message_id);
        return message?.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data === data)
          ? message
          : undefined;
      }, 20_000);
    await press(user, list.message_id, `w:o:0:${p6}`);
    await hasButton(`w:d:0:${p6}`);
    await press(user, list.message_id, `w:d:0:${p6}`);
    await waitForEdit(user.id, list.message_id, ENGLISH.confirm(address));
    // Both devices show the confirmation; both press before either press is handled.
    const answers = await Promise.all([
      press(user, list.message_id, `w:y:0:${p6}`),
      press(user, list.message_id, `w:y:0:${p6}`),
    ]);
    expect(answers.sort()).toEqual([ENGLISH.removed, ENGLISH.stale].sort());
    expect(await sessionWallets(user.id)).toEqual([]);
    await until(async () => !(await book.has(user.id, address)), 'the wallet to leave the book');
  });

  it('ran every update and job without an error or a warning (no Telegram call refused, no job failed)', () => {
    const { lines, problems } = unexpectedProblems(logs);
    expect(lines).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
