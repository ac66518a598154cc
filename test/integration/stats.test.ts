import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../../core/desk/settings.js';
import { LOCAL_ADMIN_CHAT_ID, LOCAL_ADMIN_USER_ID, type LocalStack, startLocalStack } from '../../local/index.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: () => undefined });
});
afterAll(() => stack?.stop());

const group = () => stack.telegram.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins');
const admin = () => stack.telegram.user(LOCAL_ADMIN_USER_ID, { first_name: 'Admin' });
const statsMessages = () => stack.telegram.sent(LOCAL_ADMIN_CHAT_ID).filter((m) => m.text.includes('Desk statistics'));

/** The figures of a `/stats` answer, as the chat shows them. */
function figures(text: string) {
  const users = /Users: \d+ · reachable \(not blocked\): (\d+) · active in the last 24 h: (\d+)/.exec(text);
  const queues = Object.fromEntries(
    QUEUE_NAMES.map((q) => {
      const line = new RegExp(`^(?:⚠️ )?${q}: (\\d+) / (\\d+) / (\\d+)$`, 'm').exec(text);
      return [q, line ? line.slice(1).map(Number) : undefined];
    }),
  );
  const endpoints = [...text.matchAll(/^#(\d+) (http:\/\/127\.0\.0\.1:\d+): (\d+) \/ (\d+) \/ (\d+)$/gm)];
  return {
    users: users ? Number(users[1]) : undefined,
    seen: users ? Number(users[2]) : undefined,
    queues,
    rpcCalls: endpoints.reduce((sum, m) => sum + Number(m[3]), 0),
    endpoints: endpoints.map((m) => m[2]),
  };
}

/**
 * Asks `/stats` as the admin until the answer satisfies `done`. Each rpc worker container adds its
 * RPC counts about once a minute (and the one answering, just before), so a count made in another
 * container may take up to a minute to show.
 */
async function statsUntil(done: (f: ReturnType<typeof figures>) => boolean, timeoutMs = 80_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const before = statsMessages().length;
    await group().sendText(admin(), '/stats');
    const answer = await stack.telegram.waitFor(() => statsMessages()[before], 20_000);
    const f = figures(answer.text);
    if (done(f) || Date.now() > deadline) return { text: answer.text, ...f };
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

describe('/stats on the local stack', () => {
  it('answers the admin in the admin chat with users, queue depths and RPC counters, and nobody else', async () => {
    const user = stack.telegram.user(811, { first_name: 'Uma' });
    await user.sendText('/start');
    await user.sendText(`/balance ${stack.solana.treasury!.address}`);
    await stack.telegram.waitFor(() => user.botMessages().find((m) => m.text.includes('SOL: 1000')), 20_000);

    // Someone in the admin chat who is not an admin (refused), and the admin in another group (no hint): no stats.
    const outsider = stack.telegram.user(812, { first_name: 'Eve' });
    await group().sendText(outsider, '/stats');
    const lounge = stack.telegram.group(-1_002_000_000_099, 'Lounge');
    await lounge.sendText(admin(), '/stats');

    const stats = await statsUntil((f) => f.rpcCalls > 0);
    expect(stats.users).toBeGreaterThanOrEqual(1);
    expect(stats.seen).toBeGreaterThanOrEqual(1);
    for (const q of QUEUE_NAMES) expect(stats.queues[q], q).toHaveLength(3);
    expect(stats.rpcCalls).toBeGreaterThanOrEqual(1);
    expect(stack.solana.urls.map((url) => new URL(url).origin)).toEqual(expect.arrayContaining(stats.endpoints));
    expect(stats.text).toMatch(/👛 Linked wallets \(verified\): \d+/);
    expect(stats.text).toMatch(/💰 Pending deposits: \d+ · pending payouts: \d+/);
    expect(stats.text).toContain('✈️ Telegram 429s, last 24 h: 0');

    await stack.telegram.idle(20_000);
    expect(lounge.botMessages()).toEqual([]);
    // Every answer in the admin chat was asked for by the admin.
    const asked = group()
      .messages()
      .filter((m) => m.text === '/stats' && m.from?.id === LOCAL_ADMIN_USER_ID).length;
    expect(statsMessages()).toHaveLength(asked);
  }, 150_000);

  it('answers /stats in a private chat as any unknown text, even from the admin', async () => {
    const dm = admin();
    await dm.sendText('/stats');
    const reply = await stack.telegram.waitFor(() => dm.lastBotMessage(), 20_000);
    expect(reply.text).toBe('I did not understand that. Send /menu to see what I can do.');
  });
});
