import { describe, expect, it } from 'vitest';
import { idleTick, switchedOff } from '../../../core/desk/features.js';
import { WatchAddJob, WatchPollJob } from '../../../core/desk/watches/index.js';
import { createConsumer, type QueueRecord } from '../../../core/platform/jobs/consumer.js';
import type { ParkReason } from '../../../core/platform/jobs/dead-letters.js';
import { sealJobs } from '../../../core/platform/jobs/index.js';
import { memoryLogger } from '../../helpers/fakes.js';
import { TEST_TENANT } from '../../helpers/tenants.js';

describe('a worker’s handlers of a switched-off feature', () => {
  it('park its jobs with feature.off and the reason, and let its schedule’s tick pass, done', async () => {
    const parked: ParkReason[] = [];
    const consume = createConsumer([...switchedOff('watches', [WatchAddJob]), idleTick(WatchPollJob)], memoryLogger(), {
      park: async (_record, reason) => {
        parked.push(reason);
      },
    });
    const sealed = sealJobs(
      [
        {
          job: WatchAddJob,
          payload: { address: 'So11111111111111111111111111111111111111112', thresholdLamports: '0', lang: 'en' },
          chatId: 5,
          userId: 5,
        },
        { job: WatchPollJob, payload: {}, chatId: null, userId: null },
      ],
      { idPrefix: 'w', traceId: 'w', tenant: TEST_TENANT, now: new Date() },
    );
    const records: QueueRecord[] = sealed.map((job, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body: JSON.stringify(job.envelope),
      attributes: { ApproximateReceiveCount: '1' },
    }));
    expect((await consume(records)).batchItemFailures).toEqual([]);
    expect(parked).toEqual([{ code: 'feature.off', message: 'watch.add: this bot does not offer watches' }]);
  });
});
