import { describe, expect, it } from 'vitest';
import { QUEUE_NAMES, type QueueName } from '../../../core/desk/settings.js';
import type { StackWiring } from '../../../local/lambda/function-env.js';
import { meteredWiring, startStackMeter } from '../../../local/stack/meter.js';
import { reachable } from './reachable.js';

const queues = (origin: string) =>
  Object.fromEntries(QUEUE_NAMES.map((q) => [q, `${origin}/000000000000/${q}`])) as Record<QueueName, string>;

describe('startStackMeter', () => {
  it('starts one proxy per service in front of the emulators, points the wiring at them, and stops them', async () => {
    const targets = { dynamodb: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:10', kms: 'http://127.0.0.1:11' };
    const meter = await startStackMeter(targets);
    try {
      const wiring = {
        dynamodbEndpoint: targets.dynamodb,
        sqsEndpoint: targets.sqs,
        kmsEndpoint: targets.kms,
        queueUrls: queues(targets.sqs),
        dlqUrls: queues(targets.sqs),
        tableName: 'local-table',
      } as unknown as StackWiring;
      const metered = meteredWiring(wiring, meter);
      expect(metered).toMatchObject({
        dynamodbEndpoint: meter.endpoints.dynamodb,
        sqsEndpoint: meter.endpoints.sqs,
        kmsEndpoint: meter.endpoints.kms,
        tableName: 'local-table',
      });
      for (const q of QUEUE_NAMES) {
        expect(new URL(metered.queueUrls[q]).origin).toBe(meter.endpoints.sqs);
        expect(new URL(metered.dlqUrls[q]).pathname).toBe(`/000000000000/${q}`);
      }
      for (const endpoint of Object.values(meter.endpoints)) expect(await reachable(endpoint)).toBe(true);
    } finally {
      await meter.stop();
    }
    for (const endpoint of Object.values(meter.endpoints)) expect(await reachable(endpoint)).toBe(false);
  });
});
