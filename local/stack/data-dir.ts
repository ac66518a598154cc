/**
 * The stack's data directory: DynamoDB's files, the KMS keys and, in a given
 * (kept) directory, the state of the Solana and Telegram peers.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A data directory in use; `stop()` removes it when the stack made it. */
export interface StackDataDir {
  readonly path: string;
  /** Whether it is a fresh temp dir of this stack (removed on stop) rather than a given one (kept). */
  readonly owned: boolean;
  /** Where a peer keeps `name`'s state across restarts: in a kept directory only (a temp one is removed on stop). */
  stateFile(name: string): string | undefined;
  stop(): Promise<void>;
}

/** `dataDir` (created if missing, kept on stop), or a fresh temp dir removed on stop. */
export async function startStackDataDir(stage: string, dataDir?: string): Promise<StackDataDir> {
  const owned = dataDir === undefined;
  const path = dataDir ?? (await mkdtemp(join(tmpdir(), `local-stack-${stage}-`)));
  await mkdir(path, { recursive: true });
  return {
    path,
    owned,
    stateFile: (name) => (owned ? undefined : join(path, `${name}.json`)),
    stop: async () => {
      if (owned) await rm(path, { recursive: true, force: true });
    },
  };
}
