/**
 * The local price peer: the shape of CoinGecko's `GET /api/v3/simple/token_price/solana?
 * contract_addresses=<mints>&vs_currencies=<usd,cny>` answer, offline, for tests and `npm run dev`.
 *
 * It answers `{ "<mint>": { "usd": …, "cny": … } }` for the requested mints it knows (others are
 * absent, as CoinGecko leaves them out) in the requested currencies it has. The prices are fixed
 * made-up numbers ({@link LOCAL_PRICES}) unless set with `setPrices`. Switches for tests: `down`
 * (503), `malformed` (200 with a body that is not the shape), `timeout` (held until the switch is
 * cleared or the peer stops), and a rate limit (429 with `Retry-After`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { close, listen, loopbackUrl } from '../ports.js';

/** The answer path, as CoinGecko serves it. */
export const TOKEN_PRICE_PATH = '/api/v3/simple/token_price/solana';

/** A mint's made-up prices by lower-case currency code. */
export type LocalPrices = Record<string, Record<string, number>>;

/** Offline prices: SOL (as wrapped SOL) and the two dollar stable coins. Not market data. */
export const LOCAL_PRICES: LocalPrices = {
  So11111111111111111111111111111111111111112: { usd: 150, cny: 1080 },
  EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v: { usd: 1, cny: 7.2 },
  Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB: { usd: 1, cny: 7.2 },
};

export type PriceOutage = 'down' | 'malformed' | 'timeout';

/** A running peer and its switches. */
export interface PricePeer {
  /** `http://127.0.0.1:<port>/api/v3/simple/token_price/solana`: a `PRICE_URLS` entry's `url`. */
  readonly url: string;
  /** Replaces the prices (`LOCAL_PRICES` again after `reset`). */
  setPrices(prices: LocalPrices): void;
  setOutage(outage: PriceOutage | null): void;
  /** At most `perSecond` requests answered in any 1-s window; the others get 429. `null` lifts it. */
  setRateLimit(perSecond: number | null): void;
  /** Requests to the answer path since start or `reset`, whatever their outcome. */
  requests(): number;
  /** Restores the prices and clears the switches and the counter. */
  reset(): void;
  /** Stops listening and drops every connection, held ones included. */
  stop(): Promise<void>;
}

interface State {
  prices: LocalPrices;
  outage: PriceOutage | null;
  ratePerSecond: number | null;
  admitted: number[];
  requests: number;
  held: Set<() => void>;
}

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The status and body of one request to the answer path (`undefined`: held by a `timeout` outage). */
function respond(state: State, url: URL): { status: number; body: unknown; headers?: Record<string, string> } {
  if (state.outage === 'down') return { status: 503, body: { error: 'Service unavailable' } };
  if (state.outage === 'malformed') return { status: 200, body: { status: { error_code: 0 }, data: 'not prices' } };
  const now = performance.now();
  state.admitted = state.admitted.filter((at) => at > now - 1_000);
  if (state.ratePerSecond !== null && state.admitted.length >= state.ratePerSecond) {
    const retry = Math.ceil((state.admitted[0]! + 1_000 - now) / 1_000);
    return { status: 429, body: { status: { error_code: 429 } }, headers: { 'retry-after': String(retry) } };
  }
  state.admitted.push(now);
  const mints = (url.searchParams.get('contract_addresses') ?? '').split(',').filter(Boolean);
  const fiats = (url.searchParams.get('vs_currencies') ?? '').split(',').filter(Boolean);
  if (mints.length === 0 || fiats.length === 0) {
    return { status: 400, body: { error: 'Missing parameter contract_addresses or vs_currencies' } };
  }
  const body: Record<string, Record<string, number>> = {};
  for (const mint of mints) {
    const known = state.prices[mint];
    if (!known) continue;
    const quote = Object.fromEntries(fiats.filter((f) => f in known).map((f) => [f, known[f]!]));
    if (Object.keys(quote).length > 0) body[mint] = quote;
  }
  return { status: 200, body };
}

function handle(state: State, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://local');
  if (req.method !== 'GET' || url.pathname !== TOKEN_PRICE_PATH) {
    answer(res, 404, { error: 'Not found' });
    return;
  }
  state.requests++;
  const reply = () => {
    if (state.outage === 'timeout') {
      state.held.add(release);
      return;
    }
    const { status, body, headers } = respond(state, url);
    answer(res, status, body, headers);
  };
  const release = () => {
    state.held.delete(release);
    reply();
  };
  reply();
}

/** Starts a peer on 127.0.0.1 (`port` 0, the default, lets the OS choose). */
export async function startPricePeer(options: { port?: number } = {}): Promise<PricePeer> {
  const state: State = {
    prices: LOCAL_PRICES,
    outage: null,
    ratePerSecond: null,
    admitted: [],
    requests: 0,
    held: new Set(),
  };
  const wake = () => {
    for (const release of [...state.held]) release();
  };
  const server: Server = createServer((req, res) => handle(state, req, res));
  const port = await listen(server, options.port ?? 0);
  return {
    url: `${loopbackUrl(port)}${TOKEN_PRICE_PATH}`,
    setPrices(prices) {
      state.prices = structuredClone(prices);
    },
    setOutage(outage) {
      state.outage = outage;
      if (outage !== 'timeout') wake();
    },
    setRateLimit(perSecond) {
      if (perSecond !== null && (!Number.isInteger(perSecond) || perSecond < 1)) {
        throw new RangeError('rate limit must be a positive integer or null');
      }
      state.ratePerSecond = perSecond;
    },
    requests: () => state.requests,
    reset() {
      state.prices = LOCAL_PRICES;
      state.ratePerSecond = null;
      state.admitted = [];
      state.requests = 0;
      state.outage = null;
      wake();
    },
    async stop() {
      state.held.clear();
      await close(server);
    },
  };
}
