/** The stack's Solana: the JSON-RPC peer with a funded treasury, and its endpoints as the functions see them. */
import { type SolanaPeer, type SolanaPeerOptions, startSolanaPeer } from '../solana/index.js';

/** What the treasury key's address is funded with unless a `treasury` is given: 1,000 SOL. */
export const LOCAL_TREASURY_LAMPORTS = 1_000_000_000_000n;

/** Starts the peer, funding the given `treasury` or else the treasury key's address (unless a restored chain has it). */
export function startStackSolana(options: {
  treasuryKeyAddress: string;
  peer?: Partial<SolanaPeerOptions> | undefined;
  /** Where the chain is kept across restarts; not kept when absent. */
  stateFile?: string | undefined;
}): Promise<SolanaPeer> {
  const peer = options.peer ?? {};
  const treasury = peer.treasury ?? { address: options.treasuryKeyAddress, lamports: LOCAL_TREASURY_LAMPORTS };
  return startSolanaPeer({
    ...peer,
    treasury,
    ...(options.stateFile !== undefined && { stateFile: options.stateFile }),
  });
}

/** `SOLANA_RPC_URLS`: every endpoint of the peer, in priority order, each declared at `rps`. */
export function solanaRpcUrls(peer: Pick<SolanaPeer, 'urls'>, rps: number): string {
  return JSON.stringify(peer.urls.map((url, priority) => ({ url, rps, priority })));
}
