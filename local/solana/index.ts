/**
 * The local Solana JSON-RPC peer: litesvm behind several HTTP endpoints with switches for latency,
 * rate limits and outages. See `peer.ts` for the behaviour it reproduces and `methods.ts` for the methods.
 */

export type { Account } from './chain.js';
export type { Commitment } from './clock.js';
export { RpcCode, RpcError } from './errors.js';
export type { DownMode } from './gate.js';
export type { AccountInit, Address, SvmHelpers, TokenProgramName } from './helpers.js';
export { METHOD_NAMES } from './methods.js';
export type {
  EndpointControls,
  EndpointCounters,
  LandedTransaction,
  RpcCall,
  RpcCallFilter,
  RpcOutcome,
  SolanaPeer,
  SolanaPeerOptions,
  SolanaTreasury,
  SolanaTreasuryOptions,
} from './peer.js';
export { startSolanaPeer } from './peer.js';
export { SvmUnavailableError } from './svm.js';
export { TOKEN_2022_PROGRAM, TOKEN_PROGRAM } from './token.js';
