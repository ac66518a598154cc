import type { AdminGate } from './gate.js';
import { adminStats } from './stats-conversation.js';
import { adminUsers } from './users-conversation.js';

/**
 * The admin desk, registered on the admin gate (admins by user id, in the admin chat):
 * `/stats`, `/user`, `/block` and `/unblock`. Broadcasts, payout and deposit decisions are
 * registered on the same gate by their features.
 */
export function adminDesk(gate: AdminGate): void {
  adminUsers(gate);
  adminStats(gate);
}
