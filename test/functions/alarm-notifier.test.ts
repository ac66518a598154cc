import type { SNSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AlarmNotifierResult, AlarmPostFailedError } from '../../core/desk/admin/alarms.js';
import { ENV } from '../../core/desk/settings.js';
import { ConfigError } from '../../core/platform/errors.js';
import { composeAlarmNotifier } from '../../functions/lib/compose-alarms.js';
import { alarmNotifierConfig } from '../../functions/lib/config.js';
import {
  type AdmissionPolicy,
  BotApiError,
  startTelegramPeer,
  type TelegramPeer,
  tooManyRequests,
} from '../../local/telegram/index.js';
import { secretEnvName } from '../../stacks/manifest.js';
import { alarmNotification, snsEvent, snsRecord } from '../helpers/alarm-events.js';
import { lambdaContext } from '../helpers/events.js';
import { memoryLogger } from '../helpers/fakes.js';

const TOKEN = '700200:ALARMtokenALARMtokenALARMtokenALARMt';
const ADMIN_CHAT = -1_001_000_000_777;
const ENVIRONMENT = (apiRoot: string): Record<string, string> => ({
  [ENV.stage]: 'test',
  [ENV.telegramApiRoot]: apiRoot,
  [secretEnvName('TELEGRAM_BOT_TOKEN')]: TOKEN,
  [secretEnvName('ADMIN_CHAT_ID')]: String(ADMIN_CHAT),
});

/** What the peer answers every call with, when not the call itself. */
let refusal: (() => BotApiError) | undefined;
const admission: AdmissionPolicy = { admit: () => refusal?.() };

let peer: TelegramPeer;
type Handler = (event: SNSEvent, context: ReturnType<typeof lambdaContext>) => Promise<AlarmNotifierResult>;
let handler: Handler;
let output: string[];

beforeAll(async () => {
  peer = await startTelegramPeer({
    token: TOKEN,
    bot: { id: 700200, username: 'alarm_desk_bot', first_name: 'Desk' },
    admission,
  });
  peer.group(ADMIN_CHAT, 'Desk admins');
  // The handler reads its config once, at import (cold start), as on Lambda.
  for (const [name, value] of Object.entries(ENVIRONMENT(peer.apiRoot))) vi.stubEnv(name, value);
  handler = (await import('../../functions/alarm-notifier.js')).handler as unknown as Handler;
  vi.unstubAllEnvs();
});
afterAll(() => peer.stop());

beforeEach(() => {
  refusal = undefined;
  output = [];
  // Powertools Logger writes warnings and errors to stderr, the rest to stdout.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

const logLines = () =>
  output
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
const invoke = (event: SNSEvent) => handler(event, lambdaContext({ functionName: 'test-alarmNotifier' }));

describe('alarm-notifier handler', () => {
  it('posts a formatted alarm to the admin group', async () => {
    const before = peer.sent(ADMIN_CHAT).length;
    const name = 'test-wallet-desk-rpc-dlq-not-empty';
    const result = await invoke(snsEvent(snsRecord(alarmNotification({ name, reason: 'Threshold <Crossed>' }))));
    expect(result).toEqual({ posted: 1, skipped: 0, rejected: 0 });
    const sent = peer.sent(ADMIN_CHAT).slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text.split('\n')).toEqual([
      '🔴 ALARM (was OK)',
      name,
      'The rpc DLQ holds messages.',
      'Threshold <Crossed>',
      '🕒 2024-05-04 12:34:56 UTC',
    ]);
    const types = sent[0]!.entities.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['bold', 'code', 'italic']));
    expect(logLines().find((l) => l.event === 'alarm.posted')).toMatchObject({
      service: 'alarm-notifier',
      alarmName: name,
    });
    expect(output.join('')).not.toContain(TOKEN);
  });

  it('posts the recovery too', async () => {
    await invoke(snsEvent(snsRecord(alarmNotification({ state: 'OK', oldState: 'ALARM' }))));
    expect(peer.sent(ADMIN_CHAT).at(-1)?.text.startsWith('✅ OK (was ALARM)')).toBe(true);
  });

  it('skips and logs a malformed record, and still posts the others', async () => {
    const before = peer.sent(ADMIN_CHAT).length;
    const result = await invoke(
      snsEvent(
        snsRecord(alarmNotification({ name: 'first-alarm' })),
        snsRecord('{"AlarmName": 42'),
        snsRecord(alarmNotification({ name: 'second-alarm' })),
      ),
    );
    expect(result).toEqual({ posted: 2, skipped: 1, rejected: 0 });
    expect(
      peer
        .sent(ADMIN_CHAT)
        .slice(before)
        .map((m) => m.text.split('\n')[1]),
    ).toEqual(['first-alarm', 'second-alarm']);
    const invalid = logLines().filter((l) => l.event === 'alarm.record_invalid');
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ level: 'error', index: 1, error: { code: 'alarm.record_invalid' } });
  });

  it('fails the invocation when Telegram answers 429, so Lambda retries it', async () => {
    const before = peer.sent(ADMIN_CHAT).length;
    refusal = () => tooManyRequests(3);
    const error = await invoke(snsEvent(snsRecord(alarmNotification()))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlarmPostFailedError);
    expect(error).toMatchObject({ code: 'alarm.post_failed', retryAfterSeconds: 3 });
    expect(peer.sent(ADMIN_CHAT)).toHaveLength(before);
    // The retry, once Telegram accepts again, posts it.
    refusal = undefined;
    await invoke(snsEvent(snsRecord(alarmNotification())));
    expect(peer.sent(ADMIN_CHAT)).toHaveLength(before + 1);
  });

  it('fails the invocation when Telegram answers 5xx', async () => {
    refusal = () => new BotApiError(502, 'Bad Gateway');
    const error = await invoke(snsEvent(snsRecord(alarmNotification()))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlarmPostFailedError);
    expect((error as Error).cause).toMatchObject({ code: 'telegram.unavailable' });
  });
});

describe('composeAlarmNotifier', () => {
  it('logs a 400 from Telegram (admin chat unknown) and does not fail the invocation', async () => {
    const log = memoryLogger();
    const config = alarmNotifierConfig({ ...ENVIRONMENT(peer.apiRoot), [secretEnvName('ADMIN_CHAT_ID')]: '-100999' });
    const notify = composeAlarmNotifier(config, log);
    const result = await notify(snsEvent(snsRecord(alarmNotification({ name: 'lost-alarm' }))));
    expect(result).toEqual({ posted: 0, skipped: 0, rejected: 1 });
    expect(log.lines.find((l) => l.event === 'alarm.post_rejected')).toMatchObject({
      level: 'error',
      alarmName: 'lost-alarm',
      error: { code: 'telegram.rejected' },
    });
  });
});

describe('alarmNotifierConfig', () => {
  it('reads the stage, the Bot API root, the token and the admin chat id', () => {
    expect(alarmNotifierConfig(ENVIRONMENT('http://127.0.0.1:1'))).toEqual({
      stage: 'test',
      logLevel: undefined,
      telegram: { apiRoot: 'http://127.0.0.1:1', token: TOKEN },
      adminChatId: ADMIN_CHAT,
    });
  });

  it('needs no table or queue', () => {
    const env = ENVIRONMENT('http://127.0.0.1:1');
    expect(env).not.toHaveProperty(ENV.tableName);
    expect(() => alarmNotifierConfig(env)).not.toThrow();
  });

  it.each([
    ['a missing admin chat id', secretEnvName('ADMIN_CHAT_ID'), undefined],
    ['a non-numeric admin chat id', secretEnvName('ADMIN_CHAT_ID'), '@admins'],
    ['a missing API root', ENV.telegramApiRoot, undefined],
    ['a malformed token', secretEnvName('TELEGRAM_BOT_TOKEN'), 'not-a-token-but-long-enough'],
  ])('rejects %s, naming the variable and not its value', (_, name, value) => {
    const env: Record<string, string | undefined> = { ...ENVIRONMENT('http://127.0.0.1:1'), [name]: value };
    const error = (() => {
      try {
        alarmNotifierConfig(env);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain(name);
    if (value) expect(String(error)).not.toContain(value);
  });
});
