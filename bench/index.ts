import { startLocalStack } from '../local/index.js';
import { benchBundle } from './bundle.js';
import { benchRpc } from './rpc.js';
import { printTable, type Row } from './stats.js';
import { benchWebhookPath } from './webhook.js';

/**
 * `npm run bench`: one table of ratios, each against a baseline measured in the same run on
 * the same machine (absolute times are printed beside them, never asserted).
 */
async function main() {
  const stack = await startLocalStack({ functions: false });
  const rows: Row[] = [];
  try {
    rows.push(...(await benchWebhookPath(stack)));
    const bundle = await benchBundle(stack.env);
    rows.push(...bundle.rows);
    if (bundle.forbidden.length > 0) throw new Error(`webhook bundle contains ${bundle.forbidden.join(', ')}`);
  } finally {
    await stack.stop();
  }
  // The RPC benches run on their own stack, with functions, once the webhook stack is gone.
  const rpc = await benchRpc();
  rows.push(...rpc.rows);
  printTable(rows);
  console.log('\nwebhook bundle: no @solana/web3.js, no KMS client');
  for (const note of rpc.notes) console.log(note);
}

await main();
