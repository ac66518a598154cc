/**
 * The cost model of `npm run cost`: from what each kind of update was measured to make on the local
 * stack (metered AWS requests, Lambda invocations and durations, log bytes) to dollars per million
 * updates and per month for a number of monthly active users (MAU).
 *
 * Everything here is plain arithmetic on its inputs (no I/O), so it is tested on fixed numbers.
 * Every assumption the model makes beyond the measurements is a named constant in this file; every
 * price is in `prices.ts`.
 *
 * Included: API Gateway HTTP API requests (when the webhook sits behind one; the stacks give it a
 * function URL, which has no charge of its own), Lambda requests and GB-s (init phases included), DynamoDB
 * on-demand read/write units, storage and point-in-time recovery, SQS requests (the functions', the
 * event source mappings' and the schedule's; FIFO priced as FIFO), KMS requests (by key type) and
 * key-months, CloudWatch Logs ingestion and alarms.
 * Excluded: the LLM provider's bill, the Solana RPC plan, data transfer out, CloudWatch Logs storage
 * (no retention is set: stored logs grow by about 15 % of each month's ingested GB, at $0.03/GB-month),
 * custom metrics (one, `TelegramDropped`, emitted only on drops), SSM parameters (standard tier, free)
 * and free tiers.
 */
import { PRICES, type PriceName } from './prices.js';

/** The kinds of updates measured, how many Telegram updates each is, and how often an MAU makes it. */
export const KINDS = {
  start: { label: '/start in a new chat', updates: 1 },
  menu: { label: 'menu button press', updates: 1 },
  balance: { label: '/balance, 2 linked wallets', updates: 1 },
  walletVerify: { label: 'link a wallet (wallet.verify)', updates: 1 },
  aiReply: { label: 'question to the assistant (ai.reply)', updates: 1 },
  watch: { label: '/watch an address', updates: 1 },
  deposit: { label: '/deposit, paid, "I\'ve paid" (credited automatically)', updates: 2 },
  withdraw: { label: '/withdraw + confirm + admin approves (payout)', updates: 3 },
  setSecret: { label: '/setsecret + the value', updates: 2 },
} as const satisfies Record<string, { label: string; updates: number }>;
export type KindName = keyof typeof KINDS;
export const KIND_NAMES = Object.keys(KINDS) as KindName[];

/**
 * ASSUMPTION — the usage mix: how many times a month one active user does each kind. A wallet desk
 * is checked often and moves money rarely: mostly menu presses, balances and questions.
 * (36.9 updates per MAU per month in all.)
 */
export const USAGE_MIX: Readonly<Record<KindName, number>> = {
  start: 1,
  menu: 15,
  balance: 8,
  walletVerify: 0.5,
  aiReply: 10,
  watch: 0.3,
  deposit: 0.5,
  withdraw: 0.3,
  setSecret: 0.1,
};

/** ASSUMPTION — addresses watched per MAU (each listed and checked as `WATCH_CADENCE` says). */
export const WATCHED_ADDRESSES_PER_USER = 0.5;

/**
 * ASSUMPTION — how lately watched addresses moved: the share whose balance moved within the last
 * hour (hot: on the hot list, checked at every poll) and within the last day but not the hour
 * (every 5 minutes); the rest have been still for a day or more (every 15 minutes). Most watched
 * wallets move a few times a week; a busy exchange wallet moves all the time.
 */
export const WATCH_ACTIVITY = { movedWithinHour: 0.05, movedWithinDay: 0.15 } as const;

/**
 * The mean share of watched addresses one poll checks, under `WATCH_ACTIVITY`, for polls every
 * `pollMinutes` and the poller's cadence (`everyMinutes`: an hour quiet, a day quiet).
 */
export function watchCheckShare(
  pollMinutes: number,
  everyMinutes: { readonly hourQuiet: number; readonly dayQuiet: number },
  activity: { readonly movedWithinHour: number; readonly movedWithinDay: number } = WATCH_ACTIVITY,
): number {
  const share = (every: number) => Math.min(1, pollMinutes / every);
  const dayQuiet = 1 - activity.movedWithinHour - activity.movedWithinDay;
  return (
    activity.movedWithinHour +
    activity.movedWithinDay * share(everyMinutes.hourQuiet) +
    dayQuiet * share(everyMinutes.dayQuiet)
  );
}

/**
 * The share of the watch list one poll lists, for polls every `pollMinutes`: the spans of the first
 * characters due for each quiet cadence (`dueFirstCharacters`), a `pollMinutes / every` share of
 * the offsets each. At most, as an address due for both cadences at once is read once; the mean
 * does not depend on how addresses spread over first characters (each is in its span once per
 * interval), only a poll's burst does.
 */
export function watchListedShare(
  pollMinutes: number,
  everyMinutes: { readonly hourQuiet: number; readonly dayQuiet: number },
): number {
  return Math.min(1, pollMinutes / everyMinutes.hourQuiet + pollMinutes / everyMinutes.dayQuiet);
}

/**
 * ASSUMPTIONS — waits the local peers do not have. On AWS a function is billed while it waits for
 * an answer from outside: the local Telegram, Solana and LLM peers answer in about a millisecond,
 * so each call the peers saw adds this much billed time to the function that makes such calls.
 * Additive per invocation; a function that takes more jobs while it waits (`Deployment.sharing`:
 * the ai worker) then shares each invocation among the jobs that join it (`sharedInvocations`).
 */
export const EXTERNAL_WAIT_MS = {
  /** One Bot API call from eu-central-1 (notify worker). */
  telegramCall: 150,
  /** One JSON-RPC call to a paid provider near eu-central-1 (rpc worker). */
  rpcCall: 80,
  /** One Chat Completions answer of a few hundred tokens (ai worker). */
  llmAnswer: 6_000,
} as const;

/** Which function makes each kind of external call. */
export const EXTERNAL_CALLER = { telegramCall: 'notifyWorker', rpcCall: 'rpcWorker', llmAnswer: 'aiWorker' } as const;

/**
 * ASSUMPTION — the share of invocations that start a new execution environment (cold start), each
 * billed its init phase (the mean measured locally for that function).
 */
export const COLD_START_SHARE = 0.03;

/**
 * ASSUMPTIONS — questions sharing an ai worker invocation (`functions/lib/compose-ai.ts`: while an
 * invocation waits for its answers it takes the questions arriving meanwhile from the ai queue).
 * Questions arrive at random (Poisson) at the mix's mean rate at `mau` MAU, spread evenly over the
 * month (peak hours share more: conservative). Of the questions arriving while an invocation is
 * open, the share `joinShare` is taken by it; the others start invocations of their own (the event
 * source's pollers receive from the same queue, and one of its two invocations is free).
 */
export const AI_SHARING = { mau: 100_000, joinShare: 0.5 } as const;

/**
 * How jobs share the invocations of a function that takes jobs while it waits. Jobs arrive at
 * `perSecond` (Poisson); one alone keeps an invocation open `spanSeconds`; a job arriving while an
 * invocation is open joins it with probability `joinShare`, and keeps it open until its own span
 * ends. An invocation is then a busy period of an M/G/∞ queue with arrivals `a = perSecond ×
 * joinShare`: with ρ = a × spanSeconds it serves e^ρ jobs over (e^ρ − 1) / a seconds on average.
 * Per job: `time`, the billed time as a share of a lone job's span, (1 − e^−ρ) / ρ, and
 * `invocations`, e^−ρ. (The worker also caps jobs in flight at a batch and stops taking jobs near
 * its timeout: at ρ around 1 both are rarely reached, and not modelled.)
 */
export function sharedInvocations(
  perSecond: number,
  spanSeconds: number,
  joinShare: number = AI_SHARING.joinShare,
): { time: number; invocations: number } {
  const rho = Math.max(0, perSecond * joinShare * spanSeconds);
  if (rho < 1e-9) return { time: 1, invocations: 1 };
  return { time: -Math.expm1(-rho) / rho, invocations: Math.exp(-rho) };
}

/** Jobs a second of a kind that each MAU makes `perUserMonthly` times a month, at `mau` MAU. */
export const arrivalsPerSecond = (perUserMonthly: number, mau: number = AI_SHARING.mau): number =>
  (perUserMonthly * mau) / SECONDS_PER_MONTH;

/** CloudWatch Logs bills 26 bytes per event beside its text. */
export const LOG_EVENT_OVERHEAD_BYTES = 26;
/** Lambda's own lines per invocation (START, END, REPORT), with their event overhead. */
export const LAMBDA_PLATFORM_LOG_BYTES = 330 + 3 * LOG_EVENT_OVERHEAD_BYTES;

/** A function's Lambda logging configuration (advanced logging controls), as the stacks set it. */
export interface LambdaLogging {
  readonly format: 'Text' | 'JSON';
  /** Lambda's own events kept (JSON format only; Text keeps them all). */
  readonly systemLogLevel: 'DEBUG' | 'INFO' | 'WARN';
}

/**
 * Lambda's own log bytes per invocation under `logging`: START, END and REPORT are INFO events, so
 * JSON format with system log level WARN drops them (what is left is a rare timeout or crash). At
 * INFO or in Text format they are kept (JSON events counted as the text lines: about as long).
 */
export const platformLogBytes = (logging: LambdaLogging): number =>
  logging.format === 'JSON' && logging.systemLogLevel === 'WARN' ? 0 : LAMBDA_PLATFORM_LOG_BYTES;
/** DynamoDB stores 100 bytes of overhead per item. */
export const DYNAMO_ITEM_OVERHEAD_BYTES = 100;

/**
 * ASSUMPTION — Lambda's SQS event source mapping keeps long-polling (20 s) an idle queue with about
 * five pollers; those empty receives are billed. (Receives that return messages are measured.)
 */
export const ESM_IDLE = { pollers: 5, longPollSeconds: 20 } as const;
/** ASSUMPTION — DynamoDB asks KMS for the table key about once per 5 minutes per calling role (CMK table encryption). */
export const TABLE_KEY_REFRESH_SECONDS = 300;

export const SECONDS_PER_MONTH = 30 * 86_400;
const GIB = 1024 ** 3;

/** What the bill is made of, each line priced by one entry of `PRICES`. */
export const LINE_ITEMS = {
  apiRequests: { service: 'API Gateway', label: 'API Gateway requests', price: 'apiGatewayHttpRequest', unit: 'req' },
  lambdaRequests: { service: 'Lambda', label: 'Lambda requests', price: 'lambdaRequest', unit: 'inv' },
  lambdaCompute: { service: 'Lambda', label: 'Lambda compute', price: 'lambdaGbSecondArm', unit: 'GB-s' },
  dynamoReads: { service: 'DynamoDB', label: 'DynamoDB reads', price: 'dynamoReadRequestUnit', unit: 'RRU' },
  dynamoWrites: { service: 'DynamoDB', label: 'DynamoDB writes', price: 'dynamoWriteRequestUnit', unit: 'WRU' },
  dynamoStorage: { service: 'DynamoDB', label: 'DynamoDB storage', price: 'dynamoStorageGbMonth', unit: 'GB-mo' },
  dynamoPitr: { service: 'DynamoDB', label: 'DynamoDB PITR', price: 'dynamoPitrGbMonth', unit: 'GB-mo' },
  sqsStandard: { service: 'SQS', label: 'SQS standard', price: 'sqsStandardRequest', unit: 'req' },
  sqsFifo: { service: 'SQS', label: 'SQS FIFO', price: 'sqsFifoRequest', unit: 'req' },
  kmsSymmetric: { service: 'KMS', label: 'KMS requests (sym/RSA)', price: 'kmsSymmetricRequest', unit: 'req' },
  kmsAsymmetric: { service: 'KMS', label: 'KMS requests (Ed25519)', price: 'kmsAsymmetricRequest', unit: 'req' },
  kmsKeys: { service: 'KMS', label: 'KMS keys', price: 'kmsKeyMonth', unit: 'key-mo' },
  kmsRotations: { service: 'KMS', label: 'KMS rotated versions', price: 'kmsRotatedKeyMonth', unit: 'key-mo' },
  logs: { service: 'CloudWatch', label: 'CloudWatch Logs ingestion', price: 'logsIngestedGb', unit: 'GB' },
  alarms: { service: 'CloudWatch', label: 'CloudWatch alarms', price: 'alarmMetricMonth', unit: 'metric-mo' },
} as const satisfies Record<string, { service: string; label: string; price: PriceName; unit: string }>;
export type LineItem = keyof typeof LINE_ITEMS;

/** A quantity of one line item, and who incurs it (a function, `api`, `event source`, `schedule`, `fixed`…). */
export interface Charge {
  readonly item: LineItem;
  readonly source: string;
  readonly quantity: number;
}

/** The AWS service a line item is billed by. */
export const serviceOf = (item: LineItem): string => LINE_ITEMS[item].service;

/** Dollars of a list of charges by AWS service, largest first. */
export function byService(charges: readonly Charge[], prices = PRICES): [string, number][] {
  const sums = new Map<string, number>();
  for (const c of charges) sums.set(serviceOf(c.item), (sums.get(serviceOf(c.item)) ?? 0) + chargeUsd(c, prices));
  return [...sums].sort((a, b) => b[1] - a[1]);
}

/** Dollars of one charge. */
export const chargeUsd = (charge: Charge, prices = PRICES): number =>
  charge.quantity * prices[LINE_ITEMS[charge.item].price].usd;

/** Dollars of a list of charges. */
export const totalUsd = (charges: readonly Charge[], prices = PRICES): number =>
  charges.reduce((sum, charge) => sum + chargeUsd(charge, prices), 0);

/** Adds up charges of the same item and source, scaling each list by its factor. */
export function combine(
  parts: ReadonlyArray<{ readonly charges: readonly Charge[]; readonly times: number }>,
): Charge[] {
  const sums = new Map<string, Charge>();
  for (const { charges, times } of parts) {
    for (const c of charges) {
      const key = `${c.item}\u0000${c.source}`;
      const previous = sums.get(key)?.quantity ?? 0;
      sums.set(key, { item: c.item, source: c.source, quantity: previous + c.quantity * times });
    }
  }
  return [...sums.values()];
}

/** One metered AWS request, as the model needs it (a `MeterRecord` fits). */
export interface MeteredRequest {
  readonly service: 'dynamodb' | 'sqs' | 'kms';
  readonly operation: string;
  readonly caller: string;
  readonly billedRequests: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly queue?: string;
  readonly empty?: boolean;
  readonly keyId?: string;
}

/** What one function did during a measurement. */
export interface FunctionUsage {
  readonly invocations: number;
  /** Invocation time in ms, init phases excluded. */
  readonly handlerMs: number;
  readonly logBytes: number;
  readonly logLines: number;
}

/** Everything measured while one kind ran once (or one watch poll ran), until the stack was idle. */
export interface Measurement {
  /** Telegram updates the webhook took (the HTTP API requests). */
  readonly updates: number;
  readonly requests: readonly MeteredRequest[];
  readonly functions: Readonly<Record<string, FunctionUsage>>;
  /** Calls the local peers received from the functions (Bot API calls outside webhook responses, RPC calls, LLM requests). */
  readonly external: { readonly telegramCall: number; readonly rpcCall: number; readonly llmAnswer: number };
}

/** What the model needs to know about the deployment, beyond prices. */
export interface Deployment {
  /** Memory of each function, MB. */
  readonly memoryMb: Readonly<Record<string, number>>;
  /** Mean init phase of each function, ms (measured from its cold starts). */
  readonly initMs: Readonly<Record<string, number>>;
  /** Key ids (or aliases, ARNs) of asymmetric keys other than RSA 2048 (the treasury's). */
  readonly asymmetricKeys: readonly string[];
  /**
   * What Telegram's updates come in through: the webhook function's own URL (`stacks/Api.ts`),
   * which bills nothing beyond the invocation, or an API Gateway HTTP API, billed per request.
   */
  readonly ingress: 'functionUrl' | 'httpApi';
  /** Every function's Lambda logging (`stacks/manifest.ts`), which decides Lambda's own log lines. */
  readonly logging: LambdaLogging;
  /**
   * Functions that take more jobs from their queue while they wait (the ai worker), by name: the
   * arrival rate of their jobs the model assumes (`AI_SHARING`), each receive's long-poll wait and
   * whether their queue is FIFO. Their invocations are shared as `sharedInvocations` says, and
   * billed the receives they make while they wait (the local peers' answers come at once).
   */
  readonly sharing?: Readonly<
    Record<string, { readonly perSecond: number; readonly receiveWaitSeconds: number; readonly fifo: boolean }>
  >;
}

/** Who incurs a metered request: the calling function, or the event source mapping / schedule acting for AWS. */
export function sourceOf(request: MeteredRequest): string {
  if (request.caller !== 'local') return request.caller;
  return request.service === 'sqs' && request.operation.startsWith('SendMessage') ? 'schedule' : 'event source';
}

/**
 * Turns one measurement into billable quantities. Idle (empty) long polls are left to `fixedCharges`;
 * updates cost an API Gateway request each only behind an HTTP API (a function URL has no charge of its own).
 */
export function chargesOf(m: Measurement, deployment: Deployment): Charge[] {
  const charges: Charge[] = [];
  if (m.updates > 0 && deployment.ingress === 'httpApi') {
    charges.push({ item: 'apiRequests', source: 'api', quantity: m.updates });
  }
  for (const r of m.requests) {
    if (r.empty) continue;
    const source = sourceOf(r);
    if (r.service === 'dynamodb') {
      if (r.readUnits > 0) charges.push({ item: 'dynamoReads', source, quantity: r.readUnits });
      if (r.writeUnits > 0) charges.push({ item: 'dynamoWrites', source, quantity: r.writeUnits });
    } else if (r.service === 'sqs') {
      const fifo = r.queue?.endsWith('.fifo') ?? false;
      charges.push({ item: fifo ? 'sqsFifo' : 'sqsStandard', source, quantity: r.billedRequests });
    } else {
      const asymmetric = r.keyId !== undefined && deployment.asymmetricKeys.some((k) => r.keyId!.includes(k));
      charges.push({ item: asymmetric ? 'kmsAsymmetric' : 'kmsSymmetric', source, quantity: r.billedRequests });
    }
  }
  for (const [fn, usage] of Object.entries(m.functions)) {
    if (usage.invocations === 0) continue;
    const memoryGb = (deployment.memoryMb[fn] ?? 128) / 1024;
    let waitMs = 0;
    for (const call of Object.keys(EXTERNAL_WAIT_MS) as (keyof typeof EXTERNAL_WAIT_MS)[]) {
      if (EXTERNAL_CALLER[call] === fn) waitMs += m.external[call] * EXTERNAL_WAIT_MS[call];
    }
    // A function taking jobs while it waits: its jobs share invocations (and their billed time).
    const sharing = deployment.sharing?.[fn];
    const shared = sharing
      ? sharedInvocations(sharing.perSecond, (usage.handlerMs + waitMs) / usage.invocations / 1000)
      : { time: 1, invocations: 1 };
    const invocations = usage.invocations * shared.invocations;
    const billedMs =
      (usage.handlerMs + waitMs) * shared.time + invocations * COLD_START_SHARE * (deployment.initMs[fn] ?? 0);
    if (sharing) {
      // Its receives while it waits (the local run saw those of its own handler time only).
      const receives = (waitMs * shared.time) / 1000 / sharing.receiveWaitSeconds;
      charges.push({ item: sharing.fifo ? 'sqsFifo' : 'sqsStandard', source: fn, quantity: receives });
    }
    const logBytes =
      usage.logBytes + usage.logLines * LOG_EVENT_OVERHEAD_BYTES + invocations * platformLogBytes(deployment.logging);
    charges.push(
      { item: 'lambdaRequests', source: fn, quantity: invocations },
      { item: 'lambdaCompute', source: fn, quantity: (billedMs / 1000) * memoryGb },
      { item: 'logs', source: fn, quantity: logBytes / GIB },
    );
  }
  return combine([{ charges, times: 1 }]);
}

/** What listing a watched address that is not due may cost. */
const LISTING_ITEMS: readonly LineItem[] = ['dynamoReads', 'lambdaCompute', 'logs'];

/**
 * The charges of one watch poll with `addresses` watched, of which the share `shares.listed` lies
 * in the spans the poll lists and the share `shares.checked` is due (checked), from three measured
 * polls: `base` with `w` addresses, `listed` with `extra` more addresses listed but none of them
 * due, and `checked` with the same `extra` all due (hot and listed). Each line is interpolated on
 * its own (never below 0): a base, plus per address what listing it costs for the listed share
 * and, for the due share, what checking it adds (with its hot-list read: a quiet due address has
 * none, so a little more than it costs).
 */
export function watchPollCharges(
  polls: {
    readonly base: readonly Charge[];
    readonly w: number;
    readonly listed: readonly Charge[];
    readonly checked: readonly Charge[];
    readonly extra: number;
  },
  shares: { readonly listed: number; readonly checked: number },
): (addresses: number) => Charge[] {
  const { base: p0, w, listed, checked, extra } = polls;
  if (!(extra > 0)) throw new Error('the listed and checked polls must watch more addresses than the base one');
  const clamp = (charges: Charge[]) => charges.map((c) => ({ ...c, quantity: Math.max(0, c.quantity) }));
  // Listing an address that is not due reads it and takes time and log bytes, nothing else: any
  // other difference between the two polls (a snapshot write when one of the base addresses moved
  // meanwhile) is not the listed addresses' doing.
  const perListed = clamp(
    combine([
      { charges: listed, times: 1 / extra },
      { charges: p0, times: -1 / extra },
    ]),
  ).filter((c) => LISTING_ITEMS.includes(c.item));
  const perChecked = clamp(
    combine([
      { charges: checked, times: 1 / extra },
      { charges: p0, times: -1 / extra },
    ]),
  );
  const perAddress = combine([
    { charges: perListed, times: shares.listed - shares.checked },
    { charges: perChecked, times: shares.checked },
  ]);
  // The base poll's own addresses were all due (first sightings, or just moved).
  const fixed = clamp(
    combine([
      { charges: p0, times: 1 },
      { charges: perChecked, times: -w },
    ]),
  );
  return (addresses) =>
    combine([
      { charges: fixed, times: 1 },
      { charges: perAddress, times: addresses },
    ]);
}

/** The deployment's standing charges for a month, whatever the traffic. */
export interface FixedShape {
  /** Customer managed KMS keys, and rotated versions billed beside them. */
  readonly kmsKeys: number;
  readonly kmsRotatedVersions: number;
  /** Alarm metrics (a metric-math alarm counts each metric it reads). */
  readonly alarmMetrics: number;
  /** Queues with a Lambda consumer, FIFO or not. */
  readonly consumerQueues: { readonly standard: number; readonly fifo: number };
  /** Functions (roles) reading or writing the CMK-encrypted table. */
  readonly tableRoles: number;
}

/** Monthly charges that do not depend on users: keys, alarms, idle event source polling, table-key refreshes. */
export function fixedCharges(shape: FixedShape): Charge[] {
  const idlePollsPerQueue = (ESM_IDLE.pollers * SECONDS_PER_MONTH) / ESM_IDLE.longPollSeconds;
  return [
    { item: 'kmsKeys', source: 'fixed', quantity: shape.kmsKeys },
    { item: 'kmsRotations', source: 'fixed', quantity: shape.kmsRotatedVersions },
    { item: 'alarms', source: 'fixed', quantity: shape.alarmMetrics },
    { item: 'sqsStandard', source: 'idle polling', quantity: shape.consumerQueues.standard * idlePollsPerQueue },
    { item: 'sqsFifo', source: 'idle polling', quantity: shape.consumerQueues.fifo * idlePollsPerQueue },
    {
      item: 'kmsSymmetric',
      source: 'table key',
      quantity: (shape.tableRoles * SECONDS_PER_MONTH) / TABLE_KEY_REFRESH_SECONDS,
    },
  ];
}

/** Sources of the scheduled watch polls' charges start with this (`watch poll · rpcWorker`). */
export const WATCH_POLL_SOURCE = 'watch poll · ';

/** Everything the monthly figures are computed from. */
export interface ModelInput {
  /** The charges of one occurrence of each kind. */
  readonly kinds: Readonly<Record<KindName, readonly Charge[]>>;
  /** The charges of one watch poll with that many addresses watched. */
  readonly watchPoll: (addresses: number) => readonly Charge[];
  readonly pollsPerMonth: number;
  /** Bytes stored per user (items plus DynamoDB's per-item overhead). */
  readonly storageBytesPerUser: number;
  readonly fixed: readonly Charge[];
  readonly mix?: Readonly<Record<KindName, number>>;
  readonly watchedPerUser?: number;
}

/** Updates each MAU makes in a month under the mix. */
export const updatesPerUser = (mix: Readonly<Record<KindName, number>> = USAGE_MIX): number =>
  KIND_NAMES.reduce((sum, kind) => sum + mix[kind] * KINDS[kind].updates, 0);

/** What updates cost under the mix, traffic only (no polls, storage or fixed charges): per million updates. */
export function perMillionUpdates(input: Pick<ModelInput, 'kinds' | 'mix'>): { usd: number; charges: Charge[] } {
  const mix = input.mix ?? USAGE_MIX;
  const scale = 1e6 / updatesPerUser(mix);
  const charges = combine(KIND_NAMES.map((kind) => ({ charges: input.kinds[kind], times: mix[kind] * scale })));
  return { usd: totalUsd(charges), charges };
}

/** A month at `mau` users: every charge, by group, and what it comes to per million updates. */
export interface Month {
  readonly mau: number;
  readonly updates: number;
  readonly traffic: readonly Charge[];
  readonly polls: readonly Charge[];
  readonly storage: readonly Charge[];
  readonly fixed: readonly Charge[];
  readonly usd: { readonly traffic: number; readonly polls: number; readonly storage: number; readonly fixed: number };
  readonly totalUsd: number;
  readonly perMillionUpdates: number;
}

export function month(input: ModelInput, mau: number): Month {
  const mix = input.mix ?? USAGE_MIX;
  const updates = updatesPerUser(mix) * mau;
  const traffic = combine(KIND_NAMES.map((kind) => ({ charges: input.kinds[kind], times: mix[kind] * mau })));
  const watched = (input.watchedPerUser ?? WATCHED_ADDRESSES_PER_USER) * mau;
  const polls = combine([{ charges: input.watchPoll(watched), times: input.pollsPerMonth }]).map((c) => ({
    ...c,
    source: `${WATCH_POLL_SOURCE}${c.source}`,
  }));
  const gb = (mau * input.storageBytesPerUser) / GIB;
  const storage: Charge[] = [
    { item: 'dynamoStorage', source: 'table', quantity: gb },
    { item: 'dynamoPitr', source: 'table', quantity: gb },
  ];
  const usd = {
    traffic: totalUsd(traffic),
    polls: totalUsd(polls),
    storage: totalUsd(storage),
    fixed: totalUsd(input.fixed),
  };
  const total = usd.traffic + usd.polls + usd.storage + usd.fixed;
  return {
    mau,
    updates,
    traffic,
    polls,
    storage,
    fixed: input.fixed,
    usd,
    totalUsd: total,
    perMillionUpdates: updates > 0 ? (total / updates) * 1e6 : Number.POSITIVE_INFINITY,
  };
}

/** The goals of issue 18: all-in under $3 per million updates, and 100k MAU under $60 a month. */
export const GOALS = {
  usdPerMillionUpdates: 3,
  month: { mau: 100_000, usd: 60 },
} as const;

/** One goal, the figure it is judged on, and whether that figure meets it. */
export interface GoalCheck {
  readonly goal: string;
  readonly usd: number;
  readonly met: boolean;
}

/**
 * The goals against the model: $ per million updates for traffic under the mix and all-in at
 * `GOALS.month.mau` (smaller deployments are dominated by the fixed charges), and that month's total.
 */
export function checkGoals(input: ModelInput): GoalCheck[] {
  const perMillion = GOALS.usdPerMillionUpdates;
  const traffic = perMillionUpdates(input).usd;
  const m = month(input, GOALS.month.mau);
  const mau = GOALS.month.mau.toLocaleString('en-US');
  return [
    { goal: `traffic under the mix < $${perMillion} per million updates`, usd: traffic, met: traffic < perMillion },
    {
      goal: `all-in at ${mau} MAU < $${perMillion} per million updates`,
      usd: m.perMillionUpdates,
      met: m.perMillionUpdates < perMillion,
    },
    { goal: `all-in at ${mau} MAU < $${GOALS.month.usd} a month`, usd: m.totalUsd, met: m.totalUsd < GOALS.month.usd },
  ];
}

/** One line of the bill, merged over groups: an item and who incurs it. */
export interface BillLine {
  readonly item: LineItem;
  readonly source: string;
  readonly usd: number;
  /** Of the charges ranked. */
  readonly share: number;
}

/** The `count` most expensive lines of `charges` (same item and source merged), largest first. */
export function rankCharges(charges: readonly Charge[], count = 6): BillLine[] {
  const merged = combine([{ charges, times: 1 }]);
  const total = totalUsd(merged);
  return merged
    .map((c) => ({ item: c.item, source: c.source, usd: chargeUsd(c), share: total > 0 ? chargeUsd(c) / total : 0 }))
    .sort((a, b) => b.usd - a.usd)
    .slice(0, count);
}

/** The biggest lines of a month: traffic, polls, storage and fixed charges together. */
export const topLines = (m: Month, count = 6): BillLine[] =>
  rankCharges([...m.traffic, ...m.polls, ...m.storage, ...m.fixed], count);

/**
 * What would cut a bill line, from what the measurements show: by `item:source` first (a watch
 * poll's lines by `item:watch poll`), then by item.
 */
export const CUTS: Readonly<Record<string, string>> = {
  'dynamoReads:watch poll':
    'a poll reads the hot list (moved within the hour) and the spans of the watch list whose first characters are due (a fifth and a fifteenth of it, eventually consistent, 8 KB per RRU), then the due snapshots strongly consistent: fewer reads take a cadence that lists less (quiet addresses every 10 or 30 min), or the watch list kept in partitions by cadence (a write per address when it goes quiet)',
  'lambdaCompute:watch poll':
    'one getMultipleAccounts per 100 due addresses, and the due spans and hot list read: the poll already reads only what may be due; less takes a slower cadence for quiet addresses',
  'apiRequests:api':
    'a Lambda function URL instead of the HTTP API has no per-request charge (the webhook checks the secret token itself): what stacks/Api.ts deploys',
  'dynamoWrites:webhook':
    'every update commits the session item (conditional put; 1 KB a unit), its JSON deflated past 200 bytes: most commits are 1 WRU; a /start also writes the user record and its admin event',
  'dynamoWrites:notifyWorker':
    "per message the notify worker writes the chat's pace item (the slot it takes, which every container and the webhook's in-response replies must see: it stays), and a new chat's user record; a job's progress only when it has several calls or shares its batch (a single-call job alone in its batch records none: its crash window is the one every call has, but a copy re-sent past the FIFO queue's 5-minute deduplication is sent again)",
  'dynamoReads:notifyWorker':
    'each job reads its progress and each message its chat’s pace item, strongly consistent: the progress read stays even for a single-call job (a redelivery must find what an earlier delivery in a larger batch recorded)',
  'dynamoWrites:rpcWorker':
    'the shared RPC cache writes a fill lease for each miss the container cannot answer from its memory (1 WRU per RPC read, /balance: 6), and the value only for a key another container wants (a waiter on the lease, or a miss of the same key within cacheSeconds): the lease is left, the price of a burst of one key costing one RPC call across containers',
  'lambdaCompute:aiWorker':
    'billed while it waits for the LLM (assumed 6 s an answer) at 128 MB, the least Lambda offers; questions arriving meanwhile join the invocation already waiting (AI_SHARING: half of them, the event source’s second invocation takes the others; it allows no fewer than two)',
  'lambdaCompute:rpcWorker':
    'mostly waiting, at 256 MB already: for rate-limit tokens and for answers. One getMultipleAccounts / one batched JSON-RPC request for a user’s wallets',
  'lambdaCompute:webhook': 'webhook at 512 MB: try 256 MB (halves GB-s if the duration holds; check cold starts)',
  'lambdaCompute:notifyWorker':
    'the worker sleeps in-process for a chat’s next 1 msg/s slot (up to 5 s, billed): send a turn’s texts as one message, or send the job back with a delay instead of waiting',
  'lambdaRequests:notifyWorker':
    'one invocation per job when traffic is thin (FIFO allows no batching window): merge a reply and its follow-ups into one job',
  'sqsFifo:webhook':
    'one notify job per turn already; answering in the webhook response where one call suffices avoids a job altogether',
  'sqsFifo:event source':
    'each FIFO job also costs a receive and a delete: fewer, larger notify jobs (admin events already share a digest)',
  'sqsStandard:event source':
    'each job also costs a receive and a delete: chain jobs in one invocation where they run back to back',
  'sqsStandard:idle polling':
    'every consumer queue is long-polled even when idle (~$0.26 a queue a month): merge the rarely used vault and payouts queues',
  'sqsFifo:idle polling': 'idle long polls of the FIFO queues (~$0.32 a queue a month)',
  'kmsKeys:fixed':
    'three keys at $1 a month each, whatever the traffic: the price of keeping treasury, intake and data keys apart',
  'alarms:fixed': '16 alarm metrics: one metric-math DLQ alarm over the five DLQs would replace five',
  logs: "our own lines at INFO (Lambda's START/END/REPORT are dropped already: JSON format, system log level WARN): fewer info lines per update; an application log level of WARN would drop the metrics' EMF documents too",
  dynamoWrites: 'fewer or smaller items per write (1 WRU per KB), conditional writes only where a race is possible',
  dynamoReads: 'eventually consistent reads cost half; read once per invocation what every job reads',
  lambdaRequests: 'larger batches per invocation at scale (the consumers already batch)',
  lambdaCompute: 'less memory where the function waits on the network rather than computes',
  sqsStandard: 'fewer, larger jobs (SendMessageBatch already groups up to 10)',
  sqsFifo: 'fewer, larger notify jobs',
  kmsSymmetric: 'data keys are cached 5 minutes / 1,000 uses already',
  kmsAsymmetric: 'one Sign per payout attempt: nothing to cut',
  dynamoStorage: 'TTL on idle items (sessions, AI memory, update ids) already bounds it',
  dynamoPitr: 'PITR on the whole table: needed for money records',
};

export function cutFor(line: Pick<BillLine, 'item' | 'source'>): string {
  const source = line.source.startsWith(WATCH_POLL_SOURCE) ? 'watch poll' : line.source;
  return CUTS[`${line.item}:${source}`] ?? CUTS[line.item] ?? '—';
}

// ---------------------------------------------------------------------------------------------
// Tenants: what one more bot on the deployment costs

/** Sources of an idle tenant's tick charges start with this (`tenant tick · rpcWorker`). */
export const TENANT_TICK_SOURCE = 'tenant tick · ';

/**
 * What one more tenant adds to a schedule's tick (the registry read of its record, its fanned-out
 * job, the run for it), from two measured ticks: `base`, and `more` with `added` more idle tenants.
 * Each line is the difference ÷ `added`, never below 0.
 */
export function perTenantTick(base: readonly Charge[], more: readonly Charge[], added: number): Charge[] {
  if (!(added > 0)) throw new Error('the second tick must run for more tenants than the first');
  return combine([
    { charges: more, times: 1 / added },
    { charges: base, times: -1 / added },
  ]).map((c) => ({ ...c, quantity: Math.max(0, c.quantity) }));
}

/** What one tenant keeps whatever its traffic: its treasury key (when it pays out) and its registry items. */
export interface TenantStanding {
  readonly treasuryKeys: number;
  readonly registryBytes: number;
}

/**
 * An idle tenant's month (a bot with no users): each schedule's per-tenant tick times the ticks a
 * month, its key-months and its registry items stored. Tick charges keep their source behind
 * `TENANT_TICK_SOURCE`.
 */
export function idleTenantCharges(
  ticks: ReadonlyArray<{ readonly perTick: readonly Charge[]; readonly perMonth: number }>,
  standing: TenantStanding,
): Charge[] {
  const polled = combine(ticks.map((t) => ({ charges: t.perTick, times: t.perMonth }))).map((c) => ({
    ...c,
    source: `${TENANT_TICK_SOURCE}${c.source}`,
  }));
  const gb = standing.registryBytes / GIB;
  return [
    ...polled,
    { item: 'kmsKeys', source: 'tenant treasury key', quantity: standing.treasuryKeys },
    { item: 'dynamoStorage', source: 'tenant registry', quantity: gb },
    { item: 'dynamoPitr', source: 'tenant registry', quantity: gb },
  ];
}

/** One tenant's month at `mau` users, without the deployment's fixed charges (shared by every tenant). */
export interface TenantMonth {
  readonly mau: number;
  readonly updates: number;
  readonly usd: {
    readonly traffic: number;
    readonly polls: number;
    readonly storage: number;
    readonly idle: number;
  };
  readonly totalUsd: number;
  readonly perMillionUpdates: number;
}

/**
 * What one tenant with `mau` users costs a month: its users' traffic and storage, what its watched
 * addresses add to the polls (a poll's own base is the idle tenant's tick), and the idle tenant's
 * charges. The deployment's fixed charges (keys, alarms, idle queue polling) are shared by every
 * tenant and left out: `month` has them.
 */
export function tenantMonth(input: ModelInput, idle: readonly Charge[], mau: number): TenantMonth {
  const m = month(input, mau);
  const watched = (input.watchedPerUser ?? WATCHED_ADDRESSES_PER_USER) * mau;
  const addressPolls = combine([
    { charges: input.watchPoll(watched), times: input.pollsPerMonth },
    { charges: input.watchPoll(0), times: -input.pollsPerMonth },
  ]);
  const usd = { traffic: m.usd.traffic, polls: totalUsd(addressPolls), storage: m.usd.storage, idle: totalUsd(idle) };
  const total = usd.traffic + usd.polls + usd.storage + usd.idle;
  return {
    mau,
    updates: m.updates,
    usd,
    totalUsd: total,
    perMillionUpdates: m.updates > 0 ? (total / m.updates) * 1e6 : Number.POSITIVE_INFINITY,
  };
}
