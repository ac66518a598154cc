import { describe, expect, it } from 'vitest';
import { parseRpcEndpoints, redactUrl } from '../../../../core/platform/rpc/endpoints.js';

const KEY = 'k3y-8f2a9c1d7e';
const url = `https://mainnet.example-rpc.com/v2/${KEY}?api-key=${KEY}`;

function configError(json: string): Error {
  try {
    parseRpcEndpoints(json);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseRpcEndpoints', () => {
  it('parses endpoints with per-method caps and defaults priority to 0', () => {
    const endpoints = parseRpcEndpoints(
      JSON.stringify([
        { url, rps: 10, methodRps: { getSignaturesForAddress: 4 }, priority: 1 },
        { url: 'http://127.0.0.1:8899', rps: 2.5 },
      ]),
    );
    expect(endpoints).toEqual([
      { url, rps: 10, methodRps: { getSignaturesForAddress: 4 }, priority: 1 },
      { url: 'http://127.0.0.1:8899', rps: 2.5, methodRps: {}, priority: 0 },
    ]);
  });

  it.each([
    ['not JSON', `[{"url":"${url}"`, /not valid JSON/],
    ['an empty list', '[]', /at least one endpoint/],
    ['not a list', JSON.stringify({ url, rps: 1 }), /JSON array/],
    [
      'a non-http URL',
      JSON.stringify([{ url: `wss://x.example/${KEY}`, rps: 1 }]),
      /\[0\]\.url: url must be an http\(s\) URL/,
    ],
    ['a zero rps', JSON.stringify([{ url, rps: 0 }]), /\[0\]\.rps: rps must be > 0/],
    [
      'a negative method cap',
      JSON.stringify([{ url, rps: 1, methodRps: { getBalance: -1 } }]),
      /methodRps values must be > 0/,
    ],
    ['a fractional priority', JSON.stringify([{ url, rps: 1, priority: 0.5 }]), /priority must be an integer/],
    [
      'a repeated URL',
      JSON.stringify([
        { url, rps: 1 },
        { url, rps: 2 },
      ]),
      /\[1\] repeats the URL of \[0\]/,
    ],
  ])('throws a ConfigError naming the problem but not the URL for %s', (_case, json, pattern) => {
    const error = configError(json);
    expect(error).toMatchObject({ name: 'ConfigError', code: 'config.invalid' });
    expect(error.message).toMatch(pattern);
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain('example');
    expect(JSON.stringify(error.cause ?? null)).not.toContain(KEY);
  });

  it('names another list of the same shape (the price sources) in its errors', () => {
    expect(() => parseRpcEndpoints('[]', 'PRICE_URLS')).toThrow(/^Invalid PRICE_URLS: must list at least one endpoint/);
    expect(() => parseRpcEndpoints('{', 'PRICE_URLS')).toThrow(/^PRICE_URLS is not valid JSON/);
  });
});

describe('redactUrl', () => {
  it('keeps only the origin of a URL', () => {
    expect(redactUrl(url)).toBe('https://mainnet.example-rpc.com');
    expect(redactUrl(`https://user:${KEY}@rpc.example.com:8443/path`)).toBe('https://rpc.example.com:8443');
  });

  it('does not echo an unparsable URL', () => {
    expect(redactUrl(`not a url ${KEY}`)).toBe('[invalid url]');
  });
});
