import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChatRequest, defaultReply, type LlmPeer, startLlmPeer } from '../../../local/llm/index.js';

const KEY = 'sk-local-test-key';

let peer: LlmPeer;

beforeAll(async () => {
  peer = await startLlmPeer({ apiKey: KEY });
});

afterEach(() => {
  peer.reset();
});

afterAll(async () => {
  await peer.stop();
});

const body = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'deepseek-chat',
  messages: [{ role: 'user', content }],
  ...extra,
});

function post(
  payload: unknown,
  {
    key = KEY,
    url = `${peer.baseUrl}/chat/completions`,
    signal,
  }: { key?: string | null; url?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    signal,
  });
}

interface Completion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface ErrorBody {
  error: { message: string; type: string; code: string | null };
}

async function answer(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  const json = (await response.json()) as Completion;
  return json.choices[0]!.message.content;
}

describe('LlmPeer', () => {
  it('answers a chat.completion in the OpenAI shape on both paths', async () => {
    for (const url of [`${peer.baseUrl}/chat/completions`, `${peer.baseUrl.replace(/\/v1$/, '')}/chat/completions`]) {
      const response = await post(body('hello', { max_tokens: 50, temperature: 0.7 }), { url });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      const json = (await response.json()) as Completion;
      expect(json.id).toMatch(/^chatcmpl-/);
      expect(json.object).toBe('chat.completion');
      expect(Number.isInteger(json.created)).toBe(true);
      expect(json.model).toBe('deepseek-chat');
      expect(json.choices).toEqual([
        { index: 0, message: { role: 'assistant', content: 'Local model: you said "hello"' }, finish_reason: 'stop' },
      ]);
      expect(json.usage.prompt_tokens).toBeGreaterThan(0);
      expect(json.usage.completion_tokens).toBeGreaterThan(0);
      expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
    }
    expect(peer.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('refuses a missing or wrong key with 401 and an error body that does not echo the key', async () => {
    for (const key of [null, 'sk-wrong', `${KEY}x`]) {
      const response = await post(body('hi'), { key });
      expect(response.status).toBe(401);
      const json = (await response.json()) as ErrorBody;
      expect(json.error).toEqual({
        message: expect.any(String),
        type: 'authentication_error',
        code: 'invalid_api_key',
      });
      expect(JSON.stringify(json)).not.toContain('sk-');
    }
    expect(peer.stats()).toMatchObject({ requests: 3, answered: 0 });
    expect(peer.requests()).toEqual([]);
  });

  it('answers 400 to malformed bodies', async () => {
    const bad: unknown[] = [
      'not json',
      '[]',
      {},
      { model: 'deepseek-chat', messages: [] },
      { model: '', messages: [{ role: 'user', content: 'x' }] },
      { model: 'm', messages: [{ role: 'robot', content: 'x' }] },
      { model: 'm', messages: [{ role: 'user', content: 42 }] },
      body('x', { max_tokens: 0 }),
      body('x', { temperature: 3 }),
    ];
    for (const payload of bad) {
      const response = await post(payload);
      expect(response.status, JSON.stringify(payload)).toBe(400);
      const json = (await response.json()) as ErrorBody;
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.message).not.toBe('');
    }
    expect(peer.requests()).toEqual([]);
  });

  it('refuses stream: true with 400', async () => {
    const response = await post(body('hi', { stream: true }));
    expect(response.status).toBe(400);
    const json = (await response.json()) as ErrorBody;
    expect(json.error.message).toBe('streaming not supported by the local peer');
  });

  it('echoes the first 200 characters of the last user message, prefixed by the system prompt language', async () => {
    const long = `${'字'.repeat(199)}😀tail`;
    const request: ChatRequest = {
      model: 'deepseek-chat',
      messages: [
        { role: 'system', content: 'You are a wallet desk assistant. Answer in Simplified Chinese.' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: long },
      ],
    };
    const text = await answer(await post(request));
    expect(text).toBe(`（简体中文）Local model: you said "${'字'.repeat(199)}😀"`);
    expect(text).toBe(defaultReply(request));
    expect(await answer(await post(body('plain')))).toBe('Local model: you said "plain"');
  });

  it('takes the language from an instruction to answer in it, not from a mere mention', () => {
    const ask = (system: string): ChatRequest => ({
      model: 'deepseek-chat',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(defaultReply(ask('/lang switches between English and Chinese. Answer in English.'))).toBe(
      'Local model: you said "hi"',
    );
    expect(defaultReply(ask('Features: Chinese menus.\n\nReply in Spanish unless asked otherwise.'))).toBe(
      '(español) Local model: you said "hi"',
    );
    expect(defaultReply(ask('RESPOND IN CHINESE.'))).toBe('（中文）Local model: you said "hi"');
  });

  it('answers with the scripted reply, verbatim, until reset', async () => {
    const huge = `<b>bold</b> *bold* _it_ ${'x'.repeat(10_000)}`;
    peer.setReply((request) => (request.messages.length > 1 ? 'with history' : huge));
    expect(await answer(await post(body('anything')))).toBe(huge);
    peer.setReply(async () => 'async answer');
    expect(await answer(await post(body('anything')))).toBe('async answer');
    peer.reset();
    expect(await answer(await post(body('again')))).toBe('Local model: you said "again"');
  });

  it('answers 500 when the scripted reply throws', async () => {
    peer.setReply(() => {
      throw new Error('script failure');
    });
    const response = await post(body('x'));
    expect(response.status).toBe(500);
    expect(((await response.json()) as ErrorBody).error.type).toBe('server_error');
  });

  it('does not answer before the latency has elapsed', async () => {
    peer.setLatency(300);
    const started = performance.now();
    expect(await answer(await post(body('slow')))).toBe('Local model: you said "slow"');
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('refuses requests above the rate with 429 and Retry-After, then admits once the window has passed', async () => {
    peer.setRateLimit(3);
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => post(body(`burst ${i}`))));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = responses.filter((r) => r.status === 429);
    for (const response of limited) {
      const retryAfter = Number(response.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      const json = (await response.json()) as ErrorBody;
      expect(json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    }
    // Still inside the window: refused, and a refused request takes no slot.
    expect((await post(body('still too soon'))).status).toBe(429);
    const retryAfter = Number(limited[0]!.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1_000 + 50));
    expect((await post(body('after the window'))).status).toBe(200);
    expect(peer.stats()).toEqual({ requests: 7, answered: 4, rateLimited: 3, maxPerSecond: 6 });
    expect(peer.requests().map((r) => r.messages[0]!.content)).toHaveLength(4);
    peer.setRateLimit(null);
    const free = await Promise.all(Array.from({ length: 5 }, () => post(body('free'))));
    expect(free.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('answers 503 while down and 500 during a 500 outage, then recovers', async () => {
    peer.setOutage('down');
    const down = await post(body('x'));
    expect(down.status).toBe(503);
    expect(((await down.json()) as ErrorBody).error.type).toBe('server_error');
    peer.setOutage('500');
    expect((await post(body('x'))).status).toBe(500);
    peer.setOutage(null);
    expect(await answer(await post(body('back')))).toBe('Local model: you said "back"');
    expect(peer.stats()).toMatchObject({ requests: 3, answered: 1 });
  });

  it('holds requests during a timeout outage and answers them once it is cleared', async () => {
    peer.setOutage('timeout');
    const pending = post(body('held'));
    const held = await Promise.race([
      pending.then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('held'), 300)),
    ]);
    expect(held).toBe('held');
    expect(peer.stats()).toMatchObject({ requests: 1, answered: 0 });
    peer.setOutage(null);
    expect(await answer(await pending)).toBe('Local model: you said "held"');
  });

  it('lets a client abort a held request', async () => {
    peer.setOutage('timeout');
    await expect(post(body('held'), { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    // Let the peer see the connection close before the outage is cleared.
    await new Promise((resolve) => setTimeout(resolve, 100));
    peer.setOutage(null);
    expect(await answer(await post(body('after')))).toBe('Local model: you said "after"');
    // The abandoned request was neither recorded nor answered once released.
    expect(peer.requests().map((r) => r.messages[0]!.content)).toEqual(['after']);
    expect(peer.stats()).toMatchObject({ requests: 2, answered: 1 });
  });

  it('records the admitted bodies, with history and system prompt, and counts them', async () => {
    const request: ChatRequest = {
      model: 'deepseek-chat',
      messages: [
        { role: 'system', content: 'system prompt' },
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'a1' },
        { role: 'user', content: 'q2' },
      ],
      max_tokens: 100,
    };
    await answer(await post(request));
    await answer(await post(body('second')));
    expect(peer.requests()).toEqual([request, body('second')]);
    expect(peer.stats()).toEqual({ requests: 2, answered: 2, rateLimited: 0, maxPerSecond: 2 });
    peer.reset();
    expect(peer.requests()).toEqual([]);
    expect(peer.stats()).toEqual({ requests: 0, answered: 0, rateLimited: 0, maxPerSecond: 0 });
  });

  it('answers 404 to other paths', async () => {
    const response = await post(body('x'), { url: `${peer.baseUrl}/completions` });
    expect(response.status).toBe(404);
  });

  it('drops held and sleeping requests when it stops', async () => {
    const other = await startLlmPeer({ apiKey: KEY });
    const call = (content: string): Promise<Response> =>
      fetch(`${other.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify(body(content)),
      });
    other.setOutage('timeout');
    const held = call('held');
    await new Promise((resolve) => setTimeout(resolve, 100));
    other.setOutage(null);
    other.setLatency(60_000);
    const sleeping = call('sleeping');
    await new Promise((resolve) => setTimeout(resolve, 100));
    other.setOutage('timeout');
    const held2 = call('held again');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const settled = Promise.allSettled([held, sleeping, held2]);
    await other.stop();
    // The first request was released when the outage cleared, then slept out the new latency.
    expect((await settled).map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(other.stats().answered).toBe(0);
  });
});
