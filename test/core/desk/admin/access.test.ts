import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertAdmin, parseAdminIds } from '../../../../core/desk/admin/access.js';
import { PoisonJobError } from '../../../../core/platform/errors.js';

const ADMINS = parseAdminIds('900,901');
const job = (userId: number | null, payload: unknown = {}) => ({ type: 'payout.decide', userId, payload });
const code = (run: () => void): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonJobError);
    return (error as PoisonJobError).code;
  }
};

describe('assertAdmin', () => {
  it('lets a job made by an admin through, with or without a matching adminId', () => {
    expect(code(() => assertAdmin(ADMINS, job(900)))).toBeUndefined();
    expect(code(() => assertAdmin(ADMINS, job(901, { adminId: 901, approve: true })))).toBeUndefined();
  });

  it('makes poison of a job with no acting user, or one who is not an admin', () => {
    expect(code(() => assertAdmin(ADMINS, job(null)))).toBe('admin.not_admin');
    expect(code(() => assertAdmin(ADMINS, job(4242)))).toBe('admin.not_admin');
    expect(code(() => assertAdmin(new Set(), job(900)))).toBe('admin.not_admin');
  });

  it('makes poison of a job whose payload names another admin than the one who acted', () => {
    expect(code(() => assertAdmin(ADMINS, job(900, { adminId: 901 })))).toBe('admin.not_admin');
    expect(code(() => assertAdmin(ADMINS, job(4242, { adminId: 900 })))).toBe('admin.not_admin');
    expect(code(() => assertAdmin(ADMINS, job(900, { adminId: '900' })))).toBe('admin.not_admin');
  });

  it('accepts exactly the jobs whose acting user is in the list (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 5 }),
        fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
        (ids, actor) => {
          const admins = new Set(ids);
          const passed = code(() => assertAdmin(admins, job(actor))) === undefined;
          expect(passed).toBe(actor !== null && admins.has(actor));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('parseAdminIds', () => {
  it('reads the comma-separated ids of ADMIN_USER_IDS', () => {
    expect([...parseAdminIds('1000')]).toEqual([1000]);
    expect([...parseAdminIds('5,6,5')]).toEqual([5, 6]);
  });
});
