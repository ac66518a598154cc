/**
 * Which items of the single table each function may read and write, by partition key.
 *
 * This is the one list a reviewer reads to know who can touch what: the stacks turn each grant into
 * IAM statements conditioned on `dynamodb:LeadingKeys` (`ForAllValues:StringLike`), and the local
 * runtime refuses, as AWS would (`AccessDeniedException`), every call of a function outside its grant.
 * So a function that starts using a new key prefix fails its local tests until the prefix is granted
 * here, one line per prefix.
 *
 * A pattern is an IAM `StringLike` value matched against the whole partition key: `session#*` is every
 * key starting with `session#`; a pattern without `*` is one exact key (`users`, `gauge#payouts.open`).
 * `read` and `write` are independent (writing does not imply reading, nor the reverse). Items are
 * found in `core/platform/adapters/dynamodb*.ts`; which stores a function builds, in `functions/lib/compose*.ts`.
 *
 * Plain data: no SDK imports.
 */

/** A partition-key pattern: an exact key, or a prefix ending in `#*`. */
export type KeyPattern = string;

/** A function's table access: the partition keys it may read, and those it may write. */
export interface TableGrant {
  readonly read: readonly KeyPattern[];
  readonly write: readonly KeyPattern[];
}

/**
 * DynamoDB item actions that read, and those that write. A transaction needs, per item, the action it
 * performs there (`TransactWriteItems`: `PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`;
 * `TransactGetItems`: `GetItem`). No `Scan`, no PartiQL and no table administration: every access is a
 * key lookup or a one-partition query, so every granted action names the partition keys it touches.
 */
export const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
] as const;
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;
export type TableAction = (typeof TABLE_READ_ACTIONS)[number] | (typeof TABLE_WRITE_ACTIONS)[number];

// Keys shared by several stores, spelled once.
const DEPOSITS = ['deposit#*', 'depositref#*', 'gauge#deposits.pending'] as const;
// Deposit claims by reference, and the index of open claims the poll reads.
const CLAIMS = ['depclaim#*', 'depclaims#open'] as const;
// A payout's hold (`held → released | settled`) moves with the balance, in one transaction.
const BALANCES = ['ledgerref#*', 'ledger#*', 'balance#*', 'hold#*'] as const;
// `payto#`: destinations a user was paid at (no cooling-off there again).
const PAYOUTS = ['payout#*', 'payoutcap#*', 'gauge#payouts.open', 'payto#*'] as const;
// `watchhot`: the addresses every poll checks (moved lately, or not seen yet).
const WATCHES = ['watchset', 'watchhot', 'watch#*', 'watches#*'] as const;
const USERS = ['users', 'username#*'] as const;

/**
 * A tenant's items: the keys its stores name, under any tenant's prefix (`t<botId>/`, the tenant-scoped
 * client adds it). IAM cannot tell tenants apart inside one function that serves them all; the scoped
 * client does (core/platform/tenants/dynamodb-scope.ts), and these patterns keep every function to its
 * own kinds of items of any tenant.
 */
const tenants = (
  grant: { read: readonly KeyPattern[]; write: readonly KeyPattern[] },
  shared: Partial<TableGrant> = {},
) => ({
  read: [...grant.read.map((p) => `t*/${p}`), ...(shared.read ?? [])],
  write: [...grant.write.map((p) => `t*/${p}`), ...(shared.write ?? [])],
});

/**
 * Every function's grant. The money items (`payout#`, `payoutcap#`, `balance#`, `ledger#`,
 * `ledgerref#`, `deposit#`) are written only by the rpc worker (requests: the debit, the cap, the
 * payout's creation; deposits found on chain) and the signer (admin decisions, signatures, outcomes).
 */
export const TABLE_GRANTS = {
  webhook: tenants(
    {
      // `pace#`: a reply in the webhook response takes its chat's send slot, as the notify worker's sends do.
      // `usage#`: a registered bot's updates are counted against its plan (core/platform/quotas).
      read: ['session#*', 'update#*', 'pace#*', 'usage#*'],
      write: ['session#*', 'update#*', 'pace#*', 'usage#*'],
    },
    // The registry's record of the bot an update is for (is it served, who are its admins).
    { read: ['tenant#*'] },
  ),
  notifyWorker: tenants(
    {
      // `usage#`: a registered bot's use of its plan, for its operators' /usage; its broadcasts counted.
      read: ['users', 'job#*', 'pace#*', 'digest', 'broadcast', 'usage#*'],
      write: [...USERS, 'job#*', 'pace#*', 'digest', 'broadcast', 'counters#telegram', 'usage#*'],
    },
    // The registry's record of the bot a job speaks as: its sealed token and its admins; marked
    // revoked when Telegram refuses its token (401). `operator#`: an operator's bots, for the
    // manager bot's /mybots and /usage.
    { read: ['tenant#*', 'operator#*'], write: ['tenant#*'] },
  ),
  rpcWorker: tenants(
    {
      read: [
        'session#*', // an admin's /user block marks the user's session
        ...USERS,
        'seen',
        'counters#telegram',
        'depositscan#*',
        ...CLAIMS,
        ...DEPOSITS,
        'txjob#*',
        'ledger#*',
        'balance#*',
        'hold#*',
        ...PAYOUTS,
        'wallets#*',
        'gauge#wallets.verified',
        ...WATCHES,
        'usage#*', // a registered bot's watches and stored bytes, held against its plan
      ],
      write: [
        'session#*',
        'users',
        'seen',
        'depositscan#*',
        ...CLAIMS,
        ...DEPOSITS,
        'txjob#*',
        ...BALANCES,
        ...PAYOUTS,
        'wallets#*',
        'gauge#wallets.verified',
        ...WATCHES,
        'usage#*',
      ],
    },
    // The deployment's RPC pool: its shared cache and its counters, one for every tenant; the tenant
    // list, for a schedule's tick to run for each active tenant.
    { read: ['rpccache#*', 'counters#rpc', 'tenants', 'tenant#*'], write: ['rpccache#*', 'counters#rpc'] },
  ),
  aiWorker: tenants(
    // `usage#`: a registered bot's assistant questions, counted against its plan.
    { read: ['ai#*', 'usage#*'], write: ['ai#*', 'usage#*'] },
    // The registry's record of the bot: is it served, does it offer the assistant, its plan and
    // operators; the tenant list (the deployment's own bot is listed with no record).
    { read: ['tenants', 'tenant#*'] },
  ),
  vaultWorker: tenants(
    {
      // `usage#`: a registered bot's stored secrets, held against its plan's stored bytes.
      read: ['secrets#*', 'usage#*'],
      write: ['secrets#*', 'usage#*'],
    },
    // The registry's record of the bot: its admins (service credentials are an admin's); the tenant
    // list (the deployment's own bot is listed with no record). The manager bot's onboarding writes
    // a bot's record and its index items (`tenants`, `operator#`), reading where the webhook is
    // (`deployment`).
    {
      read: ['tenant#*', 'tenants', 'operator#*', 'deployment'],
      write: ['tenant#*', 'tenants', 'operator#*'],
    },
  ),
  signer: tenants(
    {
      // `users`: an admin's /credit goes only to a user the bot knows.
      read: ['payout#*', 'deposit#*', 'depositref#*', 'balance#*', 'hold#*', 'ledger#*', 'users'],
      write: [...PAYOUTS, ...BALANCES, 'deposit#*', 'gauge#deposits.pending'],
    },
    // The registry's record of the bot: its admins and its own treasury key; the tenant list (the
    // deployment's own bot is listed with no record).
    { read: ['tenants', 'tenant#*'] },
  ),
} as const satisfies Record<string, TableGrant>;

const PATTERN = /^(t\*\/)?[a-z][a-z0-9.]*(#([a-z0-9.]+|\*))?$/;

/** Throws on a pattern IAM would read differently than we mean (a stray `*` or `?`, a typo'd shape). */
export function assertKeyPatterns(name: string, grant: TableGrant): void {
  for (const pattern of [...grant.read, ...grant.write]) {
    if (!PATTERN.test(pattern)) throw new Error(`${name}: table key pattern ${JSON.stringify(pattern)} is malformed`);
  }
}

/** IAM `StringLike`: `*` matches any run of characters (none included), `?` exactly one; case-sensitive. */
export function stringLike(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** Whether `action` on the item(s) of partition key `pk` is within `grant`, as IAM would decide it. */
export function grantAllows(grant: TableGrant, action: TableAction, pk: string): boolean {
  const patterns = (TABLE_READ_ACTIONS as readonly string[]).includes(action) ? grant.read : grant.write;
  return patterns.some((pattern) => stringLike(pattern, pk));
}
