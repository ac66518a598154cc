import { Keypair, PublicKey } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import type { SessionData } from '../../../../core/desk/bot/context.js';
import { TOKEN_PROGRAM } from '../../../../core/desk/solana/gateway.js';
import { type LinkedWallet, MAX_WALLETS } from '../../../../core/desk/wallets/session.js';
import { testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid, withoutLimits } from '../../../helpers/turns.js';
import { callbackUpdate, textUpdate } from '../../../helpers/updates.js';

const runTurn = turnRunner(createBot(testBotOptions()));
const run = withoutLimits(runTurn);

type Turn = Awaited<ReturnType<typeof run>>;
type Button = { text: string; callback_data: string };
const sessionOf = (turn: Turn) => turn.session as SessionData;
const methods = (turn: Turn) => turn.calls.map((c) => c.method);
const texts = (turn: Turn) => turn.calls.map((c) => String(c.params.text ?? ''));
const types = (turn: Turn) => turn.jobs.map((j) => j.job.type);
const buttons = (turn: Turn, call = turn.calls.length - 1) =>
  (turn.calls[call]!.params.reply_markup as { inline_keyboard: Button[][] }).inline_keyboard.map((row) =>
    row.map((b) => [b.text, b.callback_data]),
  );

const alice = { id: 501, first_name: 'Alice' };
const group = { id: -100_777, type: 'group', title: 'Traders' };
/** A valid address made of 32 bytes of `n` (deterministic, distinct first characters for n ≤ 10). */
/** A wallet's address (a key on the curve: the webhook refuses PDAs at once), the same on every run. */
const addressOf = (n: number) => Keypair.fromSeed(new Uint8Array(32).fill(n * 23)).publicKey.toBase58();
const [A, B, C] = [addressOf(1), addressOf(2), addressOf(3)];
const short = (address: string) => `${address.slice(0, 4)}…${address.slice(-4)}`;
const p6 = (address: string) => address.slice(0, 6);

const en = (wallets: LinkedWallet[], extra: Partial<SessionData> = {}): SessionData => ({
  lang: 'en',
  joined: true,
  wallets,
  ...extra,
});
const zh = (wallets: LinkedWallet[], extra: Partial<SessionData> = {}): SessionData => ({
  ...en(wallets, extra),
  lang: 'zh',
});

const say = (text: string, session: SessionData, chat?: typeof group) =>
  run(valid(textUpdate(alice, text, chat ? { chat } : {})), session);
const press = (data: string, session: SessionData, messageId = 7) =>
  run(valid(callbackUpdate(alice, data, messageId)), session);

describe('linking a wallet by sending its address', () => {
  it('links an address sent in a private chat and queues its verification', async () => {
    const turn = await say(A, en([]));
    expect(sessionOf(turn).wallets).toEqual([{ address: A }]);
    expect(turn.jobs).toHaveLength(1);
    expect(turn.jobs[0]?.job).toMatchObject({ type: 'wallet.verify', queue: 'rpc' });
    expect(turn.jobs[0]).toMatchObject({ chatId: alice.id, userId: alice.id, payload: { address: A, lang: 'en' } });
    expect(methods(turn)).toEqual(['sendMessage']);
    expect(texts(turn)).toEqual([`👛 Linked <code>${A}</code> (wallet 1 of 10). Checking it on chain…`]);
    expect(turn.calls[0]?.params.parse_mode).toBe('HTML');
  });

  it('adds to the wallets already linked, in Chinese, ignoring surrounding whitespace', async () => {
    const turn = await say(`  ${B}\n`, zh([{ address: A, label: 'main' }]));
    expect(sessionOf(turn).wallets).toEqual([{ address: A, label: 'main' }, { address: B }]);
    expect(turn.jobs[0]?.payload).toEqual({ address: B, lang: 'zh', link: true });
    expect(texts(turn)).toEqual([`👛 已绑定 <code>${B}</code>（第 2 个，共可绑定 10 个）。正在查询链上数据…`]);
  });

  it('says so when the address is already linked, queueing nothing', async () => {
    const session = en([{ address: A }, { address: B }]);
    const turn = await say(B, session);
    expect(turn.session).toEqual(session);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual([`<code>${B}</code> is already linked. See /wallets.`]);
  });

  it.each([
    ['the System program', '11111111111111111111111111111111', 'address of the System program, not a wallet'],
    ['the Token program', 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA', 'address of the Token program'],
    ['the USDC mint', 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', 'address of the USDC token mint'],
    [
      'a PDA',
      PublicKey.findProgramAddressSync([Buffer.from('vault')], new PublicKey(TOKEN_PROGRAM))[0].toBase58(),
      'off the ed25519 curve',
    ],
  ])('refuses %s at once, with the reason, taking no slot and queueing nothing', async (_, address, reason) => {
    const turn = await say(address, en([{ address: A }]));
    expect(turn.jobs).toEqual([]);
    expect(sessionOf(turn).wallets).toEqual([{ address: A }]);
    expect(texts(turn)).toEqual([expect.stringContaining(reason)]);
    const zhTurn = await say(address, zh([]));
    expect(texts(zhTurn)[0]).toMatch(/不是钱包/);
  });

  it(`refuses a wallet over the limit of ${MAX_WALLETS}, politely, queueing nothing`, async () => {
    const full = en(Array.from({ length: MAX_WALLETS }, (_, i) => ({ address: addressOf(i + 1) })));
    const turn = await say(addressOf(MAX_WALLETS + 1), full);
    expect(turn.session).toEqual(full);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual(['You already have 10 linked wallets. Remove one in /wallets first.']);
    // The limit holds in the stored session too: an eleventh wallet would make it invalid, and fresh.
    const zhTurn = await say(addressOf(MAX_WALLETS + 1), { ...full, lang: 'zh' });
    expect(texts(zhTurn)).toEqual(['您已绑定 10 个钱包。请先在 /wallets 中移除一个。']);
  });

  it.each([
    ['a character base58 does not use', `0x${'a'.repeat(40)}`, 'it has characters base58 does not use'],
    ['the wrong length', 'z'.repeat(44), 'it has the wrong length'],
    ['a cut-off copy', A.slice(0, 30), 'it has the wrong length'],
  ])('explains an address with %s, escaped, and links nothing', async (_, text, reason) => {
    const session = en([]);
    const turn = await say(text, session);
    expect(turn.session).toEqual(session);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual([`<code>${text}</code>: That is not a Solana address: ${reason}.`]);
    expect(turn.calls[0]?.params.parse_mode).toBe('HTML');
  });

  it('gives the address problem in Chinese', async () => {
    const turn = await say('z'.repeat(44), zh([]));
    expect(texts(turn)).toEqual([`<code>${'z'.repeat(44)}</code>: 这不是 Solana 地址：长度不正确。`]);
  });

  it.each(['hello', 'gm 👋', `${A} please`, 'what is my balance?', '<b>hi</b>', 'x'.repeat(100)])(
    'leaves text that is not an address to the assistant: %s',
    async (text) => {
      const session = en([]);
      const turn = await say(text, session);
      expect(turn.session).toEqual(session);
      expect(turn.jobs.map((j) => j.job.type)).toEqual(['ai.reply']);
      expect(turn.calls.map((c) => c.method)).toEqual(['sendChatAction']);
    },
  );

  it('does not link an address sent in a group, nor answer it', async () => {
    const turn = await say(A, { lang: 'en' }, group);
    expect(turn.session).toEqual({ lang: 'en' });
    expect(turn.jobs).toEqual([]);
    expect(turn.calls).toEqual([]);
  });

  it('refuses /wallets and the Wallets button in a group', async () => {
    const turn = await say('/wallets@desk_bot', { lang: 'en' }, group);
    expect(texts(turn)).toEqual(['Wallets are linked and managed in a private chat with me.']);
    const base = callbackUpdate(alice, 'w:l');
    const inGroup = {
      ...base,
      callback_query: { ...base.callback_query, message: { ...base.callback_query.message, chat: group } },
    };
    const pressed = await run(valid(inGroup), { lang: 'en' });
    expect(methods(pressed)).toEqual(['answerCallbackQuery']);
    expect(pressed.calls[0]?.params.text).toBe('Wallets are linked and managed in a private chat with me.');
    expect(pressed.session).toEqual({ lang: 'en' });
  });
});

describe('wallet menus', () => {
  const twoWallets = [{ address: A, label: 'Savings' }, { address: B }];

  it('has a Wallets button on the main menu, in both languages', async () => {
    const menu = await say('/menu', en([]));
    expect(buttons(menu)[0]?.[0]).toEqual(['👛 Wallets', 'w:l']);
    const zhMenu = await say('/menu', zh([]));
    expect(buttons(zhMenu)[0]?.[0]).toEqual(['👛 钱包', 'w:l']);
  });

  it('edits the menu into the wallet list when Wallets is pressed', async () => {
    const turn = await press('w:l', en(twoWallets), 41);
    expect(methods(turn)).toEqual(['answerCallbackQuery', 'editMessageText']);
    expect(turn.calls[1]?.params).toMatchObject({ chat_id: alice.id, message_id: 41, parse_mode: 'HTML' });
    expect(texts(turn)[1]).toBe(
      '👛 <b>Your wallets</b> (2 of 10)\nPick one, or send another Solana address to link it.',
    );
    expect(buttons(turn)).toEqual([
      [['Savings', `w:o:0:${p6(A)}`]],
      [[short(B), `w:o:1:${p6(B)}`]],
      [['⬅️ Back', 'menu:main']],
    ]);
    expect(turn.jobs).toEqual([]);
  });

  it('lists the wallets in Chinese, and says how to link one when there is none', async () => {
    const turn = await press('w:l', zh(twoWallets));
    expect(texts(turn)[1]).toBe('👛 <b>您的钱包</b>（2 / 10）\n请选择一个钱包，或发送新的 Solana 地址进行绑定。');
    expect(buttons(turn).at(-1)).toEqual([['⬅️ 返回', 'menu:main']]);
    const none = await press('w:l', en([]));
    expect(texts(none)[1]).toBe('👛 You have no linked wallets yet. Send a Solana address to link one.');
    expect(buttons(none)).toEqual([[['⬅️ Back', 'menu:main']]]);
  });

  it('shows the list as a new message on /wallets', async () => {
    const turn = await say('/wallets', en(twoWallets));
    expect(methods(turn)).toEqual(['sendMessage']);
    expect(texts(turn)[0]).toContain('<b>Your wallets</b> (2 of 10)');
    expect(buttons(turn)).toHaveLength(3);
  });

  it('edits in place into a wallet’s screen: copyable address, label, and its actions', async () => {
    const turn = await press(`w:o:1:${p6(B)}`, en(twoWallets), 42);
    expect(methods(turn)).toEqual(['answerCallbackQuery', 'editMessageText']);
    expect(turn.calls[1]?.params).toMatchObject({ message_id: 42, parse_mode: 'HTML' });
    expect(texts(turn)[1]).toBe(`👛 <b>Wallet 2</b>\nAddress: <code>${B}</code>\nLabel: none`);
    expect(buttons(turn)).toEqual([
      [
        ['✏️ Rename', `w:r:1:${p6(B)}`],
        ['🗑 Remove', `w:d:1:${p6(B)}`],
      ],
      [['💰 Balance', `w:b:1:${p6(B)}`]],
      [['⬅️ Back', 'w:l']],
    ]);
    const labelled = await press(`w:o:0:${p6(A)}`, zh(twoWallets));
    expect(texts(labelled)[1]).toBe(`👛 <b>钱包 1</b>\n地址：<code>${A}</code>\n标签：Savings`);
    expect(buttons(labelled)).toEqual([
      [
        ['✏️ 重命名', `w:r:0:${p6(A)}`],
        ['🗑 移除', `w:d:0:${p6(A)}`],
      ],
      [['💰 余额', `w:b:0:${p6(A)}`]],
      [['⬅️ 返回', 'w:l']],
    ]);
  });

  it('keeps every button’s data within 64 bytes, even with the longest addresses and all wallets linked', async () => {
    const longest = Array.from({ length: MAX_WALLETS }, (_, i) => ({
      address: `${'z'.repeat(44 - String(i).length)}${i}`.replace(/0/g, 'o'),
    }));
    const session = en(longest);
    const screens = [await say('/wallets', session), await press(`w:o:9:${p6(longest[9]!.address)}`, session)];
    screens.push(await press(`w:d:9:${p6(longest[9]!.address)}`, session));
    for (const turn of screens) {
      for (const row of buttons(turn))
        for (const [, data] of row) expect(Buffer.byteLength(data!)).toBeLessThanOrEqual(64);
    }
  });

  it('queues the balance of one wallet when Balance is pressed, and only answers the button', async () => {
    const session = en(twoWallets);
    const turn = await press(`w:b:1:${p6(B)}`, session);
    expect(turn.session).toEqual(session);
    expect(types(turn)).toEqual(['wallet.balance']);
    expect(turn.jobs[0]).toMatchObject({ chatId: alice.id, userId: alice.id, payload: { addresses: [B], lang: 'en' } });
    expect(methods(turn)).toEqual(['answerCallbackQuery']);
    expect(turn.calls[0]?.params.text).toBe('Checking the chain…');
  });
});

describe('stale, forged and replayed wallet buttons', () => {
  const session = en([{ address: A }, { address: B, label: 'Cold' }]);

  it.each([
    ['an index out of range', `w:o:2:${p6(C)}`],
    ['an index out of range with a known prefix', `w:y:5:${p6(A)}`],
    ['a prefix that does not match the index', `w:y:0:${p6(B)}`],
    ['a wallet that is not linked', `w:d:0:${p6(C)}`],
    ['a removed wallet (its confirm replayed)', `w:y:1:${p6(C)}`],
    ['an unknown action', `w:z:0:${p6(A)}`],
    ['an index with a leading zero', `w:y:00:${p6(A)}`],
    ['a negative index', `w:y:-1:${p6(A)}`],
    ['a short prefix', `w:y:0:${p6(A).slice(0, 3)}`],
    ['extra fields', `w:y:0:${p6(A)}:x`],
    ['no fields', 'w:'],
    ['garbage', 'w:<b>'],
  ])('changes nothing for %s, and answers politely', async (_, data) => {
    const turn = await press(data, session);
    expect(turn.session).toEqual(session);
    expect(turn.jobs).toEqual([]);
    expect(methods(turn)).toEqual(['answerCallbackQuery']);
    expect(turn.calls[0]?.params.text).toBe('This button is no longer valid. Send /menu for a fresh menu.');
  });

  it('answers a stale button in Chinese', async () => {
    const turn = await press(`w:o:3:${p6(A)}`, { ...session, lang: 'zh' });
    expect(turn.calls[0]?.params.text).toBe('此按钮已失效。请发送 /menu 获取新菜单。');
  });

  it('removes a wallet once when two devices press Remove → Yes on it', async () => {
    const start = en([{ address: A }, { address: B }, { address: C }]);
    // Both devices show the confirmation (asking changes nothing).
    const askOne = await press(`w:d:0:${p6(A)}`, start, 10);
    const askTwo = await press(`w:d:0:${p6(A)}`, askOne.session as SessionData, 20);
    expect(askTwo.session).toEqual(start);
    const confirm = `w:y:0:${p6(A)}`;
    expect(buttons(askOne)).toEqual([
      [
        ['✅ Yes, remove', confirm],
        ['✖ No', `w:o:0:${p6(A)}`],
      ],
    ]);
    expect(buttons(askTwo)[0]?.[0]?.[1]).toBe(confirm);
    expect(texts(askOne)[1]).toBe(
      `🗑 Remove <code>${A}</code> from your wallets? Withdrawals can then no longer go to it.`,
    );

    // Turns of one chat commit one after another: the second runs on the session the first left.
    const first = await press(confirm, askTwo.session as SessionData, 10);
    const second = await press(confirm, first.session as SessionData, 20);

    expect(sessionOf(first).wallets).toEqual([{ address: B }, { address: C }]);
    expect(first.jobs.map((j) => [j.job.type, j.job.queue, j.payload, j.userId])).toEqual([
      ['wallet.unlink', 'rpc', { address: A }, alice.id],
    ]);
    expect(methods(first)).toEqual(['answerCallbackQuery', 'editMessageText']);
    expect(first.calls[0]?.params.text).toBe('Wallet removed.');
    expect(buttons(first)).toEqual([
      [[short(B), `w:o:0:${p6(B)}`]],
      [[short(C), `w:o:1:${p6(C)}`]],
      [['⬅️ Back', 'menu:main']],
    ]);

    expect(second.session).toEqual(first.session);
    expect(second.jobs).toEqual([]);
    expect(methods(second)).toEqual(['answerCallbackQuery']);
    expect(second.calls[0]?.params.text).toBe('This button is no longer valid. Send /menu for a fresh menu.');
  });

  it('goes back to the wallet when No is pressed, removing nothing', async () => {
    const start = en([{ address: A }]);
    const turn = await press(`w:o:0:${p6(A)}`, start);
    expect(turn.session).toEqual(start);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)[1]).toContain(`<code>${A}</code>`);
  });

  it('removes the last wallet and shows the empty list, in Chinese', async () => {
    const turn = await press(`w:y:0:${p6(A)}`, zh([{ address: A }]));
    expect(sessionOf(turn).wallets).toEqual([]);
    expect(types(turn)).toEqual(['wallet.unlink']);
    expect(turn.calls[0]?.params.text).toBe('钱包已移除。');
    expect(texts(turn)[1]).toBe('👛 您还没有绑定钱包。发送 Solana 地址即可绑定。');
  });
});

describe('renaming a wallet', () => {
  const start = en([{ address: A }, { address: B, label: 'Old' }]);

  async function asked(session = start, index = 1, address = B) {
    const turn = await press(`w:r:${index}:${p6(address)}`, session, 30);
    expect(sessionOf(turn).walletPrompt?.address).toBe(address);
    return turn;
  }

  it('asks for the label in place, with a Cancel button back to the wallet', async () => {
    const turn = await asked();
    expect(methods(turn)).toEqual(['answerCallbackQuery', 'editMessageText']);
    expect(turn.calls[1]?.params).toMatchObject({ message_id: 30, parse_mode: 'HTML' });
    expect(texts(turn)[1]).toBe(
      `✏️ Send the new label for <code>${B}</code> (1 to 32 characters), or /cancel to keep the current one.`,
    );
    expect(buttons(turn)).toEqual([[['✖ Cancel', `w:o:1:${p6(B)}`]]]);
    expect(turn.jobs).toEqual([]);
    const since = sessionOf(turn).walletPrompt!.since;
    expect(Math.abs(since - Math.floor(Date.now() / 1000))).toBeLessThan(60);
  });

  it('takes the next message as the label, escaped in the text and plain on buttons', async () => {
    const prompt = await asked();
    const turn = await say('<b>x</b>', sessionOf(prompt));
    expect(turn.session).toEqual(en([{ address: A }, { address: B, label: '<b>x</b>' }]));
    expect(turn.jobs).toEqual([]);
    expect(methods(turn)).toEqual(['sendMessage']);
    expect(texts(turn)).toEqual([
      `✏️ Label saved.\n\n👛 <b>Wallet 2</b>\nAddress: <code>${B}</code>\nLabel: &lt;b&gt;x&lt;/b&gt;`,
    ]);
    expect(buttons(turn)[0]?.[0]).toEqual(['✏️ Rename', `w:r:1:${p6(B)}`]);
    const list = await press('w:l', sessionOf(turn));
    expect(buttons(list)[1]).toEqual([['<b>x</b>', `w:o:1:${p6(B)}`]]);
    expect(texts(list)[1]).not.toContain('<b>x</b>');
  });

  it('renames in Chinese, collapsing whitespace, up to 32 characters counted as people do', async () => {
    const prompt = await asked(zh(start.wallets!), 0, A);
    const label = `  主钱包\n  ${'🚀'.repeat(28)} `;
    const turn = await say(label, sessionOf(prompt));
    expect(sessionOf(turn).wallets?.[0]).toEqual({ address: A, label: `主钱包 ${'🚀'.repeat(28)}` });
    expect(texts(turn)[0]).toMatch(/^✏️ 标签已保存。\n\n👛 <b>钱包 1<\/b>/);
    // The stored session stays valid: the next turn still sees the label, even at 32 two-unit characters.
    const again = await press('w:l', sessionOf(turn));
    expect(buttons(again)[0]?.[0]?.[0]).toBe(`主钱包 ${'🚀'.repeat(28)}`);
    const widest = await say('🚀'.repeat(32), sessionOf(await asked(sessionOf(again), 0, A)));
    const read = await press('w:l', sessionOf(widest));
    expect(buttons(read)[0]?.[0]?.[0]).toBe('🚀'.repeat(32));
  });

  it('refuses a label over 32 characters and keeps waiting', async () => {
    const prompt = await asked();
    const long = await say('L'.repeat(33), sessionOf(prompt));
    expect(texts(long)).toEqual(['A label is 1 to 32 characters. Send a shorter one, or /cancel.']);
    expect(sessionOf(long).walletPrompt).toEqual(sessionOf(prompt).walletPrompt);
    expect(sessionOf(long).wallets).toEqual(start.wallets);
    const ok = await say('L'.repeat(32), sessionOf(long));
    expect(sessionOf(ok).wallets?.[1]).toEqual({ address: B, label: 'L'.repeat(32) });
    expect(ok.session).not.toHaveProperty('walletPrompt');
  });

  it('cancels on /cancel, keeping the label', async () => {
    const prompt = await asked();
    const turn = await say('/cancel', sessionOf(prompt));
    expect(turn.session).toEqual(start);
    expect(texts(turn)).toEqual(['Cancelled. The label was not changed.']);
    const zhPrompt = await asked({ ...start, lang: 'zh' });
    const zhTurn = await say('/cancel@desk_bot', sessionOf(zhPrompt));
    expect(texts(zhTurn)).toEqual(['已取消，标签未更改。']);
  });

  it('runs a command sent instead of the label, and stops waiting', async () => {
    const prompt = await asked();
    const turn = await say('/help', sessionOf(prompt));
    expect(turn.session).toEqual(start);
    expect(texts(turn)[0]).toContain('<b>Help</b>');
  });

  it('stops waiting when another button is pressed', async () => {
    const prompt = await asked();
    const turn = await press(`w:o:1:${p6(B)}`, sessionOf(prompt));
    expect(turn.session).toEqual(start);
    const after = await say(A, sessionOf(turn));
    expect(texts(after)).toEqual([`<code>${A}</code> is already linked. See /wallets.`]);
  });

  it('stops waiting after five minutes: the message is then read as usual', async () => {
    const session = { ...start, walletPrompt: { address: B, since: Math.floor(Date.now() / 1000) - 301 } };
    const turn = await say(C, session);
    expect(sessionOf(turn).wallets).toEqual([...start.wallets!, { address: C }]);
    expect(turn.session).not.toHaveProperty('walletPrompt');
    expect(types(turn)).toEqual(['wallet.verify']);
  });

  it('says so when the wallet was removed meanwhile (from another device)', async () => {
    const prompt = await asked();
    // The other device removed B; this session still waits for B's label.
    const session = { ...en([{ address: A }]), walletPrompt: sessionOf(prompt).walletPrompt! };
    const turn = await say('New name', session);
    expect(texts(turn)).toEqual(['That wallet is no longer linked. Send /wallets to see your wallets.']);
    expect(turn.session).toEqual(en([{ address: A }]));
  });

  it('never takes a pending /setsecret value as a label, and one prompt replaces the other', async () => {
    // /setsecret while a rename waits: the rename stops, the secret prompt starts.
    const prompt = await asked();
    const secret = await say('/setsecret api', sessionOf(prompt));
    expect(secret.session).not.toHaveProperty('walletPrompt');
    expect(sessionOf(secret).secretPrompt?.name).toBe('api');
    // Rename pressed while a secret is awaited: the newest prompt wins.
    const rename = await press(`w:r:0:${p6(A)}`, sessionOf(secret));
    expect(rename.session).not.toHaveProperty('secretPrompt');
    expect(sessionOf(rename).walletPrompt?.address).toBe(A);
    // Both pending (an old session): the secret handler takes the message, deletes it, and no label is set.
    const both = { ...sessionOf(rename), secretPrompt: sessionOf(secret).secretPrompt! };
    const value = await say('sk-live-value', both);
    expect(methods(value)).toEqual(['deleteMessage', 'sendMessage']);
    expect(types(value)).toEqual(['secret.store']);
    expect(sessionOf(value).wallets).toEqual(start.wallets);
  });

  it('is not taken from a group message', async () => {
    const session = { ...start, walletPrompt: { address: B, since: Math.floor(Date.now() / 1000) } };
    const turn = await say('group chatter', session, group);
    expect(turn.calls).toEqual([]);
    expect(sessionOf(turn).wallets).toEqual(start.wallets);
  });
});

describe('/balance', () => {
  it('asks for the balances of the linked wallets when given no address', async () => {
    const turn = await say('/balance', zh([{ address: B }, { address: A, label: 'x' }]));
    expect(types(turn)).toEqual(['wallet.balance']);
    expect(turn.jobs[0]).toMatchObject({
      chatId: alice.id,
      userId: alice.id,
      payload: { addresses: [B, A], lang: 'zh' },
    });
    expect(texts(turn)).toEqual(['正在查询链上数据…']);
  });

  it('explains the usage when no wallet is linked', async () => {
    const turn = await say('/balance', en([]));
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual([
      'Send /balance followed by one or more Solana addresses, or link your wallet first by sending its address.',
    ]);
  });

  it('asks about the addresses given, not the linked wallets, when given some', async () => {
    const turn = await say(`/balance ${C}`, en([{ address: A }]));
    expect(turn.jobs[0]?.payload).toEqual({ addresses: [C], lang: 'en' });
  });
});

describe('/help', () => {
  it('explains linking by sending an address and /wallets, in both languages', async () => {
    const english = await say('/help', en([]));
    expect(texts(english)[0]).toContain('Send a Solana address to link it as your wallet (up to 10).');
    expect(texts(english)[0]).toContain('/wallets – Your linked wallets: rename, remove, balance');
    const chinese = await say('/help', zh([]));
    expect(texts(chinese)[0]).toContain('发送 Solana 地址即可绑定为您的钱包（最多 10 个）。');
    expect(texts(chinese)[0]).toContain('/wallets – 已绑定的钱包');
  });
});
