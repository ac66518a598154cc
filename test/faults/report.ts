import type { LocalStack, PeerUser } from '../../local/index.js';
import { allSent } from '../helpers/stack-chat.js';

/**
 * The fault-injection suite's ledger: each scenario counts what went in and what came out, prints
 * one line (`fault <name>: in N, out N, lost N, duplicated N …`) and asserts zero lost and zero
 * duplicated.
 */
export interface FaultCount {
  readonly scenario: string;
  /** Units of work that went in (updates, jobs, messages). */
  readonly in: number;
  /** Units that came out exactly once. */
  readonly out: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Anything else worth printing (the fault's own counters). */
  readonly notes?: Readonly<Record<string, number | string>>;
}

/** Counts `expected` keys against the `seen` ones (with repeats): out, lost and duplicated. */
export function tally(
  scenario: string,
  expected: readonly string[],
  seen: readonly string[],
  notes?: FaultCount['notes'],
): FaultCount {
  const counts = new Map<string, number>();
  for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
  let out = 0;
  let lost = 0;
  let duplicated = 0;
  for (const key of new Set(expected)) {
    const n = counts.get(key) ?? 0;
    if (n === 0) lost++;
    else out++;
    if (n > 1) duplicated += n - 1;
  }
  return { scenario, in: new Set(expected).size, out, lost, duplicated, ...(notes ? { notes } : {}) };
}

export function printFault(count: FaultCount): void {
  const notes = Object.entries(count.notes ?? {})
    .map(([name, value]) => `, ${name} ${value}`)
    .join('');
  console.log(
    `fault ${count.scenario}: in ${count.in}, out ${count.out}, lost ${count.lost}, duplicated ${count.duplicated}${notes}`,
  );
}

/**
 * Waits until each user was told their wallet (`wallets[i]`) is a wallet (`/verify`), then until
 * nothing is left that could still answer (the rpc and notify queues empty, nothing in flight), so
 * that any duplicate has shown up; returns one user id per such answer.
 */
export async function walletAnswers(
  stack: LocalStack,
  users: readonly PeerUser[],
  wallets: readonly string[],
  timeoutMs: number,
): Promise<string[]> {
  const answers = (user: PeerUser, i: number) =>
    user.botMessages().filter((m) => m.text.includes(`${wallets[i]} is a wallet`));
  await stack.telegram.waitFor(() => users.every((user, i) => answers(user, i).length > 0) || undefined, timeoutMs);
  await allSent(stack, timeoutMs, ['rpc']);
  return users.flatMap((user, i) => answers(user, i).map(() => String(user.id)));
}
