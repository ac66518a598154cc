import { FUNCTIONS, type FunctionWiring } from '../../stacks/manifest.js';
import { TABLE_GRANTS } from '../../stacks/table-grants.js';

/**
 * The echo bot's functions: its webhook (sessions and the update ledger only; jobs to the notify
 * queue) and the platform's notify worker, which sends what does not fit in a webhook response.
 */
export const ECHO_FUNCTIONS: Readonly<Record<string, FunctionWiring>> = {
  webhook: {
    entry: 'examples/echo-bot/webhook.ts',
    secrets: ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'TELEGRAM_BOT_USERNAME'],
    sendsTo: ['notify'],
    table: TABLE_GRANTS.webhook,
  },
  notifyWorker: FUNCTIONS.notifyWorker,
};
