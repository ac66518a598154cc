/**
 * `npm run cost`: what each kind of update costs on AWS, measured on the local stack, and what a
 * month costs for 1k, 10k and 100k monthly active users — with the price table it used printed
 * beside the results.
 *
 * One local stack with functions and metering on (`startLocalStack({ meter: true })`). Every
 * scenario runs twice with fresh users: the first pass warms the functions up (and gives their
 * cold-start init times), the second is measured. Then two watch polls are measured (the schedule
 * runs them every minute whatever the traffic): with the watches the scenarios made, and with 200
 * more, so the model can scale a poll to any number of watched addresses. Before the scenarios,
 * the schedules' ticks are measured with the stage's bot alone and again with a few idle bots
 * onboarded (then offboarded): what one more tenant costs whatever its users.
 */
import { QUEUE_NAMES, type StageSettings } from '../core/desk/settings.js';
import { WATCH_CADENCE } from '../core/desk/watches/index.js';
import { type LocalStack, type MeterRecord, meterTotals, startLocalStack } from '../local/index.js';
import { FUNCTION_LOGGING, FUNCTIONS, type FunctionName } from '../stacks/manifest.js';
import {
  AI_SHARING,
  arrivalsPerSecond,
  type BillLine,
  byService,
  type Charge,
  COLD_START_SHARE,
  chargesOf,
  chargeUsd,
  checkGoals,
  cutFor,
  type Deployment,
  ESM_IDLE,
  EXTERNAL_WAIT_MS,
  fixedCharges,
  GOALS,
  idleTenantCharges,
  KIND_NAMES,
  KINDS,
  type KindName,
  LINE_ITEMS,
  type LineItem,
  type Measurement,
  type ModelInput,
  month,
  perMillionUpdates,
  perTenantTick,
  platformLogBytes,
  rankCharges,
  SECONDS_PER_MONTH,
  sharedInvocations,
  type TenantStanding,
  tenantMonth,
  topLines,
  totalUsd,
  USAGE_MIX,
  updatesPerUser,
  WATCHED_ADDRESSES_PER_USER,
  watchCheckShare,
  watchListedShare,
  watchPollCharges,
} from './model.js';
import { PRICE_TABLE_INFO, PRICES } from './prices.js';
import { Harness, LogCounter, scenarios } from './scenarios.js';

const TIERS = [1_000, 10_000, 100_000];
/** Watched addresses added for the second watch poll. */
const EXTRA_WATCHES = 200;
/** Idle bots onboarded to measure what one more tenant adds to a schedule's tick. */
const IDLE_TENANTS = 10;
/** Their operator. */
const IDLE_OPERATOR = 7_900;
/** Scenario setups run side by side. */
const SETUPS_AT_ONCE = 1;

/** Runs `tasks` with at most `width` in flight. */
async function inTurns(tasks: readonly (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, lane));
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const logs = new LogCounter();
  const coldStarts: ColdStarts[] = [];
  const stack = await startLocalStack({ meter: true, onFunctionLog: logs.onLog, solana: { slotMs: 50 } });
  const h = new Harness(stack, logs);
  try {
    // One /start alone first, so the webhook, notify and rpc workers' first init phases are timed uncontended.
    await h.newUser().sendText('/start');
    await h.settle();
    const alone = stack.runner!.stats().functions;
    const idle = await idleTenantTicks(h, stack);
    const passes = [scenarios(h), scenarios(h)];
    // One setup at a time, not all eighteen at once: on a busy machine a crowd of cold starts
    // overruns the local Lambda init limit and the run fails before it measures anything.
    await inTurns(
      passes.flatMap((pass) => KIND_NAMES.map((kind) => () => pass[kind].setup())),
      SETUPS_AT_ONCE,
    );
    await h.settle();
    // The first pass warms every function up (cold starts, first connections); the second is measured.
    const beforeWarm = stack.runner!.stats().functions;
    const measured = {} as Record<KindName, Measurement>;
    for (const [index, pass] of passes.entries()) {
      for (const kind of KIND_NAMES) measured[kind] = await h.measure(KINDS[kind].updates, pass[kind].act);
      if (index === 0) coldStarts.push(alone, delta(stack.runner!.stats().functions, beforeWarm));
    }
    // The idle bots' registry items are theirs, not the users'.
    const storageBytesPerUser = ((await h.tableBytes()) - idle.standing.registryBytes * IDLE_TENANTS) / h.usersCreated;

    // Watch polls in steady state: a first poll records first sightings, the next one is the measured
    // base. Then the same poll with more addresses, quiet for days, in the spans this poll lists but
    // not due (listed, not checked), and again with those addresses just moved (hot, listed and checked).
    await stack.watchPoll();
    await h.settle();
    const w1 = await h.watchedAddresses();
    const poll1 = await h.measure(0, () => stack.watchPoll());
    const extra = await h.seedQuietWatches(EXTRA_WATCHES);
    const pollListed = await h.measure(0, () => stack.watchPoll());
    await h.markMoved(extra);
    const pollChecked = await h.measure(0, () => stack.watchPoll());

    const deployment = deploymentOf(stack.settings, coldStarts, [stack.kms.keyIds.treasury]);
    const checkShare = watchCheckShare(stack.settings.solana.watchPollMinutes, cadenceMinutes());
    const listedShare = watchListedShare(stack.settings.solana.watchPollMinutes, cadenceMinutes());
    const kinds = Object.fromEntries(KIND_NAMES.map((k) => [k, chargesOf(measured[k], deployment)])) as Record<
      KindName,
      Charge[]
    >;
    const input: ModelInput = {
      kinds,
      watchPoll: watchPollCharges(
        {
          base: chargesOf(poll1, deployment),
          w: w1,
          listed: chargesOf(pollListed, deployment),
          checked: chargesOf(pollChecked, deployment),
          extra: EXTRA_WATCHES,
        },
        { listed: listedShare, checked: checkShare },
      ),
      pollsPerMonth: SECONDS_PER_MONTH / 60 / stack.settings.solana.watchPollMinutes,
      storageBytesPerUser,
      fixed: fixedCharges({
        kmsKeys: 3,
        kmsRotatedVersions: 1,
        // One per DLQ, two per consumer's error-rate alarm (metric math), one on the webhook's 5xx (stacks/Alarms.ts).
        alarmMetrics: QUEUE_NAMES.length + 2 * Object.values(FUNCTIONS).filter((f) => 'consumes' in f).length + 1,
        consumerQueues: {
          standard: QUEUE_NAMES.filter((q) => !stack.settings.queues[q].fifo).length,
          fifo: QUEUE_NAMES.filter((q) => stack.settings.queues[q].fifo).length,
        },
        tableRoles: Object.values(FUNCTIONS).filter((f) => f.table !== 'none').length,
      }),
    };
    const pollMinutes = stack.settings.solana.watchPollMinutes;
    const ticks = {
      watch: {
        perTick: perTenantTick(
          chargesOf(idle.base.watch, deployment),
          chargesOf(idle.more.watch, deployment),
          IDLE_TENANTS,
        ),
        perMonth: input.pollsPerMonth,
      },
      deposit: {
        perTick: perTenantTick(
          chargesOf(idle.base.deposit, deployment),
          chargesOf(idle.more.deposit, deployment),
          IDLE_TENANTS,
        ),
        perMonth: SECONDS_PER_MONTH / 60 / stack.settings.deposits.pollMinutes,
      },
    };
    report({
      tenant: {
        ticks,
        standing: idle.standing,
        charges: idleTenantCharges([ticks.watch, ticks.deposit], idle.standing),
      },
      measured,
      kinds,
      input,
      poll: { w1, extra: EXTRA_WATCHES, p1: poll1, listed: pollListed, checked: pollChecked, checkShare, listedShare },
      deployment,
      pollMinutes,
    });
    console.log(`\n(measured in ${((performance.now() - startedAt) / 1000).toFixed(0)} s on the local stack)`);
  } finally {
    h.close();
    await stack.stop();
  }
}

/**
 * The schedules' ticks (watch poll, deposit poll) with the stage's bot alone, then with
 * `IDLE_TENANTS` more bots onboarded as `npm run bot:add` does (no users), measured at their first
 * tick (their records not yet cached, as a minute after the last); then the bots are offboarded.
 * Also what their registry items weigh, and how many treasury keys they hold.
 */
async function idleTenantTicks(h: Harness, stack: LocalStack) {
  const tick = async () => ({
    watch: await h.measure(0, () => stack.watchPoll()),
    deposit: await h.measure(0, () => stack.depositPoll()),
  });
  await tick(); // first runs and connections, unmeasured
  const base = await tick();
  const bytesBefore = await h.tableBytes();
  const added = [];
  for (let i = 0; i < IDLE_TENANTS; i++) {
    added.push(await stack.addBot({ username: `idle_${i}_desk_bot`, operator: IDLE_OPERATOR }));
  }
  const standing: TenantStanding = {
    treasuryKeys: added.filter((bot) => bot.record.treasury !== null).length / IDLE_TENANTS,
    registryBytes: ((await h.tableBytes()) - bytesBefore) / IDLE_TENANTS,
  };
  const more = await tick();
  for (const bot of added) {
    const outcome = await stack.removeBot(bot.id, IDLE_OPERATOR);
    if (outcome.kind !== 'removed') throw new Error(`offboarding @${bot.username}: ${outcome.kind}`);
  }
  await h.settle();
  return { base, more, standing };
}

/** The poller's intervals (minutes) for an address quiet for an hour and for a day (`WATCH_CADENCE`). */
function cadenceMinutes(): { hourQuiet: number; dayQuiet: number } {
  const every = (quietMs: number) => (WATCH_CADENCE.find((c) => c.quietMs === quietMs)?.everyMs ?? 0) / 60_000;
  return { hourQuiet: every(3_600_000), dayQuiet: every(86_400_000) };
}

/** Cold starts and their init time, by function, over some stretch of the run. */
type ColdStarts = Readonly<Record<string, { readonly coldStarts: number; readonly initMs: number }>>;

const delta = (after: ColdStarts, before: ColdStarts): ColdStarts =>
  Object.fromEntries(
    Object.entries(after).map(([name, a]) => [
      name,
      { coldStarts: a.coldStarts - (before[name]?.coldStarts ?? 0), initMs: a.initMs - (before[name]?.initMs ?? 0) },
    ]),
  );

/**
 * Memory of each function from the settings, and its mean init phase from the first stretch of
 * `windows` in which it cold-started (stretches where invocations ran one at a time, not the
 * setups' crowd of cold starts on two cores).
 */
function deploymentOf(settings: StageSettings, windows: readonly ColdStarts[], asymmetricKeys: string[]): Deployment {
  const memoryMb: Record<string, number> = {};
  const initMs: Record<string, number> = {};
  for (const [name, wiring] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
    memoryMb[name] = 'consumes' in wiring ? settings.queues[wiring.consumes].memoryMb : settings.webhook.memoryMb;
    const window = windows.find((w) => (w[name]?.coldStarts ?? 0) > 0)?.[name];
    if (window) initMs[name] = window.initMs / window.coldStarts;
  }
  // The ai worker takes the questions arriving while it waits (functions/lib/compose-ai.ts).
  const sharing = {
    aiWorker: {
      perSecond: arrivalsPerSecond(USAGE_MIX.aiReply),
      receiveWaitSeconds: settings.ai.topUpWaitSeconds,
      fifo: settings.queues.ai.fifo,
    },
  };
  // stacks/Api.ts serves the webhook at its function URL: no API Gateway in front.
  return { memoryMb, initMs, asymmetricKeys, ingress: 'functionUrl', logging: FUNCTION_LOGGING, sharing };
}

// ---------------------------------------------------------------------------------------------
// Printing

function table(header: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const cell = (text: string, i: number) => (right.includes(i) ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  console.log(`| ${header.map(cell).join(' | ')} |`);
  console.log(`|${widths.map((w, i) => (right.includes(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
  for (const row of rows) console.log(`| ${row.map(cell).join(' | ')} |`);
}

const usd = (n: number): string =>
  n === 0
    ? '$0'
    : n >= 100
      ? `$${n.toFixed(0)}`
      : n >= 1
        ? `$${n.toFixed(2)}`
        : n >= 0.01
          ? `$${n.toFixed(3)}`
          : `$${n.toPrecision(2)}`;
const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(n >= 10 ? 1 : 2));
const sum = (charges: readonly Charge[], items: readonly string[]): number =>
  charges.filter((c) => items.includes(c.item)).reduce((s, c) => s + c.quantity, 0);

const OPERATION_SHORT: Record<string, string> = {
  GetItem: 'Get',
  PutItem: 'Put',
  UpdateItem: 'Update',
  DeleteItem: 'Delete',
  Query: 'Query',
  BatchGetItem: 'BatchGet',
  BatchWriteItem: 'BatchWrite',
  TransactWriteItems: 'TxWrite',
  TransactGetItems: 'TxGet',
  SendMessage: 'Send',
  SendMessageBatch: 'SendBatch',
  ReceiveMessage: 'Receive',
  DeleteMessageBatch: 'DeleteBatch',
  ChangeMessageVisibility: 'ChangeVis',
  ChangeMessageVisibilityBatch: 'ChangeVisBatch',
  GetQueueAttributes: 'GetAttrs',
};

/** `ddb Get×2 Put×1 · sqs SendBatch×2 …`: the requests of one measurement, by service and operation. */
function operations(m: Measurement): string {
  const parts: string[] = [];
  for (const service of ['dynamodb', 'sqs', 'kms'] as const) {
    const counts = new Map<string, number>();
    for (const r of m.requests) {
      if (r.service !== service || r.empty) continue;
      const op = OPERATION_SHORT[r.operation] ?? r.operation;
      counts.set(op, (counts.get(op) ?? 0) + 1);
    }
    if (counts.size > 0) {
      const name = { dynamodb: 'ddb', sqs: 'sqs', kms: 'kms' }[service];
      parts.push(`${name} ${[...counts].map(([op, n]) => `${op}×${n}`).join(' ')}`);
    }
  }
  const lambdas = Object.entries(m.functions)
    .map(([fn, u]) => `${fn}×${u.invocations} (${u.handlerMs.toFixed(0)} ms)`)
    .join(' ');
  return `λ ${lambdas} · ${parts.join(' · ')}`;
}

interface ReportInput {
  tenant: {
    ticks: Record<'watch' | 'deposit', { perTick: Charge[]; perMonth: number }>;
    standing: TenantStanding;
    charges: Charge[];
  };
  measured: Record<KindName, Measurement>;
  kinds: Record<KindName, Charge[]>;
  input: ModelInput;
  poll: {
    w1: number;
    extra: number;
    p1: Measurement;
    listed: Measurement;
    checked: Measurement;
    checkShare: number;
    listedShare: number;
  };
  deployment: Deployment;
  pollMinutes: number;
}

/** A ranked table of bill lines, then what would cut each one. */
function linesTable(lines: readonly BillLine[], per: (line: BillLine) => string[], perHeader: string[]): void {
  table(
    ['#', 'line item', 'incurred by', ...perHeader, 'share'],
    lines.map((line, i) => [
      String(i + 1),
      LINE_ITEMS[line.item].label,
      line.source,
      ...per(line),
      `${(line.share * 100).toFixed(0)}%`,
    ]),
    [0, ...perHeader.map((_, i) => 3 + i), 3 + perHeader.length],
  );
  for (const [i, line] of lines.entries()) console.log(`  ${i + 1}. cut: ${cutFor(line)}`);
}

function report({ measured, kinds, input, poll, deployment, pollMinutes, tenant }: ReportInput): void {
  console.log(
    `\nPRICE TABLE (cost/prices.ts): ${PRICE_TABLE_INFO.region}, ${PRICE_TABLE_INFO.currency}, ${PRICE_TABLE_INFO.basis}; transcribed ${PRICE_TABLE_INFO.transcribed}`,
  );
  table(
    ['price', 'USD', 'per', 'source'],
    Object.entries(PRICES).map(([name, p]) => [
      name,
      p.usd < 0.001 ? p.usd.toExponential(4) : String(p.usd),
      p.per,
      p.source,
    ]),
    [1],
  );

  console.log('\nPER KIND: what one occurrence made AWS do on the local stack (warm functions), and what it costs');
  table(
    [
      'kind',
      'upd',
      'λ inv',
      'λ GB-s',
      'RRU',
      'WRU',
      'SQS std',
      'SQS fifo',
      'KMS',
      'TG/RPC/LLM',
      'log KB',
      '$ each',
      '$/M updates',
    ],
    KIND_NAMES.map((kind) => {
      const c = kinds[kind];
      const m = measured[kind];
      const each = totalUsd(c);
      return [
        KINDS[kind].label,
        String(KINDS[kind].updates),
        num(sum(c, ['lambdaRequests'])),
        sum(c, ['lambdaCompute']).toFixed(3),
        num(sum(c, ['dynamoReads'])),
        num(sum(c, ['dynamoWrites'])),
        num(sum(c, ['sqsStandard'])),
        num(sum(c, ['sqsFifo'])),
        num(sum(c, ['kmsSymmetric', 'kmsAsymmetric'])),
        `${m.external.telegramCall}/${m.external.rpcCall}/${m.external.llmAnswer}`,
        ((sum(c, ['logs']) * 1024 ** 3) / 1024).toFixed(1),
        usd(each),
        usd((each / KINDS[kind].updates) * 1e6),
      ];
    }),
    [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12],
  );
  console.log(
    '  (λ GB-s include the assumed external waits; TG/RPC/LLM: calls the Telegram, Solana and LLM peers answered)',
  );
  console.log('requests by operation (λ: invocations and local handler time):');
  for (const kind of KIND_NAMES) console.log(`  ${kind.padEnd(12)} ${operations(measured[kind])}`);
  if (process.argv.includes('--detail')) {
    for (const kind of KIND_NAMES) {
      console.log(`\n${kind}: requests by operation and caller (calls, billed requests, RRU, WRU)`);
      for (const t of meterTotals(measured[kind].requests as MeterRecord[])) {
        console.log(
          `  ${t.service.padEnd(8)} ${t.operation.padEnd(28)} ${t.caller.padEnd(13)} ${String(t.calls).padStart(3)} ${String(t.billedRequests).padStart(3)} ${String(t.readUnits).padStart(5)} ${String(t.writeUnits).padStart(5)}`,
        );
      }
    }
  }

  const pollAt = (w: number) => totalUsd(input.watchPoll(w));
  console.log(
    `\nWATCH POLL (scheduled every ${pollMinutes} min: ${num(input.pollsPerMonth)} a month; each reads the hot list and the spans of the watch list due, at most ${(poll.listedShare * 100).toFixed(1)}% of it, and checks the due addresses: ${(poll.checkShare * 100).toFixed(1)}% under WATCH_ACTIVITY)`,
  );
  console.log(`  ${String(poll.w1).padStart(3)} addresses, due:            ${operations(poll.p1)}`);
  console.log(`  +${poll.extra} quiet, listed, not due: ${operations(poll.listed)}`);
  console.log(`  +${poll.extra} just moved, all due:     ${operations(poll.checked)}`);
  console.log(
    `  one poll ${usd(pollAt(0))} + ${usd((pollAt(1000) - pollAt(0)) / 1000)} per watched address; a month of polls with 0 / 1k / 10k / 50k addresses: ${[0, 1_000, 10_000, 50_000].map((w) => usd(pollAt(w) * input.pollsPerMonth)).join(' / ')}`,
  );

  const mix = perMillionUpdates(input);
  console.log(
    `\nUSAGE MIX (cost/model.ts, per MAU per month: ${num(updatesPerUser())} updates): ${KIND_NAMES.map((k) => `${k} ${USAGE_MIX[k]}`).join(', ')}; ${WATCHED_ADDRESSES_PER_USER} watched addresses per MAU`,
  );
  console.log(
    `\n$ PER MILLION UPDATES (traffic under the mix, every service): ${usd(mix.usd)}   goal < $${GOALS.usdPerMillionUpdates}: ${mix.usd < GOALS.usdPerMillionUpdates ? 'ok' : 'MISSED'}`,
  );
  console.log(
    `  by service: ${byService(mix.charges)
      .map(([service, v]) => `${service} ${usd(v)}`)
      .join(' · ')}`,
  );
  const byItem = new Map<LineItem, number>();
  for (const c of mix.charges) byItem.set(c.item, (byItem.get(c.item) ?? 0) + chargeUsd(c));
  console.log(
    `  ${[...byItem]
      .sort((a, b) => b[1] - a[1])
      .map(([item, v]) => `${LINE_ITEMS[item].label} ${usd(v)}`)
      .join(' · ')}`,
  );
  const biggestMonth = month(input, GOALS.month.mau);
  console.log(
    `  all-in at ${GOALS.month.mau.toLocaleString('en-US')} MAU, by service ($/month): ${byService([
      ...biggestMonth.traffic,
      ...biggestMonth.polls,
      ...biggestMonth.storage,
      ...biggestMonth.fixed,
    ])
      .map(([service, v]) => `${service} ${usd(v)}`)
      .join(' · ')}`,
  );
  console.log('\nTOP LINE ITEMS per million updates (traffic)');
  linesTable(rankCharges(mix.charges, 6), (line) => [usd(line.usd)], ['$/M updates']);

  console.log(
    '\nPER MONTH, all-in: traffic + watch polls + storage + fixed (KMS keys, alarms, idle queue polling, table key)',
  );
  const months = TIERS.map((mau) => month(input, mau));
  table(
    [
      'MAU',
      'updates/mo',
      'traffic',
      'watch polls',
      'storage',
      'fixed',
      'total/mo',
      '$/M updates',
      `goal < $${GOALS.usdPerMillionUpdates}/M`,
    ],
    months.map((m) => [
      m.mau.toLocaleString('en-US'),
      Math.round(m.updates).toLocaleString('en-US'),
      usd(m.usd.traffic),
      usd(m.usd.polls),
      usd(m.usd.storage),
      usd(m.usd.fixed),
      usd(m.totalUsd),
      usd(m.perMillionUpdates),
      m.perMillionUpdates < GOALS.usdPerMillionUpdates ? 'ok' : 'MISSED',
    ]),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  reportTenants(input, tenant);

  console.log('\nGOALS (cost/model.ts)');
  table(
    ['goal', 'figure', 'met'],
    checkGoals(input).map((g) => [g.goal, usd(g.usd), g.met ? 'ok' : 'MISSED']),
    [1],
  );
  const biggest = months.at(-1)!;
  console.log(`\nTOP LINE ITEMS at ${biggest.mau.toLocaleString('en-US')} MAU, all-in`);
  linesTable(topLines(biggest, 6), (line) => [usd(line.usd), usd((line.usd / biggest.updates) * 1e6)], [
    '$/month',
    '$/M updates',
  ]);

  console.log(
    `\nASSUMPTIONS (cost/model.ts): waits billed to the function that waits: Telegram call ${EXTERNAL_WAIT_MS.telegramCall} ms, RPC call ${EXTERNAL_WAIT_MS.rpcCall} ms, LLM answer ${EXTERNAL_WAIT_MS.llmAnswer} ms; ${COLD_START_SHARE * 100}% of invocations cold, each billed its init (measured: ${Object.entries(
      deployment.initMs,
    )
      .map(([fn, ms]) => `${fn} ${ms.toFixed(0)} ms`)
      .join(
        ', ',
      )}); idle queues long-polled by ${ESM_IDLE.pollers} pollers × ${ESM_IDLE.longPollSeconds} s; ${(input.storageBytesPerUser / 1024).toFixed(1)} KB stored per user (measured).`,
  );
  const ai = deployment.sharing?.aiWorker;
  if (ai) {
    const aiSpan = (measured.aiReply.functions.aiWorker?.handlerMs ?? 0) / 1000 + EXTERNAL_WAIT_MS.llmAnswer / 1000;
    const shared = sharedInvocations(ai.perSecond, aiSpan);
    console.log(
      `  ai worker: questions arrive at ${ai.perSecond.toFixed(3)}/s (the mix at ${AI_SHARING.mau.toLocaleString('en-US')} MAU, evenly over the month); ${AI_SHARING.joinShare * 100}% of those arriving while an invocation waits join it: ${(1 / shared.invocations).toFixed(2)} questions an invocation, each billed ${(shared.time * 100).toFixed(0)}% of a lone question's ${aiSpan.toFixed(1)} s, plus a ${ai.receiveWaitSeconds}-s receive per ${ai.receiveWaitSeconds} s waited.`,
    );
  }
  console.log(
    `  Lambda logging (stacks/manifest.ts): ${deployment.logging.format}, system log level ${deployment.logging.systemLogLevel}: Lambda's own lines ${platformLogBytes(deployment.logging)} bytes an invocation.`,
  );
  console.log(
    'EXCLUDED: the LLM provider, the Solana RPC plan, data transfer out, CloudWatch Logs storage, free tiers. Handler times are local (a shared 2-core machine; local peers answer at once), plus the waits above.',
  );
}

/** An idle tenant's month, and a tenant's month at each tier. */
function reportTenants(input: ModelInput, tenant: ReportInput['tenant']): void {
  const idleUsd = totalUsd(tenant.charges);
  const tickLine = (name: 'watch' | 'deposit') => {
    const t = tenant.ticks[name];
    const lines = rankCharges(t.perTick, 4).filter((line) => line.usd > 0);
    const parts = lines.map((line) => `${LINE_ITEMS[line.item].label} (${line.source}) ${usd(line.usd * t.perMonth)}`);
    return `  ${name} tick, ${num(t.perMonth)} a month: ${usd(totalUsd(t.perTick) * t.perMonth)} a month (${parts.join(', ') || 'nothing measurable'}); per tick ${num(sum(t.perTick, ['dynamoReads']))} RRU, ${num(sum(t.perTick, ['dynamoWrites']))} WRU, ${num(sum(t.perTick, ['lambdaRequests']))} λ inv, ${num(sum(t.perTick, ['sqsStandard', 'sqsFifo']))} SQS req`;
  };
  console.log(
    `\nIDLE TENANT (one more bot on the deployment with no users, measured as ${IDLE_TENANTS} idle bots ÷ ${IDLE_TENANTS}): ${usd(idleUsd)} a month`,
  );
  console.log(tickLine('watch'));
  console.log(tickLine('deposit'));
  console.log(
    `  treasury key (payouts on): ${usd(tenant.standing.treasuryKeys * PRICES.kmsKeyMonth.usd)} a month; registry items ${num(tenant.standing.registryBytes)} bytes`,
  );
  console.log(
    `\nPER TENANT, a month: its traffic + what its watched addresses add to the polls + its storage + an idle tenant's charges (the deployment's fixed charges, ${usd(totalUsd(input.fixed))} a month, are shared by every tenant)`,
  );
  const tenants = TIERS.map((mau) => tenantMonth(input, tenant.charges, mau));
  table(
    ['MAU', 'updates/mo', 'traffic', 'watch polls', 'storage', 'idle tenant', 'total/mo', '$/M updates'],
    tenants.map((t) => [
      t.mau.toLocaleString('en-US'),
      Math.round(t.updates).toLocaleString('en-US'),
      usd(t.usd.traffic),
      usd(t.usd.polls),
      usd(t.usd.storage),
      usd(t.usd.idle),
      usd(t.totalUsd),
      usd(t.perMillionUpdates),
    ]),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
}

await main();
