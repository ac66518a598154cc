/**
 * Wire transactions as `sendTransaction` receives them: decoding (base58/base64, Solana's size cap,
 * no trailing bytes), sanitizing, and Ed25519 signature verification, each failing with the error
 * an Agave node gives. Only canonical, sanitized bytes ever reach the SVM (the binding aborts the
 * host process on bytes it cannot deserialize).
 */
import { createPublicKey, verify } from 'node:crypto';
import { VersionedTransaction } from '@solana/web3.js';
import { base58Decode, base58Encode, base64Decode } from './codec.js';
import { invalidParams, RpcCode, RpcError } from './errors.js';

/** Largest serialized transaction (`PACKET_DATA_SIZE`). */
export const PACKET_DATA_SIZE = 1232;
const MAX_BASE58_SIZE = 1683;
const MAX_BASE64_SIZE = 1644;
const TX_TYPE = 'solana_transaction::versioned::VersionedTransaction';

/** One compiled instruction, with indexes into the transaction's account keys. */
export interface CompiledInstructionData {
  programIdIndex: number;
  accounts: number[];
  data: Uint8Array;
}

/** An address table lookup of a v0 message. */
export interface LookupData {
  accountKey: string;
  writableIndexes: number[];
  readonlyIndexes: number[];
}

/** A decoded, sanitized transaction. */
export interface DecodedTransaction {
  /** Canonical wire bytes (what the SVM executes). */
  bytes: Uint8Array;
  /** The transaction id: the first signature, base58. */
  signature: string;
  signatures: string[];
  version: 'legacy' | 0;
  header: { numRequiredSignatures: number; numReadonlySignedAccounts: number; numReadonlyUnsignedAccounts: number };
  staticKeys: string[];
  recentBlockhash: string;
  instructions: CompiledInstructionData[];
  lookups: LookupData[];
  /** Whether static key `index` is writable (before lookups). */
  isStaticWritable(index: number): boolean;
  messageBytes: Uint8Array;
  signatureBytes: Uint8Array[];
}

/** Account keys once lookups are resolved: static keys, then loaded writable, then loaded readonly. */
export interface ResolvedKeys {
  keys: string[];
  writable: boolean[];
  loaded: { writable: string[]; readonly: string[] };
}

const invalidTransaction = (detail: string): RpcError => invalidParams(`invalid transaction: ${detail}`);
const sanitizeFailure = (): RpcError =>
  new RpcError(RpcCode.invalidParams, 'invalid transaction: Transaction failed to sanitize accounts offsets correctly');

/** Decodes `encoded` (`base58` or `base64`) into raw bytes, with Agave's size checks and messages. */
export function decodeWire(encoded: string, encoding: 'base58' | 'base64'): Uint8Array {
  const max = encoding === 'base58' ? MAX_BASE58_SIZE : MAX_BASE64_SIZE;
  if (encoded.length > max) {
    throw invalidParams(
      `${encoding} encoded ${TX_TYPE} too large: ${encoded.length} bytes (max: encoded/raw ${max}/${PACKET_DATA_SIZE})`,
    );
  }
  const bytes = encoding === 'base58' ? base58Decode(encoded) : base64Decode(encoded);
  if (bytes === undefined) throw invalidParams(`invalid ${encoding} encoding: could not decode the transaction`);
  if (bytes.length > PACKET_DATA_SIZE) {
    throw invalidParams(`decoded ${TX_TYPE} too large: ${bytes.length} bytes (max: ${PACKET_DATA_SIZE} bytes)`);
  }
  return bytes;
}

/** Parses and sanitizes wire bytes. */
export function decodeTransaction(bytes: Uint8Array): DecodedTransaction {
  let tx: VersionedTransaction;
  try {
    tx = VersionedTransaction.deserialize(bytes);
  } catch (error) {
    throw invalidParams(`failed to deserialize ${TX_TYPE}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const message = tx.message;
  if (message.version !== 'legacy' && message.version !== 0) {
    throw invalidTransaction('Transaction version is unsupported');
  }
  let canonical: Uint8Array;
  let messageBytes: Uint8Array;
  try {
    canonical = tx.serialize();
    messageBytes = message.serialize();
  } catch (error) {
    throw invalidParams(`failed to deserialize ${TX_TYPE}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (canonical.length !== bytes.length) {
    throw invalidParams(`failed to deserialize ${TX_TYPE}: Slice had bytes remaining after deserialization`);
  }
  const staticKeys = message.staticAccountKeys.map((key) => key.toBase58());
  const lookups = message.addressTableLookups.map((lookup) => ({
    accountKey: lookup.accountKey.toBase58(),
    writableIndexes: [...lookup.writableIndexes],
    readonlyIndexes: [...lookup.readonlyIndexes],
  }));
  const decoded: DecodedTransaction = {
    bytes: canonical,
    signature: base58Encode(tx.signatures[0] ?? new Uint8Array(64)),
    signatures: tx.signatures.map((signature) => base58Encode(signature)),
    version: message.version,
    header: { ...message.header },
    staticKeys,
    recentBlockhash: message.recentBlockhash,
    instructions: message.compiledInstructions.map((ix) => ({
      programIdIndex: ix.programIdIndex,
      accounts: [...ix.accountKeyIndexes],
      data: new Uint8Array(ix.data),
    })),
    lookups,
    isStaticWritable: (index) => message.isAccountWritable(index),
    messageBytes,
    signatureBytes: tx.signatures,
  };
  sanitize(decoded);
  return decoded;
}

/** Solana's `SanitizedMessage` checks that matter before execution. */
function sanitize(tx: DecodedTransaction): void {
  const { header, staticKeys } = tx;
  const loadedCount = tx.lookups.reduce((n, l) => n + l.writableIndexes.length + l.readonlyIndexes.length, 0);
  const total = staticKeys.length + loadedCount;
  if (
    header.numRequiredSignatures === 0 ||
    tx.signatures.length !== header.numRequiredSignatures ||
    header.numReadonlySignedAccounts >= header.numRequiredSignatures ||
    header.numRequiredSignatures + header.numReadonlyUnsignedAccounts > staticKeys.length ||
    total > 256 ||
    base58Decode(tx.recentBlockhash)?.length !== 32
  ) {
    throw sanitizeFailure();
  }
  for (const ix of tx.instructions) {
    // The fee payer (index 0) can never be a program, and programs are never loaded from tables.
    if (ix.programIdIndex === 0 || ix.programIdIndex >= staticKeys.length) throw sanitizeFailure();
    if (ix.accounts.some((index) => index >= total)) throw sanitizeFailure();
  }
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Verifies every signature against its signer key; false when any does not verify. */
export function verifySignatures(tx: DecodedTransaction): boolean {
  return tx.signatureBytes.every((signature, index) => {
    const key = base58Decode(tx.staticKeys[index] ?? '');
    if (key === undefined || key.length !== 32) return false;
    const publicKey = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, key]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, tx.messageBytes, publicKey, signature);
  });
}

/** Offset of the first address in an address lookup table account (`LOOKUP_TABLE_META_SIZE`). */
const LOOKUP_TABLE_META_SIZE = 56;
/** The address lookup table program. */
export const ADDRESS_LOOKUP_TABLE_PROGRAM = 'AddressLookupTab1e1111111111111111111111111';

/**
 * Resolves a v0 message's lookups against the tables' account data (`tables[i]` for `tx.lookups[i]`).
 * `undefined` when a table is missing or an index is out of range: the SVM reports that error itself.
 */
export function resolveKeys(
  tx: DecodedTransaction,
  tables: ReadonlyArray<{ owner: string; data: Uint8Array } | null>,
): ResolvedKeys | undefined {
  const writable: string[] = [];
  const readonly: string[] = [];
  for (const [i, lookup] of tx.lookups.entries()) {
    const table = tables[i];
    if (!table || table.owner !== ADDRESS_LOOKUP_TABLE_PROGRAM) return undefined;
    const at = (index: number): string | undefined => {
      const start = LOOKUP_TABLE_META_SIZE + index * 32;
      return start + 32 <= table.data.length ? base58Encode(table.data.subarray(start, start + 32)) : undefined;
    };
    for (const [indexes, into] of [
      [lookup.writableIndexes, writable],
      [lookup.readonlyIndexes, readonly],
    ] as const) {
      for (const index of indexes) {
        const key = at(index);
        if (key === undefined) return undefined;
        into.push(key);
      }
    }
  }
  return {
    keys: [...tx.staticKeys, ...writable, ...readonly],
    writable: [
      ...tx.staticKeys.map((_key, index) => tx.isStaticWritable(index)),
      ...writable.map(() => true),
      ...readonly.map(() => false),
    ],
    loaded: { writable, readonly },
  };
}
