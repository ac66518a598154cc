import { Connection, Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SolanaPeer, startSolanaPeer } from '../../../local/solana/index.js';

let peer: SolanaPeer;
const others: SolanaPeer[] = [];

beforeAll(async () => {
  peer = await startSolanaPeer({ slotMs: 50 });
});
afterEach(async () => {
  for (const index of [0, 1]) {
    const endpoint = peer.endpoint(index);
    endpoint.setLatency(0);
    endpoint.setRateLimit(undefined);
    await endpoint.setDown(false);
  }
});
afterAll(async () => {
  await Promise.all([peer.stop(), ...others.map((p) => p.stop())]);
});

interface RpcReply {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A raw JSON-RPC POST; `body` is sent as given when it is a string. */
async function post(url: string, body: unknown, init: RequestInit = {}): Promise<RpcReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

const call = (method: string, params?: unknown[], id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method,
  ...(params ? { params } : {}),
});

const errorOf = (reply: RpcReply) => (reply.body as { error?: { code: number; message: string } }).error;

describe('SolanaPeer', () => {
  it('answers 429 with Retry-After and a JSON-RPC error body above the rate', async () => {
    const endpoint = peer.endpoint(0);
    endpoint.setRateLimit(3, { retryAfterSeconds: 2 });
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await post(peer.urls[0]!, call('getSlot', [], i)));
    expect(replies.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(replies[3]?.status).toBe(429);
    expect(replies[3]?.headers.get('retry-after')).toBe('2');
    expect(replies[3]?.body).toMatchObject({ jsonrpc: '2.0', id: 3, error: { code: 429 } });
    // The other endpoint has its own quota.
    expect((await post(peer.urls[1]!, call('getSlot'))).status).toBe(200);

    const connection = new Connection(peer.urls[0]!, { disableRetryOnRateLimit: true });
    await expect(connection.getSlot()).rejects.toThrow(/429/);
    expect(peer.counters()[0]?.rateLimited).toBeGreaterThanOrEqual(2);
    expect(peer.calls({ endpoint: 0, outcome: 'rateLimited' }).at(-1)).toMatchObject({
      method: 'getSlot',
      outcome: { kind: 'rateLimited', retryAfterSeconds: 2 },
    });
  });

  it('limits one method without limiting the others', async () => {
    peer.endpoint(1).setRateLimit(undefined, { perMethod: { getBalance: 2 } });
    const address = Keypair.generate().publicKey.toBase58();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(peer.urls[1]!, call('getBalance', [address]))).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await post(peer.urls[1]!, call('getSlot'))).status).toBe(200);
    const limited = await post(peer.urls[1]!, call('getBalance', [address]));
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('refuses connections while down with refuse, and serves again on the same port', async () => {
    const url = peer.urls[0]!;
    await peer.endpoint(0).setDown('refuse');
    await expect(post(url, call('getSlot'))).rejects.toThrow();
    expect((await post(peer.urls[1]!, call('getSlot'))).status).toBe(200);
    await peer.endpoint(0).setDown(false);
    expect((await post(url, call('getSlot'))).status).toBe(200);
  });

  it('answers 503 while down with 503', async () => {
    await peer.endpoint(0).setDown('503');
    const reply = await fetch(peer.urls[0]!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(call('getHealth')),
    });
    expect(reply.status).toBe(503);
    await expect(new Connection(peer.urls[0]!).getSlot()).rejects.toThrow(/503/);
    expect(peer.calls({ endpoint: 0 }).at(-1)?.outcome).toEqual({ kind: 'down', mode: '503' });
  });

  it('never answers while down with hang', async () => {
    await peer.endpoint(0).setDown('hang');
    const started = Date.now();
    await expect(post(peer.urls[0]!, call('getSlot'), { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(peer.calls({ endpoint: 0, method: 'getSlot' }).at(-1)?.outcome).toEqual({ kind: 'down', mode: 'hang' });
  });

  it('adds the configured latency before answering', async () => {
    peer.endpoint(1).setLatency(200);
    const started = Date.now();
    expect((await post(peer.urls[1]!, call('getSlot'))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('answers a batch with one response per call, in order, and none for notifications', async () => {
    const address = Keypair.generate().publicKey.toBase58();
    const reply = await post(peer.urls[0]!, [
      call('getBalance', [address], 'a'),
      call('noSuchMethod', [], 'b'),
      { jsonrpc: '2.0', method: 'getSlot' },
      call('getBalance', ['not-a-key'], 'c'),
      42,
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject([
      { id: 'a', result: { value: 0, context: { slot: expect.any(Number) } } },
      { id: 'b', error: { code: -32601, message: 'Method not found' } },
      { id: 'c', error: { code: -32602, message: 'Invalid param: Invalid' } },
      { id: null, error: { code: -32600, message: 'Invalid request' } },
    ]);
    expect((reply.body as unknown[]).length).toBe(4);
    expect(
      peer
        .calls({ endpoint: 0 })
        .slice(-5)
        .map((c) => c.method),
    ).toEqual(['getBalance', 'noSuchMethod', 'getSlot', 'getBalance', '']);
  });

  it('answers malformed requests with the JSON-RPC error codes Solana uses', async () => {
    const url = peer.urls[0]!;
    const cases: Array<[unknown, number, string]> = [
      ['{"jsonrpc": "2.0", "method": ', -32700, 'Parse error'],
      [{}, -32600, 'Invalid request'],
      [[], -32600, 'Invalid request'],
      [{ jsonrpc: '1.0', id: 1, method: 'getSlot' }, -32600, 'Invalid request'],
      [call('getBalance'), -32602, '`params` should have at least 1 argument(s)'],
      [call('getBalance', [1]), -32602, 'Invalid params: invalid type: integer `1`, expected a string.'],
      [call('getBalance', ['4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T5']), -32602, 'Invalid param: WrongSize'],
      [call('getBalance', ['abc']), -32602, 'Invalid param: WrongSize'],
      [call('getBalance', ['0OIl']), -32602, 'Invalid param: Invalid'],
      [call('getTransaction', ['1111']), -32602, 'Invalid param: WrongSize'],
      [
        call('getBalance', [Keypair.generate().publicKey.toBase58(), { commitment: 'max' }]),
        -32602,
        'Invalid params: unknown variant `max`, expected one of `processed`, `confirmed`, `finalized`.',
      ],
      [call('sendTransaction', ['AAAA', { encoding: 'base64' }]), -32602, 'failed to deserialize'],
    ];
    for (const [body, code, message] of cases) {
      const reply = await post(url, body);
      expect(reply.status, JSON.stringify(body)).toBe(200);
      expect(errorOf(reply)?.code, JSON.stringify(body)).toBe(code);
      expect(errorOf(reply)?.message, JSON.stringify(body)).toContain(message);
    }
    expect((await fetch(url)).status).toBe(405);
    expect((await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } })).status).toBe(
      415,
    );
    expect(await (await fetch(`${url}/health`)).text()).toBe('ok');
  });

  it('answers a large batch and large accounts completely', async () => {
    const keys = Array.from({ length: 100 }, () => Keypair.generate().publicKey);
    const data = new Uint8Array(10_000).map((_v, i) => i & 0xff);
    for (const key of keys) await peer.svm.setAccount(key, { lamports: 1_000_000_000n, data });
    const connection = new Connection(peer.urls[1]!, { disableRetryOnRateLimit: true });
    const accounts = await connection.getMultipleAccountsInfo(keys);
    expect(accounts.every((account) => account?.data.length === 10_000 && account.data[255] === 255)).toBe(true);

    const batch = keys.concat(keys, keys).map((key, i) => call('getBalance', [key.toBase58()], i));
    const reply = await post(peer.urls[1]!, batch);
    const results = reply.body as Array<{ id: number; result: { value: number } }>;
    expect(results).toHaveLength(300);
    expect(results.every((r, i) => r.id === i && r.result.value === 1_000_000_000)).toBe(true);
  });

  it('keeps exact u64 integers in responses', async () => {
    const key = Keypair.generate().publicKey;
    await peer.svm.setAccount(key, { lamports: 18_446_744_073_709_551_615n });
    const raw = await fetch(peer.urls[0]!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(call('getBalance', [key.toBase58()])),
    });
    expect(await raw.text()).toContain('"value":18446744073709551615');
  });

  it('runs two peers at once, each with its own chain', async () => {
    const second = await startSolanaPeer({ endpoints: 1 });
    others.push(second);
    expect(second.urls[0]).not.toBe(peer.urls[0]);
    const wallet = Keypair.generate().publicKey;
    await second.svm.airdrop(wallet, LAMPORTS_PER_SOL);
    expect(await new Connection(second.urls[0]!).getBalance(wallet)).toBe(LAMPORTS_PER_SOL);
    expect(await new Connection(peer.urls[0]!).getBalance(wallet)).toBe(0);
    expect(await new Connection(second.urls[0]!).getGenesisHash()).not.toBe(
      await new Connection(peer.urls[0]!).getGenesisHash(),
    );
  });
});
