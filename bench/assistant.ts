import { startLocalStack } from '../local/index.js';
import { goalRow, percentile, type Row } from './stats.js';

/** What the peer makes each answer wait, so the rate cap (not the latency) is what binds. */
const PEER_LATENCY_MS = 300;

/**
 * The assistant under a crowd: `users` private chats ask one question each, all at once, through
 * the whole local stack (webhook → ai queue → ai worker → LLM peer → notify queue → Telegram peer),
 * while the peer answers at most R requests per second (R = `ai.requestsPerSecond`, what the
 * settings say the provider allows) and 429s the rest. Figures: answers completed ÷ questions
 * (goal 1), the provider's 429s (goal 0), the busiest second the peer saw ÷ R (≤ 1), and the time
 * until the last answer ÷ the least time R allows for them all (`users ÷ R` seconds), with the p50
 * and p99 time to answer printed beside it.
 */
export async function benchAssistant(users = 200): Promise<{ rows: Row[]; notes: string[] }> {
  const stack = await startLocalStack({ onFunctionLog: () => undefined });
  try {
    const rate = stack.settings.ai.requestsPerSecond;
    stack.llm.setRateLimit(rate);
    stack.llm.setLatency(PEER_LATENCY_MS);
    const chats = Array.from({ length: users }, (_, i) => stack.telegram.user(20_000 + i, { first_name: `U${i}` }));
    // Each user's chat is new: /start first, so the question is the only thing left to answer.
    await Promise.all(chats.map((user) => user.sendText('/start')));
    await stack.telegram.waitFor(() => chats.every((user) => user.botMessages().length >= 1) || undefined, 120_000);
    stack.llm.reset();
    stack.llm.setRateLimit(rate);
    stack.llm.setLatency(PEER_LATENCY_MS);

    const answered = new Map<number, number>();
    const started = performance.now();
    await Promise.all(chats.map((user, i) => user.sendText(`Question number ${i}: what is rent exemption?`)));
    const deadline = started + 10 * 60_000;
    while (answered.size < users && performance.now() < deadline) {
      for (const user of chats) {
        if (answered.has(user.id)) continue;
        if (user.botMessages().some((m) => m.text.includes('Local model: you said'))) {
          answered.set(user.id, performance.now() - started);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (answered.size === 0) throw new Error(`assistant: not one of ${users} questions was answered`);
    const times = [...answered.values()];
    const stats = stack.llm.stats();
    const last = Math.max(...times);
    const ideal = (users / rate) * 1000;
    return {
      rows: [
        goalRow(`assistant: questions answered, ${users} users at once`, answered.size, users, 'answers', {
          label: '= 1',
          met: (ratio) => ratio === 1,
        }),
        goalRow(`assistant: provider 429s per question (R = ${rate}/s)`, stats.rateLimited, users, '429s', {
          label: '= 0',
          met: (ratio) => ratio === 0,
        }),
        goalRow('assistant: busiest second at the provider ÷ R', stats.maxPerSecond, rate, 'req/s', {
          label: '≤ 1',
          met: (ratio) => ratio <= 1,
        }),
        goalRow(`assistant: last answer ÷ ${users}/R`, last, ideal, 'ms', { label: 'reported', met: () => true }),
      ],
      notes: [
        `assistant: ${answered.size}/${users} answered; time to answer p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms, last ${last.toFixed(0)} ms (R = ${rate}/s needs ≥ ${ideal.toFixed(0)} ms; peer latency ${PEER_LATENCY_MS} ms); provider requests ${stats.requests}, 429s ${stats.rateLimited}`,
      ],
    };
  } finally {
    await stack.stop();
  }
}
