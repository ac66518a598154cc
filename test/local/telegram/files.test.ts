import { PNG } from 'pngjs';
import { Markup, Telegraf } from 'telegraf';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Descriptions,
  imageInfo,
  startTelegramPeer,
  type TelegramPeer,
  type TelegramPeerOptions,
  type TgFile,
  type TgMessage,
  telegramLimits,
} from '../../../local/telegram/index.js';
import { jpegHeader, tinyPng } from '../png.js';

const TOKEN = '123456:TEST-token_for-the-photos';
const BOT = { id: 123456, username: 'photo_test_bot', first_name: 'Photos' };

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!();
});

async function peerFor(options: Partial<TelegramPeerOptions> = {}): Promise<TelegramPeer> {
  const peer = await startTelegramPeer({
    token: TOKEN,
    bot: BOT,
    retry: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 5 },
    ...options,
  });
  running.push(() => peer.stop());
  return peer;
}

interface ApiBody {
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/** A Bot API call with any body (`FormData`, `URLSearchParams`, or JSON for a plain object). */
async function call(
  peer: TelegramPeer,
  method: string,
  body: FormData | URLSearchParams | object,
  token = TOKEN,
): Promise<{ status: number; body: ApiBody }> {
  const init: RequestInit =
    body instanceof FormData || body instanceof URLSearchParams
      ? { method: 'POST', body }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(`${peer.apiRoot}/bot${token}/${method}`, init);
  return { status: res.status, body: (await res.json()) as ApiBody };
}

/** The `sendPhoto` request a bot makes with Node's fetch: text fields, `reply_markup` as JSON text, a PNG Blob. */
function photoForm(
  chatId: number,
  png: Uint8Array | string | undefined,
  fields: { caption?: string; parse_mode?: string; reply_markup?: object; type?: string } = {},
): FormData {
  const form = new FormData();
  form.append('chat_id', String(chatId));
  if (fields.caption !== undefined) form.append('caption', fields.caption);
  if (fields.parse_mode !== undefined) form.append('parse_mode', fields.parse_mode);
  if (fields.reply_markup !== undefined) form.append('reply_markup', JSON.stringify(fields.reply_markup));
  if (typeof png === 'string') form.append('photo', png);
  else if (png !== undefined) form.append('photo', new Blob([png], { type: fields.type ?? 'image/png' }), 'qr.png');
  return form;
}

const failure = (error_code: number, description: string) => ({
  status: error_code,
  body: { ok: false, error_code, description },
});

const KEYBOARD = { inline_keyboard: [[{ text: 'I paid', callback_data: 'paid:1' }]] };

describe('the tiny PNG of these tests', () => {
  it('is a valid PNG: a strict decoder checks every CRC and inflates its pixels', () => {
    const image = PNG.sync.read(tinyPng(5, 7));
    expect([image.width, image.height]).toEqual([5, 7]);
    expect(imageInfo(tinyPng(5, 7))).toEqual({ mimeType: 'image/png', width: 5, height: 7 });
    expect(imageInfo(jpegHeader(640, 480))).toEqual({ mimeType: 'image/jpeg', width: 640, height: 480 });
    expect(imageInfo(Buffer.from('GIF89a not supported'))).toBeUndefined();
  });
});

describe('TelegramPeer sendPhoto', () => {
  it('accepts a multipart upload made with FormData and Blob, like a bot sends it, and returns a photo Message', async () => {
    const peer = await peerFor();
    const user = peer.user(5101, { first_name: 'Pat' });
    await user.sendText('/deposit');
    const png = tinyPng(6, 4);

    const sent = await call(
      peer,
      'sendPhoto',
      photoForm(user.id, png, {
        caption: 'Scan to deposit <b>1.5 SOL</b>, reference <code>abc</code>.',
        parse_mode: 'HTML',
        reply_markup: KEYBOARD,
      }),
    );
    expect(sent.status).toBe(200);
    const message = sent.body.result as TgMessage;
    expect(message).toMatchObject({
      message_id: 2,
      chat: { id: 5101, type: 'private' },
      caption: 'Scan to deposit 1.5 SOL, reference abc.',
      caption_entities: [
        { type: 'bold', offset: 16, length: 7 },
        { type: 'code', offset: 35, length: 3 },
      ],
      reply_markup: KEYBOARD,
    });
    expect(message.text).toBeUndefined();
    expect(message.entities).toBeUndefined();
    expect(message.photo).toHaveLength(1);
    const [size] = message.photo!;
    expect(size).toMatchObject({ width: 6, height: 4, file_size: png.length });
    expect(size!.file_id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(size!.file_unique_id).toMatch(/^[A-Za-z0-9_-]{8,}$/);

    // The test-side view: `text` is the caption, so `m.text.startsWith(...)` keeps working on every message.
    const last = user.lastBotMessage()!;
    expect(last).toMatchObject({
      message_id: 2,
      text: 'Scan to deposit 1.5 SOL, reference abc.',
      caption: 'Scan to deposit 1.5 SOL, reference abc.',
      photo: [size],
      reply_markup: KEYBOARD,
    });
    expect(user.botMessages().some((m) => m.text.startsWith('Scan to deposit'))).toBe(true);
    expect(peer.file(size!.file_id)?.equals(png)).toBe(true);
    expect(peer.file('no-such-file')).toBeUndefined();
    expect(user.messages().at(-1)).toMatchObject({ photo: [size], caption: last.caption });

    // The call log keeps what was uploaded, not the bytes.
    expect(peer.calls('sendPhoto')[0]!.params).toMatchObject({
      chat_id: '5101',
      parse_mode: 'HTML',
      reply_markup: JSON.stringify(KEYBOARD),
      photo: { filename: 'qr.png', mime_type: 'image/png', file_size: png.length },
    });
  });

  it('serves an uploaded photo through getFile and /file/bot<token>/<file_path>', async () => {
    const peer = await peerFor();
    await peer.user(5201).sendText('hi');
    const png = tinyPng(3, 3);
    const sent = await call(peer, 'sendPhoto', photoForm(5201, png));
    const fileId = (sent.body.result as TgMessage).photo![0]!.file_id;

    const got = await call(peer, 'getFile', { file_id: fileId });
    const file = got.body.result as TgFile;
    expect(file).toEqual({
      file_id: fileId,
      file_unique_id: (sent.body.result as TgMessage).photo![0]!.file_unique_id,
      file_size: png.length,
      file_path: expect.stringMatching(/^photos\/file_\d+\.png$/),
    });
    const download = await fetch(`${peer.apiRoot}/file/bot${TOKEN}/${file.file_path}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await download.arrayBuffer()).equals(png)).toBe(true);

    // A JPEG gets a .jpg path and is served as image/jpeg, with the size read from its frame header.
    const jpeg = jpegHeader(800, 600);
    const jpegSent = await call(peer, 'sendPhoto', photoForm(5201, jpeg, { type: 'image/jpeg' }));
    expect((jpegSent.body.result as TgMessage).photo![0]).toMatchObject({ width: 800, height: 600 });
    const jpegFile = (await call(peer, 'getFile', { file_id: (jpegSent.body.result as TgMessage).photo![0]!.file_id }))
      .body.result as TgFile;
    expect(jpegFile.file_path).toMatch(/\.jpg$/);
    const jpegDownload = await fetch(`${peer.apiRoot}/file/bot${TOKEN}/${jpegFile.file_path}`);
    expect(jpegDownload.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await jpegDownload.arrayBuffer()).equals(jpeg)).toBe(true);

    // Unknown paths are 404, a wrong token 401 like every method; getFile refuses unknown or missing ids.
    const unknown = await fetch(`${peer.apiRoot}/file/bot${TOKEN}/photos/file_99.png`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found' });
    const wrongToken = await fetch(`${peer.apiRoot}/file/bot999:other/${file.file_path}`);
    expect(wrongToken.status).toBe(401);
    expect(await wrongToken.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });
    expect(await call(peer, 'getFile', { file_id: 'AgACnope' })).toEqual(failure(400, 'Bad Request: invalid file_id'));
    expect(await call(peer, 'getFile', {})).toEqual(failure(400, 'Bad Request: file_id not specified'));
  });

  it('sends a photo again by its file_id, from JSON, form-encoded and multipart bodies', async () => {
    const peer = await peerFor();
    const user = peer.user(5301);
    await user.sendText('hi');
    const png = tinyPng(8, 8);
    const first = (await call(peer, 'sendPhoto', photoForm(user.id, png))).body.result as TgMessage;
    const size = first.photo![0]!;

    const byJson = await call(peer, 'sendPhoto', { chat_id: user.id, photo: size.file_id, caption: 'again' });
    expect(byJson.status).toBe(200);
    expect(byJson.body.result).toMatchObject({ photo: [size], caption: 'again' });
    const byForm = await call(
      peer,
      'sendPhoto',
      new URLSearchParams({ chat_id: String(user.id), photo: size.file_id }),
    );
    expect(byForm.body.result).toMatchObject({ photo: [size] });
    expect((byForm.body.result as TgMessage).caption).toBeUndefined();
    const byMultipart = await call(peer, 'sendPhoto', photoForm(user.id, size.file_id, { caption: 'third' }));
    expect(byMultipart.body.result).toMatchObject({ photo: [size], caption: 'third' });

    expect(user.botMessages().map((m) => [m.text, m.photo?.[0]?.file_id])).toEqual([
      ['', size.file_id],
      ['again', size.file_id],
      ['', size.file_id],
      ['third', size.file_id],
    ]);
    // A new upload of the same bytes is a new file, as on Telegram.
    const reupload = (await call(peer, 'sendPhoto', photoForm(user.id, png))).body.result as TgMessage;
    expect(reupload.photo![0]!.file_id).not.toBe(size.file_id);

    expect(await call(peer, 'sendPhoto', { chat_id: user.id, photo: 'AgACunknown' })).toEqual(
      failure(400, 'Bad Request: wrong file identifier/HTTP URL specified'),
    );
  });

  it('refuses a request without a photo, a file that is not an image, and bad dimensions', async () => {
    const peer = await peerFor();
    const user = peer.user(5401);
    await user.sendText('hi');

    expect(await call(peer, 'sendPhoto', photoForm(user.id, undefined, { caption: 'no photo' }))).toEqual(
      failure(400, Descriptions.noPhoto),
    );
    expect(await call(peer, 'sendPhoto', { chat_id: user.id, photo: '' })).toEqual(
      failure(400, 'Bad Request: there is no photo in the request'),
    );
    // A file under another field name is no photo either.
    const misnamed = photoForm(user.id, undefined);
    misnamed.append('document', new Blob([tinyPng()], { type: 'image/png' }), 'qr.png');
    expect((await call(peer, 'sendPhoto', misnamed)).body.description).toBe(Descriptions.noPhoto);

    const text = new TextEncoder().encode('definitely not a PNG');
    expect(await call(peer, 'sendPhoto', photoForm(user.id, text))).toEqual(
      failure(400, 'Bad Request: IMAGE_PROCESS_FAILED'),
    );
    // The declared type is not trusted: the bytes are.
    expect((await call(peer, 'sendPhoto', photoForm(user.id, tinyPng(), { type: 'text/plain' }))).status).toBe(200);
    const truncated = tinyPng().subarray(0, 20);
    expect((await call(peer, 'sendPhoto', photoForm(user.id, truncated))).body.description).toBe(
      Descriptions.imageProcessFailed,
    );
    expect(await call(peer, 'sendPhoto', photoForm(user.id, tinyPng(1, 30)))).toEqual(
      failure(400, 'Bad Request: PHOTO_INVALID_DIMENSIONS'),
    );

    // Failed sends stored nothing.
    expect(user.botMessages()).toHaveLength(1);
    expect(peer.calls('sendPhoto').map((c) => c.ok)).toEqual([false, false, false, false, true, false, false]);
  });

  it('parses the caption like sendMessage parses text and limits it to 1024 characters after parsing', async () => {
    const peer = await peerFor();
    const user = peer.user(5501);
    await user.sendText('hi');

    const longest = `<b>${'x'.repeat(1024)}</b>`;
    const fits = await call(peer, 'sendPhoto', photoForm(user.id, tinyPng(), { caption: longest, parse_mode: 'HTML' }));
    expect(fits.status).toBe(200);
    expect((fits.body.result as TgMessage).caption).toHaveLength(1024);

    expect(await call(peer, 'sendPhoto', photoForm(user.id, tinyPng(), { caption: 'y'.repeat(1025) }))).toEqual(
      failure(400, 'Bad Request: message caption is too long'),
    );
    expect(
      await call(peer, 'sendPhoto', photoForm(user.id, tinyPng(), { caption: '<b>x', parse_mode: 'HTML' })),
    ).toEqual(failure(400, "Bad Request: can't parse entities: Can't find end tag corresponding to start tag b"));
    // Surrounding whitespace is trimmed; a blank caption is no caption.
    const blank = await call(peer, 'sendPhoto', photoForm(user.id, tinyPng(), { caption: '   ' }));
    expect((blank.body.result as TgMessage).caption).toBeUndefined();
    expect(user.lastBotMessage()).toMatchObject({ text: '', caption: '', entities: [] });

    // Explicit caption_entities, as JSON text in a form.
    const form = photoForm(user.id, tinyPng(), { caption: 'bold word' });
    form.append('caption_entities', JSON.stringify([{ type: 'bold', offset: 0, length: 4 }]));
    expect((await call(peer, 'sendPhoto', form)).body.result).toMatchObject({
      caption: 'bold word',
      caption_entities: [{ type: 'bold', offset: 0, length: 4 }],
    });

    // reply_markup is validated as for sendMessage.
    const badButton = { inline_keyboard: [[{ text: 'x', callback_data: 'y'.repeat(65) }]] };
    expect(await call(peer, 'sendPhoto', photoForm(user.id, tinyPng(), { reply_markup: badButton }))).toEqual(
      failure(400, Descriptions.buttonDataInvalid),
    );
  });

  it('checks the chat like sendMessage: unknown chat, blocked user, reply to a missing message', async () => {
    const peer = await peerFor();
    expect(await call(peer, 'sendPhoto', photoForm(5601, tinyPng()))).toEqual(failure(400, Descriptions.chatNotFound));
    const user = peer.user(5602);
    await user.sendText('hi');
    await user.block();
    expect(await call(peer, 'sendPhoto', photoForm(user.id, tinyPng()))).toEqual(failure(403, Descriptions.blocked));
    await user.unblock();
    const form = photoForm(user.id, tinyPng());
    form.append('reply_parameters', JSON.stringify({ message_id: 99 }));
    expect(await call(peer, 'sendPhoto', form)).toEqual(failure(400, 'Bad Request: message to be replied not found'));
    const reply = photoForm(user.id, tinyPng());
    reply.append('reply_parameters', JSON.stringify({ message_id: 1 }));
    expect((await call(peer, 'sendPhoto', reply)).body.result).toMatchObject({ reply_to_message: { text: 'hi' } });
  });

  it('counts photos against the flood limits like messages', async () => {
    let now = 1_700_000_000_000;
    const limiter = telegramLimits(undefined, { now: () => now, privateChatBurst: 2 });
    const peer = await peerFor({ admission: limiter });
    const user = peer.user(5701);
    await user.sendText('hi');
    expect((await call(peer, 'sendMessage', { chat_id: user.id, text: 'one' })).status).toBe(200);
    expect((await call(peer, 'sendPhoto', photoForm(user.id, tinyPng()))).status).toBe(200);
    const limited = await call(peer, 'sendPhoto', photoForm(user.id, tinyPng()));
    expect(limited).toMatchObject({ status: 429, body: { error_code: 429, parameters: { retry_after: 1 } } });
    // A refused photo (not an image) is given back, like a refused message.
    now += 1_000;
    expect((await call(peer, 'sendPhoto', photoForm(user.id, new Uint8Array([1, 2, 3])))).status).toBe(400);
    expect((await call(peer, 'sendPhoto', photoForm(user.id, tinyPng()))).status).toBe(200);
    expect(limiter.stats()).toMatchObject({ admitted: 3, released: 1, tooManyRequests: 1 });
  });

  it('accepts multipart bodies up to 10 MiB and answers 413 beyond, while JSON keeps its 1 MiB limit', async () => {
    const peer = await peerFor();
    const user = peer.user(5801);
    await user.sendText('hi');
    // A 3 MiB upload: the PNG and trailing bytes (its header is all the peer reads).
    const big = Buffer.concat([tinyPng(10, 10), Buffer.alloc(3 << 20)]);
    const accepted = await call(peer, 'sendPhoto', photoForm(user.id, big));
    expect(accepted.status).toBe(200);
    expect((accepted.body.result as TgMessage).photo![0]!.file_size).toBe(big.length);

    const huge = Buffer.concat([tinyPng(), Buffer.alloc(10 << 20)]);
    expect(await call(peer, 'sendPhoto', photoForm(user.id, huge))).toEqual(failure(413, 'Request Entity Too Large'));
    expect(
      await call(peer, 'sendMessage', { chat_id: user.id, text: 'x', padding: 'p'.repeat((1 << 20) + 1) }),
    ).toEqual(failure(413, 'Request Entity Too Large'));
    expect(user.botMessages()).toHaveLength(1);
  });

  it('delivers a press on a photo message button as a callback query with that message, to a telegraf bot', async () => {
    const peer = await peerFor();
    const bot = new Telegraf(TOKEN, { telegram: { apiRoot: peer.apiRoot } });
    const pressed: TgMessage[] = [];
    const png = tinyPng(12, 12);
    bot.command('qr', (ctx) =>
      ctx.replyWithPhoto(
        { source: png, filename: 'qr.png' },
        {
          caption: 'Your <b>QR</b>',
          parse_mode: 'HTML',
          ...Markup.inlineKeyboard([Markup.button.callback('I paid', 'paid:7')]),
        },
      ),
    );
    bot.action('paid:7', async (ctx) => {
      pressed.push(ctx.callbackQuery.message as TgMessage);
      await ctx.answerCbQuery('Checking…');
      // A photo has no text to edit; its keyboard can still change.
      await ctx.editMessageText('nope').catch((error: Error) => pressed.push({ error: error.message } as never));
      await ctx.editMessageReplyMarkup({ inline_keyboard: [[{ text: 'Checked', callback_data: 'done' }]] });
    });
    const launched = bot.launch();
    running.push(async () => {
      bot.stop('test over');
      await launched;
    });

    const user = peer.user(5901, { first_name: 'Kim' });
    await user.sendText('/qr');
    const photo = await peer.waitFor(() => user.lastBotMessage()?.photo && user.lastBotMessage(), 10_000);
    expect(photo).toMatchObject({ text: 'Your QR', caption: 'Your QR', entities: [{ type: 'bold', offset: 5 }] });
    expect(peer.file(photo.photo![0]!.file_id)?.equals(png)).toBe(true);
    // telegraf sends chat_id and reply_markup as multipart text fields.
    expect(peer.calls('sendPhoto')[0]!.params).toMatchObject({ chat_id: '5901', photo: { filename: 'qr.png' } });

    const update = await user.pressButton(photo.message_id, 'paid:7');
    expect(update.callback_query?.message).toMatchObject({
      message_id: photo.message_id,
      photo: photo.photo,
      caption: 'Your QR',
      caption_entities: [{ type: 'bold', offset: 5, length: 2 }],
    });
    await peer.waitFor(() => user.lastBotMessage()?.reply_markup?.inline_keyboard[0]?.[0]?.text === 'Checked', 10_000);
    expect(pressed[0]).toMatchObject({ message_id: photo.message_id, photo: photo.photo, caption: 'Your QR' });
    expect(pressed[1]).toEqual({ error: expect.stringContaining(Descriptions.noTextToEdit) });
    expect(peer.callbackQuery(update.callback_query!.id)).toMatchObject({
      answered: true,
      answer: { text: 'Checking…' },
    });
    const edited = user.lastBotMessage()!;
    expect(edited).toMatchObject({ photo: photo.photo, caption: 'Your QR', history: [{ text: 'Your QR' }] });
  });
});
