/**
 * The scenarios of `npm run cost`: each kind of update driven through the Telegram peer on a local
 * stack with functions and metering on, and everything it made AWS do attributed to it, from the
 * first update until the stack is idle again (no update in delivery, no function running, every
 * queue empty, no metered request for a moment).
 *
 * Setups (a user with linked wallets, a deposit to find, a balance to withdraw) run before the
 * measured part and are not counted. Each scenario uses fresh users, so `/start` meets a new chat.
 */

import { randomBytes } from 'node:crypto';
import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Keypair, PublicKey } from '@solana/web3.js';
import { QUEUE_NAMES } from '../core/desk/settings.js';
import { DynamoWatchStore, dueFirstCharacters, HOT_MS, isDue } from '../core/desk/watches/index.js';
import { scopeToTenant } from '../core/platform/tenants/index.js';
import {
  dynamoItemBytes,
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalStack,
  type LogLine,
  localClientConfig,
  type MeterRecord,
  type PeerUser,
  transferRequestInstruction,
} from '../local/index.js';
import { DYNAMO_ITEM_OVERHEAD_BYTES, type FunctionUsage, type KindName, type Measurement } from './model.js';

const SOL = 1_000_000_000n;
const SETTLE_TIMEOUT_MS = 180_000;
/** How long nothing may happen before the stack counts as idle. */
const QUIET_MS = 300;

const DAY_MS = 86_400_000;
/** The watch poll's interval on the local stack (`solana.watchPollMinutes` of the base settings). */
const POLL_MS = 60_000;
/** How soon after seeding quiet watches the measured poll runs, at most (`seedQuietWatches`). */
const LISTED_WITHIN_MS = 20_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The SDK's warning about a long `userAgentAppId`: the meter names each function in its SDK's user
 * agent (`AWS_SDK_UA_APP_ID`), which with Powertools' suffix passes 50 characters. On AWS the
 * variable holds Powertools' suffix alone (43 characters): no such line, so none is counted.
 */
const METERING_ARTIFACT = /^The provided userAgentAppId exceeds the maximum length of 50 characters\.$/;

/** Counts the functions' log output, by function (the runner's `onFunctionLog`), metering artifacts aside. */
export class LogCounter {
  readonly #byFunction = new Map<string, { bytes: number; lines: number }>();

  /** Pass as `onFunctionLog`; the function name loses its `<stage>-` prefix. */
  readonly onLog = (line: LogLine): void => {
    if (METERING_ARTIFACT.test(line.line)) return;
    const name = line.functionName.slice(line.functionName.indexOf('-') + 1);
    const entry = this.#byFunction.get(name) ?? { bytes: 0, lines: 0 };
    entry.bytes += Buffer.byteLength(line.line) + 1;
    entry.lines += 1;
    this.#byFunction.set(name, entry);
  };

  snapshot(): Map<string, { bytes: number; lines: number }> {
    return new Map([...this.#byFunction].map(([name, entry]) => [name, { ...entry }]));
  }
}

/** A running measurement harness on one metered stack. */
export class Harness {
  readonly stack: LocalStack;
  readonly logs: LogCounter;
  readonly #sqs: SQSClient;
  readonly #dynamo: DynamoDBClient;
  /** The stack's own bot's items, as its functions read and write them (under its tenant's keys). */
  readonly #botItems: DynamoDBClient;
  #nextUser = 30_000;

  constructor(stack: LocalStack, logs: LogCounter) {
    if (!stack.meter || !stack.runner) throw new Error('the cost harness needs a stack with functions and meter on');
    this.stack = stack;
    this.logs = logs;
    // Straight to the emulators: the harness's own calls are never metered.
    this.#sqs = new SQSClient({ ...localClientConfig(stack.sqs.endpoint), maxAttempts: 1 });
    this.#dynamo = new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 });
    this.#botItems = scopeToTenant(this.#dynamo, String(stack.bot.id));
  }

  get meter() {
    return this.stack.meter!;
  }

  /** A user who has never written to the bot. */
  newUser(): PeerUser {
    const id = this.#nextUser++;
    return this.stack.telegram.user(id, { first_name: `Cost${id}`, language_code: 'en' });
  }

  /** Resolves once the stack is idle: see the module comment. */
  async settle(): Promise<void> {
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    let seen = -1;
    let quietSince = performance.now();
    for (;;) {
      if (performance.now() > deadline) throw new Error('the local stack did not become idle');
      await this.stack.telegram.idle(SETTLE_TIMEOUT_MS);
      const stats = this.stack.runner!.stats();
      const busy =
        Object.values(stats.functions).some((f) => f.busy > 0) ||
        Object.values(stats.queues).some((q) => (q?.inFlight ?? 0) > 0);
      const depth = busy ? 1 : await this.#queueDepth();
      const activity = this.meter.records().filter((r) => !r.empty).length;
      if (busy || depth > 0 || activity !== seen) {
        seen = activity;
        quietSince = performance.now();
      } else if (performance.now() - quietSince >= QUIET_MS) {
        return;
      }
      await sleep(100);
    }
  }

  async #queueDepth(): Promise<number> {
    const depths = await Promise.all(
      QUEUE_NAMES.map(async (queue) => {
        const { Attributes = {} } = await this.#sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: this.stack.sqs.queueUrls[queue],
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
              'ApproximateNumberOfMessagesDelayed',
            ],
          }),
        );
        return Object.values(Attributes).reduce((sum, value) => sum + Number(value), 0);
      }),
    );
    return depths.reduce((a, b) => a + b, 0);
  }

  #external() {
    return {
      telegramCall: this.stack.telegram.calls().filter((call) => !call.viaWebhookResponse).length,
      rpcCall: this.stack.solana.counters().reduce((sum, c) => sum + c.calls, 0),
      llmAnswer: this.stack.llm.stats().requests,
    };
  }

  /**
   * Runs `act` (which sends `updates` updates and may settle between them), settles, and returns
   * everything that happened meanwhile.
   */
  async measure(updates: number, act: () => Promise<void>): Promise<Measurement & { records: MeterRecord[] }> {
    await this.settle();
    const mark = this.meter.mark();
    const functionsBefore = this.stack.runner!.stats().functions;
    const logsBefore = this.logs.snapshot();
    const externalBefore = this.#external();
    await act();
    await this.settle();
    const functionsAfter = this.stack.runner!.stats().functions;
    const logsAfter = this.logs.snapshot();
    const externalAfter = this.#external();
    const functions: Record<string, FunctionUsage> = {};
    for (const [name, after] of Object.entries(functionsAfter)) {
      const before = functionsBefore[name]!;
      const invocations = after.invocations - before.invocations;
      if (invocations === 0) continue;
      const log = logsAfter.get(name) ?? { bytes: 0, lines: 0 };
      const logBefore = logsBefore.get(name) ?? { bytes: 0, lines: 0 };
      functions[name] = {
        invocations,
        handlerMs: after.durationMs - before.durationMs - (after.initMs - before.initMs),
        logBytes: log.bytes - logBefore.bytes,
        logLines: log.lines - logBefore.lines,
      };
    }
    const records = this.meter.since(mark).filter((r) => !r.empty);
    const webhook = functions.webhook?.invocations ?? 0;
    if (webhook !== updates) throw new Error(`expected ${updates} webhook invocation(s), saw ${webhook}`);
    return {
      updates,
      requests: records,
      records,
      functions,
      external: {
        telegramCall: externalAfter.telegramCall - externalBefore.telegramCall,
        rpcCall: externalAfter.rpcCall - externalBefore.rpcCall,
        llmAnswer: externalAfter.llmAnswer - externalBefore.llmAnswer,
      },
    };
  }

  /** The newest bot message in `chatId` with a button whose data passes `match`, and that data. */
  async button(chatId: number, match: (data: string) => boolean, text?: string) {
    return this.stack.telegram.waitFor(() => {
      for (const message of [...this.stack.telegram.sent(chatId)].reverse()) {
        if (message.deleted || (text !== undefined && !message.text.includes(text))) continue;
        const data = message.reply_markup?.inline_keyboard
          .flat()
          .map((b) => b.callback_data)
          .find((d): d is string => d !== undefined && match(d));
        if (data) return { messageId: message.message_id, data };
      }
      return undefined;
    }, 30_000);
  }

  /** A funded wallet on the local chain (so `wallet.verify` finds a wallet). */
  async fundedWallet(lamports = 3n * SOL): Promise<Keypair> {
    const keypair = Keypair.generate();
    await this.stack.solana.svm.airdrop(keypair.publicKey, lamports);
    return keypair;
  }

  /** The admin presses the admin-chat button whose data passes `match` on the message naming `text`. */
  async adminPress(match: (data: string) => boolean, text: string): Promise<void> {
    const { messageId, data } = await this.button(LOCAL_ADMIN_CHAT_ID, match, text);
    const admin = this.stack.telegram.user(LOCAL_ADMIN_USER_ID, { first_name: 'Admin' });
    await this.stack.telegram.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins').pressButton(admin, messageId, data);
  }

  /** Addresses watched now (read straight from the table). */
  async watchedAddresses(): Promise<number> {
    const store = this.#watchStore();
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await store.listAddresses(cursor, 1_000);
      count += page.addresses.length;
      cursor = page.next;
    } while (cursor !== undefined);
    return count;
  }

  /**
   * Adds `count` watched addresses (one watcher each) straight to the table, unmetered, as the
   * poller leaves quiet ones: a snapshot that last moved two days ago, and an address in a span of
   * the watch list a poll within the next `LISTED_WITHIN_MS` reads, but not due then (so a poll
   * now lists them without checking any).
   */
  async seedQuietWatches(count: number): Promise<string[]> {
    const store = this.#watchStore();
    const now = Date.now();
    const changedAt = now - 2 * DAY_MS;
    const moments = [0, 0.25, 0.5, 0.75, 1].map((f) => now + f * LISTED_WITHIN_MS);
    const inDueSpan = (address: string, at: number) =>
      dueFirstCharacters(at, POLL_MS).some((span) => address[0]! >= span.from && address[0]! <= span.to);
    // Whether a poll lists an address and finds it due depends on its first character alone.
    const byFirst = new Map<string, boolean>();
    const listedNotDue = (address: string) => {
      const first = address[0]!;
      let ok = byFirst.get(first);
      if (ok === undefined) {
        ok = moments.every((at) => inDueSpan(address, at) && !isDue(address, changedAt, at, POLL_MS));
        byFirst.set(first, ok);
      }
      return ok;
    };
    // Random keys (most first characters are rare: a Solana key starts with one of 17 mostly);
    // not key pairs, whose generation would hold the event loop for seconds.
    const addresses: string[] = [];
    for (let tries = 0; addresses.length < count; tries++) {
      if (tries > 5_000_000) throw new Error('no first character a poll lists without finding it due');
      const address = new PublicKey(randomBytes(32)).toBase58();
      if (listedNotDue(address)) addresses.push(address);
    }
    for (let i = 0; i < count; i += 20) {
      await Promise.all(
        addresses.slice(i, i + 20).map(async (address, j) => {
          await store.addWatcher(address, {
            chatId: 90_000 + i + j,
            userId: 90_000 + i + j,
            lang: 'en',
            thresholdLamports: 0n,
          });
          await this.#setSnapshotTime(address, changedAt);
          // Long cooled down: off the hot list a new watch starts on.
          await this.#botItems.send(
            new DeleteItemCommand({
              TableName: this.stack.dynamodb.tableName,
              Key: { pk: { S: 'watchhot' }, sk: { S: `addr#${address}` } },
            }),
          );
        }),
      );
    }
    return addresses;
  }

  /** Marks the snapshots of `addresses` as moved just now, and hot (so every poll checks them), as a check does. */
  async markMoved(addresses: readonly string[]): Promise<void> {
    for (let i = 0; i < addresses.length; i += 20) {
      await Promise.all(
        addresses.slice(i, i + 20).map(async (address) => {
          const now = Date.now();
          await this.#botItems.send(
            new PutItemCommand({
              TableName: this.stack.dynamodb.tableName,
              Item: { pk: { S: 'watchhot' }, sk: { S: `addr#${address}` }, until: { N: String(now + HOT_MS) } },
            }),
          );
          await this.#setSnapshotTime(address, now);
        }),
      );
    }
  }

  async #setSnapshotTime(address: string, at: number): Promise<void> {
    await this.#botItems.send(
      new UpdateItemCommand({
        TableName: this.stack.dynamodb.tableName,
        Key: { pk: { S: 'watchset' }, sk: { S: `addr#${address}` } },
        UpdateExpression: 'SET lamports = if_not_exists(lamports, :zero), #version = :at, updatedAt = :at',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':zero': { S: '0' }, ':at': { N: String(at) } },
      }),
    );
  }

  #watchStore(): DynamoWatchStore {
    return new DynamoWatchStore({ client: this.#botItems, tableName: this.stack.dynamodb.tableName });
  }

  /** Bytes the table stores now: items plus DynamoDB's per-item overhead. */
  async tableBytes(): Promise<number> {
    let bytes = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#dynamo.send(
        new ScanCommand({
          TableName: this.stack.dynamodb.tableName,
          ...(start && { ExclusiveStartKey: start as never }),
        }),
      );
      for (const item of page.Items ?? []) bytes += dynamoItemBytes(item) + DYNAMO_ITEM_OVERHEAD_BYTES;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return bytes;
  }

  /** Users the harness created. */
  get usersCreated(): number {
    return this.#nextUser - 30_000;
  }

  close(): void {
    this.#sqs.destroy();
    this.#dynamo.destroy();
  }
}

/** One kind: its setup (not measured) and its measured part. */
export interface Scenario {
  /** Users and state made before anything is measured; every scenario's setup runs side by side, then the stack settles. */
  setup(): Promise<void>;
  /** The measured part: the updates of one occurrence of the kind (it may settle between them). */
  act(): Promise<void>;
}

/**
 * The scenarios of one pass, each with its own fresh users, keyed by kind. Run every `setup`, settle,
 * then each `act` in `KIND_NAMES` order: the withdrawal spends the balance the deposit credited.
 */
export function scenarios(h: Harness): Record<KindName, Scenario> {
  const started = async (): Promise<PeerUser> => {
    const user = h.newUser();
    await user.sendText('/start');
    return user;
  };
  const later = <T>() => {
    let value: T | undefined;
    return {
      set: (v: T) => {
        value = v;
      },
      get: (): T => {
        if (value === undefined) throw new Error('a scenario ran before its setup');
        return value;
      },
    };
  };
  const startUser = later<PeerUser>();
  const menu = later<{ user: PeerUser; messageId: number; data: string }>();
  const balanceUser = later<PeerUser>();
  const verify = later<{ user: PeerUser; address: string }>();
  const asker = later<PeerUser>();
  const watch = later<{ user: PeerUser; address: string }>();
  const depositor = later<{ user: PeerUser; wallet: Keypair }>();
  const keeper = later<PeerUser>();
  // Not a real secret: random letters the vault stores like any other value.
  const secretValue = `cost-demo-${Keypair.generate().publicKey.toBase58().slice(0, 24)}`;

  return {
    start: {
      async setup() {
        startUser.set(h.newUser());
      },
      async act() {
        await startUser.get().sendText('/start');
      },
    },
    menu: {
      async setup() {
        const user = await started();
        const language = await h.button(user.id, (d) => d === 'lang:en');
        await user.pressButton(language.messageId, language.data);
        menu.set({ user, ...(await h.button(user.id, (d) => d === 'w:l')) });
      },
      async act() {
        const { user, messageId, data } = menu.get();
        await user.pressButton(messageId, data);
      },
    },
    balance: {
      async setup() {
        const user = await started();
        for (const wallet of [await h.fundedWallet(), await h.fundedWallet()]) {
          await user.sendText(wallet.publicKey.toBase58());
        }
        balanceUser.set(user);
      },
      async act() {
        await balanceUser.get().sendText('/balance');
      },
    },
    walletVerify: {
      async setup() {
        verify.set({ user: await started(), address: (await h.fundedWallet()).publicKey.toBase58() });
      },
      async act() {
        const { user, address } = verify.get();
        await user.sendText(address);
      },
    },
    aiReply: {
      async setup() {
        asker.set(await started());
      },
      async act() {
        await asker.get().sendText('What is rent exemption on Solana, and how much SOL does a token account need?');
      },
    },
    watch: {
      async setup() {
        watch.set({ user: await started(), address: (await h.fundedWallet()).publicKey.toBase58() });
      },
      async act() {
        const { user, address } = watch.get();
        await user.sendText(`/watch ${address}`);
      },
    },
    deposit: {
      async setup() {
        const user = await started();
        const wallet = await h.fundedWallet();
        await user.sendText(wallet.publicKey.toBase58());
        depositor.set({ user, wallet });
      },
      async act() {
        // A deposit request, paid by the wallet as a Solana Pay wallet would and left to finalize,
        // then "I've paid": the finalized payment is credited to the request's owner (1 SOL: automatic).
        const { user, wallet } = depositor.get();
        await user.sendText('/deposit 1');
        await h.settle();
        const request = await h.button(user.id, (d) => d.startsWith('dp:paid:'));
        const message = h.stack.telegram.sent(user.id).find((m) => m.message_id === request.messageId)!;
        const url = /solana:\S+/.exec(message.text)![0];
        await h.stack.solana.svm.send([transferRequestInstruction(wallet.publicKey, url).instruction], [wallet]);
        // 32 slots of 50 ms finalize it; wait a little longer.
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        await user.pressButton(request.messageId, request.data);
        await h.settle();
      },
    },
    withdraw: {
      async setup() {},
      async act() {
        const { user, wallet } = depositor.get();
        const address = wallet.publicKey.toBase58();
        await user.sendText(`/withdraw 0.05 ${address}`);
        await h.settle();
        const confirm = await h.button(user.id, (d) => d === 'wd:ok');
        await user.pressButton(confirm.messageId, confirm.data);
        await h.settle();
        await h.adminPress((d) => d.startsWith('po:ok:'), address);
      },
    },
    setSecret: {
      async setup() {
        keeper.set(await started());
      },
      async act() {
        const user = keeper.get();
        await user.sendText('/setsecret exchange_key');
        await h.settle();
        await user.sendText(secretValue);
      },
    },
  };
}
