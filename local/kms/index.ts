/**
 * The local KMS: an AWS KMS emulator speaking the JSON 1.1 protocol the real `@aws-sdk/client-kms`
 * uses, for symmetric keys (envelope encryption with encryption contexts), RSA_2048 decryption keys
 * (RSAES_OAEP_SHA_*) and Ed25519 signing keys (ED25519_SHA_512 over raw messages).
 *
 * Errors are KMS's own exception names in the cases KMS documents (a wrong encryption context is an
 * `InvalidCiphertextException`, an invalid signature a `KMSInvalidSignatureException`...), so adapters
 * translate the same errors locally as in the cloud. Key material is local-only and never logged.
 */
import type { Server } from 'node:http';
import { LOCAL_REGION } from '../aws/common.js';
import { close, listen, loopbackUrl } from '../ports.js';
import { createOperations, ensureKey } from './operations.js';
import { createKmsServer, type KmsFault, type KmsServerState } from './server.js';
import { type EmulatedKeySpec, KeyStore } from './store.js';

export type { KmsFault } from './server.js';
export { type EmulatedKeySpec, KEYS_FILE } from './store.js';

/** How to start the emulator. */
export interface KmsEmulatorOptions {
  /** Where keys persist (`<dataDir>/kms-keys.json`); in memory only when absent. */
  dataDir?: string;
  /** Port on 127.0.0.1; 0 (the default) lets the OS choose. */
  port?: number;
  /** Region in ARNs; `us-east-1` by default. */
  region?: string;
}

/** A running local KMS. */
export interface KmsEmulator {
  /** `http://127.0.0.1:<port>`: the SDK's `endpoint` (or `AWS_ENDPOINT_URL_KMS`). */
  readonly endpoint: string;
  /**
   * Creates a key of `spec` and the alias `alias` (`alias/<name>`) unless the alias exists; returns
   * the key id. Idempotent, across restarts too when a data directory is used; an existing alias on
   * a key of another spec throws.
   */
  ensureKey(alias: string, spec: EmulatedKeySpec): Promise<string>;
  /**
   * Fault injection: `unavailable` answers HTTP 503 (`KMSInternalException`, a server fault the SDK
   * retries) and `throttle` a 400 `ThrottlingException` to every request; `null` restores service.
   */
  setFault(fault: KmsFault | null): void;
  /** Requests per operation since start or the last `resetStats()`, injected faults included. */
  stats(): Record<string, number>;
  resetStats(): void;
  /** Stops listening and waits for pending writes of the keys file. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the emulator on 127.0.0.1, loading the keys of `dataDir` when it has some. */
export async function startKmsEmulator(options: KmsEmulatorOptions = {}): Promise<KmsEmulator> {
  const store = await KeyStore.open({
    region: options.region ?? LOCAL_REGION,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  const state: KmsServerState = { fault: null, counts: new Map() };
  const server: Server = createKmsServer(createOperations(store), state);
  const port = await listen(server, options.port ?? 0);
  // ensureKey calls run one at a time, so two concurrent calls for one alias make one key.
  let ensuring: Promise<unknown> = Promise.resolve();
  let stopping: Promise<void> | undefined;
  return {
    endpoint: loopbackUrl(port),
    ensureKey(alias, spec) {
      const result = ensuring.then(() => ensureKey(store, alias, spec));
      ensuring = result.catch(() => undefined);
      return result;
    },
    setFault(fault) {
      state.fault = fault;
    },
    stats() {
      return Object.fromEntries(state.counts);
    },
    resetStats() {
      state.counts.clear();
    },
    stop() {
      stopping ??= close(server).then(() => store.flush());
      return stopping;
    },
  };
}
