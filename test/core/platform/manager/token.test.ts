import { describe, expect, it } from 'vitest';
import { findBotToken } from '../../../../core/platform/manager/index.js';

const SECRET = 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1'; // 35 characters, BotFather's shape
const TOKEN = `123456789:${SECRET}`;

describe('findBotToken', () => {
  it('takes a token alone, with surrounding whitespace, and the payouts option after it', () => {
    expect(findBotToken(TOKEN)).toEqual({ kind: 'alone', token: TOKEN, payouts: false });
    expect(findBotToken(`\n  ${TOKEN}  \n`)).toEqual({ kind: 'alone', token: TOKEN, payouts: false });
    expect(findBotToken(`${TOKEN} payouts`)).toEqual({ kind: 'alone', token: TOKEN, payouts: true });
    expect(findBotToken(`${TOKEN}\nPAYOUTS`)).toEqual({ kind: 'alone', token: TOKEN, payouts: true });
  });

  it('sees through zero-width characters, a BOM, a soft hyphen and spaces around the colon', () => {
    const disguised = `\uFEFF1234\u200B56789\u200D:\u2060AAHdq\u00ADTcvCH1vGWJxfSeofSAs0K5PALDsaw1\u200C`;
    expect(findBotToken(disguised)).toEqual({ kind: 'alone', token: TOKEN, payouts: false });
    expect(findBotToken(`123456789 : ${SECRET}`)).toEqual({ kind: 'alone', token: TOKEN, payouts: false });
    // Split by spaces or a line break when pasted: still the token, when the message is nothing else.
    const split = `123456789:${SECRET.slice(0, 12)} ${SECRET.slice(12, 30)}\n${SECRET.slice(30)}`;
    expect(findBotToken(split)).toEqual({ kind: 'alone', token: TOKEN, payouts: false });
    expect(findBotToken(`${split} payouts`)).toEqual({ kind: 'alone', token: TOKEN, payouts: true });
  });

  it('finds a token among other words (embedded: refused, never onboarded)', () => {
    expect(findBotToken(`my token is ${TOKEN} thanks`)).toEqual({ kind: 'embedded' });
    expect(findBotToken(`${TOKEN} please`)).toEqual({ kind: 'embedded' });
    expect(findBotToken(`a\n${TOKEN}`)).toEqual({ kind: 'embedded' });
  });

  it('leaves ordinary text alone: times, short ids, Solana addresses after a number, longer runs', () => {
    expect(findBotToken(undefined)).toBeUndefined();
    expect(findBotToken('meet at 10:30 tomorrow with the whole team please')).toBeUndefined();
    expect(findBotToken('1234:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1')).toBeUndefined(); // a 4-digit id
    expect(findBotToken('order 123456: 7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU')).toBeUndefined(); // 44 characters
    expect(findBotToken(`${TOKEN}x`)).toBeUndefined(); // 36 characters: not a token
    expect(findBotToken('/addbot')).toBeUndefined();
  });
});
