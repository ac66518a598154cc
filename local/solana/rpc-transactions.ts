/**
 * Transaction RPC methods: sending (base58/base64, preflight), simulation, airdrops, signature statuses
 * (recent status cache, or full history with `searchTransactionHistory`), an address's signatures
 * (newest first, `before`/`until`/`limit` ≤ 1,000) and landed transactions (`json`, `jsonParsed`,
 * `base64`, `base58`; v0 transactions need `maxSupportedTransactionVersion`, as on Solana).
 */
import { COMMITMENT_RANK } from './clock.js';
import { invalidParams, RpcCode, RpcError, serdeError } from './errors.js';
import type { TxRecord } from './ledger.js';
import {
  booleanParam,
  checkMinContextSlot,
  commitmentParam,
  configParam,
  field,
  historyCommitmentParam,
  integerParam,
  positional,
  pubkeyParam,
  required,
  signatureParam,
  stringParam,
  variantParam,
} from './params.js';
import { renderTransaction, type TransactionEncoding } from './render.js';
import { type MethodContext, type MethodHandler, withContext } from './rpc-context.js';
import { decodeWire } from './transaction.js';

/** Most signatures `getSignatureStatuses` takes. */
export const MAX_SIGNATURE_STATUSES = 256;
/** Largest page of `getSignaturesForAddress`. */
export const MAX_SIGNATURES_PAGE = 1_000;
/** Slots the status cache remembers (`MAX_CACHE_ENTRIES`); older statuses need `searchTransactionHistory`. */
const STATUS_CACHE_SLOTS = 300;

const MEMO_PROGRAMS = new Set([
  'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr',
  'Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo',
]);
const WIRE_ENCODINGS = ['binary', 'base58', 'base64', 'json', 'jsonParsed'] as const;
const TRANSACTION_ENCODINGS = [
  'json',
  'jsonParsed',
  'base58',
  'base64',
] as const satisfies readonly TransactionEncoding[];

/** A transaction param: its encoding (`base58` by default, like Solana) and its raw bytes. */
function wireTransaction(encoded: string, encodingValue: unknown): Uint8Array {
  const encoding =
    encodingValue === undefined || encodingValue === null ? 'base58' : variantParam(encodingValue, WIRE_ENCODINGS);
  if (encoding !== 'base58' && encoding !== 'base64') {
    throw invalidParams(`unsupported encoding: ${encoding}. Supported encodings: base58, base64`);
  }
  return decodeWire(encoded, encoding);
}

/** `memo` of `getSignaturesForAddress`: every memo instruction as `[length] text`, joined by `; `. */
function memoOf(record: TxRecord): string | null {
  const memos = record.tx.instructions.flatMap((ix) => {
    if (!MEMO_PROGRAMS.has(record.keys.keys[ix.programIdIndex] ?? '')) return [];
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(ix.data);
    } catch {
      text = '(unparseable)';
    }
    return [`[${ix.data.length}] ${text}`];
  });
  return memos.length > 0 ? memos.join('; ') : null;
}

function statusOf({ chain }: MethodContext, record: TxRecord): unknown {
  const reached = chain.clock.commitmentOf(record.landedAt);
  return {
    confirmationStatus: reached,
    confirmations:
      reached === 'finalized' ? null : reached === 'processed' ? 0 : Math.max(1, chain.clock.slot() - record.slot),
    err: record.err,
    slot: record.slot,
    status: record.err === null ? { Ok: null } : { Err: record.err },
  };
}

export const TRANSACTION_METHODS: Readonly<Record<string, MethodHandler>> = {
  sendTransaction: async ({ chain }, raw) => {
    const params = positional(raw);
    const encoded = stringParam(required(params, 0, 1));
    const config = configParam(params, 1);
    const bytes = wireTransaction(encoded, config.encoding);
    checkMinContextSlot(config, chain.clock.slot());
    field(config, 'maxRetries', integerParam);
    return chain.submit(bytes, {
      skipPreflight: field(config, 'skipPreflight', booleanParam) ?? false,
      preflightCommitment:
        field(config, 'preflightCommitment', (value) => commitmentParam({ commitment: value })) ?? 'finalized',
    });
  },

  simulateTransaction: async ({ chain }, raw) => {
    const params = positional(raw);
    const encoded = stringParam(required(params, 0, 1));
    const config = configParam(params, 1);
    const bytes = wireTransaction(encoded, config.encoding);
    commitmentParam(config);
    const slot = chain.clock.slot();
    checkMinContextSlot(config, slot);
    const sigVerify = field(config, 'sigVerify', booleanParam) ?? false;
    const replaceRecentBlockhash = field(config, 'replaceRecentBlockhash', booleanParam) ?? false;
    if (sigVerify && replaceRecentBlockhash) {
      throw invalidParams('sigVerify may not be used with replaceRecentBlockhash');
    }
    const { outcome, replacementBlockhash } = await chain.simulate(bytes, { sigVerify, replaceRecentBlockhash });
    return withContext(slot, {
      accounts: null,
      err: outcome.err,
      innerInstructions: null,
      loadedAccountsDataSize: 0,
      logs: outcome.logs,
      replacementBlockhash,
      returnData: null,
      unitsConsumed: outcome.computeUnits,
    });
  },

  requestAirdrop: async ({ chain }, raw) => {
    const params = positional(raw);
    const address = pubkeyParam(required(params, 0, 2));
    const lamports = integerParam(required(params, 1, 2));
    commitmentParam(configParam(params, 2));
    return chain.airdrop(address, BigInt(lamports));
  },

  getSignatureStatuses: (context, raw) => {
    const params = positional(raw);
    const list = required(params, 0, 1);
    if (!Array.isArray(list)) throw serdeError('invalid type: expected a sequence of signatures');
    if (list.length > MAX_SIGNATURE_STATUSES) {
      throw invalidParams(`Too many inputs provided; max ${MAX_SIGNATURE_STATUSES}`);
    }
    const signatures = list.map(signatureParam);
    const config = configParam(params, 1);
    const searchHistory = field(config, 'searchTransactionHistory', booleanParam) ?? false;
    const slot = context.chain.clock.slot();
    return withContext(
      slot,
      signatures.map((signature) => {
        const record = context.chain.ledger.get(signature);
        if (!record || (!searchHistory && record.slot < slot - STATUS_CACHE_SLOTS)) return null;
        return statusOf(context, record);
      }),
    );
  },

  getSignaturesForAddress: (context, raw) => {
    const params = positional(raw);
    const address = pubkeyParam(required(params, 0, 1));
    const config = configParam(params, 1);
    const commitment = historyCommitmentParam(config);
    checkMinContextSlot(config, context.chain.clock.slot());
    const limit = field(config, 'limit', integerParam) ?? MAX_SIGNATURES_PAGE;
    if (limit < 1 || limit > MAX_SIGNATURES_PAGE) throw invalidParams(`Invalid limit; max ${MAX_SIGNATURES_PAGE}`);
    const before = field(config, 'before', signatureParam);
    const until = field(config, 'until', signatureParam);
    const { clock, ledger } = context.chain;
    const visible = ledger
      .forAddress(address)
      .filter((record) => COMMITMENT_RANK[clock.commitmentOf(record.landedAt)] >= COMMITMENT_RANK[commitment]);
    let end = visible.length;
    if (before !== undefined) {
      end = visible.findIndex((record) => record.signature === before);
      if (end < 0) return []; // an unknown `before` finds nothing, as on Solana
    }
    const untilIndex = until === undefined ? -1 : visible.findIndex((record) => record.signature === until);
    const page = visible
      .slice(untilIndex + 1, end)
      .reverse()
      .slice(0, limit);
    return page.map((record) => ({
      blockTime: record.blockTime,
      confirmationStatus: clock.commitmentOf(record.landedAt),
      err: record.err,
      memo: memoOf(record),
      signature: record.signature,
      slot: record.slot,
    }));
  },

  getTransaction: (context, raw) => {
    const params = positional(raw);
    const signature = signatureParam(required(params, 0, 1));
    // The second parameter is a config object, or (deprecated) just the encoding.
    const second = params[1];
    const config = typeof second === 'string' ? { encoding: second } : configParam(params, 1);
    const encoding = field(config, 'encoding', (value) => variantParam(value, TRANSACTION_ENCODINGS)) ?? 'json';
    const commitment = historyCommitmentParam(config);
    const maxVersion = field(config, 'maxSupportedTransactionVersion', integerParam);
    const record = context.chain.ledger.get(signature);
    if (!record) return null;
    if (COMMITMENT_RANK[context.chain.clock.commitmentOf(record.landedAt)] < COMMITMENT_RANK[commitment]) return null;
    if (record.tx.version === 0 && (maxVersion === undefined || maxVersion < 0)) {
      throw new RpcError(
        RpcCode.unsupportedTransactionVersion,
        'Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": 0',
      );
    }
    return renderTransaction(record, encoding, maxVersion);
  },
};
