import { isOnCurve } from './curve.js';
import { KNOWN_MINTS } from './format.js';
import { SYSTEM_PROGRAM, TOKEN_2022_PROGRAM, TOKEN_PROGRAM } from './gateway.js';

/** Programs and sysvars of every cluster, by address: none is a wallet. */
export const KNOWN_PROGRAMS: Readonly<Record<string, string>> = {
  [SYSTEM_PROGRAM]: 'System',
  [TOKEN_PROGRAM]: 'Token',
  [TOKEN_2022_PROGRAM]: 'Token-2022',
  ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL: 'Associated Token Account',
  MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr: 'Memo',
  Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo: 'Memo v1',
  ComputeBudget111111111111111111111111111111: 'Compute Budget',
  Vote111111111111111111111111111111111111111: 'Vote',
  Stake11111111111111111111111111111111111111: 'Stake',
  Config1111111111111111111111111111111111111: 'Config',
  BPFLoader2111111111111111111111111111111111: 'BPF Loader',
  BPFLoaderUpgradeab1e11111111111111111111111: 'BPF Upgradeable Loader',
  SysvarC1ock11111111111111111111111111111111: 'Clock sysvar',
  SysvarRent111111111111111111111111111111111: 'Rent sysvar',
};

/** Why an address can be told not to be a wallet without asking the chain. */
export type KnownNonWallet = { kind: 'program'; name: string } | { kind: 'mint'; name: string } | { kind: 'off_curve' };

/**
 * What the address is known to be without RPC: a well-known program or sysvar, a well-known mint,
 * or an address off the ed25519 curve (a program-derived address, which no key signs for).
 * Undefined: it may be a wallet, and only the chain can tell (`wallet.verify`).
 */
export function knownNonWallet(address: string, bytes: Uint8Array): KnownNonWallet | undefined {
  const program = KNOWN_PROGRAMS[address];
  if (program) return { kind: 'program', name: program };
  const mint = KNOWN_MINTS[address];
  if (mint) return { kind: 'mint', name: mint };
  return isOnCurve(bytes) ? undefined : { kind: 'off_curve' };
}
