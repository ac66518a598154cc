import type { Connection } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoPayoutStore } from '../../core/desk/payouts/dynamodb-store.js';
import type { LocalStack } from '../../local/index.js';
import {
  adminGroup,
  approvalFor,
  localAdmin,
  paymentsTo,
  startPayoutStack,
  userWithBalance,
  waitForText,
  withdraw,
} from '../helpers/stack-payouts.js';
import { printFault, tally } from './report.js';

const USERS = 4;
/** KMS requests refused in each phase of the outage before it moves on: every payout is tried again and again. */
const REFUSED_PER_PHASE = 3 * USERS;

let stack: LocalStack;
let chain: Connection;
let payouts: DynamoPayoutStore;

beforeAll(async () => {
  // The `quick` stage: a payout tries KMS again 2 s after a refusal (10 s on deployed stages).
  ({ stack, chain, payouts } = await startPayoutStack({ stage: 'quick' }));
});
afterAll(() => stack?.stop());

describe('fault: KMS unavailable, then throttling, while payouts are approved', () => {
  it('keeps every approved payout waiting, then pays each exactly once', { timeout: 240_000 }, async () => {
    // Each gets a verified wallet and a balance in their own chat, side by side.
    const holders = await Promise.all(Array.from({ length: USERS }, (_, i) => userWithBalance(stack, 70_000 + i)));
    // They ask for their payouts side by side, each in their own chat.
    const approvals = await Promise.all(
      holders.map(async ({ user, wallet }) => {
        await withdraw(stack, user, '0.3', wallet.toBase58());
        return approvalFor(stack, wallet);
      }),
    );

    const kmsRequests = () => Object.values(stack.kms.stats()).reduce((sum, n) => sum + n, 0);
    stack.kms.setFault('unavailable');
    const requestsBefore = kmsRequests();
    const refusedAtLeast = (n: number) => stack.telegram.waitFor(() => kmsRequests() >= n || undefined, 60_000);
    try {
      // Admins approve everything, twice over, while KMS is away.
      for (const { message, data } of [...approvals, ...approvals]) {
        await adminGroup(stack).pressButton(localAdmin(stack), message.message_id, data);
      }
      await refusedAtLeast(requestsBefore + REFUSED_PER_PHASE);
      stack.kms.setFault('throttle');
      await refusedAtLeast(requestsBefore + 2 * REFUSED_PER_PHASE);
      for (const { id } of approvals) {
        const pending = await payouts.get(id);
        expect(pending?.status).toBe('approved');
        expect(pending?.tx).toBeUndefined();
      }
    } finally {
      stack.kms.setFault(null);
    }
    // Every KMS request made during the fault was refused (the emulator counts them all).
    const refused = kmsRequests() - requestsBefore;

    for (const [i, { wallet }] of holders.entries()) {
      await waitForText(stack, 70_000 + i, `sent to ${wallet.toBase58()}`, 90_000);
    }
    const paid: string[] = [];
    for (const [i, { wallet }] of holders.entries()) {
      const payments = await paymentsTo(chain, wallet);
      for (let n = 0; n < payments; n++) paid.push(approvals[i]!.id);
    }
    const count = tally(
      'kms-outage (payouts paid on chain)',
      approvals.map((a) => a.id),
      paid,
      { 'KMS requests refused': refused, 'approve presses': approvals.length * 2 },
    );
    printFault(count);
    expect(count).toMatchObject({ in: USERS, lost: 0, duplicated: 0 });
    expect(refused).toBeGreaterThan(0);
    for (const { id } of approvals) {
      const payout = await payouts.get(id);
      expect(payout?.status).toBe('paid');
      expect(payout?.history.filter((h) => h.status === 'paid')).toHaveLength(1);
    }
  });
});
