import type { AdminGate } from './admin-access.js';
import { adminStats } from './admin-stats.js';
import { adminUsers } from './admin-users.js';
import { broadcastCommands } from './broadcast.js';

/**
 * The admin desk, registered on the admin gate (admins by user id, in the admin chat):
 * `/stats`, `/user`, `/block`, `/unblock` and `/broadcast`. Payout and deposit decisions are
 * registered on the same gate by their features.
 */
export function adminDesk(gate: AdminGate): void {
  adminUsers(gate);
  adminStats(gate);
  broadcastCommands(gate);
}
