/**
 * A scriptable JSON-RPC 2.0 server on loopback: the stand-in for a remote Solana RPC provider
 * in the pool's tests. Results come from per-method handlers; the next requests can be told to
 * misbehave the way providers do (delay, 429 with Retry-After, 5xx, malformed or oversized
 * bodies, wrong ids, JSON-RPC errors, dropped connections, no answer at all).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { close, listen, loopbackUrl } from '../../local/ports.js';

/** How the server treats one request. */
export type Behaviour = (
  | { kind: 'answer' }
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  | { kind: 'rpc-error'; code: number; message?: string; data?: unknown }
  | { kind: 'malformed' }
  | { kind: 'not-jsonrpc' }
  | { kind: 'wrong-id' }
  | { kind: 'huge'; bytes: number }
  | { kind: 'drop' }
  | { kind: 'hang' }
) & { delayMs?: number };

export interface RecordedRequest {
  readonly method: string;
  readonly params: unknown;
  readonly id: unknown;
  /** `performance.now()` when the request arrived. */
  readonly at: number;
  /** Path and query the request was sent to. */
  readonly path: string;
}

export type Handler = (params: unknown, request: RecordedRequest) => unknown;

export interface JsonRpcTestServer {
  /** Base URL plus the path given at start (e.g. a fake API key). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests received, of one method or of all. */
  count(method?: string): number;
  /** Answers `method` with the handler's return value (methods without one get -32601). */
  on(method: string, handler: Handler): void;
  /** The next requests get these behaviours, one each, in order. */
  script(...behaviours: Behaviour[]): void;
  /** What requests get once the script has run out (default: answer). */
  setDefault(behaviour: Behaviour): void;
  close(): Promise<void>;
}

export async function startJsonRpcServer(options: { path?: string } = {}): Promise<JsonRpcTestServer> {
  const requests: RecordedRequest[] = [];
  const handlers = new Map<string, Handler>();
  const queue: Behaviour[] = [];
  let fallback: Behaviour = { kind: 'answer' };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: unknown; method: string; params: unknown };
    const recorded = { method: body.method, params: body.params, id: body.id, at, path: req.url ?? '/' };
    requests.push(recorded);
    const behaviour = queue.shift() ?? fallback;
    if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    const json = (value: unknown, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    switch (behaviour.kind) {
      case 'answer': {
        const handler = handlers.get(body.method);
        if (!handler)
          return json({ jsonrpc: '2.0', id: body.id, error: { code: -32601, message: 'Method not found' } });
        return json({ jsonrpc: '2.0', id: body.id, result: handler(body.params, recorded) });
      }
      case 'status': {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (behaviour.retryAfter !== undefined) headers['retry-after'] = behaviour.retryAfter;
        res.writeHead(behaviour.status, headers);
        res.end(
          behaviour.body ?? JSON.stringify({ jsonrpc: '2.0', id: body.id, error: { code: -32000, message: 'x' } }),
        );
        return;
      }
      case 'rpc-error':
        return json({
          jsonrpc: '2.0',
          id: body.id,
          error: { code: behaviour.code, message: behaviour.message ?? 'error', data: behaviour.data },
        });
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"jsonrpc":"2.0","id":');
        return;
      case 'not-jsonrpc':
        return json({ ok: true, id: body.id });
      case 'wrong-id':
        return json({ jsonrpc: '2.0', id: `not-${String(body.id)}`, result: 1 });
      case 'huge':
        return streamHuge(res, body.id, behaviour.bytes);
      case 'drop':
        req.socket.destroy();
        return;
      case 'hang':
        return;
    }
  }

  const port = await listen(server);
  return {
    url: `${loopbackUrl(port)}${options.path ?? ''}`,
    requests,
    count: (method) => (method ? requests.filter((r) => r.method === method).length : requests.length),
    on: (method, handler) => void handlers.set(method, handler),
    script: (...behaviours) => void queue.push(...behaviours),
    setDefault: (behaviour) => {
      fallback = behaviour;
    },
    close: () => close(server),
  };
}

/** A valid JSON-RPC answer of about `bytes` bytes, chunked, with no Content-Length. */
function streamHuge(res: ServerResponse, id: unknown, bytes: number): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":"`);
  const chunk = 'a'.repeat(64 * 1024);
  let sent = 0;
  const pump = (): void => {
    while (sent < bytes && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end('"}');
  };
  res.on('error', () => undefined);
  pump();
}
