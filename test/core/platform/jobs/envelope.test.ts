import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { defineJob, sealJobs } from '../../../../core/platform/jobs/envelope.js';

const ctx = { idPrefix: 'u1', traceId: 't', tenant: '42', now: new Date('2026-01-01T00:00:00Z') };

describe('defineJob', () => {
  it('builds its payload schema when a job is first sealed, not when defined, and once', () => {
    let built = 0;
    const job = defineJob('test.lazy', 'notify', () => {
      built++;
      return z.object({ n: z.int() });
    });
    expect(built).toBe(0);
    const [sealed] = sealJobs([{ job, payload: { n: 1 }, chatId: 1, userId: 1 }], ctx);
    expect(sealed?.envelope.payload).toEqual({ n: 1 });
    sealJobs([{ job, payload: { n: 2 }, chatId: 1, userId: 1 }], ctx);
    expect(built).toBe(1);
  });

  it('refuses a payload its schema refuses, whenever the schema was built', () => {
    const job = defineJob('test.lazy', 'notify', () => z.object({ n: z.int() }));
    expect(() => sealJobs([{ job, payload: { n: 'x' } as never, chatId: 1, userId: 1 }], ctx)).toThrow();
    expect(() => sealJobs([{ job, payload: { n: 1.5 }, chatId: 1, userId: 1 }], ctx)).toThrow();
  });
});
