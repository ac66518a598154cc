import {
  ConditionFailed,
  gaugeMove,
  type Item,
  MAX_BATCH_GET,
  Table,
  type TableOptions,
  type TransactAction,
  TransactionCancelled,
} from '../../platform/adapters/index.js';
import { isLanguage, type Language } from '../../platform/i18n/index.js';
import { PENDING_DEPOSITS } from '../ledger/index.js';
import {
  type DepositClaim,
  type DepositDecision,
  type DepositRecord,
  type DepositStatus,
  type DepositStore,
  type DepositVerdict,
  depositIdOf,
  type NewDeposit,
  type UnattributedReason,
} from './store.js';

/** The one partition listing claims by creation time, for the scheduled poll. */
const CLAIM_INDEX = 'depclaims#open';
/** A claim is kept this long after it expires (a late "I've paid" still finds its owner), then TTL removes it. */
const CLAIM_GRACE_SECONDS = 30 * 24 * 3600;
const NEW_ITEM = { ConditionExpression: 'attribute_not_exists(pk)' };

const langOf = (item: Item): Language => (isLanguage(item.lang?.S ?? '') ? (item.lang!.S as Language) : 'en');

const claimOf = (item: Item): DepositClaim => ({
  reference: (item.pk?.S ?? '').slice('depclaim#'.length),
  userId: Number(item.userId?.N),
  lang: langOf(item),
  lamports: item.lamports?.N === undefined ? null : BigInt(item.lamports.N),
  createdAt: Number(item.createdAt?.N ?? '0'),
  expiresAt: Number(item.claimExpiresAt?.N ?? '0'),
});

const depositOf = (item: Item): DepositRecord => {
  const by = item.decidedBy?.S ?? item.decidedBy?.N;
  return {
    signature: (item.pk?.S ?? '').slice('deposit#'.length),
    userId: item.userId?.N === undefined ? null : Number(item.userId.N),
    reference: item.reference?.S ?? null,
    lamports: BigInt(item.lamports?.N ?? '0'),
    lang: langOf(item),
    status: (item.status?.S ?? 'pending') as DepositStatus,
    ...(item.reason?.S ? { reason: item.reason.S as UnattributedReason } : {}),
    ...(by === undefined ? {} : { decidedBy: by === 'auto' ? 'auto' : Number(by) }),
  };
};

/**
 * Deposits by reference, on the single table:
 * - a claim: `pk = depclaim#<reference>`, `sk = claim` (owner, language, amount, times), created
 *   only if absent or identical in owner, plus `pk = depclaims#open`, `sk = <createdAt ms>#<reference>`
 *   for the poll's range query; both expire (TTL) a month after the claim does;
 * - a deposit: `pk = deposit#<signature>`, `sk = deposit`, created only if absent (a signature
 *   counts once, whoever finds it), and `pk = depositref#<short id>`, `sk = ref` pointing at it;
 * - the treasury scan's cursor: `pk = depositscan#<address>`, `sk = cursor`.
 *
 * A credit is one `TransactWriteItems`: the status `pending → credited` (or `unattributed →
 * credited`), conditioned on the status it leaves, the ledger's once-marker
 * (`ledgerref#deposit#<signature>`), the ledger entry (`ledger#<userId>`) and the balance
 * increment (`balance#<userId>`), so a signature is credited at most once, to one user.
 * Deposits and cursors never expire: they are the money trail.
 */
export class DynamoDepositStore implements DepositStore {
  private readonly table: Table;

  constructor(options: TableOptions) {
    this.table = new Table(options.client, options.tableName, options.now ?? Date.now);
  }

  async putClaim(claim: DepositClaim): Promise<void> {
    const ttl = String(Math.floor(claim.expiresAt / 1000) + CLAIM_GRACE_SECONDS);
    try {
      await this.table.put(
        {
          pk: { S: `depclaim#${claim.reference}` },
          sk: { S: 'claim' },
          userId: { N: String(claim.userId) },
          lang: { S: claim.lang },
          ...(claim.lamports === null ? {} : { lamports: { N: claim.lamports.toString() } }),
          createdAt: { N: String(claim.createdAt) },
          claimExpiresAt: { N: String(claim.expiresAt) },
          expiresAt: { N: ttl },
        },
        {
          // A redelivered request writes the same claim again; nobody may take over a reference.
          ConditionExpression: 'attribute_not_exists(pk) OR userId = :user',
          ExpressionAttributeValues: { ':user': { N: String(claim.userId) } },
        },
      );
    } catch (error) {
      if (error instanceof ConditionFailed) throw new Error('reference already claimed by another user');
      throw error;
    }
    await this.table.put({
      pk: { S: CLAIM_INDEX },
      sk: { S: `${String(claim.createdAt).padStart(13, '0')}#${claim.reference}` },
      reference: { S: claim.reference },
      expiresAt: { N: ttl },
    });
  }

  async claim(reference: string): Promise<DepositClaim | undefined> {
    const item = await this.table.get(`depclaim#${reference}`, 'claim');
    return item ? claimOf(item) : undefined;
  }

  async claims(references: readonly string[]): Promise<DepositClaim[]> {
    const unique = [...new Set(references)];
    if (unique.length === 0) return [];
    if (unique.length > MAX_BATCH_GET) throw new RangeError(`at most ${MAX_BATCH_GET} references`);
    const items = await this.table.batchGet(unique.map((reference) => ({ pk: `depclaim#${reference}`, sk: 'claim' })));
    return items.map(claimOf);
  }

  async openClaims(since: number, now: number, limit: number): Promise<DepositClaim[]> {
    const page = await this.table.query(CLAIM_INDEX, {
      skRange: { from: String(since).padStart(13, '0'), to: `${String(now).padStart(13, '0')}~` },
      limit,
      consistent: false,
    });
    const references = page.items.map((item) => item.reference?.S ?? '').filter(Boolean);
    const claims: DepositClaim[] = [];
    for (let i = 0; i < references.length; i += MAX_BATCH_GET) {
      claims.push(...(await this.claims(references.slice(i, i + MAX_BATCH_GET))));
    }
    return claims.filter((c) => c.expiresAt > now).sort((a, b) => a.createdAt - b.createdAt);
  }

  async record(deposit: NewDeposit): Promise<{ created: boolean; deposit: DepositRecord }> {
    // The short id admins use points at the signature (written first: idempotent).
    await this.table.put({
      pk: { S: `depositref#${depositIdOf(deposit.signature)}` },
      sk: { S: 'ref' },
      signature: { S: deposit.signature },
    });
    const claim = deposit.claim;
    const status: DepositStatus = claim ? 'pending' : 'unattributed';
    const item: Item = {
      pk: { S: `deposit#${deposit.signature}` },
      sk: { S: 'deposit' },
      lamports: { N: deposit.lamports.toString() },
      slot: { N: String(deposit.slot) },
      ...(deposit.blockTime === null ? {} : { blockTime: { N: String(deposit.blockTime) } }),
      lang: { S: claim?.lang ?? 'en' },
      status: { S: status },
      foundAt: { N: String(this.table.nowSeconds()) },
      ...(claim
        ? { userId: { N: String(claim.userId) }, reference: { S: claim.reference } }
        : { reason: { S: deposit.reason ?? 'no_reference' } }),
    };
    try {
      await this.table.transact([
        { put: item, condition: NEW_ITEM },
        ...(status === 'pending' ? [gaugeMove(PENDING_DEPOSITS, 1)] : []),
      ]);
      return { created: true, deposit: depositOf(item) };
    } catch (error) {
      if (!(error instanceof TransactionCancelled)) throw error;
    }
    const stored = await this.get(deposit.signature);
    if (!stored) throw new Error(`deposit ${deposit.signature} vanished`);
    return { created: false, deposit: stored };
  }

  async get(signature: string): Promise<DepositRecord | undefined> {
    const item = await this.table.get(`deposit#${signature}`, 'deposit');
    return item ? depositOf(item) : undefined;
  }

  async byId(id: string): Promise<DepositRecord | undefined> {
    const ref = await this.table.get(`depositref#${id}`, 'ref');
    const signature = ref?.signature?.S;
    return signature ? this.get(signature) : undefined;
  }

  async decide(signature: string, verdict: DepositVerdict): Promise<DepositDecision> {
    const deposit = await this.get(signature);
    if (!deposit) return { outcome: 'missing' };
    const from: DepositStatus = verdict.action === 'assign' ? 'unattributed' : 'pending';
    if (deposit.status === 'credited' || deposit.status === 'rejected') return { outcome: 'decided', deposit };
    if (deposit.status !== from) return { outcome: 'wrong_state', deposit };
    const userId = verdict.action === 'assign' ? verdict.userId : deposit.userId;
    if (userId === null) return { outcome: 'wrong_state', deposit };
    const now = this.table.now();
    const to: DepositStatus = verdict.action === 'reject' ? 'rejected' : 'credited';
    const by = verdict.by === 'auto' ? { S: 'auto' } : { N: String(verdict.by) };
    const move: TransactAction = {
      update: {
        pk: `deposit#${signature}`,
        sk: 'deposit',
        UpdateExpression: 'SET #status = :to, decidedBy = :by, decidedAt = :now, userId = :user',
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':to': { S: to },
          ':from': { S: from },
          ':by': by,
          ':now': { N: String(now) },
          ':user': { N: String(userId) },
        },
      },
    };
    const actions: TransactAction[] = [move, ...(from === 'pending' ? [gaugeMove(PENDING_DEPOSITS, -1)] : [])];
    if (to === 'credited') {
      actions.push(
        {
          put: { pk: { S: `ledgerref#deposit#${signature}` }, sk: { S: 'ref' }, userId: { N: String(userId) } },
          condition: NEW_ITEM,
        },
        {
          put: {
            pk: { S: `ledger#${userId}` },
            sk: { S: `e#${String(now).padStart(13, '0')}#deposit#${signature}` },
            kind: { S: 'deposit' },
            lamports: { N: deposit.lamports.toString() },
            ref: { S: signature },
            at: { N: String(now) },
            by,
          },
          condition: NEW_ITEM,
        },
        {
          update: {
            pk: `balance#${userId}`,
            sk: 'balance',
            UpdateExpression: 'ADD lamports :amount',
            ExpressionAttributeValues: { ':amount': { N: deposit.lamports.toString() } },
          },
        },
      );
    }
    try {
      await this.table.transact(actions);
    } catch (error) {
      if (!(error instanceof TransactionCancelled || error instanceof ConditionFailed)) throw error;
      // Another admin, the automatic credit or a redelivery decided first.
      const current = await this.get(signature);
      return current ? { outcome: 'decided', deposit: current } : { outcome: 'missing' };
    }
    const decided: DepositRecord = { ...deposit, userId, status: to, decidedBy: verdict.by };
    if (to === 'rejected') return { outcome: 'rejected', deposit: decided };
    const balance = BigInt((await this.table.get(`balance#${userId}`, 'balance'))?.lamports?.N ?? '0');
    return { outcome: 'credited', deposit: decided, balance };
  }

  async cursor(address: string): Promise<string | undefined> {
    return (await this.table.get(`depositscan#${address}`, 'cursor'))?.signature?.S;
  }

  async setCursor(address: string, signature: string): Promise<void> {
    await this.table.put({
      pk: { S: `depositscan#${address}` },
      sk: { S: 'cursor' },
      signature: { S: signature },
      updatedAt: { N: String(this.table.nowSeconds()) },
    });
  }
}
