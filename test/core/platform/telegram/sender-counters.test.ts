import { describe, expect, it } from 'vitest';
import { TransientError } from '../../../../core/platform/errors.js';
import { TELEGRAM_LIMITS } from '../../../../core/platform/settings.js';
import type { TelegramCall } from '../../../../core/platform/telegram/calls.js';
import { TelegramRateLimitedError, TelegramRejectedError } from '../../../../core/platform/telegram/gateway.js';
import { containerPacers } from '../../../../core/platform/telegram/pacing.js';
import { createSender } from '../../../../core/platform/telegram/sender.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { FakeClock, MemoryPace, MemoryProgress, ScriptedGateway } from '../../../helpers/notify-fakes.js';

const send = (chat: number, text: string): TelegramCall => ({
  method: 'sendMessage',
  params: { chat_id: chat, text },
});

function setup(failCounter = false) {
  const clock = new FakeClock();
  const gateway = new ScriptedGateway(clock);
  const adds: { at: number }[] = [];
  const log = memoryLogger();
  const deliver = createSender({
    gateway,
    progress: new MemoryProgress(),
    pace: new MemoryPace(),
    pacers: containerPacers(TELEGRAM_LIMITS, 1, clock),
    directory: { setActive: async () => {} },
    clock,
    count429: async (at) => {
      if (failCounter) throw new TransientError('dynamodb.unavailable', 'fake table down');
      adds.push({ at });
    },
  });
  return { clock, gateway, adds, log, deliver };
}

describe('sender counting 429s', () => {
  it('counts each 429 once, on the clock, and nothing else', async () => {
    const { gateway, deliver, adds, clock, log } = setup();
    let busy = 1;
    gateway.answer = (c) =>
      c.params.text === 'busy' && busy-- > 0
        ? new TelegramRateLimitedError('Too Many Requests: retry after 2', 2)
        : c.params.text === 'bad'
          ? new TelegramRejectedError(400, 'Bad Request: message text is empty')
          : undefined;
    await deliver('ok', [send(1, 'fine'), send(2, 'bad')], log);
    expect(adds).toEqual([]);
    const before = clock.now();
    // The 429 is waited out in-process and the call made again.
    const report = await deliver('r', [send(3, 'busy')], log);
    expect(report.sent).toBe(1);
    expect(adds).toEqual([{ at: expect.any(Number) }]);
    expect(adds[0]!.at).toBeGreaterThanOrEqual(before);
    expect(adds[0]!.at).toBeLessThanOrEqual(clock.now());
    await deliver('again', [send(3, 'busy')], log);
    expect(adds).toHaveLength(1);
  });

  it('still sends the job back after retry_after when the counter cannot be written', async () => {
    const { gateway, deliver, log } = setup(true);
    // Longer than the sender waits in-process.
    gateway.answer = (_c, n) => (n === 0 ? new TelegramRateLimitedError('retry after 9', 9) : undefined);
    const failure = await deliver('r', [send(3, 'x')], log).catch((e: unknown) => e);
    expect((failure as TransientError).retryAfterSeconds).toBe(9);
    expect(log.lines.some((l) => l.event === 'stats.count_failed')).toBe(true);
  });
});
