import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AiRateLimitedError,
  AiRejectedError,
  AiTimeoutError,
  AiUnavailableError,
} from '../../../../core/desk/assistant/errors.js';
import type { ChatRequest } from '../../../../core/desk/assistant/model.js';
import { OpenAiChatModel } from '../../../../core/desk/assistant/openai-chat.js';
import { defaultReply, type LlmPeer, startLlmPeer } from '../../../../local/llm/index.js';
import { close, listen, loopbackUrl } from '../../../../local/ports.js';
import { secretCanary } from '../../../setup/secrets.js';

const KEY = secretCanary('ai-provider-key');
const MODEL = 'deepseek-chat';

let peer: LlmPeer;

/** A stand-in provider for answers the peer never gives: each test scripts `respond`. */
let respond: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_req, res) => res.end();
let fakeServer: Server;
let fakeUrl: string;

beforeAll(async () => {
  peer = await startLlmPeer({ apiKey: KEY });
  fakeServer = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => respond(req, res, body));
  });
  fakeUrl = `${loopbackUrl(await listen(fakeServer))}/v1`;
});

afterEach(() => {
  peer.reset();
});

afterAll(async () => {
  await peer.stop();
  await close(fakeServer);
});

const question = (content: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [
    { role: 'system', content: 'You are the wallet desk assistant.' },
    { role: 'user', content },
  ],
  maxTokens: 64,
  ...extra,
});

const peerModel = (apiKey = KEY, baseUrl = peer.baseUrl) => new OpenAiChatModel({ baseUrl, apiKey, model: MODEL });
const fakeModel = () => new OpenAiChatModel({ baseUrl: fakeUrl, apiKey: KEY, model: MODEL });

/** Scripts the fake provider to answer `status` with `body` (an object is sent as JSON) and `headers`. */
function fakeAnswers(status: number, body: unknown, headers: Record<string, string> = {}): void {
  respond = (_req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', ...headers });
    res.end(text);
  };
}

const completion = (content: string | null, finishReason: string | null = 'stop', extra: object = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
  ...extra,
});

/** The rejection of `promise`, checked to carry neither the key nor (when given) a prompt text. */
async function failure(promise: Promise<unknown>, ...secrets: string[]): Promise<Error> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const shown = `${(error as Error).message} ${JSON.stringify(error)}`;
  // Booleans, so a failure never prints the secret itself.
  for (const secret of [KEY, ...secrets]) expect(shown.includes(secret)).toBe(false);
  return error as Error;
}

describe('OpenAiChatModel', () => {
  it('answers with the first choice and sends model, messages, max_tokens and stream: false', async () => {
    const request = question('What is my balance?');
    const answer = await peerModel().complete(request);

    expect(answer.text).toBe(
      defaultReply({ model: MODEL, messages: request.messages.map((m) => ({ ...m })), max_tokens: 64 }),
    );
    expect(answer.text).toContain('What is my balance?');
    expect(answer.finishReason).toBe('stop');
    expect(answer.usage?.promptTokens).toBeGreaterThan(0);
    expect(answer.usage?.completionTokens).toBeGreaterThan(0);
    expect(peer.requests()).toEqual([{ model: MODEL, messages: request.messages, max_tokens: 64, stream: false }]);
  });

  it('joins a base URL with a trailing slash without a double slash', async () => {
    let path = '';
    respond = (req, res) => {
      path = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion('hi')));
    };
    await new OpenAiChatModel({ baseUrl: `${fakeUrl}/`, apiKey: KEY, model: MODEL }).complete(question('hello'));
    expect(path).toBe('/v1/chat/completions');
    await expect(peerModel(KEY, `${peer.baseUrl}/`).complete(question('hello'))).resolves.toMatchObject({
      finishReason: 'stop',
    });
  });

  it('sends the key as a Bearer token', async () => {
    let authorization: string | undefined;
    respond = (req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion('hi')));
    };
    await fakeModel().complete(question('hello'));
    expect(authorization === `Bearer ${KEY}`).toBe(true); // compared as a boolean: a failure never prints the key
  });

  it('throws AiRejectedError 401 for a wrong key, without either key in the message', async () => {
    const wrong = secretCanary('wrong-ai-key');
    const error = await failure(peerModel(wrong).complete(question('hello')), wrong);
    expect(error).toBeInstanceOf(AiRejectedError);
    expect((error as AiRejectedError).status).toBe(401);
    expect((error as AiRejectedError).code).toBe('ai.rejected');
    expect(error.message).toContain('Incorrect API key provided');
    expect(peer.stats().answered).toBe(0);
  });

  it('throws AiRateLimitedError with the Retry-After seconds above the peer rate', async () => {
    peer.setRateLimit(1);
    const model = peerModel();
    await model.complete(question('first'));
    const error = await failure(model.complete(question('second')));
    expect(error).toBeInstanceOf(AiRateLimitedError);
    expect((error as AiRateLimitedError).retryAfterSeconds).toBe(1);
    expect(peer.stats().rateLimited).toBe(1);
  });

  it('reads retry-after-ms and HTTP-date Retry-After on a 429', async () => {
    fakeAnswers(429, { error: { message: 'slow down' } }, { 'retry-after-ms': '1500', 'retry-after': '9' });
    const byMs = await failure(fakeModel().complete(question('hello')));
    expect(byMs).toBeInstanceOf(AiRateLimitedError);
    expect((byMs as AiRateLimitedError).retryAfterSeconds).toBe(1.5);

    fakeAnswers(
      429,
      { error: { message: 'slow down' } },
      { 'retry-after': new Date(Date.now() + 30_000).toUTCString() },
    );
    const byDate = (await failure(fakeModel().complete(question('hello')))) as AiRateLimitedError;
    // An HTTP date has whole seconds: 29-30 s from now, less the time the request took.
    expect(byDate.retryAfterSeconds).toBeGreaterThan(25);
    expect(byDate.retryAfterSeconds).toBeLessThanOrEqual(30);

    fakeAnswers(429, { error: { message: 'slow down' } });
    const bare = (await failure(fakeModel().complete(question('hello')))) as AiRateLimitedError;
    expect(bare).toBeInstanceOf(AiRateLimitedError);
    expect(bare.retryAfterSeconds).toBeUndefined();
  });

  it('throws AiUnavailableError during a down or 500 outage', async () => {
    for (const outage of ['down', '500'] as const) {
      peer.setOutage(outage);
      const error = await failure(peerModel().complete(question('hello')));
      expect(error).toBeInstanceOf(AiUnavailableError);
      expect(error.message).toContain(outage === 'down' ? '503' : '500');
    }
    peer.setOutage(null);
    await expect(peerModel().complete(question('hello'))).resolves.toMatchObject({ finishReason: 'stop' });
  });

  it('keeps the Retry-After of a 5xx, even on an HTML error page', async () => {
    fakeAnswers(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', { 'retry-after': '3' });
    const error = (await failure(fakeModel().complete(question('hello')))) as AiUnavailableError;
    expect(error).toBeInstanceOf(AiUnavailableError);
    expect(error.retryAfterSeconds).toBe(3);
    expect(error.message).toContain('502');
  });

  it('throws AiUnavailableError when the provider cannot be reached', async () => {
    const server = createServer();
    const port = await listen(server);
    await close(server);
    const model = new OpenAiChatModel({ baseUrl: `${loopbackUrl(port)}/v1`, apiKey: KEY, model: MODEL });
    const error = await failure(model.complete(question('hello')));
    expect(error).toBeInstanceOf(AiUnavailableError);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('throws AiTimeoutError when the signal aborts a held request', async () => {
    peer.setOutage('timeout');
    const started = performance.now();
    const error = await failure(peerModel().complete(question('hello', { signal: AbortSignal.timeout(200) })));
    expect(error).toBeInstanceOf(AiTimeoutError);
    expect((error as AiTimeoutError).code).toBe('ai.timeout');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(peer.stats().answered).toBe(0);
  });

  it('throws AiTimeoutError when the signal aborts while the body is being read', async () => {
    respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"choices": [');
      // ...and never finishes.
    };
    const controller = new AbortController();
    const pending = fakeModel().complete(question('hello', { signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    expect(await failure(pending)).toBeInstanceOf(AiTimeoutError);
  });

  it('throws AiUnavailableError for a 200 that is not a completion', async () => {
    const bodies: unknown[] = [
      'not json at all',
      '<html><body>Service temporarily unavailable</body></html>',
      { id: 'x', object: 'chat.completion' },
      { choices: [] },
      { choices: [{ index: 0, finish_reason: 'stop' }] },
      { choices: [{ message: { role: 'assistant', content: 42 }, finish_reason: 'stop' }] },
      { error: { message: 'overloaded' } },
    ];
    for (const body of bodies) {
      fakeAnswers(200, body);
      const error = await failure(fakeModel().complete(question('hello')));
      expect(error).toBeInstanceOf(AiUnavailableError);
      expect(error.message).toContain('malformed');
    }
  });

  it('answers an empty text for content null and maps finish reasons', async () => {
    fakeAnswers(200, completion(null, 'content_filter'));
    expect(await fakeModel().complete(question('hello'))).toEqual({ text: '', finishReason: 'content_filter' });

    const cases: [string | null, string][] = [
      ['stop', 'stop'],
      ['length', 'length'],
      ['tool_calls', 'other'],
      ['insufficient_system_resource', 'other'],
      [null, 'other'],
    ];
    for (const [reason, expected] of cases) {
      fakeAnswers(200, completion('text', reason));
      expect((await fakeModel().complete(question('hello'))).finishReason).toBe(expected);
    }
  });

  it('keeps an answer whose usage block is unreadable, without usage', async () => {
    fakeAnswers(200, completion('fine', 'stop', { usage: { prompt_tokens: 'many' } }));
    expect(await fakeModel().complete(question('hello'))).toEqual({ text: 'fine', finishReason: 'stop' });
    fakeAnswers(
      200,
      completion('fine', 'stop', { usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
    );
    expect((await fakeModel().complete(question('hello'))).usage).toEqual({ promptTokens: 3, completionTokens: 1 });
  });

  it('cuts the provider message of a rejection to 200 characters and scrubs the key and the prompt', async () => {
    const prompt = 'my seed phrase is definitely not here';
    respond = (req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: `Bad request with ${req.headers.authorization} for "${prompt}". ${'x'.repeat(400)}` },
        }),
      );
    };
    const error = (await failure(fakeModel().complete(question(prompt)), prompt)) as AiRejectedError;
    expect(error).toBeInstanceOf(AiRejectedError);
    expect(error.status).toBe(400);
    expect(error.message).toContain('Bad request with Bearer [key] for "[prompt]"');
    const said = error.message.slice(error.message.indexOf(': ') + 2);
    expect(said).toHaveLength(200);

    fakeAnswers(404, '<html>Not Found</html>');
    const bare = (await failure(fakeModel().complete(question('hello')))) as AiRejectedError;
    expect(bare).toBeInstanceOf(AiRejectedError);
    expect(bare.status).toBe(404);
  });
});
