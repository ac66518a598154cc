import { ed25519 } from '@noble/curves/ed25519';
import { Keypair, PublicKey } from '@solana/web3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkAddress, decodeBase58, encodeBase58 } from '../../../../core/desk/solana/address.js';
import { isOnCurve } from '../../../../core/desk/solana/curve.js';
import { TOKEN_PROGRAM } from '../../../../core/desk/solana/gateway.js';

describe('checkAddress', () => {
  it('accepts a wallet address and decodes it exactly like web3.js', () => {
    const key = Keypair.generate().publicKey;
    const check = checkAddress(` ${key.toBase58()} `);
    expect(check.ok).toBe(true);
    if (check.ok) expect(Buffer.from(check.bytes)).toEqual(key.toBuffer());
  });

  it('encodes like web3.js and round-trips, leading zero bytes included', () => {
    for (let i = 0; i < 20; i++) {
      const key = Keypair.generate().publicKey;
      expect(encodeBase58(key.toBytes())).toBe(key.toBase58());
    }
    const bytes = Uint8Array.from([0, 0, 7, 255, 1]);
    expect(Array.from(decodeBase58(encodeBase58(bytes)) ?? [])).toEqual(Array.from(bytes));
  });

  it('decodes leading ones as zero bytes', () => {
    expect(Array.from(decodeBase58('11') ?? [])).toEqual([0, 0]);
    expect(Array.from(decodeBase58('1112') ?? [])).toEqual([0, 0, 0, 1]);
    expect(checkAddress('11111111111111111111111111111111')).toMatchObject({ ok: true });
  });

  it('names the problem (not base58, wrong length) and leaves the curve to isOnCurve', () => {
    expect(checkAddress('0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OI')).toEqual({
      ok: false,
      problem: 'not_base58',
    });
    expect(checkAddress('abc')).toEqual({ ok: false, problem: 'wrong_length' });
    expect(checkAddress('z'.repeat(44))).toEqual({ ok: false, problem: 'wrong_length' });
    const [pda] = PublicKey.findProgramAddressSync(
      [Buffer.from('vault')],
      new PublicKey('11111111111111111111111111111111'),
    );
    expect(PublicKey.isOnCurve(pda.toBytes())).toBe(false);
    expect(checkAddress(pda.toBase58())).toMatchObject({ ok: true });
    expect(isOnCurve(pda.toBytes())).toBe(false);
  });

  it('agrees with @noble/curves on curve membership: random bytes, real keys, PDAs and the edge encodings', () => {
    const noble = (bytes: Uint8Array) => {
      try {
        ed25519.ExtendedPoint.fromHex(bytes);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => isOnCurve(bytes) === noble(bytes)),
      { numRuns: 2000 },
    );
    const le = (n: bigint, sign: boolean) => {
      const out = new Uint8Array(32);
      for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
      if (sign) out[31]! |= 0x80;
      return out;
    };
    const p = 2n ** 255n - 19n;
    const edges: Uint8Array[] = [0n, 1n, 2n, p - 1n, p, p + 1n, 2n ** 255n - 1n].flatMap((y) => [
      le(y, false),
      le(y, true),
    ]);
    for (let i = 0; i < 50; i++) edges.push(Keypair.generate().publicKey.toBytes());
    for (let i = 0; i < 20; i++) {
      const seed = Buffer.from(`seed-${i}`);
      edges.push(PublicKey.findProgramAddressSync([seed], new PublicKey(TOKEN_PROGRAM))[0].toBytes());
    }
    for (const bytes of edges) expect(isOnCurve(bytes)).toBe(noble(bytes));
    expect(isOnCurve(new Uint8Array(31))).toBe(false);
  });

  it('agrees with web3.js on curve membership for many random keys', () => {
    for (let i = 0; i < 50; i++) {
      const bytes = new Uint8Array(32).map(() => Math.floor(Math.random() * 256));
      const address = new PublicKey(bytes).toBase58();
      expect(isOnCurve(decodeBase58(address)!)).toBe(PublicKey.isOnCurve(bytes));
    }
  });
});
