import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../../../core/platform/errors.js';
import { qrPng } from '../../../../core/platform/qr/png.js';
import {
  TelegramForbiddenError,
  TelegramRateLimitedError,
  TelegramRejectedError,
} from '../../../../core/platform/telegram/gateway.js';
import { HttpChatGateway } from '../../../../core/platform/telegram/http.js';
import {
  type AdmissionPolicy,
  startTelegramPeer,
  type TelegramPeer,
  tooManyRequests,
} from '../../../../local/telegram/index.js';

const TOKEN = '700100:TESTtokenTESTtokenTESTtokenTESTtoken';
let peer: TelegramPeer;
let limited = false;
const admission: AdmissionPolicy = { admit: () => (limited ? tooManyRequests(7) : undefined) };

beforeAll(async () => {
  peer = await startTelegramPeer({
    token: TOKEN,
    bot: { id: 700100, username: 'gw_bot', first_name: 'Gw' },
    admission,
  });
});
afterAll(() => peer.stop());

const gateway = () => new HttpChatGateway({ apiRoot: peer.apiRoot, token: TOKEN });

describe('HttpChatGateway', () => {
  it('returns the result of a successful call', async () => {
    const user = peer.user(11);
    await user.sendText('hi');
    const result = (await gateway().call({ method: 'sendMessage', params: { chat_id: 11, text: 'hello' } })) as {
      message_id: number;
    };
    expect(result.message_id).toBeGreaterThan(0);
    expect(user.lastBotMessage()?.text).toBe('hello');
  });

  it('uploads a call’s files as multipart/form-data, its other params beside them', async () => {
    const user = peer.user(13);
    await user.sendText('hi');
    const png = qrPng('solana:x', { scale: 2 });
    await gateway().call({
      method: 'sendPhoto',
      params: {
        chat_id: 13,
        caption: '<b>Scan</b> me',
        parse_mode: 'HTML',
        reply_markup: { inline_keyboard: [[{ text: 'Paid', callback_data: 'p' }]] },
      },
      files: { photo: { filename: 'qr.png', contentType: 'image/png', base64: Buffer.from(png).toString('base64') } },
    });
    const sent = user.lastBotMessage()!;
    expect(sent.text).toBe('Scan me');
    expect(sent.reply_markup?.inline_keyboard[0]?.[0]?.text).toBe('Paid');
    expect(peer.file(sent.photo!.at(-1)!.file_id)).toEqual(Buffer.from(png));
  });

  it('turns a 400 into a rejected error carrying Telegram’s description', async () => {
    const error = await gateway()
      .call({ method: 'sendMessage', params: { chat_id: 11, text: '' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramRejectedError);
    expect(String(error)).toContain('message text is empty');
  });

  it('turns a 403 from a user who blocked the bot into a forbidden error', async () => {
    const user = peer.user(12);
    await user.sendText('hi');
    await user.block();
    const error = await gateway()
      .call({ method: 'sendMessage', params: { chat_id: 12, text: 'x' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramForbiddenError);
  });

  it('keeps a call refused for a wrong or revoked token (401) as transient, so its message waits for the new token', async () => {
    const wrong = new HttpChatGateway({ apiRoot: peer.apiRoot, token: '700100:WRONGtokenWRONGtokenWRONGtokenWRONG' });
    const error = await wrong
      .call({ method: 'sendMessage', params: { chat_id: 11, text: 'x' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'telegram.unauthorized' });
    expect(String(error)).not.toContain('WRONGtoken');
  });

  it('turns a 429 into a rate-limit error with retry_after', async () => {
    limited = true;
    const error = await gateway()
      .call({ method: 'sendMessage', params: { chat_id: 11, text: 'x' } })
      .catch((e: unknown) => e);
    limited = false;
    expect(error).toBeInstanceOf(TelegramRateLimitedError);
    expect((error as TelegramRateLimitedError).retryAfterSeconds).toBe(7);
  });

  it('reports an unreachable API as transient, without the token in the error', async () => {
    const down = new HttpChatGateway({ apiRoot: 'http://127.0.0.1:9', token: TOKEN });
    const error = await down.call({ method: 'getMe', params: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'telegram.unreachable' });
    expect(String(error)).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });
});
