import { Connection, PublicKey } from '@solana/web3.js';
import { TOKEN_2022_PROGRAM, TOKEN_PROGRAM } from '../core/desk/solana/index.js';

/**
 * The baseline client: what the seed bots do (`get_wallet_info(address, max_retries=3)`). Each
 * balance query calls one RPC endpoint directly through a plain web3.js `Connection` (no pool,
 * no shared rate cap, no cache, no failover): `getAccountInfo`, then `getTokenAccountsByOwner`
 * for the Token and the Token-2022 programs, the same three calls our `wallet.balance` makes.
 * A query that fails anywhere (a 429 included) is tried again whole, up to `tries` times,
 * `pauseMs` apart; `inFlight` queries run at once.
 */
export interface NaiveOptions {
  /** The one endpoint every call goes to. */
  readonly url: string;
  readonly addresses: readonly string[];
  /** Queries running at once (default 5, the seeds' worker pool). */
  readonly inFlight?: number;
  /** Tries per query (default 3). */
  readonly tries?: number;
  /** Pause before trying a failed query again (default 1,000 ms). */
  readonly pauseMs?: number;
}

/** How the baseline fared; 429s are counted at the peer, which sees every call. */
export interface NaiveResult {
  readonly queries: number;
  /** Queries that got all three answers within their tries. */
  readonly succeeded: number;
  /** Tries made in all (a query's first try included). */
  readonly tries: number;
  readonly wallMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const PROGRAMS = [new PublicKey(TOKEN_PROGRAM), new PublicKey(TOKEN_2022_PROGRAM)] as const;

/** One try of one query: the three reads, one after the other, as synchronous seed code does. */
async function readBalance(connection: Connection, owner: PublicKey): Promise<void> {
  await connection.getAccountInfo(owner);
  for (const programId of PROGRAMS) await connection.getParsedTokenAccountsByOwner(owner, { programId });
}

/** One query with the seeds' retry loop; true when one of its tries succeeded. */
async function query(
  connection: Connection,
  address: string,
  tries: number,
  pauseMs: number,
  onTry: () => void,
): Promise<boolean> {
  const owner = new PublicKey(address);
  for (let attempt = 1; attempt <= tries; attempt++) {
    onTry();
    try {
      await readBalance(connection, owner);
      return true;
    } catch {
      if (attempt < tries) await sleep(pauseMs);
    }
  }
  return false;
}

/** Runs every query through the naive client and counts what succeeded. */
export async function runNaive(options: NaiveOptions): Promise<NaiveResult> {
  const { addresses, inFlight = 5, tries = 3, pauseMs = 1_000 } = options;
  const connection = new Connection(options.url, { commitment: 'confirmed', disableRetryOnRateLimit: true });
  const started = performance.now();
  let next = 0;
  let succeeded = 0;
  let triesMade = 0;
  const worker = async (): Promise<void> => {
    while (next < addresses.length) {
      const address = addresses[next++]!;
      if (await query(connection, address, tries, pauseMs, () => triesMade++)) succeeded++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, addresses.length) }, worker));
  return { queries: addresses.length, succeeded, tries: triesMade, wallMs: performance.now() - started };
}
