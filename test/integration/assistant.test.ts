import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TELEGRAM_LIMITS } from '../../core/settings.js';
import { utcDay } from '../../core/time.js';
import { localClientConfig } from '../../local/aws/common.js';
import { type LocalStack, type LogLine, startLocalStack } from '../../local/index.js';
import type { PeerUser } from '../../local/telegram/index.js';
import { unexpectedProblems } from '../helpers/stack-chat.js';

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
    const key = '4Z7cXSyeFR8wNGMVXUE1TwtKn5D5Vu7FzEv69dokLv7KrQk7h6pu4xF2vE1L8nHGsKRN5hGT9rBWGHfDtdDsFyTa';
    const user = newUser();
    const [warning] = await ask(user, key);
    expect(warning).toContain('looks like a private key');
    expect(user.messages().some((m) => m.text === key)).toBe(false);
    expect(JSON.stringify(stack.llm.requests())).not.toContain(key);
  });

  it('says the daily limit is reached once the user’s quota is used up, without asking the model', {
    timeout: 60_000,
  }, async () => {
    const user = newUser();
    const limit = stack.settings.ai.dailyQuestionsPerUser;
    await dynamo.send(
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
