/**
 * `npm run dev`: the whole bot on this machine.
 *
 * Without `TELEGRAM_BOT_TOKEN`: the local stack with the Telegram peer (Telegram's rate limits on),
 * a chat in this terminal (type messages, press buttons by number) and a web chat page with the
 * admin chat beside it (`WEB_CHAT_PORT`, 8787 by default or a free port when that one is taken).
 * Data lives in `.local-data/`, so a restart keeps sessions.
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
import { createInterface } from 'node:readline/promises';
import { stageSettings } from '../core/desk/settings.js';
import { formatLogLine } from './dev/log-view.js';
import { pollRealTelegram, realBotIdentity } from './dev/real-telegram.js';
import { startTerminalChat } from './dev/terminal-chat.js';
import { LOCAL_ADMIN_CHAT_ID, startLocalStack } from './index.js';
import { startWebChat, type WebChat } from './web-chat/server.js';
import { testWallets } from './web-chat/test-wallet.js';

const token = process.env.TELEGRAM_BOT_TOKEN;
const stage = process.env.STAGE ?? 'local';
const webChatPort = ((port) => (Number.isSafeInteger(port) && port >= 0 && port < 65_536 ? port : 8787))(
  Number(process.env.WEB_CHAT_PORT ?? 8787),
);
const dataDir = `.local-data/${stage}`;

/** With SOLANA_RPC_URLS and TREASURY_ADDRESS set, the functions use that cluster (e.g. devnet). */
const cluster =
  process.env.SOLANA_RPC_URLS && process.env.TREASURY_ADDRESS
    ? { rpcUrls: process.env.SOLANA_RPC_URLS, treasuryAddress: process.env.TREASURY_ADDRESS }
    : undefined;

/** With AI_API_KEY set, the assistant asks a real provider: the stage's (DeepSeek) or AI_BASE_URL. */
const aiProvider = process.env.AI_API_KEY
  ? { baseUrl: process.env.AI_BASE_URL ?? stageSettings(stage).ai.baseUrl, apiKey: process.env.AI_API_KEY }
  : undefined;

/** With PRICE_URLS set, balances are valued from those sources (e.g. CoinGecko) instead of the offline price peer. */
const priceSources = process.env.PRICE_URLS;

async function main(): Promise<void> {
  const real = token ? await realBotIdentity(token) : undefined;
  const stack = await startLocalStack({
    stage,
    dataDir,
    // The local runtime is Node 20 and the deployed one Node 22: the SDK's warning about it is noise here.
    extraEnv: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    onFunctionLog: (line) => console.log(formatLogLine(line)),
    ...(cluster ? { solanaCluster: cluster } : {}),
    ...(aiProvider ? { aiProvider } : {}),
    ...(priceSources ? { priceUrls: priceSources } : {}),
    ...(real
      ? {
          telegram: { token: token!, botUsername: real.username, webhookSecret: randomBytes(24).toString('base64url') },
          telegramApiRoot: real.apiRoot,
        }
      : { telegram: await localIdentity(), telegramLimits: true }),
  });
  const webChat: WebChat | undefined = real
    ? undefined
    : await startWebChat({
        peer: stack.telegram,
        adminChatId: LOCAL_ADMIN_CHAT_ID,
        port: webChatPort,
        // Test wallets live on the local peer: not when the functions use a real cluster.
        ...(cluster ? {} : { wallets: testWallets(stack.solana) }),
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
  const shutdown = async () => {
    console.log('\nStopping…');
    await webChat?.stop();
    await stack.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

  if (real) {
    console.log(`  Telegram     real, as @${real.username}: open https://t.me/${real.username} and send /start\n`);
    await pollRealTelegram({ token: token!, apiRoot: real.apiRoot, stack });
    return;
  }
  console.log(`  Telegram     local peer at ${stack.telegram.apiRoot} (rate limits on)`);
  console.log(`  web chat     ${webChat?.url}   (you and the admin chat, in a browser)\n`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  await startTerminalChat({ stack, rl });
  await shutdown();
}

/**
 * The local bot keeps one identity across restarts (stored beside the data), so the sessions
 * and the registered webhook secret survive `npm run dev` being restarted.
 */
async function localIdentity() {
  const { readFile, writeFile, mkdir } = await import('node:fs/promises');
  const file = `${dataDir}/identity.json`;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { token: string; botUsername: string; webhookSecret: string };
  } catch {
    const { localTelegramIdentity } = await import('./index.js');
    const identity = localTelegramIdentity();
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(identity), { mode: 0o600 });
    return identity;
  }
}

await main();
