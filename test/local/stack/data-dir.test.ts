import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startStackDataDir } from '../../../local/stack/data-dir.js';

describe('startStackDataDir', () => {
  it('makes a fresh temp dir and removes it on stop', async () => {
    const dir = await startStackDataDir('local');
    expect(dir.owned).toBe(true);
    expect(dir.path).toContain('local-stack-local-');
    await expect(stat(dir.path)).resolves.toBeDefined();
    await dir.stop();
    await expect(stat(dir.path)).rejects.toThrow();
  });

  it('creates a given dir when missing and keeps it on stop', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'data-dir-test-'));
    try {
      const dir = await startStackDataDir('local', join(parent, 'nested', 'local'));
      expect(dir.owned).toBe(false);
      await dir.stop();
      await expect(stat(join(parent, 'nested', 'local'))).resolves.toBeDefined();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
