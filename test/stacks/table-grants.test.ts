import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertKeyPatterns,
  grantAllows,
  stringLike,
  TABLE_GRANTS,
  type TableGrant,
} from '../../stacks/table-grants.js';

const prefix = fc.stringMatching(/^[a-z][a-z0-9.]{0,11}$/);
const anyKey = fc.string({ maxLength: 40 });

describe('Table grants', () => {
  it('matches a prefix pattern against every key with that prefix, and no other', () => {
    fc.assert(
      fc.property(prefix, anyKey, anyKey, (name, rest, other) => {
        expect(stringLike(`${name}#*`, `${name}#${rest}`)).toBe(true);
        expect(stringLike(`${name}#*`, other)).toBe(other.startsWith(`${name}#`));
      }),
      { numRuns: 300 },
    );
  });

  it('matches an exact pattern only against that key (regex characters in keys mean nothing)', () => {
    fc.assert(
      fc.property(prefix, anyKey, (name, other) => {
        expect(stringLike(name, name)).toBe(true);
        expect(stringLike(name, other)).toBe(other === name);
      }),
      { numRuns: 300 },
    );
    expect(stringLike('gauge#payouts.open', 'gauge#payoutsXopen')).toBe(false);
  });

  it('keeps reading and writing apart', () => {
    const grant: TableGrant = { read: ['users'], write: ['username#*'] };
    expect(grantAllows(grant, 'dynamodb:Query', 'users')).toBe(true);
    expect(grantAllows(grant, 'dynamodb:PutItem', 'users')).toBe(false);
    expect(grantAllows(grant, 'dynamodb:DeleteItem', 'username#bob')).toBe(true);
    expect(grantAllows(grant, 'dynamodb:GetItem', 'username#bob')).toBe(false);
  });

  it('declares only well-formed patterns, and refuses a malformed one', () => {
    for (const [name, grant] of Object.entries(TABLE_GRANTS))
      expect(() => assertKeyPatterns(name, grant)).not.toThrow();
    for (const bad of ['*', 'payout*', 'payout#*#x', 'Payout#*', 'payout#?', '']) {
      expect(() => assertKeyPatterns('x', { read: [bad], write: [] }), bad).toThrow(/malformed/);
    }
  });

  it('lets no function but the rpc worker and the signer write a money item', () => {
    const money = [
      'payout#abcdefghabcdefgh',
      'payoutcap#1',
      'balance#1',
      'ledger#1',
      'ledgerref#refund#x',
      'deposit#sig',
    ].map((pk) => `t1001/${pk}`);
    for (const [name, grant] of Object.entries(TABLE_GRANTS)) {
      const writes = money.filter(
        (pk) => grantAllows(grant, 'dynamodb:UpdateItem', pk) || grantAllows(grant, 'dynamodb:PutItem', pk),
      );
      expect(writes.length > 0, name).toBe(name === 'rpcWorker' || name === 'signer');
    }
  });
});
