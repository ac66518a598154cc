/**
 * Cluster-level RPC methods: health, version, slots and block height, blockhashes, rent and fees.
 */
import { VersionedMessage } from '@solana/web3.js';
import { SLOTS_PER_EPOCH } from './clock.js';
import { base64Decode } from './codec.js';
import { invalidParams } from './errors.js';
import { checkMinContextSlot, configParam, integerParam, positional, required, stringParam } from './params.js';
import { API_VERSION, type MethodContext, type MethodHandler, withContext } from './rpc-context.js';

/** Rent-exempt minimum: (128 bytes of account overhead + data) × 3,480 lamports/byte-year × 2 years. */
export const rentExemptMinimum = (dataLength: number): bigint => BigInt(128 + dataLength) * 3_480n * 2n;

const LAMPORTS_PER_SIGNATURE = 5_000n;
const COMPUTE_BUDGET_PROGRAM = 'ComputeBudget111111111111111111111111111111';
const DEFAULT_UNITS_PER_INSTRUCTION = 200_000n;
const MAX_COMPUTE_UNITS = 1_400_000n;

/** Base fee plus priority fee (compute-unit price × limit), as the runtime charges it. */
export function feeForMessage(message: VersionedMessage): bigint {
  const keys = message.staticAccountKeys.map((key) => key.toBase58());
  let limit: bigint | undefined;
  let microLamports = 0n;
  let otherInstructions = 0n;
  for (const ix of message.compiledInstructions) {
    const data = ix.data;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (keys[ix.programIdIndex] !== COMPUTE_BUDGET_PROGRAM) otherInstructions += 1n;
    else if (data[0] === 2 && data.length >= 5) limit = BigInt(view.getUint32(1, true));
    else if (data[0] === 3 && data.length >= 9) microLamports = view.getBigUint64(1, true);
  }
  const units = limit ?? min(otherInstructions * DEFAULT_UNITS_PER_INSTRUCTION, MAX_COMPUTE_UNITS);
  const priority = (microLamports * units + 999_999n) / 1_000_000n;
  return BigInt(message.header.numRequiredSignatures) * LAMPORTS_PER_SIGNATURE + priority;
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The current slot, after the config's `minContextSlot` check. */
function contextSlot({ chain }: MethodContext, params: readonly unknown[], configIndex: number): number {
  const slot = chain.clock.slot();
  checkMinContextSlot(configParam(params, configIndex), slot);
  return slot;
}

export const CLUSTER_METHODS: Readonly<Record<string, MethodHandler>> = {
  getHealth: () => 'ok',

  getVersion: () => ({ 'feature-set': 3_294_202_862, 'solana-core': API_VERSION }),

  getGenesisHash: ({ chain }) => chain.clock.genesisHash,

  getSlot: (context, raw) => contextSlot(context, positional(raw), 0),

  getBlockHeight: (context, raw) => contextSlot(context, positional(raw), 0),

  getEpochInfo: (context, raw) => {
    const slot = contextSlot(context, positional(raw), 0);
    return {
      absoluteSlot: slot,
      blockHeight: slot,
      epoch: Math.floor(slot / SLOTS_PER_EPOCH),
      slotIndex: slot - Math.floor(slot / SLOTS_PER_EPOCH) * SLOTS_PER_EPOCH,
      slotsInEpoch: SLOTS_PER_EPOCH,
      transactionCount: context.chain.ledger.size,
    };
  },

  getLatestBlockhash: (context, raw) => {
    contextSlot(context, positional(raw), 0);
    const { blockhash, lastValidBlockHeight, slot } = context.chain.clock.latestBlockhash();
    return withContext(slot, { blockhash, lastValidBlockHeight });
  },

  isBlockhashValid: (context, raw) => {
    const params = positional(raw);
    const blockhash = stringParam(required(params, 0, 1));
    const slot = contextSlot(context, params, 1);
    return withContext(slot, context.chain.clock.isBlockhashValid(blockhash));
  },

  getMinimumBalanceForRentExemption: (_context, raw) => {
    const params = positional(raw);
    return rentExemptMinimum(integerParam(required(params, 0, 1)));
  },

  getFeeForMessage: (context, raw) => {
    const params = positional(raw);
    const encoded = stringParam(required(params, 0, 1));
    const slot = contextSlot(context, params, 1);
    const bytes = base64Decode(encoded);
    let message: VersionedMessage;
    try {
      if (bytes === undefined) throw new Error('invalid base64');
      message = VersionedMessage.deserialize(bytes);
    } catch (error) {
      throw invalidParams(`invalid message: ${error instanceof Error ? error.message : String(error)}`);
    }
    const valid = context.chain.clock.isBlockhashValid(message.recentBlockhash);
    return withContext(slot, valid ? feeForMessage(message) : null);
  },

  getRecentPrioritizationFees: ({ chain }) => [{ prioritizationFee: 0, slot: chain.clock.slot() }],
};
