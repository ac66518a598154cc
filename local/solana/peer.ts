/**
 * The local Solana JSON-RPC peer: several HTTP endpoints (each its own loopback port) over one chain
 * backed by litesvm, standing in for a pool of RPC providers in tests, benchmarks and `npm run dev`.
 *
 * Every endpoint speaks JSON-RPC 2.0 over HTTP POST (single and batch requests) and passes one gate
 * (`gate.ts`) where tests switch latency, rate limits (429 with `Retry-After`) and outages (refused
 * connections, 503, requests that never get an answer). Every call is logged with its outcome.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Keypair } from '@solana/web3.js';
import { readBody } from '../http-body.js';
import { close, listen, loopbackUrl } from '../ports.js';
import type { StateSaver } from '../state-file.js';
import { Chain } from './chain.js';
import type { Commitment } from './clock.js';
import { RpcCode, RpcError } from './errors.js';
import { admit, type DownMode, EndpointState } from './gate.js';
import { type SvmHelpers, svmHelpers } from './helpers.js';
import {
  type JsonRpcId,
  MAX_REQUEST_BYTES,
  parseBody,
  type RequestEntry,
  responseObject,
  send,
  serializeResponse,
} from './http.js';
import { findMethod } from './methods.js';
import { chainSaver, readChainState, restoreChain, restoredClock, restoredFaucet } from './persistence.js';
import { type Svm, startSvm, type TransactionErrorJson } from './svm.js';

/** How to start a peer. */
export interface SolanaPeerOptions {
  /** HTTP endpoints, each on its own port, all over one chain (default 2). */
  endpoints?: number;
  /** One slot (and block) every `slotMs` (default 400, like mainnet). Blockhashes stay valid 150 blocks. */
  slotMs?: number;
  /** A landed transaction is `processed` at once and `confirmed` after this (default: one slot). */
  confirmAfterMs?: number;
  /** ... and `finalized` after this (default: 32 slots, as Solana roots blocks ~32 slots back). */
  finalizeAfterMs?: number;
  /**
   * A wallet funded at start (a system account holding `lamports`; no transaction is recorded).
   * A restored chain that already has the account keeps its balance.
   */
  treasury?: SolanaTreasuryOptions;
  /**
   * Where the chain is kept across restarts (`persistence.ts`): restored from it at start when it
   * exists, saved to it a moment after each change and on `stop()`. Not kept when absent.
   */
  stateFile?: string;
}

/** A landed transaction as a person reads it (the web chat's transaction page). */
export interface LandedTransaction {
  signature: string;
  slot: number;
  /** Unix seconds. */
  blockTime: number;
  commitment: Commitment;
  /** Why it failed (the fee was still charged), or `null`. */
  err: TransactionErrorJson | null;
  fee: bigint;
  /** Every account it named, with its lamports before and after. */
  accounts: Array<{ address: string; signer: boolean; writable: boolean; preLamports: bigint; postLamports: bigint }>;
  logs: string[];
}

/** The treasury to fund: by address, or by keypair (then exposed for signing locally). */
export type SolanaTreasuryOptions = { lamports: bigint } & ({ address: string } | { keypair: Keypair });

/** The funded treasury of a peer. */
export interface SolanaTreasury {
  readonly address: string;
  readonly lamports: bigint;
  /** Present when the peer was given the keypair (local use only; production signs with KMS). */
  readonly keypair: Keypair | undefined;
}

/** Switches of one endpoint. */
export interface EndpointControls {
  readonly url: string;
  /** Delay added before every answer. */
  setLatency(ms: number): void;
  /**
   * Calls per second above which requests get HTTP 429 with `Retry-After` and a JSON-RPC error body
   * (`undefined`: no global limit); `perMethod` adds per-method limits. Replaces earlier limits.
   */
  setRateLimit(
    rps: number | undefined,
    options?: { perMethod?: Record<string, number>; retryAfterSeconds?: number },
  ): void;
  /**
   * Outage: `'refuse'` closes the listener (connections refused; the port is kept for coming back),
   * `'503'` answers 503, `'hang'` accepts and never answers; `false` ends the outage.
   * Resolves once the listener is closed or reopened.
   */
  setDown(mode: DownMode): Promise<void>;
}

/** How one call was answered. */
export type RpcOutcome =
  | { kind: 'ok' }
  | { kind: 'error'; code: number; message: string }
  | { kind: 'rateLimited'; retryAfterSeconds: number }
  | { kind: 'down'; mode: '503' | 'hang' };

/** One JSON-RPC call received (each element of a batch is one call). */
export interface RpcCall {
  endpoint: number;
  /** `''` when the request had no valid method. */
  method: string;
  params: unknown;
  id: JsonRpcId;
  batch: boolean;
  outcome: RpcOutcome;
  /** `Date.now()` when the request arrived. */
  at: number;
}

/** Which calls to list. */
export interface RpcCallFilter {
  endpoint?: number;
  method?: string;
  outcome?: RpcOutcome['kind'];
}

/** Per-endpoint totals. `failed` counts JSON-RPC errors and outage answers (not 429s). */
export interface EndpointCounters {
  calls: number;
  rateLimited: number;
  failed: number;
  byMethod: Record<string, number>;
}

/** A running peer. */
export interface SolanaPeer {
  /** One `http://127.0.0.1:PORT` per endpoint. */
  readonly urls: string[];
  /** The treasury funded at start, if any. */
  readonly treasury: SolanaTreasury | undefined;
  /** Test helpers on the chain (funding, transfers, SPL tokens, raw accounts). */
  readonly svm: SvmHelpers;
  endpoint(index: number): EndpointControls;
  /** Calls received, in arrival order (the most recent 100,000). */
  calls(filter?: RpcCallFilter): RpcCall[];
  /** Totals per endpoint, by index. */
  counters(): EndpointCounters[];
  /** The next `n` transactions accepted by `sendTransaction` get their signature but never land. */
  dropNextTransactions(n: number): void;
  /** The landed transaction with `signature`, or `undefined`. */
  transaction(signature: string): LandedTransaction | undefined;
  /** Closes every endpoint and the SVM. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_ENDPOINTS = 2;
const DEFAULT_SLOT_MS = 400;
const CALL_LOG_LIMIT = 100_000;
const RATE_LIMIT_MESSAGE = 'Too many requests for a specific RPC call';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a peer: the SVM host, the chain (treasury funded) and every endpoint on a free port. */
export async function startSolanaPeer(options: SolanaPeerOptions = {}): Promise<SolanaPeer> {
  const count = options.endpoints ?? DEFAULT_ENDPOINTS;
  if (!Number.isInteger(count) || count < 1) throw new Error('endpoints must be a positive integer');
  const slotMs = options.slotMs ?? DEFAULT_SLOT_MS;
  if (!(slotMs > 0)) throw new Error('slotMs must be positive');
  const confirmAfterMs = options.confirmAfterMs ?? slotMs;
  const finalizeAfterMs = Math.max(options.finalizeAfterMs ?? 32 * slotMs, confirmAfterMs);
  const state = options.stateFile === undefined ? undefined : await readChainState(options.stateFile);
  const svm = await startSvm();
  let peer: Peer | undefined;
  try {
    const clock = restoredClock({ slotMs, confirmAfterMs, finalizeAfterMs }, state);
    const chain = await Chain.create(svm, clock, state && { faucet: restoredFaucet(state, options.stateFile!) });
    if (state) await restoreChain(chain, state, options.stateFile!);
    const saver = options.stateFile === undefined ? undefined : chainSaver(chain, options.stateFile);
    const treasury = options.treasury && (await fundTreasury(chain, options.treasury));
    peer = new Peer(svm, chain, treasury, count, saver);
    await peer.listenAll();
    return peer;
  } catch (error) {
    await (peer ? peer.stop() : svm.stop());
    throw error;
  }
}

/** Funds the treasury, unless the (restored) chain already has its account. */
async function fundTreasury(chain: Chain, options: SolanaTreasuryOptions): Promise<SolanaTreasury> {
  const keypair = 'keypair' in options ? options.keypair : undefined;
  const address = keypair ? keypair.publicKey.toBase58() : (options as { address: string }).address;
  if (!(await chain.account(address))) await svmHelpers(chain).setAccount(address, { lamports: options.lamports });
  return { address, lamports: options.lamports, keypair };
}

class Endpoint {
  readonly state = new EndpointState();
  readonly counters: EndpointCounters = { calls: 0, rateLimited: 0, failed: 0, byMethod: {} };
  port = 0;
  /** Serializes listener transitions (`setDown`). */
  transition: Promise<void> = Promise.resolve();

  constructor(readonly server: Server) {}
}

class Peer implements SolanaPeer {
  readonly urls: string[] = [];
  readonly svm: SvmHelpers;
  readonly #svm: Svm;
  readonly #chain: Chain;
  readonly #endpoints: Endpoint[] = [];
  readonly #log: RpcCall[] = [];
  readonly #saver: StateSaver | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    svm: Svm,
    chain: Chain,
    readonly treasury: SolanaTreasury | undefined,
    count: number,
    saver: StateSaver | undefined,
  ) {
    this.#svm = svm;
    this.#chain = chain;
    this.#saver = saver;
    this.svm = svmHelpers(chain);
    for (let index = 0; index < count; index++) {
      const server = createServer((req, res) => void this.#handle(index, req, res));
      server.keepAliveTimeout = 20_000;
      this.#endpoints.push(new Endpoint(server));
    }
  }

  async listenAll(): Promise<void> {
    for (const endpoint of this.#endpoints) {
      endpoint.port = await listen(endpoint.server);
      this.urls.push(loopbackUrl(endpoint.port));
    }
  }

  endpoint(index: number): EndpointControls {
    const endpoint = this.#endpoints[index];
    if (!endpoint) throw new RangeError(`no endpoint ${index}; this peer has ${this.#endpoints.length}`);
    return {
      url: this.urls[index]!,
      setLatency: (ms) => {
        endpoint.state.latencyMs = Math.max(0, ms);
      },
      setRateLimit: (rps, limitOptions = {}) =>
        endpoint.state.setLimits({
          rps,
          perMethod: { ...limitOptions.perMethod },
          retryAfterSeconds: limitOptions.retryAfterSeconds,
        }),
      setDown: (mode) => {
        // Transitions run one after the other; a failed one (port taken meanwhile) fails only its caller.
        endpoint.transition = endpoint.transition
          .catch(() => undefined)
          .then(async () => {
            const wasRefusing = endpoint.state.down === 'refuse';
            endpoint.state.down = mode;
            if (mode === 'refuse' && !wasRefusing) await close(endpoint.server);
            if (mode !== 'refuse' && wasRefusing && !this.#stopping) await listen(endpoint.server, endpoint.port);
          });
        return endpoint.transition;
      },
    };
  }

  calls(filter: RpcCallFilter = {}): RpcCall[] {
    return this.#log.filter(
      (call) =>
        (filter.endpoint === undefined || call.endpoint === filter.endpoint) &&
        (filter.method === undefined || call.method === filter.method) &&
        (filter.outcome === undefined || call.outcome.kind === filter.outcome),
    );
  }

  counters(): EndpointCounters[] {
    return this.#endpoints.map((endpoint) => ({ ...endpoint.counters, byMethod: { ...endpoint.counters.byMethod } }));
  }

  dropNextTransactions(n: number): void {
    this.#chain.dropNext(n);
  }

  transaction(signature: string): LandedTransaction | undefined {
    const record = this.#chain.ledger.get(signature);
    if (!record) return undefined;
    const signers = record.tx.header.numRequiredSignatures;
    return {
      signature: record.signature,
      slot: record.slot,
      blockTime: record.blockTime,
      commitment: this.#chain.clock.commitmentOf(record.landedAt),
      err: record.err,
      fee: record.outcome.fee,
      accounts: record.keys.keys.map((address, index) => ({
        address,
        signer: index < signers,
        writable: record.keys.writable[index] ?? false,
        preLamports: record.preBalances[index] ?? 0n,
        postLamports: record.postBalances[index] ?? 0n,
      })),
      logs: [...record.outcome.logs],
    };
  }

  /** Closes the endpoints, saves the chain (when it is kept) and stops the SVM. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(this.#endpoints.map((endpoint) => endpoint.transition.catch(() => undefined)));
      await Promise.all(this.#endpoints.map((endpoint) => close(endpoint.server)));
      try {
        await this.#saver?.flush();
      } finally {
        await this.#svm.stop();
      }
    })();
    return this.#stopping;
  }

  // ---- HTTP -------------------------------------------------------------------------------------------

  #record(index: number, call: Omit<RpcCall, 'endpoint'>): void {
    const counters = this.#endpoints[index]!.counters;
    counters.calls += 1;
    counters.byMethod[call.method] = (counters.byMethod[call.method] ?? 0) + 1;
    if (call.outcome.kind === 'rateLimited') counters.rateLimited += 1;
    if (call.outcome.kind === 'error' || call.outcome.kind === 'down') counters.failed += 1;
    this.#log.push({ endpoint: index, ...call });
    if (this.#log.length > CALL_LOG_LIMIT) this.#log.splice(0, this.#log.length - CALL_LOG_LIMIT);
  }

  async #handle(index: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.#serve(index, req, res);
    } catch (error) {
      send(res, 500, `Internal Server Error: ${String(error)}`, { 'content-type': 'text/plain' });
    }
  }

  async #serve(index: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const endpoint = this.#endpoints[index]!;
    const at = Date.now();
    if (req.method === 'GET' && (req.url ?? '/').split('?')[0] === '/health') {
      req.resume();
      if (endpoint.state.down === 'hang') return; // never answered: the client times out
      if (endpoint.state.down === '503') return send(res, 503, 'Service Unavailable', { 'content-type': 'text/plain' });
      return send(res, 200, 'ok', { 'content-type': 'text/plain' });
    }
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, 'Used HTTP Method is not allowed. POST or OPTIONS is required', {
        'content-type': 'text/plain',
      });
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json') {
      req.resume();
      return send(res, 415, 'Supplied content type is not allowed. Content-Type: application/json is required', {
        'content-type': 'text/plain',
      });
    }
    const raw = await readBody(req, MAX_REQUEST_BYTES);
    if (raw === 'too-large') {
      send(res, 413, 'Payload Too Large', { 'content-type': 'text/plain', connection: 'close' });
      return;
    }
    const body = parseBody(raw.toString('utf8'));
    const methods = body.entries.map((entry) => (entry.ok ? entry.call.method : ''));
    const admission = admit(endpoint.state, methods, at);
    const record = (entry: RequestEntry, outcome: RpcOutcome): void =>
      this.#record(index, {
        method: entry.ok ? entry.call.method : '',
        params: entry.ok ? entry.call.params : undefined,
        id: entry.ok ? entry.call.id : entry.id,
        batch: body.batch,
        outcome,
        at,
      });

    if (admission.kind === 'down') {
      for (const entry of body.entries) record(entry, { kind: 'down', mode: admission.mode });
      if (admission.mode === 'hang') return; // never answered until the client gives up or the peer stops
      return send(res, 503, 'Service Unavailable', { 'content-type': 'text/plain' });
    }
    if (admission.kind === 'rateLimited') {
      const { retryAfterSeconds } = admission;
      for (const entry of body.entries) record(entry, { kind: 'rateLimited', retryAfterSeconds });
      const error = new RpcError(RpcCode.tooManyRequests, RATE_LIMIT_MESSAGE);
      const answers = body.entries.map((entry) => responseObject(entry.ok ? entry.call.id : entry.id, { error }));
      await this.#delay(endpoint);
      return send(res, 429, serializeResponse(body.batch ? answers : answers[0], []), {
        'content-type': 'application/json',
        'retry-after': String(retryAfterSeconds),
      });
    }

    await this.#delay(endpoint);
    const answers: unknown[] = [];
    const ids: JsonRpcId[] = [];
    for (const entry of body.entries) {
      const outcome = await this.#execute(entry);
      const id = entry.ok ? entry.call.id : entry.id;
      record(
        entry,
        'error' in outcome
          ? { kind: 'error', code: outcome.error.code, message: outcome.error.message }
          : { kind: 'ok' },
      );
      if (entry.ok && entry.call.notification) continue;
      answers.push(responseObject(id, outcome));
      ids.push(id);
    }
    if (answers.length === 0) return send(res, 200, '');
    send(res, 200, serializeResponse(body.batch ? answers : answers[0], ids));
  }

  async #execute(entry: RequestEntry): Promise<{ result: unknown } | { error: RpcError }> {
    if (!entry.ok) return { error: entry.error };
    const handler = findMethod(entry.call.method);
    if (!handler) return { error: new RpcError(RpcCode.methodNotFound, 'Method not found') };
    try {
      return { result: await handler({ chain: this.#chain }, entry.call.params) };
    } catch (error) {
      if (error instanceof RpcError) return { error };
      return {
        error: new RpcError(
          RpcCode.internalError,
          'Internal error',
          error instanceof Error ? error.message : String(error),
        ),
      };
    }
  }

  async #delay(endpoint: Endpoint): Promise<void> {
    if (endpoint.state.latencyMs > 0) await sleep(endpoint.state.latencyMs);
  }
}
