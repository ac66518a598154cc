/**
 * `npm run dev`: the whole bot on this machine.
 *
 * Without `TELEGRAM_BOT_TOKEN`: the local stack with the Telegram peer (Telegram's rate limits on),
 * a chat in this terminal (type messages, press buttons by number) and a web chat page with the
 * admin chat beside it (`WEB_CHAT_PORT`, 8787 by default or a free port when that one is taken).
 * Data lives in `.local-data/<stage>/` (or `LOCAL_DATA_DIR`), so a restart keeps everything: sessions,
 * the ledger, the local chain (accounts, balances, transactions), the Telegram peer's chats (both
 * web chat transcripts) and the test wallets the web chat lends. The bot's "View the transaction"
 * link opens the web chat's own page of the transaction on the local chain.
 *
 * Ctrl-C (SIGINT, or Ctrl-C at the terminal chat's prompt) and SIGTERM stop everything, save the
 * local state and exit with code 0.
 *
 * With `SOLANA_RPC_URLS` and `TREASURY_ADDRESS` (and internet), the functions use that cluster,
 * e.g. devnet, instead of the local Solana peer.
 *
 * With `AI_API_KEY` (and internet), the assistant asks that provider (DeepSeek, or `AI_BASE_URL`)
 * instead of the local LLM peer.
 *
 * With `TELEGRAM_BOT_TOKEN` (and internet): the same functions, but talking to real Telegram.
 * Updates are fetched by long polling and handed to the local webhook exactly as Telegram's
 * webhook delivery would (secret header, retry on non-2xx, the method in a 2xx body executed).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { stageSettings } from '../core/desk/settings.js';
import { formatLogLine } from './dev/log-view.js';
import { pollRealTelegram, realBotIdentity } from './dev/real-telegram.js';
import { startTerminalChat } from './dev/terminal-chat.js';
import {
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalStack,
  localTelegramIdentity,
  startLocalStack,
} from './index.js';
import { openWebChat, transactionUrlTemplate, type WebChat } from './web-chat/server.js';
import { testWallets } from './web-chat/test-wallet.js';

// The local runtime is Node 20 and the deployed one Node 22: the AWS SDK's warning about it is noise
// here. It is read when a client is made, in this process (the stack's KMS and SQS clients) as in
// the functions, so it is set before anything starts and passed to the functions too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const token = process.env.TELEGRAM_BOT_TOKEN;
const stage = process.env.STAGE ?? 'local';
const webChatPort = ((port) => (Number.isSafeInteger(port) && port >= 0 && port < 65_536 ? port : 8787))(
  Number(process.env.WEB_CHAT_PORT ?? 8787),
);
const dataDir = process.env.LOCAL_DATA_DIR ?? `.local-data/${stage}`;

/** With SOLANA_RPC_URLS and TREASURY_ADDRESS set, the functions use that cluster (e.g. devnet). */
const cluster =
  process.env.SOLANA_RPC_URLS && process.env.TREASURY_ADDRESS
    ? { rpcUrls: process.env.SOLANA_RPC_URLS, treasuryAddress: process.env.TREASURY_ADDRESS }
    : undefined;

/** With AI_API_KEY set, the assistant asks a real provider: the stage's (DeepSeek) or AI_BASE_URL. */
const aiProvider = process.env.AI_API_KEY
  ? { baseUrl: process.env.AI_BASE_URL ?? stageSettings(stage).ai.baseUrl, apiKey: process.env.AI_API_KEY }
  : undefined;

/** What is running, stopped in reverse on the way out. */
const running: { stack?: LocalStack; webChat?: WebChat } = {};
let stopping: Promise<void> | undefined;

/** Stops the web chat and the stack (which saves the local state), then exits with `code` (1 if stopping failed). */
function shutdown(code = 0): Promise<void> {
  stopping ??= (async () => {
    console.log('\nStopping…');
    let exitCode = code;
    for (const stop of [() => running.webChat?.stop(), () => running.stack?.stop()]) {
      try {
        await stop();
      } catch (error) {
        console.error(`Stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        exitCode = 1;
      }
    }
    process.exit(exitCode);
  })();
  return stopping;
}

/** With PRICE_URLS set, balances are valued from those sources (e.g. CoinGecko) instead of the offline price peer. */
const priceSources = process.env.PRICE_URLS;

async function main(): Promise<void> {
  // Registered first: a signal during the start stops what is up once the start is over.
  let signalled = false;
  const onSignal = () => {
    signalled = true;
    if (running.stack) void shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const real = token ? await realBotIdentity(token) : undefined;
  // The page's port is bound first: the bot's explorer link points at its transaction view.
  const page = real ? undefined : await openWebChat(webChatPort);
  if (page) running.webChat = page;
  const localChain = cluster === undefined;
  const stack = await startLocalStack({
    stage,
    dataDir,
    extraEnv: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    onFunctionLog: (line) => console.log(formatLogLine(line)),
    ...(cluster ? { solanaCluster: cluster } : {}),
    ...(page && localChain ? { explorerTxUrl: transactionUrlTemplate(page) } : {}),
    ...(aiProvider ? { aiProvider } : {}),
    ...(priceSources ? { priceUrls: priceSources } : {}),
    ...(real
      ? {
          // 43 characters: what a deployment's webhook master secret must have at least.
          telegram: { token: token!, botUsername: real.username, webhookSecret: randomBytes(32).toString('base64url') },
          telegramApiRoot: real.apiRoot,
        }
      : {
          telegram: await localIdentity(),
          telegramLimits: true,
          // A second bot on the same deployment, onboarded as `npm run bot:add` does: the web chat switches between them.
          bots: [
            {
              username: 'local_second_desk_bot',
              name: 'Second desk (demo)',
              operator: LOCAL_ADMIN_USER_ID,
              adminUserIds: [LOCAL_ADMIN_USER_ID],
            },
          ],
        }),
  });
  running.stack = stack;
  if (signalled) return shutdown();
  page?.serve({
    peer: stack.telegram,
    adminChatId: LOCAL_ADMIN_CHAT_ID,
    // Test wallets and transactions live on the local peer: not when the functions use a real cluster.
    ...(localChain
      ? {
          wallets: await testWallets(stack.solana, { file: join(dataDir, 'test-wallets.json') }),
          transactions: (signature: string) => stack.solana.transaction(signature),
        }
      : {}),
  });
  console.log(`\nLocal stack "${stage}" is up (data in ${dataDir}/).`);
  console.log(`  webhook      ${stack.webhookUrl}`);
  console.log(`  DynamoDB     ${stack.dynamodb.endpoint}   SQS ${stack.sqs.endpoint}`);
  console.log(
    cluster
      ? '  Solana       the cluster in SOLANA_RPC_URLS'
      : `  Solana       local peer at ${stack.solana.urls.join(', ')} (treasury ${stack.solana.treasury?.address})`,
  );
  console.log(`  Assistant    ${aiProvider ? aiProvider.baseUrl : `local LLM peer at ${stack.llm.baseUrl}`}`);
  console.log(
    `  Prices       ${priceSources ? 'the sources in PRICE_URLS' : `local price peer at ${stack.prices.url}`}`,
  );

  if (real) {
    console.log(`  Telegram     real, as @${real.username}: open https://t.me/${real.username} and send /start\n`);
    await pollRealTelegram({ token: token!, apiRoot: real.apiRoot, stack });
    return;
  }
  console.log(`  Telegram     local peer at ${stack.telegram.apiRoot} (rate limits on)`);
  console.log(
    `  bots         ${[stack.bot.botUsername, ...stack.bots.map((b) => b.username)].map((u) => `@${u}`).join(', ')}`,
  );
  console.log(`  web chat     ${page?.url}   (you and the admin chat, in a browser)\n`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  // Ctrl-C at the prompt (the terminal is in raw mode: no signal is sent) ends the chat, as `:quit` does.
  await startTerminalChat({ stack, rl });
  await shutdown();
}

/**
 * The local bot keeps one identity across restarts (stored beside the data), so the sessions
 * and the registered webhook secret survive `npm run dev` being restarted.
 */
async function localIdentity() {
  const file = join(dataDir, 'identity.json');
  let saved: { token: string; botUsername: string; webhookSecret: string } | undefined;
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as typeof saved;
  } catch {
    saved = undefined;
  }
  // A secret saved by an older version may be shorter than every bot's secret now derives from: a new one.
  if (saved && saved.webhookSecret.length >= 43) return saved;
  const identity = { ...localTelegramIdentity(), ...(saved && { token: saved.token, botUsername: saved.botUsername }) };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(identity), { mode: 0o600 });
  return identity;
}

try {
  await main();
} catch (error) {
  console.error(`npm run dev failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
