import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import type { SessionData } from '../../../../core/desk/bot/context.js';
import { stageSettings } from '../../../../core/desk/settings.js';
import { SERVICE_SECRET_CONTEXT } from '../../../../core/desk/vault/context.js';
import type { JobDraft } from '../../../../core/platform/jobs/envelope.js';
import { CiphertextRejectedError } from '../../../../core/platform/keys/errors.js';
import { INTAKE_TEXT_PREFIX, openIntake } from '../../../../core/platform/keys/intake.js';
import { TEST_ADMIN_ID, testBotOptions, testIntakeKey } from '../../../helpers/bot-options.js';
import { anySecret, aroundText, disguised, KEYPAIR_BASE58, mnemonic, plain } from '../../../helpers/secrets.js';
import { turnRunner, validUpdate as valid, withoutLimits } from '../../../helpers/turns.js';
import { textUpdate } from '../../../helpers/updates.js';

const runTurn = turnRunner(createBot(testBotOptions()));
const run = withoutLimits(runTurn);
const MAX_BYTES = stageSettings('test').vault.maxSecretBytes;

type Turn = Awaited<ReturnType<typeof run>>;
const sessionOf = (turn: Turn) => turn.session as SessionData;

const alice = { id: 501, first_name: 'Alice' };
const group = { id: -100_777, type: 'group', title: 'Traders' };
const userContext = (userId: number) => ({ purpose: 'user-secret', ownerId: String(userId) });
const texts = (turn: Turn) => turn.calls.map((c) => String(c.params.text ?? ''));
const types = (turn: Turn) => turn.jobs.map((j) => j.job.type);
/** Everything a turn leaves behind that could be stored, queued or sent. */
const traces = (turn: Turn) =>
  JSON.stringify({
    calls: turn.calls,
    session: turn.session,
    jobs: turn.jobs.map((j: JobDraft) => ({
      type: j.job.type,
      payload: j.payload,
      chatId: j.chatId,
      userId: j.userId,
    })),
  });

/** A text message `secondsLater` seconds after now (negative: earlier). */
function textAt(from: typeof alice, text: string, secondsLater: number, chat?: typeof group) {
  const update = textUpdate(from, text, chat ? { chat } : {});
  return { ...update, message: { ...update.message, date: update.message.date + secondsLater } };
}

/** Runs `/setsecret <name>` and returns the session waiting for the value. */
async function prompted(name: string, secondsLater = 0): Promise<SessionData> {
  const turn = await run(valid(textAt(alice, `/setsecret ${name}`, secondsLater)), { lang: 'en', joined: true });
  expect(sessionOf(turn).secretPrompt?.name).toBe(name);
  return sessionOf(turn);
}

/** Alice's `text`, dated `seconds` after the session's prompt asked for the value. */
function sentAfterPrompt(session: SessionData, text: string, seconds: number) {
  const update = textUpdate(alice, text);
  return { ...update, message: { ...update.message, date: session.secretPrompt!.since + seconds } };
}

describe('/setsecret', () => {
  it('asks for the value and remembers the name and when it asked', async () => {
    const update = textUpdate(alice, '/setsecret binance_api');
    const turn = await run(valid(update), { lang: 'en', joined: true });
    expect(sessionOf(turn).secretPrompt).toEqual({ name: 'binance_api', since: update.message.date });
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).toEqual(['sendMessage']);
    expect(texts(turn)[0]).toContain('Send the value of <b>binance_api</b>');
    expect(turn.calls[0]?.params.parse_mode).toBe('HTML');
  });

  it('deletes the next message, queues it sealed for this user only, and clears the prompt', async () => {
    const value = 'sk-live-9f8e7d6c5b4a3210wxyz';
    const session = await prompted('okx-secret');
    const update = textUpdate(alice, value);
    const turn = await run(valid(update), session);

    expect(turn.calls.map((c) => c.method)).toEqual(['deleteMessage', 'sendMessage']);
    expect(turn.calls[0]?.params).toEqual({ chat_id: alice.id, message_id: update.message.message_id });
    expect(texts(turn)[1]).toContain('Storing <b>okx-secret</b>');
    expect(turn.session).toEqual({ lang: 'en', joined: true });

    expect(turn.jobs).toHaveLength(1);
    const job = turn.jobs[0]!;
    expect(job.job.type).toBe('secret.store');
    expect(job.job.queue).toBe('vault');
    expect(job).toMatchObject({ chatId: alice.id, userId: alice.id, payload: { name: 'okx-secret', lang: 'en' } });
    const sealed = (job.payload as { sealed: string }).sealed;
    expect(sealed.startsWith(INTAKE_TEXT_PREFIX)).toBe(true);
    expect(await openIntake(testIntakeKey(), sealed, userContext(alice.id))).toBe(value);
    await expect(openIntake(testIntakeKey(), sealed, userContext(alice.id + 1))).rejects.toBeInstanceOf(
      CiphertextRejectedError,
    );
    // The value is in no call, no session and no job: only sealed.
    expect(traces(turn)).not.toContain(value);
    expect(traces(turn)).not.toContain('wxyz');
  });

  it('lets an admin store a service credential, sealed for the service context, and nobody else', async () => {
    const admin = { id: TEST_ADMIN_ID, first_name: 'Ada' };
    const asked = await run(valid(textUpdate(admin, '/setsecret openai service')), { lang: 'en', joined: true });
    expect(sessionOf(asked).secretPrompt).toMatchObject({ name: 'openai', scope: 'service' });
    const turn = await run(valid(textUpdate(admin, 'sk-service-credential-1234')), sessionOf(asked));
    const job = turn.jobs[0]!;
    expect(job.payload).toMatchObject({ name: 'openai', scope: 'service' });
    const sealed = (job.payload as { sealed: string }).sealed;
    expect(await openIntake(testIntakeKey(), sealed, SERVICE_SECRET_CONTEXT)).toBe('sk-service-credential-1234');
    await expect(openIntake(testIntakeKey(), sealed, userContext(admin.id))).rejects.toBeInstanceOf(
      CiphertextRejectedError,
    );
    // From a non-admin, `service` is just a bad argument: no hint that it means anything.
    const refused = await run(valid(textUpdate(alice, '/setsecret openai service')), { lang: 'en', joined: true });
    expect(sessionOf(refused).secretPrompt).toBeUndefined();
    expect(texts(refused)).toEqual(['A secret name is 1–32 characters: letters, digits, _ or -.']);
    const listed = await run(valid(textUpdate(alice, '/secrets service')), { lang: 'en', joined: true });
    expect(listed.jobs[0]?.payload).toEqual({ lang: 'en' });
  });

  it('keeps non-ASCII values exactly', async () => {
    const value = 'пароль 🔑 密钥 ünïcödé';
    const turn = await run(valid(textUpdate(alice, value)), await prompted('seed'));
    const sealed = (turn.jobs[0]!.payload as { sealed: string }).sealed;
    expect(await openIntake(testIntakeKey(), sealed, userContext(alice.id))).toBe(value);
    expect(traces(turn)).not.toContain('密钥');
  });

  it('takes a value sent exactly 5 minutes after the prompt', async () => {
    const session = await prompted('late_ok', -300);
    // Dated from the prompt itself, not the clock: a second that ticks between the two would make it 301.
    const turn = await run(valid(sentAfterPrompt(session, 'just-in-time-value', 300)), session);
    expect(types(turn)).toEqual(['secret.store']);
  });

  it('does not store a message sent more than 5 minutes after the prompt, but deletes it (it may be the secret)', async () => {
    const session = await prompted('stale', -301);
    const turn = await run(valid(sentAfterPrompt(session, 'hello there', 301)), session);
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).toEqual(['deleteMessage', 'sendMessage']);
    expect(texts(turn)[1]).toContain('request had expired');
    expect(turn.session).not.toHaveProperty('secretPrompt');
  });

  it('cancels with /cancel addressed to the bot by name too', async () => {
    const turn = await run(valid(textUpdate(alice, '/cancel@desk_bot')), await prompted('named'));
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual(['Cancelled. Nothing was stored.']);
  });

  it('refuses a value over the limit, still deletes it, and stores nothing', async () => {
    const value = 'x'.repeat(MAX_BYTES + 1);
    const update = textUpdate(alice, value);
    const turn = await run(valid(update), await prompted('big'));
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).toEqual(['deleteMessage', 'sendMessage']);
    expect(turn.calls[0]?.params).toEqual({ chat_id: alice.id, message_id: update.message.message_id });
    expect(texts(turn)[1]).toContain(`at most ${MAX_BYTES} bytes`);
    expect(turn.session).not.toHaveProperty('secretPrompt');
    expect(traces(turn)).not.toContain(value);
  });

  it('counts the limit in UTF-8 bytes, not characters', async () => {
    // 342 three-byte characters: 1,026 bytes, fewer than 1,024 characters.
    const value = '密'.repeat(Math.floor(MAX_BYTES / 3) + 1);
    expect(value.length).toBeLessThan(MAX_BYTES);
    const turn = await run(valid(textUpdate(alice, value)), await prompted('wide'));
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)[1]).toContain(`at most ${MAX_BYTES} bytes`);
  });

  it('cancels on /cancel: nothing queued, nothing deleted', async () => {
    const turn = await run(valid(textUpdate(alice, '/cancel')), await prompted('gone'));
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).toEqual(['sendMessage']);
    expect(texts(turn)).toEqual(['Cancelled. Nothing was stored.']);
    expect(turn.session).toEqual({ lang: 'en', joined: true });
  });

  it('runs a command sent while waiting as usual and clears the prompt', async () => {
    const turn = await run(valid(textUpdate(alice, '/help')), await prompted('pending'));
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).toEqual(['sendMessage']);
    expect(texts(turn)[0]).toContain('<b>Help</b>');
    expect(turn.session).not.toHaveProperty('secretPrompt');
  });

  it('lets a new /setsecret replace the one waiting', async () => {
    const turn = await run(valid(textUpdate(alice, '/setsecret second')), await prompted('first'));
    expect(sessionOf(turn).secretPrompt?.name).toBe('second');
    expect(turn.jobs).toEqual([]);
  });

  it('stores nothing when a photo comes instead of text, and ends the prompt', async () => {
    const session = await prompted('photo');
    const base = textUpdate(alice, 'placeholder');
    const { text: _, ...message } = base.message;
    const photo = {
      ...base,
      message: {
        ...message,
        photo: [{ file_id: 'AgAD', file_unique_id: 'u1', width: 90, height: 90, file_size: 1000 }],
        caption: 'caption-value-1234',
      },
    };
    const turn = await run(valid(photo), session);
    expect(turn.jobs).toEqual([]);
    expect(turn.calls.map((c) => c.method)).not.toContain('deleteMessage');
    expect(turn.session).not.toHaveProperty('secretPrompt');
  });

  it('is refused in a group, with nothing asked', async () => {
    const turn = await run(valid(textAt(alice, '/setsecret@desk_bot api', 0, group)), { lang: 'en' });
    expect(texts(turn)).toEqual(['Secrets are stored in a private chat with me only.']);
    expect(turn.session).not.toHaveProperty('secretPrompt');
    expect(turn.jobs).toEqual([]);
  });

  it('never takes a group message as a value, even with a private prompt pending', async () => {
    // Sessions are per chat, but a forged session for the group must not make the bot swallow chatter.
    const session = { lang: 'en' as const, secretPrompt: { name: 'x', since: Math.floor(Date.now() / 1000) } };
    const turn = await run(valid(textAt(alice, 'group chatter value', 0, group)), session);
    expect(turn.jobs).toEqual([]);
    expect(turn.calls).toEqual([]);
  });

  it.each([
    ['no name', '/setsecret'],
    ['two names', '/setsecret a b'],
    ['a name with a dot', '/setsecret a.b'],
    ['a name with markup', '/setsecret <b>x</b>'],
    ['a name over 32 characters', `/setsecret ${'n'.repeat(33)}`],
  ])('refuses %s', async (_, text) => {
    const turn = await run(valid(textUpdate(alice, text)), { lang: 'en', joined: true });
    expect(texts(turn)).toEqual(['A secret name is 1–32 characters: letters, digits, _ or -.']);
    expect(turn.session).not.toHaveProperty('secretPrompt');
    expect(turn.jobs).toEqual([]);
  });

  it('accepts a name of exactly 32 characters', async () => {
    await prompted('N'.repeat(32));
  });
});

describe('/secrets, /checksecret, /delsecret', () => {
  it('queues a list job in a private chat', async () => {
    const turn = await run(valid(textUpdate(alice, '/secrets')), { lang: 'zh', joined: true });
    expect(turn.jobs).toHaveLength(1);
    expect(turn.jobs[0]).toMatchObject({ chatId: alice.id, userId: alice.id, payload: { lang: 'zh' } });
    expect(turn.jobs[0]?.job).toMatchObject({ type: 'secret.list', queue: 'vault' });
  });

  it.each([
    ['checksecret', 'secret.check'],
    ['delsecret', 'secret.delete'],
  ])('queues /%s <name> as %s in a private chat', async (command, type) => {
    const turn = await run(valid(textUpdate(alice, `/${command} binance_api`)), { lang: 'en', joined: true });
    expect(turn.jobs).toHaveLength(1);
    expect(turn.jobs[0]?.job).toMatchObject({ type, queue: 'vault' });
    expect(turn.jobs[0]).toMatchObject({
      chatId: alice.id,
      userId: alice.id,
      payload: { name: 'binance_api', lang: 'en' },
    });
  });

  it.each(['checksecret', 'delsecret'])('refuses /%s with a bad name, queueing nothing', async (command) => {
    for (const text of [`/${command}`, `/${command} a b`, `/${command} bad!name`]) {
      const turn = await run(valid(textUpdate(alice, text)), { lang: 'en', joined: true });
      expect(turn.jobs).toEqual([]);
      expect(texts(turn)).toEqual(['A secret name is 1–32 characters: letters, digits, _ or -.']);
    }
  });

  it.each(['/secrets@desk_bot', '/checksecret@desk_bot x', '/delsecret@desk_bot x'])(
    'refuses %s in a group, queueing nothing',
    async (text) => {
      const turn = await run(valid(textAt(alice, text, 0, group)), { lang: 'en' });
      expect(turn.jobs).toEqual([]);
      expect(texts(turn)).toEqual(['Secrets are stored in a private chat with me only.']);
    },
  );
});

describe('secretGuard', () => {
  const API_KEY = `sk-${'a1B2c3D4'.repeat(4)}`;
  const EN: SessionData = { lang: 'en', joined: true };
  const WARNING = /looks like a (private key|recovery phrase|API key or token)/;
  const ADDRESS = 'So11111111111111111111111111111111111111112';

  /** The message was deleted, the user warned, and nothing of `secret` went anywhere. */
  function expectStopped(turn: Turn, secret: string) {
    expect(turn.calls.map((c) => c.method)).toEqual(['deleteMessage', 'sendMessage']);
    expect(texts(turn)[1]).toMatch(WARNING);
    expect(turn.jobs).toEqual([]);
    expect(plain(traces(turn))).not.toContain(plain(secret));
  }

  it.each([
    ['a /setsecret with a value instead of a name', `/setsecret other ${API_KEY}`],
    ['a /setsecret with the value after a good name', `/setsecret api ${API_KEY}`],
    ['a /setsecret with a key as its name', `/setsecret ${KEYPAIR_BASE58}`],
    ['/checksecret with a key', `/checksecret ${KEYPAIR_BASE58}`],
    ['/balance with a key instead of an address', `/balance ${KEYPAIR_BASE58}`],
    [
      'an unknown command with a phrase',
      `/restore ${mnemonic(
        Uint8Array.from({ length: 16 }, (_, i) => i * 29),
        'english',
      ).join(' ')}`,
    ],
  ])('deletes %s and runs no command', async (_, text) => {
    const turn = await run(valid(textUpdate(alice, text)), EN);
    expectStopped(turn, text.split(' ').slice(1).join(' '));
    expect(turn.session).not.toHaveProperty('secretPrompt');
  });

  it('deletes a /setsecret carrying a key in a group', async () => {
    const turn = await run(valid(textAt(alice, `/setsecret@desk_bot api ${API_KEY}`, 0, group)), { lang: 'en' });
    expectStopped(turn, API_KEY);
  });

  it('deletes a key pasted into group chatter', async () => {
    const turn = await run(valid(textAt(alice, `gm, my key is ${KEYPAIR_BASE58}`, 0, group)), { lang: 'en' });
    expectStopped(turn, KEYPAIR_BASE58);
  });

  it('deletes a key sent as a wallet’s new label, and keeps it out of the session', async () => {
    const session: SessionData = {
      ...EN,
      wallets: [{ address: ADDRESS }],
      walletPrompt: { address: ADDRESS, since: Math.floor(Date.now() / 1000) },
    };
    const turn = await run(valid(textUpdate(alice, KEYPAIR_BASE58)), session);
    expectStopped(turn, KEYPAIR_BASE58);
  });

  it('deletes a photo whose caption is a recovery phrase', async () => {
    const base = textUpdate(alice, 'placeholder');
    const { text: _, ...message } = base.message;
    const caption = mnemonic(
      Uint8Array.from({ length: 32 }, (_, i) => 200 - i * 5),
      'chinese',
    ).join('');
    const photo = {
      ...base,
      message: { ...message, photo: [{ file_id: 'AgAD', file_unique_id: 'u1', width: 90, height: 90 }], caption },
    };
    expectStopped(await run(valid(photo), EN), caption);
  });

  it('still lets a pending /setsecret take a key as its value: sealed, deleted once', async () => {
    const session = await prompted('wallet');
    const turn = await run(valid(textUpdate(alice, KEYPAIR_BASE58)), session);
    expect(turn.calls.map((c) => c.method)).toEqual(['deleteMessage', 'sendMessage']);
    expect(types(turn)).toEqual(['secret.store']);
    expect(traces(turn)).not.toContain(KEYPAIR_BASE58);
  });

  it('lets ordinary messages and commands through', async () => {
    expect((await run(valid(textUpdate(alice, '/secrets')), EN)).jobs.map((j) => j.job.type)).toEqual(['secret.list']);
    const turn = await run(valid(textUpdate(alice, `/balance ${ADDRESS}`)), EN);
    expect(turn.calls.map((c) => c.method)).not.toContain('deleteMessage');
  });

  it('stops every generated secret, disguised, in text, commands and groups, before any job, call or session', async () => {
    const where = fc.constantFrom('text', 'command', 'setsecret', 'group');
    await fc.assert(
      fc.asyncProperty(aroundText, disguised(anySecret), where, async (before, secret, place) => {
        const body = `${before} ${secret.value} `;
        const text =
          place === 'command' ? `/balance ${body}` : place === 'setsecret' ? `/setsecret other ${body}` : body;
        const update = place === 'group' ? textAt(alice, text, 0, group) : textUpdate(alice, text);
        const turn = await run(valid(update), EN);
        expect(
          turn.calls.map((c) => c.method),
          secret.label,
        ).toEqual(['deleteMessage', 'sendMessage']);
        expect(turn.jobs, secret.label).toEqual([]);
        expect(plain(traces(turn)), secret.label).not.toContain(plain(secret.core ?? secret.value));
      }),
      { numRuns: 60 },
    );
  });
});
