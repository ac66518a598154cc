/**
 * The web chat's transaction page (`/tx/<signature>`): what the local chain recorded of one
 * transaction, as an explorer shows it. It is where the bot's "View the transaction" link points in
 * `npm run dev` (the functions' `EXPLORER_TX_URL`), since no public explorer knows the local chain.
 * Server-rendered HTML: every value is escaped; the page has no script (the CSP allows none inline).
 */
import { formatSol } from '../../core/desk/solana/index.js';
import { escapeHtml } from '../../core/platform/i18n/index.js';
import type { LandedTransaction } from '../solana/index.js';

const page = (title: string, body: string): string =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/tx.css">
</head>
<body>
<main>
${body}
<p class="back"><a href="/">Back to the web chat</a></p>
</main>
</body>
</html>
`;

/** A signed change in SOL: `+1.5`, `-0.000005`, `0`. */
function change(lamports: bigint): string {
  if (lamports === 0n) return '0';
  return lamports > 0n ? `+${formatSol(lamports)}` : `-${formatSol(-lamports)}`;
}

/** The page for `signature`: the transaction, or a "not found" page when the local chain has none by it. */
export function transactionPage(signature: string, tx: LandedTransaction | undefined): string {
  if (tx === undefined) {
    return page(
      'Transaction not found',
      `<h1>Transaction not found</h1>
<p>The local chain has no transaction <code>${escapeHtml(signature)}</code>.</p>`,
    );
  }
  const status = tx.err === null ? 'Success' : `Failed: ${JSON.stringify(tx.err)}`;
  const rows = tx.accounts
    .map((account, index) => {
      const roles = [account.signer ? 'signer' : '', account.writable ? 'writable' : ''].filter(Boolean).join(', ');
      return `<tr><td>${index}</td><td><code>${escapeHtml(account.address)}</code></td><td>${escapeHtml(roles)}</td>
<td class="num">${escapeHtml(formatSol(account.preLamports))}</td><td class="num">${escapeHtml(formatSol(account.postLamports))}</td>
<td class="num">${escapeHtml(change(account.postLamports - account.preLamports))}</td></tr>`;
    })
    .join('\n');
  const logs = tx.logs.map((line) => escapeHtml(line)).join('\n');
  return page(
    `Transaction ${signature.slice(0, 8)}…`,
    `<h1>Transaction on the local chain</h1>
<dl>
<dt>Signature</dt><dd><code>${escapeHtml(tx.signature)}</code></dd>
<dt>Slot</dt><dd>${tx.slot}</dd>
<dt>Time</dt><dd>${escapeHtml(new Date(tx.blockTime * 1000).toISOString())}</dd>
<dt>Status</dt><dd class="${tx.err === null ? 'ok' : 'failed'}">${escapeHtml(status)} (${escapeHtml(tx.commitment)})</dd>
<dt>Fee</dt><dd>${escapeHtml(formatSol(tx.fee))} SOL</dd>
</dl>
<h2>Accounts and balance changes (SOL)</h2>
<table>
<thead><tr><th>#</th><th>Address</th><th>Role</th><th>Before</th><th>After</th><th>Change</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Logs</h2>
<pre>${logs}</pre>`,
  );
}
