import { startLocalStack } from '../local/index.js';
import { benchAssistant } from './assistant.js';
import { benchBundle } from './bundle.js';
import { benchKeys } from './keys.js';
import { benchPayouts } from './payouts.js';
import { benchRpc } from './rpc.js';
import { printTable, type Row } from './stats.js';
import { benchTelegram } from './telegram.js';
import { benchWebhookPath } from './webhook.js';

/**
 * `npm run bench`: one table of ratios, each against a baseline measured in the same run on
 * the same machine (absolute times are printed beside them, never asserted).
 */
async function main() {
  const stack = await startLocalStack({ functions: false });
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    rows.push(...(await benchWebhookPath(stack)));
    const bundle = await benchBundle(stack.env);
    rows.push(...bundle.rows);
    notes.push(...bundle.notes);
    if (bundle.forbidden.length > 0) throw new Error(`webhook bundle contains ${bundle.forbidden.join(', ')}`);
  } finally {
    await stack.stop();
  }
  // The RPC benches run on their own stack, with functions, once the webhook stack is gone.
  const rpc = await benchRpc();
  rows.push(...rpc.rows);
  // At Telegram's 30 msg/s a 10,000-user broadcast takes about 6 minutes per sender measured.
  const telegram = await benchTelegram({ users: Number(process.env.BENCH_BROADCAST_USERS ?? 10_000) });
  rows.push(...telegram.rows);
  rows.push(...(await benchKeys()));
  const payouts = await benchPayouts();
  rows.push(...payouts.rows);
  const assistant = await benchAssistant(Number(process.env.BENCH_ASSISTANT_USERS ?? 200));
  rows.push(...assistant.rows);
  printTable(rows);
  console.log('\nwebhook bundle: no @solana/web3.js, no KMS client');
  for (const note of [...notes, ...rpc.notes, ...telegram.notes, ...payouts.notes, ...assistant.notes])
    console.log(note);
}

await main();
