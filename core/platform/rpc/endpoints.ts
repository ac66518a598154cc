import * as z from 'zod/mini';
import { ConfigError } from '../errors.js';

/**
 * One Solana JSON-RPC endpoint as configured in the `SOLANA_RPC_URLS` secret.
 *
 * Invariants (enforced by `parseRpcEndpoints`): `url` is http(s); `rps` and every `methodRps`
 * value are > 0 and are the provider's caps for the whole deployment (the pool divides them by
 * the rpc consumer's maximum concurrency); `priority` is an integer, lower = preferred.
 * The URL is a secret (providers embed API keys in it): log `redactUrl(url)`, never `url`.
 */
export interface RpcEndpoint {
  readonly url: string;
  /** Requests per second the provider allows this deployment, all methods together. */
  readonly rps: number;
  /** Tighter caps for single methods (e.g. `getSignaturesForAddress`), requests per second. */
  readonly methodRps: Readonly<Record<string, number>>;
  /** Lower is preferred while it can start a call at once; under load every endpoint takes calls up to its cap. */
  readonly priority: number;
}

const positive = (what: string) => z.number(`${what} must be a number`).check(z.positive(`${what} must be > 0`));

const EndpointSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }),
  rps: positive('rps'),
  methodRps: z.optional(
    z.record(z.string().check(z.minLength(1, 'method names must not be empty')), positive('methodRps values')),
  ),
  priority: z.optional(z.int('priority must be an integer')),
});

const EndpointListSchema = z
  .array(EndpointSchema, 'must be a JSON array of endpoints')
  .check(z.minLength(1, 'must list at least one endpoint'));

/**
 * Parses the `SOLANA_RPC_URLS` secret (or another list of the same shape, named `secret` in the
 * errors, such as the price sources' `PRICE_URLS`): a JSON array of
 * `{ url, rps, methodRps?, priority? }` (`priority` defaults to 0). Throws `ConfigError`
 * naming what is wrong and where (`[1].rps: rps must be > 0`), but never echoing a value: a
 * malformed secret may still contain a working API key, so not even the JSON parser's message
 * (which quotes the input) is kept as the cause.
 */
export function parseRpcEndpoints(json: string, secret = 'SOLANA_RPC_URLS'): RpcEndpoint[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ConfigError(`${secret} is not valid JSON`);
  }
  const parsed = EndpointListSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}${safeMessage(issue)}`);
    throw new ConfigError(`Invalid ${secret}: ${problems.join('; ')}`);
  }
  const endpoints = parsed.data.map((e) => ({
    url: e.url,
    rps: e.rps,
    methodRps: e.methodRps ?? {},
    priority: e.priority ?? 0,
  }));
  const seen = new Map<string, number>();
  endpoints.forEach((endpoint, index) => {
    const first = seen.get(endpoint.url);
    if (first !== undefined) throw new ConfigError(`Invalid ${secret}: [${index}] repeats the URL of [${first}]`);
    seen.set(endpoint.url, index);
  });
  return endpoints;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '';
  // Record keys are method names from the secret: safe to show, but keep them short.
  const text = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p).slice(0, 40)}`)).join('');
  return `${text.replace(/^\./, '')}: `;
}

/** Our own messages are value-free; any other issue is reduced to its code. */
function safeMessage(issue: { code?: string; message: string }): string {
  return /must|empty/.test(issue.message) ? issue.message : `invalid (${issue.code ?? 'unknown'})`;
}

/**
 * The origin of `url` (scheme, host, port): what logs and `/stats` may show of an endpoint.
 * Paths, query strings and credentials (where providers put API keys) are dropped; an
 * unparsable URL becomes `[invalid url]`.
 */
export function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '[invalid url]';
  }
}
