import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoWatchStore } from '../../core/desk/watches/dynamodb-store.js';
import { watchId } from '../../core/desk/watches/jobs.js';
import { type LocalStack, type LogLine, localClientConfig, type PeerUser, startLocalStack } from '../../local/index.js';
import { pressAndWait, unexpectedProblems } from '../helpers/stack-chat.js';
import { homeScope } from '../helpers/tenants.js';

let stack: LocalStack;
let dynamo: DynamoDBClient;
let store: DynamoWatchStore;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line), solana: { slotMs: 50 } });
  // The stack's own bot's items, as its functions see them.
  dynamo = homeScope(stack, new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 }));
  store = new DynamoWatchStore({ client: dynamo, tableName: stack.dynamodb.tableName });
});
afterAll(async () => {
  dynamo?.destroy();
  await stack?.stop();
});

const SOL = 1_000_000_000n;
const buttonsOf = (message: { reply_markup?: { inline_keyboard: { text: string; callback_data?: string }[][] } }) =>
  (message.reply_markup?.inline_keyboard ?? []).map((row) => row.map((b) => [b.text, b.callback_data ?? '']));

/** What the bot has sent to the chat, in order. */
const botMessages = (chatId: number) => stack.telegram.sent(chatId).filter((m) => !m.deleted);

/** The bot's newest message in the chat whose text is exactly `text` (plain text, as the client shows it). */
const waitForMessage = (chatId: number, text: string, timeoutMs = 20_000) =>
  stack.telegram.waitFor(
    () =>
      botMessages(chatId)
        .filter((m) => m.text === text)
        .at(-1),
    timeoutMs,
  );

/** Waits until bot message `messageId` reads `text` (it was edited in place). */
const waitForEdit = (chatId: number, messageId: number, text: string) =>
  stack.telegram.waitFor(() => {
    const message = botMessages(chatId).find((m) => m.message_id === messageId);
    return message?.text === text ? message : undefined;
  }, 20_000);

const press = (user: PeerUser, messageId: number, data: string) => pressAndWait(stack.telegram, user, messageId, data);

/** Waits until the poller has recorded `lamports` for `address` (its notices are queued by then). */
async function snapshotReaches(address: string, lamports: bigint): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await store.snapshots([address])).get(address)?.lamports !== lamports) {
    if (Date.now() > deadline) throw new Error(`the snapshot of ${address} never reached ${lamports}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Sends `/watches` and returns every message the bot sent the chat from now until the list. The
 * notify queue keeps a chat's order, and the list is queued after anything the poller queued
 * before its snapshot moved, so an alert that was going to come has come by then.
 */
async function messagesUntilList(user: PeerUser, listText: string) {
  const before = botMessages(user.id).length;
  await user.sendText('/watches');
  const list = await stack.telegram.waitFor(
    () =>
      botMessages(user.id)
        .slice(before)
        .find((m) => m.text === listText),
    20_000,
  );
  return { list, since: botMessages(user.id).slice(before) };
}

describe('watch alerts on the local stack', () => {
  it('alerts an English and a Chinese watcher in their languages, honours thresholds, and stops after Remove', {
    timeout: 180_000,
  }, async () => {
    const ann = stack.telegram.user(1301, { first_name: 'Ann' });
    const li = stack.telegram.user(1302, { first_name: '小李', language_code: 'zh' });
    const wallet = Keypair.generate().publicKey;
    const address = wallet.toBase58();
    const short = `${address.slice(0, 4)}…${address.slice(-4)}`;
    await stack.solana.svm.airdrop(wallet, SOL);

    // Ann watches someone else's wallet with a threshold; Li watches every change.
    await ann.sendText(`/watch ${address} 0,5`);
    await waitForMessage(
      ann.id,
      `👁 Watching ${address} (watch 1 of 20). I will tell you when its balance changes by 0.5 SOL or more.`,
    );
    await li.sendText(`/watch ${address}`);
    await waitForMessage(li.id, `👁 已关注 ${address}（第 1 个，最多 20 个）。余额每次变动时我都会通知您。`);
    expect(await store.watchers(address)).toEqual([
      { chatId: ann.id, userId: ann.id, lang: 'en', thresholdLamports: SOL / 2n },
      { chatId: li.id, userId: li.id, lang: 'zh', thresholdLamports: 0n },
    ]);

    // The first poll only records the balance.
    await stack.watchPoll();
    await snapshotReaches(address, SOL);

    // +1 SOL: both hear of it, each in their language.
    await stack.solana.svm.airdrop(wallet, SOL);
    await stack.watchPoll();
    await waitForMessage(ann.id, `🔔 Balance changed\n${address}\n1 SOL → 2 SOL (+1 SOL)`);
    await waitForMessage(li.id, `🔔 余额变动\n${address}\n1 SOL → 2 SOL（+1 SOL）`);

    // +0.1 SOL: below Ann's threshold, so only Li hears of it.
    await stack.solana.svm.airdrop(wallet, SOL / 10n);
    await stack.watchPoll();
    await waitForMessage(li.id, `🔔 余额变动\n${address}\n2 SOL → 2.1 SOL（+0.1 SOL）`);
    await snapshotReaches(address, 2n * SOL + SOL / 10n);
    const annList = await messagesUntilList(ann, `👁 Your watches (1 of 20)\n1. ${address}: changes of 0.5 SOL or more`);
    expect(annList.since.map((m) => m.text)).toEqual([annList.list.text]);
    const data = `wt:rm:${watchId(address)}`;
    expect(buttonsOf(annList.list)).toEqual([[[`🗑 Remove ${short}`, data]]]);

    // A second copy of the list (another device, or an older /watches): its button goes stale below.
    const annCopy = await messagesUntilList(ann, annList.list.text);
    expect(annCopy.list.message_id).not.toBe(annList.list.message_id);

    const liList = await messagesUntilList(li, `👁 您的关注（1 / 20）\n1. ${address}：每次变动`);
    expect(buttonsOf(liList.list)).toEqual([[[`🗑 移除 ${short}`, data]]]);

    // Ann removes her watch: the list is edited in place, and Li's watch stays.
    expect(await press(ann, annList.list.message_id, data)).toBeUndefined();
    const removed = await waitForEdit(
      ann.id,
      annList.list.message_id,
      `🗑 Stopped watching ${address}.\n\n👁 You are not watching any address. Send /watch <address> to start.`,
    );
    expect(buttonsOf(removed)).toEqual([]);
    expect(await store.watchlist(ann.id)).toEqual([]);
    expect((await store.watchers(address)).map((w) => w.chatId)).toEqual([li.id]);

    // The next change: Li hears of it, Ann does not.
    await stack.solana.svm.airdrop(wallet, SOL);
    await stack.watchPoll();
    await waitForMessage(li.id, `🔔 余额变动\n${address}\n2.1 SOL → 3.1 SOL（+1 SOL）`);
    await snapshotReaches(address, 3n * SOL + SOL / 10n);
    const annEmpty = await messagesUntilList(
      ann,
      '👁 You are not watching any address. Send /watch <address> to start.',
    );
    expect(annEmpty.since.map((m) => m.text)).toEqual([annEmpty.list.text]);
    expect(buttonsOf(annEmpty.list)).toEqual([]);

    // The copy's Remove button is stale now: answered, nothing removed, and its list says so.
    expect(await press(ann, annCopy.list.message_id, data)).toBeUndefined();
    await waitForEdit(
      ann.id,
      annCopy.list.message_id,
      'That watch is no longer in your list.\n\n👁 You are not watching any address. Send /watch <address> to start.',
    );
    expect((await store.watchers(address)).map((w) => w.chatId)).toEqual([li.id]);
  });

  it('refuses bad input in the webhook with exact answers, queueing nothing', { timeout: 60_000 }, async () => {
    const bob = stack.telegram.user(1303, { first_name: 'Bob' });
    const address = Keypair.generate().publicKey.toBase58();
    await bob.sendText(`/watch ${address} lots`);
    await waitForMessage(
      bob.id,
      'lots is not an amount of SOL. Write digits with at most one decimal point, like 1.5: from 0.000000001 to 1000000000 SOL, at most 9 decimals.',
    );
    await bob.sendText('/watch 0x1234567890abcdef1234567890abcdef12345678');
    await waitForMessage(
      bob.id,
      '0x1234567890abcdef1234567890abcdef12345678: That is not a Solana address: it has characters base58 does not use.',
    );
    expect(await store.watchlist(bob.id)).toEqual([]);
  });

  it('ran every update and job without an error or a warning', () => {
    const { lines, problems } = unexpectedProblems(logs);
    expect(lines).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
