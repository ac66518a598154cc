import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import {
  ConditionFailed,
  gaugeMove,
  gaugeValue,
  type Item,
  Table,
  type TableOptions,
  TransactionCancelled,
} from '../../platform/adapters/index.js';
import { LANGUAGES } from '../../platform/i18n/index.js';
import type {
  AuditEntry,
  NewPayout,
  Payout,
  PayoutStore,
  PayoutTransaction,
  TransitionChange,
  TransitionGuard,
} from './store.js';

/** Payouts not final yet (a gauge moved when one is created and when one ends). */
const OPEN_PAYOUTS = 'payouts.open';
const FINAL: ReadonlySet<string> = new Set(['rejected', 'cancelled', 'paid', 'failed']);

/** A cap counter outlives its day by this long (TTL), then it is only history. */
const CAP_RETENTION_SECONDS = 3 * 86_400;
const STATUSES = ['cooling', 'requested', 'approved', 'rejected', 'cancelled', 'sent', 'paid', 'failed'] as const;

const AuditSchema = z.object({
  at: z.number(),
  status: z.enum(STATUSES),
  by: z.string(),
  job: z.optional(z.string()),
  note: z.optional(z.string()),
});

const n = (value: number | bigint) => ({ N: String(value) });
const s = (value: string) => ({ S: value });

function auditValue(entry: AuditEntry): AttributeValue {
  return { S: JSON.stringify(entry) };
}

function txValue(tx: PayoutTransaction): AttributeValue {
  return {
    M: { signature: s(tx.signature), transaction: s(tx.transaction), lastValidBlockHeight: n(tx.lastValidBlockHeight) },
  };
}

/** Reads a payout item back; anything malformed is a bug in a writer, so it throws. */
function payoutOf(item: Item): Payout {
  const tx = item.tx?.M;
  const lang = item.lang?.S;
  const status = item.status?.S;
  if (
    !lang ||
    !(LANGUAGES as readonly string[]).includes(lang) ||
    !(STATUSES as readonly string[]).includes(status ?? '')
  ) {
    throw new Error(`payout item ${item.pk?.S} is malformed`);
  }
  return {
    id: (item.pk?.S ?? '').slice('payout#'.length),
    userId: Number(item.userId?.N),
    chatId: Number(item.chatId?.N),
    lang: lang as Payout['lang'],
    wallet: item.wallet?.S ?? '',
    lamports: BigInt(item.lamports?.N ?? '0'),
    day: item.day?.S ?? '',
    status: status as Payout['status'],
    ...(item.releaseAt?.N ? { releaseAt: Number(item.releaseAt.N) } : {}),
    attempt: Number(item.attempt?.N ?? '0'),
    ...(tx
      ? {
          tx: {
            signature: tx.signature?.S ?? '',
            transaction: tx.transaction?.S ?? '',
            lastValidBlockHeight: Number(tx.lastValidBlockHeight?.N ?? '0'),
          },
        }
      : {}),
    history: (item.history?.L ?? []).map((entry) => AuditSchema.parse(JSON.parse(entry.S ?? '{}'))),
  };
}

/**
 * Payouts and daily caps in the single table.
 *
 * - A payout is `pk = payout#<id>`, `sk = payout`. Every transition is one `UpdateItem` whose
 *   condition is the guard and which appends the audit entry to `history` in the same write
 *   (DynamoDB has no multi-item transactions in the local emulator, and needs none here).
 * - A destination a user was paid at is `pk = payto#<userId>`, `sk = <wallet>` (no first-payout cooling-off there again).
 * - A user's cap for a day is `pk = payoutcap#<userId>`, `sk = <day>`: the `total` reserved and the
 *   set of payout `ids` counted in it, so a repeated reservation or release is recognised.
 */
export class DynamoPayoutStore implements PayoutStore {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async reserve(input: { userId: number; day: string; payoutId: string; lamports: bigint; capLamports: bigint }) {
    const room = input.capLamports - input.lamports;
    const pk = `payoutcap#${input.userId}`;
    if (room >= 0n) {
      try {
        await this.table.update(pk, input.day, {
          UpdateExpression: 'ADD #total :amount, #ids :id SET expiresAt = if_not_exists(expiresAt, :expires)',
          ConditionExpression:
            '(attribute_not_exists(#total) OR #total <= :room) AND (attribute_not_exists(#ids) OR NOT contains(#ids, :idValue))',
          ExpressionAttributeNames: { '#total': 'total', '#ids': 'ids' },
          ExpressionAttributeValues: {
            ':amount': n(input.lamports),
            ':id': { SS: [input.payoutId] },
            ':idValue': s(input.payoutId),
            ':room': n(room),
            ':expires': n(Date.parse(`${input.day}T00:00:00Z`) / 1000 + CAP_RETENTION_SECONDS),
          },
        });
        return { ok: true } as const;
      } catch (error) {
        if (!(error instanceof ConditionFailed)) throw error;
      }
    }
    const item = await this.table.get(pk, input.day);
    if (item?.ids?.SS?.includes(input.payoutId)) return { ok: true } as const;
    return { ok: false, used: BigInt(item?.total?.N ?? '0') } as const;
  }

  async release(input: { userId: number; day: string; payoutId: string; lamports: bigint }): Promise<void> {
    try {
      await this.table.update(`payoutcap#${input.userId}`, input.day, {
        UpdateExpression: 'ADD #total :minus DELETE #ids :id',
        ConditionExpression: 'contains(#ids, :idValue)',
        ExpressionAttributeNames: { '#total': 'total', '#ids': 'ids' },
        ExpressionAttributeValues: {
          ':minus': n(-input.lamports),
          ':id': { SS: [input.payoutId] },
          ':idValue': s(input.payoutId),
        },
      });
    } catch (error) {
      // Never reserved, or released already.
      if (!(error instanceof ConditionFailed)) throw error;
    }
  }

  async paidBefore(userId: number, wallet: string): Promise<boolean> {
    return (await this.table.get(`payto#${userId}`, wallet)) !== undefined;
  }

  async rememberPaid(userId: number, wallet: string): Promise<void> {
    await this.table.put({ pk: s(`payto#${userId}`), sk: s(wallet), at: n(this.table.nowSeconds()) });
  }

  async create(payout: NewPayout, audit: AuditEntry): Promise<{ payout: Payout; created: boolean }> {
    const item: Item = {
      pk: s(`payout#${payout.id}`),
      sk: s('payout'),
      userId: n(payout.userId),
      chatId: n(payout.chatId),
      lang: s(payout.lang),
      wallet: s(payout.wallet),
      lamports: n(payout.lamports),
      day: s(payout.day),
      status: s(payout.status ?? 'requested'),
      ...(payout.releaseAt === undefined ? {} : { releaseAt: n(payout.releaseAt) }),
      attempt: n(0),
      history: { L: [auditValue(audit)] },
      createdAt: n(this.table.nowSeconds()),
    };
    try {
      await this.table.transact([
        { put: item, condition: { ConditionExpression: 'attribute_not_exists(pk)' } },
        gaugeMove(OPEN_PAYOUTS, 1),
      ]);
      return { payout: payoutOf(item), created: true };
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
    }
    const existing = await this.get(payout.id);
    if (!existing) throw new Error(`payout ${payout.id} exists but cannot be read`);
    return { payout: existing, created: false };
  }

  async get(id: string): Promise<Payout | undefined> {
    const item = await this.table.get(`payout#${id}`, 'payout');
    return item ? payoutOf(item) : undefined;
  }

  async transition(
    id: string,
    guard: TransitionGuard,
    change: TransitionChange,
    audit: AuditEntry,
  ): Promise<Payout | undefined> {
    const names: Record<string, string> = { '#status': 'status', '#history': 'history' };
    const values: Item = { ':from': s(guard.status), ':to': s(change.status), ':entry': { L: [auditValue(audit)] } };
    const conditions = ['attribute_exists(pk)', '#status = :from'];
    const sets = ['#status = :to', '#history = list_append(#history, :entry)'];
    const removes: string[] = [];
    if (guard.attempt !== undefined) {
      conditions.push('attempt = :guardAttempt');
      values[':guardAttempt'] = n(guard.attempt);
    }
    if (guard.signature !== undefined) {
      conditions.push('tx.signature = :guardSignature');
      values[':guardSignature'] = s(guard.signature);
    }
    if (change.attempt !== undefined) {
      sets.push('attempt = :attempt');
      values[':attempt'] = n(change.attempt);
    }
    if (change.tx === null) removes.push('tx');
    else if (change.tx !== undefined) {
      sets.push('tx = :tx');
      values[':tx'] = txValue(change.tx);
    }
    const update = {
      UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    try {
      if (FINAL.has(change.status) && !FINAL.has(guard.status)) {
        // Leaving the open payouts: the gauge moves in the same transaction.
        await this.table.transact([
          { update: { pk: `payout#${id}`, sk: 'payout', ...update } },
          gaugeMove(OPEN_PAYOUTS, -1),
        ]);
        return this.get(id);
      }
      const item = await this.table.update(`payout#${id}`, 'payout', { ...update, ReturnValues: 'ALL_NEW' });
      return item ? payoutOf(item) : undefined;
    } catch (error) {
      if (error instanceof ConditionFailed || error instanceof TransactionCancelled) return undefined;
      throw error;
    }
  }

  countOpen(): Promise<number> {
    return gaugeValue(this.table, OPEN_PAYOUTS);
  }
}
