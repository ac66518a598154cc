import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublicKey } from '@solana/web3.js';
import { afterAll, describe, expect, it } from 'vitest';
import { startStackKms } from '../../../local/stack/kms.js';
import { KEY_NAMES } from '../../../stacks/manifest.js';
import { reachable } from './reachable.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('startStackKms', () => {
  it('starts the emulator with the stage keys, the treasury address and the intake key, and stops it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stack-kms-'));
    dirs.push(dataDir);
    const kms = await startStackKms({ dataDir, stage: 'local' });
    try {
      expect(Object.keys(kms.keyIds).sort()).toEqual([...KEY_NAMES].sort());
      expect(new PublicKey(kms.treasuryAddress).toBase58()).toBe(kms.treasuryAddress);
      // SPKI DER of an RSA key, base64.
      expect(Buffer.from(kms.intakePublicKey, 'base64')[0]).toBe(0x30);
      expect(await reachable(kms.emulator.endpoint)).toBe(true);
    } finally {
      await kms.stop();
    }
    expect(await reachable(kms.emulator.endpoint)).toBe(false);

    // The keys live in the data directory: a restart finds the same ones.
    const again = await startStackKms({ dataDir, stage: 'local' });
    try {
      expect(again.keyIds).toEqual(kms.keyIds);
      expect(again.treasuryAddress).toBe(kms.treasuryAddress);
    } finally {
      await again.stop();
    }
  });
});
