import { DynamoDBClient, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TELEGRAM_LIMITS } from '../../core/platform/settings.js';
import { utcDay } from '../../core/platform/time.js';
import { type LocalStack, type LogLine, localClientConfig, type PeerUser, startLocalStack } from '../../local/index.js';
import {
  anySecret,
  aroundText,
  disguised,
  ENCODINGS,
  fullwidth,
  KEYPAIR,
  KEYPAIR_BASE58,
  mnemonic,
  plain,
} from '../helpers/secrets.js';
import { unexpectedProblems } from '../helpers/stack-chat.js';
import { homeScope } from '../helpers/tenants.js';
import { registerSecret } from '../setup/secrets.js';

let stack: LocalStack;
let dynamo: DynamoDBClient;
const logs: LogLine[] = [];
let nextUser = 7_100;

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line) });
  dynamo = new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 });
});
afterAll(async () => {
  dynamo?.destroy();
  await stack?.stop();
});
beforeEach(() => stack.llm.reset());

const newUser = (profile: { language_code?: string } = {}) =>
  stack.telegram.user(nextUser++, { first_name: 'Ada', ...profile });

/** Sends `text` and waits for the `count`th bot message after what the chat already had. */
async function ask(user: PeerUser, text: string, count = 1): Promise<string[]> {
  const before = user.botMessages().length;
  await user.sendText(text);
  const sent = await stack.telegram.waitFor(() => {
    const messages = user.botMessages();
    return messages.length >= before + count ? messages.slice(before) : undefined;
  }, 60_000);
  return sent.map((m) => m.text);
}

/** The model's requests that carried this user's question. */
const requestsWith = (text: string) =>
  stack.llm.requests().filter((r) => r.messages.at(-1)?.role === 'user' && r.messages.at(-1)?.content === text);

describe('the assistant on the local stack', () => {
  it('answers free text with the model’s answer, showing typing first, and remembers the conversation', {
    timeout: 60_000,
  }, async () => {
    const user = newUser();
    expect(await ask(user, 'What is a lamport?')).toEqual(['Local model: you said "What is a lamport?"']);
    const typing = stack.telegram.calls('sendChatAction').filter((c) => c.params.chat_id === user.id);
    expect(typing.length).toBeGreaterThanOrEqual(1);
    expect(typing[0]!.params.action).toBe('typing');

    expect(await ask(user, 'And how many make a SOL?')).toEqual(['Local model: you said "And how many make a SOL?"']);
    const [second] = requestsWith('And how many make a SOL?');
    expect(second!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(second!.messages[1]!.content).toBe('What is a lamport?');
  });

  it('answers a Chinese user in Chinese', { timeout: 60_000 }, async () => {
    const user = newUser({ language_code: 'zh-hans' });
    expect(await ask(user, '什么是质押？')).toEqual(['（简体中文）Local model: you said "什么是质押？"']);
  });

  it('forgets the conversation on /reset', { timeout: 60_000 }, async () => {
    const user = newUser();
    await ask(user, 'Remember the number 42.');
    expect(await ask(user, '/reset')).toEqual([
      '🧹 Done: I have forgotten our conversation. Your next question starts afresh.',
    ]);
    await ask(user, 'Which number did I say?');
    const [after] = requestsWith('Which number did I say?');
    expect(after!.messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('sends a long answer in parts of at most 4,096 characters, in order, with its Markdown as formatting', {
    timeout: 60_000,
  }, async () => {
    const paragraphs = Array.from({ length: 24 }, (_, i) => `**Part ${i}** ${'lorem ipsum '.repeat(40)}`);
    stack.llm.setReply(() => paragraphs.join('\n\n'));
    const user = newUser();
    const before = user.botMessages().length;
    await user.sendText('Tell me everything.');
    await stack.telegram.waitFor(() => user.botMessages().some((m) => m.text.includes('Part 23')) || undefined, 60_000);
    const parts = user.botMessages().slice(before);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(part.text.length).toBeLessThanOrEqual(TELEGRAM_LIMITS.maxTextLength);
    const all = parts.map((p) => p.text).join('\n');
    for (let i = 1; i < 24; i++) expect(all.indexOf(`Part ${i - 1}`)).toBeLessThan(all.indexOf(`Part ${i}`));
    expect(parts[0]!.entities.some((e) => e.type === 'bold')).toBe(true);
    expect(all).not.toContain('**');
  });

  it('shows the model’s HTML as text, never as markup', { timeout: 60_000 }, async () => {
    stack.llm.setReply(() => '<a href="https://evil.example">click</a> & <b>bold?</b>');
    const user = newUser();
    const [answer] = await ask(user, 'Say something odd.');
    expect(answer).toBe('<a href="https://evil.example">click</a> & <b>bold?</b>');
    expect(user.lastBotMessage()!.entities).toEqual([]);
  });

  it('deletes a private key at once, warns, and never gives it to the model', { timeout: 60_000 }, async () => {
    const key = KEYPAIR_BASE58;
    const user = newUser();
    const [warning] = await ask(user, key);
    expect(warning).toContain('looks like a private key');
    expect(user.messages().some((m) => m.text === key)).toBe(false);
    expect(JSON.stringify(stack.llm.requests())).not.toContain(key);
  });

  describe('with disguised secrets (the money-safety attacks)', () => {
    /** Everything stored in the table, as one string. */
    async function tableDump(): Promise<string> {
      const items: unknown[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(
          new ScanCommand({ TableName: stack.dynamodb.tableName, ExclusiveStartKey: start as never }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return JSON.stringify(items);
    }

    /** Sends `text` carrying `core`; the secret must reach neither the model, nor the table, nor a log line. */
    async function expectKeptOut(text: string, core: string, label: string) {
      registerSecret(core);
      const user = newUser();
      const [warning] = await ask(user, text);
      expect(warning, label).toMatch(/looks like a (private key|recovery phrase|API key or token)/);
      expect(plain(JSON.stringify(stack.llm.requests())), label).not.toContain(plain(core));
      expect(plain(await tableDump()), label).not.toContain(plain(core));
      expect(plain(logs.map((line) => JSON.stringify(line)).join('\n')), label).not.toContain(plain(core));
    }

    it('keeps each attack of the issue from the model, the table and the logs', { timeout: 120_000 }, async () => {
      const base64 = ENCODINGS.base64(KEYPAIR);
      const zw = `${KEYPAIR_BASE58.slice(0, 30)}\u200b${KEYPAIR_BASE58.slice(30)}`;
      const words = mnemonic(
        Uint8Array.from({ length: 16 }, (_, i) => i * 37),
        'english',
      );
      const chinese = mnemonic(
        Uint8Array.from({ length: 16 }, (_, i) => 250 - i * 11),
        'chinese',
      ).join('');
      const api = `sk-proj-${'Ab3Xy9'.repeat(6)}`;
      await expectKeptOut(`import this please: ${base64}`, base64, 'base64 key');
      await expectKeptOut(zw, KEYPAIR_BASE58, 'base58 key with a zero-width space');
      await expectKeptOut(words.join(','), words.join(' '), 'phrase with commas');
      await expectKeptOut(`我的助记词是${chinese}`, chinese, 'Chinese phrase, no separators');
      await expectKeptOut([...api].map(fullwidth).join(''), api, 'fullwidth sk-proj- key');
      await expectKeptOut(`/setsecret other ${api}`, api, 'refused /setsecret');
    });

    it('keeps generated disguised secrets from the model, the table and the logs', { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(aroundText, disguised(anySecret), async (before, secret) => {
          await expectKeptOut(`${before} ${secret.value}`, secret.core ?? secret.value, secret.label);
        }),
        { numRuns: 4 },
      );
    });
  });

  it('says the daily limit is reached once the user’s quota is used up, without asking the model', {
    timeout: 60_000,
  }, async () => {
    const user = newUser();
    const limit = stack.settings.ai.dailyQuestionsPerUser;
    await homeScope(stack, dynamo).send(
      new UpdateItemCommand({
        TableName: stack.dynamodb.tableName,
        Key: { pk: { S: `ai#${user.id}` }, sk: { S: `quota#${utcDay(Date.now())}` } },
        UpdateExpression: 'SET #used = :limit',
        ExpressionAttributeNames: { '#used': 'used' },
        ExpressionAttributeValues: { ':limit': { N: String(limit) } },
      }),
    );
    expect(await ask(user, 'One more?')).toEqual([
      `⏳ You have asked the assistant ${limit} questions today, the daily limit. Ask again after 00:00 UTC. Every command still works.`,
    ]);
    expect(requestsWith('One more?')).toEqual([]);
  });

  it('tells the user in plain words when the provider is down, after a few tries, and answers once it is back', {
    timeout: 90_000,
  }, async () => {
    stack.llm.setOutage('down');
    const user = newUser();
    expect(await ask(user, 'Are you there?')).toEqual([
      '😵 The assistant cannot answer right now: its AI provider is not responding. Please try again in a few minutes. This question did not count toward your daily limit.',
    ]);
    expect(stack.llm.stats().requests).toBe(stack.settings.ai.maxAttempts);
    stack.llm.setOutage(null);
    expect(await ask(user, 'Now?')).toEqual(['Local model: you said "Now?"']);
  });

  it('waits out the provider’s 429s as its Retry-After says, and answers every question', {
    timeout: 90_000,
  }, async () => {
    stack.llm.setRateLimit(1);
    const users = [newUser(), newUser(), newUser()];
    const answers = await Promise.all(users.map((user, i) => ask(user, `Question ${i}`)));
    expect(answers).toEqual(users.map((_, i) => [`Local model: you said "Question ${i}"`]));
    expect(stack.llm.stats().rateLimited).toBeGreaterThan(0);
    expect(stack.llm.stats().answered).toBe(3);
  });

  it('answers questions arriving while it waits in the invocations already waiting, each chat still in order', {
    timeout: 120_000,
  }, async () => {
    const latencyMs = 8_000;
    stack.llm.setLatency(latencyMs);
    const invocations = () => stack.runner!.stats().functions.aiWorker?.invocations ?? 0;
    const before = invocations();
    const reached = (text: string) => stack.telegram.waitFor(() => requestsWith(text).length > 0 || undefined, 60_000);

    const first = newUser();
    const firstAnswers = ask(first, 'First, slowly', 2);
    await reached('First, slowly');
    // The same chat asks again at once: held (FIFO) until its first question is answered.
    await first.sendText('And then?');
    // Other chats, one after another while the first waits, each sent once the one before reached
    // the model: invocations already waiting take them. (Each alone in an invocation, as without
    // taking, the third would wait for the first two invocations to end, then start a third.)
    const others = [newUser(), newUser(), newUser(), newUser()];
    const otherAnswers: Promise<string[]>[] = [];
    for (const [i, user] of others.entries()) {
      otherAnswers.push(ask(user, `Meanwhile ${i}`));
      await reached(`Meanwhile ${i}`);
    }
    expect(requestsWith('And then?')).toEqual([]);
    expect(invocations() - before).toBeLessThanOrEqual(2);

    expect(await Promise.all(otherAnswers)).toEqual(others.map((_, i) => [`Local model: you said "Meanwhile ${i}"`]));
    // Order and memory per chat: the follow-up was asked after, and with, the first question and its answer.
    expect(await firstAnswers).toEqual(['Local model: you said "First, slowly"', 'Local model: you said "And then?"']);
    const [asked] = requestsWith('And then?');
    expect(asked!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(asked!.messages[1]!.content).toBe('First, slowly');
  });

  it('ran with no unexpected warning or error', () => {
    // The outage above is expected to log the provider's failures.
    const { lines, problems } = unexpectedProblems(logs);
    expect(lines).toBeGreaterThan(0);
    const unexpected = (problems as { event?: string; error?: { code?: string } }[]).filter(
      (p) => !['ai.unavailable', 'ai.rate_limited'].includes(p.error?.code ?? '') && p.event !== 'ai.provider_failed',
    );
    expect(unexpected).toEqual([]);
  });
});
