/**
 * The local treasury wallet: one keypair per data directory, kept in a git-ignored file in the
 * `solana-keygen` format (a JSON array of the 64 secret-key bytes), so a dev session keeps its address
 * across restarts. Local use only: in the cloud the treasury is a KMS Ed25519 key that never leaves KMS.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Keypair } from '@solana/web3.js';

/** Reads the keypair at `file`, or creates it (mode 0600) when the file does not exist. */
export async function loadOrCreateKeypair(file: string): Promise<Keypair> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const bytes: unknown = JSON.parse(text);
    if (!Array.isArray(bytes) || bytes.length !== 64 || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256)) {
      throw new Error(`${file} is not a keypair file (a JSON array of 64 bytes)`);
    }
    return Keypair.fromSecretKey(Uint8Array.from(bytes as number[]));
  }
  const keypair = Keypair.generate();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify([...keypair.secretKey])}\n`, { mode: 0o600, flag: 'wx' });
  return keypair;
}
