import type { AdminGate } from './gate.js';
import { AdminStatsJob } from './stats.js';

/**
 * `/stats`, registered on the admin gate: from an admin in the admin chat, queues `admin.stats`,
 * whose answer (one message, in the admin's language) the rpc worker posts to the admin chat.
 */
export function adminStats(gate: AdminGate): void {
  gate.command('stats', (ctx) => {
    ctx.enqueue({ job: AdminStatsJob, payload: { lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
  });
}
