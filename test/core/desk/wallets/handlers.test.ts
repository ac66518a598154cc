import { Keypair, PublicKey } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPriceSource, PRICED_MINTS, type PriceSource } from '../../../../core/desk/prices/index.js';
import { SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM } from '../../../../core/desk/solana/gateway.js';
import type { WalletBook } from '../../../../core/desk/wallets/book.js';
import {
  walletBalanceHandler,
  walletUnlinkHandler,
  walletVerifyHandler,
} from '../../../../core/desk/wallets/handlers.js';
import { WalletBalanceJob, WalletUnlinkJob, WalletVerifyJob } from '../../../../core/desk/wallets/jobs.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { type PricePeer, startPricePeer } from '../../../../local/prices/index.js';
import { MemoryJobQueue, MemorySessionStore, memoryLogger } from '../../../helpers/fakes.js';
import { FakeSolana } from '../../../helpers/solana-fake.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

function setup(prices?: PriceSource) {
  const solana = new FakeSolana();
  const queue = new MemoryJobQueue();
  const verified = new Set<string>();
  /** Every book call, with the time of the user action it was made for. */
  const bookCalls: [string, number, string, number | undefined][] = [];
  const book: WalletBook = {
    add: async (userId, address, at) => {
      bookCalls.push(['add', userId, address, at]);
      verified.add(`${userId}:${address}`);
    },
    remove: async (userId, address, at) => {
      bookCalls.push(['remove', userId, address, at]);
      verified.delete(`${userId}:${address}`);
    },
    has: async (userId, address) => verified.has(`${userId}:${address}`),
    list: async () => [],
    count: async () => verified.size,
  };
  const sessions = new MemorySessionStore();
  const consume = createConsumer(
    [
      walletVerifyHandler({ solana, queue, book, sessions }),
      walletBalanceHandler({ solana, queue, ...(prices && { prices }) }),
      walletUnlinkHandler({ book }),
    ],
    memoryLogger(),
  );
  const run = async (drafts: Parameters<typeof sealJobs>[0], now = new Date()) => {
    const jobs = sealJobs(drafts, { idPrefix: 'u1', traceId: 'u1', tenant: TEST_TENANT, now });
    return consume(
      jobs.map((j, i) => ({
        messageId: `m${i}`,
        receiptHandle: 'r',
        body: JSON.stringify(j.envelope),
        attributes: { ApproximateReceiveCount: '1' },
      })),
    );
  };
  const replies = () =>
    queue.sent
      .filter((j) => j.envelope.type === 'telegram.send')
      .map((j) => (j.envelope.payload as { calls: { params: { text: string } }[] }).calls[0]!.params.text);
  return { solana, queue, run, replies, verified, bookCalls, sessions };
}

const wallet = () => Keypair.generate().publicKey.toBase58();
const verify = (address: string, lang: 'en' | 'zh' = 'en') => ({
  job: WalletVerifyJob,
  payload: { address, lang },
  chatId: 7,
  userId: 7,
});

describe('wallet.verify', () => {
  it('describes a funded wallet with its SOL balance, in the user’s language', async () => {
    const { solana, run, replies, queue } = setup();
    const address = wallet();
    solana.wallet(address, 1_500_000_000n);
    await run([verify(address), verify(address, 'zh')]);
    expect(replies()[0]).toContain('is a wallet');
    expect(replies()[0]).toContain('1.5 SOL');
    expect(replies()[1]).toContain('钱包');
    expect(queue.sent[0]?.envelope).toMatchObject({ id: 'u1.0.0', chatId: 7, type: 'telegram.send' });
    // A real wallet is worth an admin's glance: one digest event per verification.
    const events = queue.sent.filter((j) => j.envelope.type === 'admin.event').map((j) => j.envelope.payload);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ kind: 'wallet.verified', facts: expect.arrayContaining([['wallet', address]]) });
  });

  it('adds a real wallet, and only a real wallet, to the asking user’s verified wallets', async () => {
    const { solana, run, verified } = setup();
    const real = wallet();
    const [pda] = PublicKey.findProgramAddressSync([Buffer.from('y')], new PublicKey(TOKEN_PROGRAM));
    solana.wallet(real, 1n);
    solana.wallet(pda.toBase58(), 1n);
    const asked = new Date('2030-01-02T03:04:05.678Z');
    const fresh = wallet();
    const program = wallet();
    solana.accounts.set(program, { address: program, lamports: 1n, owner: SYSTEM_PROGRAM, executable: true, space: 0 });
    await run([verify(real), verify(pda.toBase58()), verify(fresh), verify(program)], asked);
    // A key on the curve with no account yet is a wallet too (it exists once it receives SOL).
    expect([...verified]).toEqual([`7:${real}`, `7:${fresh}`]);
  });

  it('records the wallet as of when the user asked, so a removal made since wins', async () => {
    const { solana, run, bookCalls } = setup();
    const real = wallet();
    solana.wallet(real, 1n);
    const asked = new Date('2030-01-02T03:04:05.678Z');
    await run([verify(real)], asked);
    expect(bookCalls).toEqual([['add', 7, real, asked.getTime()]]);
  });

  it('tells apart a PDA, a program, a mint, a token account, a data account and no account', async () => {
    const { solana, run, replies } = setup();
    const [pda] = PublicKey.findProgramAddressSync([Buffer.from('x')], new PublicKey(TOKEN_PROGRAM));
    const addresses = {
      pda: pda.toBase58(),
      program: wallet(),
      mint: wallet(),
      tokenAccount: wallet(),
      data: wallet(),
      none: wallet(),
    };
    solana.wallet(addresses.pda, 1n);
    solana.accounts.set(addresses.program, {
      address: addresses.program,
      lamports: 1n,
      owner: 'BPFLoaderUpgradeab1e11111111111111111111111',
      executable: true,
      space: 36,
    });
    solana.accounts.set(addresses.mint, {
      address: addresses.mint,
      lamports: 1n,
      owner: TOKEN_PROGRAM,
      executable: false,
      space: 82,
    });
    solana.accounts.set(addresses.tokenAccount, {
      address: addresses.tokenAccount,
      lamports: 1n,
      owner: TOKEN_2022_PROGRAM,
      executable: false,
      space: 170,
    });
    solana.accounts.set(addresses.data, {
      address: addresses.data,
      lamports: 1n,
      owner: TOKEN_PROGRAM.replace('Token', 'Other'),
      executable: false,
      space: 10,
    });
    await run(Object.values(addresses).map((a) => verify(a)));
    const [p, prog, mint, ta, data, none] = replies();
    expect(p).toContain('PDA');
    expect(prog).toContain('is a program');
    expect(mint).toContain('token mint (Token)');
    expect(ta).toContain('token account (Token-2022)');
    expect(data).toContain('data account of program');
    expect(none).toContain('no account on chain');
  });

  it.each([
    ['a mint', { owner: TOKEN_PROGRAM, executable: false, space: 82 }, 'token mint'],
    ['a token account', { owner: TOKEN_2022_PROGRAM, executable: false, space: 165 }, 'token account'],
    ['a program', { owner: 'BPFLoaderUpgradeab1e11111111111111111111111', executable: true, space: 36 }, 'program'],
  ])('unlinks %s the user linked, freeing its slot, and says why, in their language', async (_, kind, says) => {
    const { solana, run, replies, sessions, verified } = setup();
    const [other, address] = [wallet(), wallet()];
    solana.accounts.set(address, { address, lamports: 1n, ...kind });
    await sessions.save({
      key: '7:7',
      data: { lang: 'zh', joined: true, wallets: [{ address: other }, { address, label: 'x' }] },
      expectedVersion: 0,
      update: { updateId: 5 },
      processed: [],
    });
    await run([{ ...verify(address), payload: { address, lang: 'en', link: true } }]);
    expect((await sessions.load('7:7')).data).toEqual({ lang: 'zh', joined: true, wallets: [{ address: other }] });
    expect(replies()[0]).toContain(says);
    expect(replies()[0]).toContain('So I unlinked it');
    expect(verified.size).toBe(0);
    await run([{ ...verify(address, 'zh'), payload: { address, lang: 'zh', link: true } }]);
    expect(replies()[1]).toContain('已解除绑定');
  });

  it('leaves the session alone for a /verify of a non-wallet (not a link) and for a real wallet', async () => {
    const { solana, run, replies, sessions } = setup();
    const [mint, real] = [wallet(), wallet()];
    solana.accounts.set(mint, { address: mint, lamports: 1n, owner: TOKEN_PROGRAM, executable: false, space: 82 });
    solana.wallet(real, 1n);
    const data = { joined: true, wallets: [{ address: mint }, { address: real }] };
    await sessions.save({ key: '7:7', data, expectedVersion: 0, update: { updateId: 5 }, processed: [] });
    await run([verify(mint), { ...verify(real), payload: { address: real, lang: 'en', link: true } }]);
    expect((await sessions.load('7:7')).data).toEqual(data);
    expect(replies().join('\n')).not.toContain('unlinked');
  });

  it('answers an invalid address with the reason, without calling the chain', async () => {
    const { solana, run, replies } = setup();
    await run([verify('0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OI'), verify('z'.repeat(44), 'zh')]);
    expect(replies()[0]).toContain('base58');
    expect(replies()[1]).toContain('长度');
    expect(solana.calls).toEqual([]);
  });
});

describe('wallet.balance', () => {
  it('asks for every address’s account and tokens at once: one round of chain reads per answer', async () => {
    const { solana, run, replies } = setup();
    const addresses = [wallet(), wallet(), wallet()];
    for (const address of addresses) solana.wallet(address, 1_000_000_000n);
    // Accounts answer only once every read has been asked.
    let release = () => {};
    const asked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const getAccount = solana.getAccount.bind(solana);
    solana.getAccount = async (address) => {
      await asked;
      return getAccount(address);
    };
    const answered = run([{ job: WalletBalanceJob, payload: { addresses, lang: 'en' }, chatId: 7, userId: 7 }]);
    await vi.waitFor(() => expect(solana.calls.filter((c) => c === 'getTokenBalances')).toHaveLength(3));
    release();
    await answered;
    expect(replies()[0]).toContain('Total: 3 SOL');
  });

  it('lists SOL and tokens of each address, known symbols first, with a total', async () => {
    const { solana, run, replies } = setup();
    const [a, b] = [wallet(), wallet()];
    solana.wallet(a, 2_000_000_000n);
    solana.wallet(b, 250_000_000n);
    const odd = wallet();
    solana.tokens.set(a, [
      { account: wallet(), mint: odd, amount: '5', decimals: 0, program: 'token-2022' },
      {
        account: wallet(),
        mint: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
        amount: '12345678',
        decimals: 6,
        program: 'token',
      },
      { account: wallet(), mint: wallet(), amount: '0', decimals: 9, program: 'token' },
    ]);
    await run([{ job: WalletBalanceJob, payload: { addresses: [a, b, a], lang: 'en' }, chatId: 7, userId: 7 }]);
    const [text] = replies();
    expect(text).toContain('SOL: <b>2</b>');
    expect(text!.indexOf('USDC: <b>12.345678</b>')).toBeLessThan(text!.indexOf(`${odd.slice(0, 4)}…`));
    expect(text).toContain('No tokens.');
    expect(text).toContain('Total: 2.25 SOL');
    expect(solana.calls.filter((c) => c === 'getAccount')).toHaveLength(2);
  });

  it('adds only wallets into the total: a program’s or token account’s lamports are not counted', async () => {
    const { solana, run, replies } = setup();
    const [a, b, tokenAccount] = [wallet(), wallet(), wallet()];
    solana.wallet(a, 1_000_000_000n);
    solana.wallet(b, 500_000_000n);
    solana.accounts.set(tokenAccount, {
      address: tokenAccount,
      lamports: 2_039_280n,
      owner: TOKEN_PROGRAM,
      executable: false,
      space: 165,
    });
    await run([
      {
        job: WalletBalanceJob,
        payload: { addresses: [a, b, tokenAccount, SYSTEM_PROGRAM], lang: 'en' },
        chatId: 7,
        userId: 7,
      },
    ]);
    expect(replies()[0]).toContain('Total: 1.5 SOL</b> in 2 wallets');
  });
});

describe('wallet.balance with a price source', () => {
  let peer: PricePeer;
  beforeAll(async () => {
    peer = await startPricePeer();
  });
  afterAll(() => peer?.stop());
  const prices = () =>
    createPriceSource({
      sources: [{ url: peer.url, rps: 100, methodRps: {}, priority: 0 }],
      mints: PRICED_MINTS,
      maxConcurrency: 1,
      requestTimeoutMs: 300,
      budgetMs: 600,
    });

  function holder(solana: FakeSolana) {
    const [a, b, odd] = [wallet(), wallet(), wallet()];
    solana.wallet(a, 1_500_000_000n);
    solana.wallet(b, 500_000_000n);
    solana.tokens.set(a, [
      {
        account: wallet(),
        mint: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
        amount: '12345678',
        decimals: 6,
        program: 'token',
      },
      // BONK: well known, but the local source has no price for it.
      {
        account: wallet(),
        mint: 'DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263',
        amount: '100000',
        decimals: 5,
        program: 'token',
      },
      { account: wallet(), mint: odd, amount: '5', decimals: 0, program: 'token' },
    ]);
    return [a, b] as const;
  }

  it('values SOL and the tokens the source knows in USD, marked indicative', async () => {
    const { solana, run, replies } = setup(prices());
    const [a, b] = holder(solana);
    await run([{ job: WalletBalanceJob, payload: { addresses: [a, b], lang: 'en' }, chatId: 7, userId: 7 }]);
    const [text] = replies();
    expect(text).toContain('SOL: <b>1.5</b> ≈ $225.00');
    expect(text).toContain('USDC: <b>12.345678</b> ≈ $12.35');
    expect(text).toMatch(/BONK: <b>1<\/b>\n/);
    expect(text).toContain('<b>Total: 2 SOL</b> in 2 wallets ≈ $300.00');
    expect(text).not.toContain('¥');
    expect(text!.endsWith('≈ values are indicative, at market prices; not a quote.')).toBe(true);
  });

  it('adds CNY for a 中文 reader', async () => {
    const { solana, run, replies } = setup(prices());
    const [a] = holder(solana);
    await run([{ job: WalletBalanceJob, payload: { addresses: [a], lang: 'zh' }, chatId: 7, userId: 7 }]);
    const [text] = replies();
    expect(text).toContain('SOL：<b>1.5</b> ≈ $225.00 / ¥1,620.00');
    expect(text).toContain('≈ 为按市场价估算的参考价值，并非报价。');
  });

  it('shows the balance without values, and says so, when the source is down', async () => {
    peer.setOutage('down');
    try {
      const { solana, run, replies } = setup(prices());
      const [a] = holder(solana);
      await run([{ job: WalletBalanceJob, payload: { addresses: [a], lang: 'en' }, chatId: 7, userId: 7 }]);
      const [text] = replies();
      expect(text).toContain('SOL: <b>1.5</b>\n');
      expect(text).not.toContain('≈');
      expect(text).toContain('Value in USD unavailable right now');
    } finally {
      peer.reset();
    }
  });
});

describe('wallet.unlink', () => {
  const unlink = (address: string, userId: number | null = 7) => ({
    job: WalletUnlinkJob,
    payload: { address },
    chatId: 7,
    userId,
  });

  it('removes the wallet from the user’s book as of the removal, idempotently, and says nothing', async () => {
    const { solana, run, verified, bookCalls, queue } = setup();
    const [kept, removed] = [wallet(), wallet()];
    solana.wallet(kept, 1n);
    solana.wallet(removed, 1n);
    await run([verify(kept), verify(removed)]);
    const sentBefore = queue.sent.length;
    const at = new Date('2030-05-06T07:08:09.010Z');
    const result = await run([unlink(removed)], at);
    // The same job delivered again.
    const again = await run([unlink(removed)], at);
    expect(result.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect([...verified]).toEqual([`7:${kept}`]);
    expect(bookCalls.filter((call) => call[0] === 'remove')).toEqual([
      ['remove', 7, removed, at.getTime()],
      ['remove', 7, removed, at.getTime()],
    ]);
    expect(queue.sent.length).toBe(sentBefore);
  });

  it('does nothing for a job without a user', async () => {
    const { run, bookCalls } = setup();
    const result = await run([unlink(wallet(), null)]);
    expect(result.batchItemFailures).toEqual([]);
    expect(bookCalls).toEqual([]);
  });
});
