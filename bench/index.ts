import { startLocalStack } from '../local/index.js';
import { benchBundle } from './bundle.js';
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
  printTable(rows);
  console.log('\nwebhook bundle: no @solana/web3.js, no KMS client');
}

await main();
