/**
 * The stack's KMS: the emulator with the stage's keys (created on first start, kept in the data
 * directory), and what the other services need of them: the treasury's address and the intake key.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { treasuryAddress } from '../../core/desk/solana/signer.js';
import { KmsIntakeKey, KmsSigningKey } from '../../core/platform/keys/kms.js';
import { KEY_NAMES, type KeyName, keyAlias } from '../../stacks/manifest.js';
import { localClientConfig } from '../aws/common.js';
import { type KmsEmulator, startKmsEmulator } from '../kms/index.js';

/** The app name in key aliases (`APP_NAME` of sst.config.ts, which `local/` does not import). */
export const APP = 'wallet-desk';
const KEY_SPECS = { project: 'SYMMETRIC_DEFAULT', treasury: 'ECC_NIST_EDWARDS25519', intake: 'RSA_2048' } as const;

/** The running KMS of a stack. */
export interface StackKms {
  readonly emulator: KmsEmulator;
  /** The stage's keys by name. */
  readonly keyIds: Readonly<Record<KeyName, string>>;
  /** The Solana address of the treasury key (Ed25519). */
  readonly treasuryAddress: string;
  /** The intake key's public key (SPKI DER), base64: the `VAULT_INTAKE_KEY` secret. */
  readonly intakePublicKey: string;
  stop(): Promise<void>;
}

/** Starts the emulator on a free port and ensures the stage's keys in it. */
export async function startStackKms(options: { dataDir: string; stage: string }): Promise<StackKms> {
  const emulator = await startKmsEmulator({ dataDir: options.dataDir });
  const client = new KMSClient({ ...localClientConfig(emulator.endpoint), maxAttempts: 2 });
  const stop = async () => {
    client.destroy();
    await emulator.stop();
  };
  try {
    const keyIds = await stageKeys(emulator, options.stage);
    const [address, intake] = await Promise.all([
      treasuryAddress(new KmsSigningKey({ client, keyId: keyIds.treasury })),
      new KmsIntakeKey({ client, keyId: keyIds.intake }).publicKey(),
    ]);
    return {
      emulator,
      keyIds,
      treasuryAddress: address,
      intakePublicKey: Buffer.from(intake).toString('base64'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The stage's keys in the emulator, created on first start and kept with the data directory. */
async function stageKeys(kms: KmsEmulator, stage: string): Promise<Record<KeyName, string>> {
  const ids = await Promise.all(KEY_NAMES.map((name) => kms.ensureKey(keyAlias(APP, stage, name), KEY_SPECS[name])));
  return Object.fromEntries(KEY_NAMES.map((name, i) => [name, ids[i]!])) as Record<KeyName, string>;
}
