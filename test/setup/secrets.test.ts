import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/platform/log.js';
import { localTelegramIdentity } from '../../local/index.js';
import { LOG_CAPTURE_DIR, REGISTERED_FILE, scanForSecrets, secretCanary } from './secrets.js';

/** A token shaped as Telegram issues them: bot id, colon, 35 url-safe characters. */
const telegramToken = () =>
  `${7_000_000_000 + (randomBytes(3).readUIntBE(0, 3) % 1_000_000)}:AA${randomBytes(33).toString('base64url').slice(0, 33)}`;
const logLine = (fields: Record<string, unknown>) => JSON.stringify({ level: 'info', service: 'webhook', ...fields });

/** Scans `lines` and checks that no excerpt carries any of `secrets`. */
function scan(lines: string[], registered: string[] = [], secrets: string[] = []) {
  const findings = scanForSecrets(lines, registered);
  for (const finding of findings) {
    for (const secret of secrets) expect(finding.excerpt.includes(secret)).toBe(false);
  }
  return findings;
}

describe('scanForSecrets', () => {
  it('finds a Telegram bot token in a JSON log line, masked, with its line number', () => {
    const token = telegramToken();
    const lines = [
      logLine({ event: 'ok' }),
      logLine({ event: 'send.failed', url: `https://api.telegram.org/bot${token}/sendMessage` }),
    ];
    const findings = scan(lines, [], [token]);
    expect(findings).toEqual([
      { line: 2, pattern: 'telegram-bot-token', excerpt: expect.stringContaining('[telegram-bot-token]') },
    ]);
    expect(findings[0]!.excerpt).toContain('/bot[telegram-bot-token]/sendMessage');
  });

  it('finds a bot token that is percent-encoded or wrapped in terminal colours', () => {
    const token = telegramToken();
    const encoded = token.replace(':', '%3A');
    const findings = scan([`GET /x?token=${encoded}`, `\u001b[31m${token}\u001b[39m`], [], [token, encoded]);
    expect(findings.map((f) => [f.line, f.pattern])).toEqual([
      [1, 'telegram-bot-token'],
      [2, 'telegram-bot-token'],
    ]);
  });

  it("finds the local stack's bot token", () => {
    const { token } = localTelegramIdentity();
    const findings = scan([logLine({ event: 'boot', note: `token is ${token}` })], [], [token]);
    expect(findings.map((f) => f.pattern)).toEqual(['local-bot-token']);
  });

  it("finds the local stack's webhook secret", () => {
    const { webhookSecret } = localTelegramIdentity();
    const findings = scan(
      [logLine({ headers: { 'x-telegram-bot-api-secret-token': webhookSecret } })],
      [],
      [webhookSecret],
    );
    expect(findings.map((f) => f.pattern)).toEqual(['local-webhook-secret']);
  });

  it('ignores a token the logger redacted', () => {
    const token = telegramToken();
    const lines: string[] = [];
    const log = createLogger({ service: 'test', write: (line) => lines.push(line) });
    log.error('send.failed', { url: `https://api.telegram.org/bot${token}/getMe`, botToken: token });
    expect(lines.join('\n')).toContain('[redacted-token]');
    expect(scan(lines)).toEqual([]);
  });

  it('does not flag ordinary ids, counters or uuids after a colon', () => {
    const lines = [
      '123456:abc',
      logLine({ correlationId: '123456789:42', chat: 'chat:123456:789' }),
      '1700000000:550e8400-e29b-41d4-a716-446655440000',
      `123456789:${'A'.repeat(34)}`,
      `123456789:${'A'.repeat(36)}`,
      `12:${'A'.repeat(35)}`,
      'local-whs-short',
      'canary-label',
    ];
    expect(scan(lines)).toEqual([]);
  });

  it('finds every registered value, once per line, and no value under 8 characters', () => {
    const stored = `sk_${randomBytes(12).toString('hex')}`;
    const other = randomBytes(9).toString('base64url');
    const lines = [logLine({ a: stored, b: stored }), 'nothing', `${other} and short`];
    const findings = scan(lines, [stored, other, 'short'], [stored, other]);
    expect(findings.map((f) => [f.line, f.pattern])).toEqual([
      [1, 'registered'],
      [3, 'registered'],
    ]);
    expect(scan(['a short one: 1234567'], ['1234567'])).toEqual([]);
  });

  it('masks every secret of a line in each excerpt', () => {
    const token = telegramToken();
    const stored = randomBytes(12).toString('base64url');
    const findings = scan([`${token} ${stored}`], [stored], [token]);
    expect(findings.map((f) => f.pattern)).toEqual(['telegram-bot-token', 'registered']);
    for (const f of findings) expect(f.excerpt).toBe('[telegram-bot-token] [registered]');
  });
});

describe('secretCanary', () => {
  const saved = process.env[LOG_CAPTURE_DIR];
  let dir: string | undefined;
  afterEach(() => {
    if (saved === undefined) delete process.env[LOG_CAPTURE_DIR];
    else process.env[LOG_CAPTURE_DIR] = saved;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('returns a fresh url-safe value the grep finds by its shape and by its registration', () => {
    dir = mkdtempSync(join(tmpdir(), 'canary-'));
    process.env[LOG_CAPTURE_DIR] = dir;
    const value = secretCanary('Wallet Key');
    expect(value).toMatch(/^canary-wallet-key-[A-Za-z0-9_-]{24}$/);
    expect(secretCanary('Wallet Key')).not.toBe(value);
    const registered = readFileSync(join(dir, REGISTERED_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string);
    expect(registered).toContain(value);
    const line = logLine({ stored: value });
    expect(scan([line], [], [value]).map((f) => f.pattern)).toEqual(['secret-canary']);
    expect(scan([line], registered).map((f) => f.pattern)).toEqual(['secret-canary', 'registered']);
  });
});
