import type { Language } from '../../platform/i18n/index.js';
import type { JobEnvelope, JobQueue } from '../../platform/jobs/index.js';
import { emitFrom, handle } from '../../platform/jobs/index.js';
import { amendSession, type SessionAmendDeps } from '../../platform/sessions/index.js';
import { notice } from '../../platform/telegram/index.js';
import { adminEvent } from '../admin/index.js';
import { type JobTranslate, jobTranslator } from '../i18n.js';
import {
  type PriceSource,
  type Valuation,
  valuationNote,
  valuationOf,
  valued,
  WSOL_MINT,
  wholeTokens,
} from '../prices/index.js';
import {
  type AccountSummary,
  checkAddress,
  formatSol,
  formatUnits,
  isOnCurve,
  KNOWN_MINTS,
  knownNonWallet,
  type SolanaGateway,
  SYSTEM_PROGRAM,
  shortAddress,
  TOKEN_2022_PROGRAM,
  TOKEN_PROGRAM,
  type TokenBalance,
} from '../solana/index.js';
import type { WalletBook } from './book.js';
import { WalletBalanceJob, WalletUnlinkJob, WalletVerifyJob } from './jobs.js';
import { MAX_WALLETS } from './session.js';

export interface WalletDeps {
  solana: SolanaGateway;
  /** Where answers go: the notify queue. */
  queue: JobQueue;
}

/** Balances with their indicative value: the price source (the rpc worker's), asked once per answer. */
export interface BalanceDeps extends WalletDeps {
  prices?: PriceSource;
}

/** Replies to the chat the job came from (jobs without a chat have no one to answer). */
function reply(deps: WalletDeps, job: JobEnvelope, html: string): Promise<void> {
  if (job.chatId === null) return Promise.resolve();
  return emitFrom(deps.queue, job, [notice(job.chatId, job.userId, html)]);
}

/** What an account is, from its owner program, executable flag, size and curve membership. */
export function describeAccount(
  t: JobTranslate,
  address: string,
  account: AccountSummary | null,
  onCurve: boolean,
): string {
  if (!account) return t('verify.none', { address });
  const sol = formatSol(account.lamports);
  if (account.executable) return t('verify.program', { address });
  if (account.owner === SYSTEM_PROGRAM) return t(onCurve ? 'verify.wallet' : 'verify.pda', { address, sol });
  if (account.owner === TOKEN_PROGRAM || account.owner === TOKEN_2022_PROGRAM) {
    const program = account.owner === TOKEN_PROGRAM ? 'Token' : 'Token-2022';
    // SPL layouts: a mint is 82 bytes, a token account 165 (Token-2022 extensions follow a 165-byte base).
    return t(account.space === 82 ? 'verify.mint' : 'verify.token_account', { address, program });
  }
  return t('verify.owned', { address, owner: account.owner, sol });
}

/** The balance block of one address: SOL, then tokens (known symbols first, then by mint). */
export function describeBalance(
  t: JobTranslate,
  address: string,
  lamports: bigint,
  tokens: readonly TokenBalance[],
  valuation?: Valuation,
): string {
  const sol = valued(t, t('balance.sol', { sol: formatSol(lamports) }), wholeTokens(lamports, 9), WSOL_MINT, valuation);
  const lines = [t('balance.title', { address }), sol];
  const held = tokens.filter((token) => BigInt(token.amount) > 0n);
  const symbol = (mint: string) => KNOWN_MINTS[mint] ?? shortAddress(mint);
  held.sort((a, b) => Number(b.mint in KNOWN_MINTS) - Number(a.mint in KNOWN_MINTS) || a.mint.localeCompare(b.mint));
  for (const token of held) {
    const line = t('balance.token', { symbol: symbol(token.mint), amount: formatUnits(token.amount, token.decimals) });
    lines.push(valued(t, line, wholeTokens(token.amount, token.decimals), token.mint, valuation));
  }
  if (held.length === 0) lines.push(t('balance.no_tokens'));
  return lines.join('\n');
}

function problemMessage(t: JobTranslate, address: string): string | undefined {
  const check = checkAddress(address);
  return check.ok ? undefined : t(`address.${check.problem}`);
}

/**
 * Whether the chain shows a wallet: an address on the curve (someone holds its key) that is no
 * well-known program or mint, with no account yet or a system account that is not executable.
 * Programs, mints, token accounts, other programs' data accounts and PDAs are not.
 */
export function isWalletAccount(address: string, bytes: Uint8Array, account: AccountSummary | null): boolean {
  if (knownNonWallet(address, bytes)) return false;
  return account === null || (account.owner === SYSTEM_PROGRAM && !account.executable);
}

/** The user's private-chat session key (`<chat>:<user>`, the chat being the user's own). */
const privateSession = (userId: number) => `${userId}:${userId}`;

/**
 * `wallet.verify`: one account read (shared through the RPC cache), one answer. A real wallet
 * ({@link isWalletAccount}) goes into the asking user's book of verified wallets, the only wallets
 * they can withdraw to. An address the user linked (`link`) that is not a wallet is unlinked from
 * their session (its slot is free again) and they are told why, in their language.
 */
export function walletVerifyHandler(deps: WalletDeps & { book: WalletBook; sessions: SessionAmendDeps['sessions'] }) {
  return handle(WalletVerifyJob, async (job) => {
    const t = jobTranslator(job.payload.lang as Language);
    const { address } = job.payload;
    const check = checkAddress(address);
    if (!check.ok) return reply(deps, job, t(`address.${check.problem}`));
    const account = await deps.solana.getAccount(address);
    const onCurve = isOnCurve(check.bytes);
    const wallet = isWalletAccount(address, check.bytes, account);
    let answer = describeAccount(t, address, account, onCurve);
    if (!wallet && job.payload.link && job.userId !== null) {
      await amendSession(deps, privateSession(job.userId), (data) => {
        const linked = Array.isArray(data?.wallets) ? (data.wallets as { address?: unknown }[]) : [];
        if (!linked.some((w) => w.address === address)) return undefined;
        return { ...data, wallets: linked.filter((w) => w.address !== address) };
      });
      answer = `${answer}\n${t('wallet.unlinked', { max: MAX_WALLETS })}`;
    }
    if (job.chatId === null) return;
    const drafts = [notice(job.chatId, job.userId, answer)];
    // A user's wallet checked out as a real wallet: it is theirs to withdraw to, and admins see it.
    if (wallet) {
      // As of when the user asked: a removal they made since wins over this late answer.
      if (job.userId !== null) await deps.book.add(job.userId, address, Date.parse(job.createdAt));
      drafts.push(
        adminEvent({
          kind: 'wallet.verified',
          userId: job.userId,
          facts: [
            ['user', String(job.userId ?? '-')],
            ['wallet', address],
            ['balance', `${formatSol(account?.lamports ?? 0n)} SOL`],
          ],
        }),
      );
    }
    await emitFrom(deps.queue, job, drafts);
  });
}

/**
 * `wallet.balance`: SOL and tokens per address, one answer. Per-address reads (not one
 * getMultipleAccounts) so each is shared through the RPC cache: a balance many users ask for
 * within the cache window costs one call. With a price source, each amount whose mint it knows
 * carries its indicative value (USD; and CNY in 中文), and the answer says values are indicative,
 * or that they are unavailable when the source is down (the balances are shown all the same).
 */
export function walletBalanceHandler(deps: BalanceDeps) {
  return handle(WalletBalanceJob, async (job) => {
    const t = jobTranslator(job.payload.lang as Language);
    const addresses = [...new Set(job.payload.addresses)];
    const invalid = addresses.map((address) => problemMessage(t, address)).find(Boolean);
    if (invalid) return reply(deps, job, invalid);
    // Every read at once: one round trip for the whole answer, not one per wallet.
    const [accounts, tokens, table] = await Promise.all([
      Promise.all(addresses.map((address) => deps.solana.getAccount(address))),
      Promise.all(addresses.map((address) => deps.solana.getTokenBalances(address))),
      deps.prices?.prices(),
    ]);
    const valuation = deps.prices && valuationOf(job.payload.lang as Language, table);
    const blocks: string[] = [];
    // The total counts wallets only: a program's or a token account's lamports are no one's SOL to spend.
    let total = 0n;
    let wallets = 0;
    for (const [index, address] of addresses.entries()) {
      const account = accounts[index] ?? null;
      const lamports = account?.lamports ?? 0n;
      const check = checkAddress(address);
      if (check.ok && isWalletAccount(address, check.bytes, account)) {
        total += lamports;
        wallets += 1;
      }
      blocks.push(describeBalance(t, address, lamports, tokens[index] ?? [], valuation));
    }
    if (wallets > 1) {
      const line = t('balance.total', { sol: formatSol(total), count: wallets });
      blocks.push(valued(t, line, wholeTokens(total, 9), WSOL_MINT, valuation));
    }
    const note = valuation && valuationNote(t, valuation);
    if (note) blocks.push(note);
    await reply(deps, job, blocks.join('\n\n'));
  });
}

/**
 * `wallet.unlink`: the user removed a linked wallet, so it leaves their verified wallets and no
 * withdrawal can go to it. As of when they removed it (the job's `createdAt`): a verification
 * asked before that and still in flight cannot add it back. Idempotent; says nothing (the bot
 * has already answered the button).
 */
export function walletUnlinkHandler(deps: { book: WalletBook }) {
  return handle(WalletUnlinkJob, async (job) => {
    if (job.userId === null) return;
    await deps.book.remove(job.userId, job.payload.address, Date.parse(job.createdAt));
  });
}
