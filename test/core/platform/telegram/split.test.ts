import { describe, expect, it } from 'vitest';
import type { TelegramCall } from '../../../../core/platform/telegram/calls.js';
import { splitLongMessages, splitText } from '../../../../core/platform/telegram/split.js';

/** A small deterministic PRNG (mulberry32), so every generated case can be replayed by its seed. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

const TAG = /<\/?[a-zA-Z-]+(?:\s[^<>]*)?>/y;
const ENTITY = /&#?[a-zA-Z0-9]+;/y;

/** What a reader sees: each character (an entity counts as one) with the tags it sits in. */
function rendered(text: string, html: boolean): { ch: string; format: string }[] {
  if (!html) return [...text].map((ch) => ({ ch, format: '' }));
  const out: { ch: string; format: string }[] = [];
  const open: { name: string; text: string }[] = [];
  let at = 0;
  while (at < text.length) {
    TAG.lastIndex = at;
    ENTITY.lastIndex = at;
    const tag = TAG.exec(text);
    if (tag) {
      const [, slash, name] = /^<(\/?)([a-zA-Z-]+)/.exec(tag[0])!;
      if (slash) open.splice(open.map((t) => t.name).lastIndexOf(name!), 1);
      else open.push({ name: name!, text: tag[0] });
      at += tag[0].length;
      continue;
    }
    const entity = ENTITY.exec(text);
    const ch = entity ? entity[0] : String.fromCodePoint(text.codePointAt(at)!);
    out.push({ ch, format: open.map((t) => t.text).join('') });
    at += ch.length;
  }
  return out;
}

/** Throws unless every tag closes the innermost open one and none is left open. */
function expectBalanced(part: string): void {
  const open: string[] = [];
  for (const [, slash, name] of part.matchAll(/<(\/?)([a-zA-Z-]+)(?:\s[^<>]*)?>/g)) {
    if (slash) expect(open.pop(), `closing </${name}> in ${JSON.stringify(part)}`).toBe(name);
    else open.push(name!);
  }
  expect(open, `left open in ${JSON.stringify(part)}`).toEqual([]);
}

/**
 * Checks the splitter's promises on one input: every part fits, is well-formed on its own, cuts
 * no tag, entity or character, and the parts read back as the text, losing only line breaks at
 * the cuts. Returns, per cut, whether it fell at a line break, next to a space, or elsewhere.
 */
function checkSplit(
  text: string,
  html: boolean,
  max: number,
): { parts: string[]; cuts: ('line' | 'space' | 'word')[] } {
  const parts = splitText(text, { html, max });
  const original = rendered(text, html);
  const cuts: ('line' | 'space' | 'word')[] = [];
  let o = 0;
  parts.forEach((part, k) => {
    expect(part.length, `part ${k} of ${JSON.stringify(text)}`).toBeLessThanOrEqual(max);
    expect(part.trim()).not.toBe('');
    expect(part).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    if (html) {
      expectBalanced(part);
      expect(part.replace(/<\/?[a-zA-Z-]+(?:\s[^<>]*)?>/g, '')).not.toMatch(/[<>]|&(?![#a-zA-Z0-9]+;)/);
    }
    const units = rendered(part, html);
    if (k > 0) {
      let dropped = false;
      while (original[o]?.ch === '\n' && units[0]?.ch !== '\n') {
        o++;
        dropped = true;
      }
      const last = original[o - 1]?.ch ?? '';
      const next = original[o]?.ch ?? '';
      cuts.push(dropped ? 'line' : /\s/.test(last) || /\s/.test(next) ? 'space' : 'word');
    }
    for (const unit of units) {
      if (unit.ch !== original[o]?.ch || unit.format !== original[o]?.format) {
        expect(unit, `part ${k} at ${o} of ${JSON.stringify(text)}`).toEqual(original[o]);
      }
      o++;
    }
  });
  expect(original.slice(o).every((unit) => /\s/.test(unit.ch))).toBe(true);
  return { parts, cuts };
}

const WORDS = ['sol', 'wallet', 'deposit', 'ok', 'a', 'confirmation', '提现', '钱包', '🚀', '👍🏽', 'x'];
const ENTITIES = ['&amp;', '&lt;', '&gt;', '&quot;', '&#39;', '&#x1F600;'];
const OPENERS = [
  ['<b>', '</b>'],
  ['<i>', '</i>'],
  ['<u>', '</u>'],
  ['<code>', '</code>'],
  ['<tg-spoiler>', '</tg-spoiler>'],
  ['<a href="https://example.com/tx?id=42&amp;n=1">', '</a>'],
  ['<pre><code class="language-ts">', '</code></pre>'],
  ['<blockquote expandable>', '</blockquote>'],
] as const;

/** A word, now and then with an entity glued to it (as escaped quotes are). */
function word(rng: Rng, html: boolean): string {
  const base = rng.pick(WORDS);
  if (!html || rng.next() > 0.2) return base;
  const entity = rng.pick(ENTITIES);
  return rng.next() < 0.5 ? `${entity}${base}` : `${base}${entity}${rng.pick(WORDS)}`;
}

/** Words, formatted runs and separators; tags wrap whole words, as people write them. */
function phrase(rng: Rng, html: boolean, depth: number, length: number): string {
  const pieces: string[] = [];
  for (let n = 0; n < length; n++) {
    if (html && depth < 2 && rng.next() < 0.12) {
      const [open, close] = rng.pick(OPENERS);
      pieces.push(`${open}${phrase(rng, html, depth + 1, rng.int(1, 8))}${close}`);
    } else if (rng.next() < 0.01) {
      pieces.push('z'.repeat(rng.int(50, 400)));
    } else {
      pieces.push(word(rng, html));
    }
    if (n < length - 1) pieces.push(rng.pick([' ', ' ', ' ', ' ', ' ', '\n', '\n\n', ' \n']));
  }
  return pieces.join('');
}

describe('splitText', () => {
  it('returns a text that fits unchanged, as one part', () => {
    const text = '<b>Hello</b>\n'.repeat(10);
    expect(splitText(text, { html: true, max: text.length })).toEqual([text]);
    expect(splitText('short', { html: false })).toEqual(['short']);
  });

  it('keeps every part within 4,096 characters by default', () => {
    const text = Array.from({ length: 600 }, (_, n) => `line ${n} <b>bold</b> &amp; more`).join('\n');
    const parts = splitText(text, { html: true });
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(4_096);
    expect(parts.join('\n')).toBe(text);
  });

  it('cuts at the last line break that fits, and drops it', () => {
    const text = 'first line\nsecond line\nthird line';
    expect(splitText(text, { html: false, max: 25 })).toEqual(['first line\nsecond line', 'third line']);
  });

  it('does not start a part with the empty lines found at a cut', () => {
    const parts = splitText('first line\n\n\nsecond line', { html: false, max: 14 });
    expect(parts).toHaveLength(2);
    expect(parts[0]!.trimEnd()).toBe('first line');
    expect(parts[1]).toBe('second line');
  });

  it('cuts at the last space when a line is too long', () => {
    expect(splitText('alpha beta gamma delta', { html: false, max: 12 })).toEqual(['alpha beta ', 'gamma delta']);
  });

  it('prefers a space in the text that does not fit over an earlier cut after a tag', () => {
    const text = `Hi <b>John</b>, ${'here is a long text '.repeat(5)}`;
    const parts = splitText(text, { html: true, max: 60 });
    expect(parts[0]).toBe('Hi <b>John</b>, here is a long text here is a long text ');
    expect(parts.join('')).toBe(text);
  });

  it('cuts between words rather than at an entity glued to a word', () => {
    const text = 'they said &quot;no&quot; and &quot;yes&quot; and &quot;maybe&quot;';
    const parts = splitText(text, { html: true, max: 40 });
    expect(parts).toEqual(['they said &quot;no&quot; and ', '&quot;yes&quot; and &quot;maybe&quot;']);
  });

  it('cuts where a line break does not fit, rather than at an earlier space', () => {
    const text = 'aaa <b>b</b> ccc\nddd';
    expect(splitText(text, { html: true, max: 16 })).toEqual(['aaa <b>b</b> ccc', 'ddd']);
  });

  it('closes the tags open at a cut and opens them again in the next part', () => {
    const text = '<b>bold one\nbold two</b>';
    expect(splitText(text, { html: true, max: 18 })).toEqual(['<b>bold one</b>', '<b>bold two</b>']);
  });

  it('re-opens nested tags with their attributes, in order', () => {
    const link = '<a href="https://example.com/?a=1&amp;b=2">';
    const text = `<i>${link}one two three</a> four</i>`;
    // Room for 10 characters of text next to the tags: "one two " fits, "three" does not.
    const parts = splitText(text, { html: true, max: link.length + 21 });
    expect(parts).toEqual([`<i>${link}one two </a></i>`, `<i>${link}three</a> four</i>`]);
  });

  it('keeps a code block a code block in every part', () => {
    const code = Array.from({ length: 30 }, (_, n) => `const v${n} = ${n};`).join('\n');
    const [open, close] = ['<pre><code class="language-ts">', '</code></pre>'];
    const parts = splitText(`${open}${code}${close}`, { html: true, max: 200 });
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) {
      expect(part.startsWith(open) && part.endsWith(close)).toBe(true);
      expect(part.slice(open.length, -close.length)).not.toMatch(/[<>]/);
    }
    expect(parts.map((p) => p.slice(open.length, -close.length)).join('\n')).toBe(code);
  });

  it('drops a last part of tags and spaces alone, which Telegram would refuse as empty', () => {
    expect(splitText('<b>aaaa bbbb\n<i> </i></b>', { html: true, max: 20 })).toEqual(['<b>aaaa bbbb</b>']);
  });

  it('hard-splits a single word longer than a part', () => {
    const parts = splitText('x'.repeat(25), { html: false, max: 10 });
    expect(parts).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  it('hard-splits a giant word inside tags, keeping room for the tags', () => {
    const parts = splitText(`<b>${'y'.repeat(30)}</b>`, { html: true, max: 17 });
    expect(parts).toEqual(['<b>yyyyyyyyyy</b>', '<b>yyyyyyyyyy</b>', '<b>yyyyyyyyyy</b>']);
  });

  it('never cuts a character made of two UTF-16 units', () => {
    const parts = splitText('😀'.repeat(10), { html: false, max: 5 });
    expect(parts).toEqual(Array(5).fill('😀😀'));
  });

  it('ends when a space falls right after the room left', () => {
    expect(splitText('aaaaaaaaaa bbbbb', { html: false, max: 10 })).toEqual(['aaaaaaaaaa', ' bbbbb']);
  });

  it('never cuts an entity', () => {
    const text = '&amp;'.repeat(30);
    const parts = splitText(text, { html: true, max: 12 });
    expect(parts).toEqual(Array(15).fill('&amp;&amp;'));
  });

  it('cuts entities as plain text in plain mode', () => {
    expect(splitText('&amp;&amp;', { html: false, max: 4 })).toEqual(['&amp', ';&am', 'p;']);
  });

  it('leaves tags alone in plain mode: they are text there', () => {
    expect(splitText('<b>bold text</b>', { html: false, max: 8 })).toEqual(['<b>bold ', 'text</b>']);
  });

  it('fails when a tag is longer than a whole part', () => {
    expect(() => splitText(`<a href="https://example.com/${'p'.repeat(40)}">x</a>`, { html: true, max: 30 })).toThrow(
      /tag or entity/,
    );
  });

  it('fails when the tags to re-open leave no room for text', () => {
    const open = '<b><i><u><s>';
    const close = '</s></u></i></b>';
    expect(() =>
      splitText(`${open}${'w '.repeat(20)}${close}`, { html: true, max: open.length + close.length + 2 }),
    ).not.toThrow();
    expect(() =>
      splitText(`${open}${'w'.repeat(20)}${close}`, { html: true, max: open.length + close.length }),
    ).toThrow(/no room/);
  });

  it('keeps every promise on generated HTML texts', () => {
    let split = 0;
    const cutsAt = { line: 0, space: 0, word: 0 };
    for (let seed = 1; seed <= 400; seed++) {
      const rng = prng(seed);
      const text = phrase(rng, true, 0, rng.int(5, 200));
      const max = rng.int(150, 400);
      const { parts, cuts } = checkSplit(text, true, max);
      if (parts.length > 1) split++;
      cuts.forEach((cut, k) => {
        cutsAt[cut]++;
        // A cut inside a word only where the part is one word with no line break or space to cut at.
        if (cut === 'word') expect(parts[k]!.replace(/<[^>]*>/g, '').trim(), `seed ${seed}`).not.toMatch(/\s/);
      });
    }
    expect(split).toBeGreaterThan(200);
    expect(cutsAt.line).toBeGreaterThan(cutsAt.space);
    expect(cutsAt.space).toBeGreaterThan(0);
  });

  it('keeps every promise on generated plain texts', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = prng(10_000 + seed);
      const text = phrase(rng, false, 0, rng.int(3, 120));
      const max = rng.int(4, 120);
      const { parts, cuts } = checkSplit(text, false, max);
      cuts.forEach((cut, k) => {
        if (cut === 'word') expect(parts[k]!.trim(), `seed ${seed}`).not.toMatch(/\s/);
      });
    }
  });
});

const long = Array.from({ length: 500 }, (_, n) => `row ${n}: <b>value</b>`).join('\n');
const markup = { inline_keyboard: [[{ text: 'OK', callback_data: 'ok' }]] };

describe('splitLongMessages', () => {
  it('expands a long message into parts in order, markup on the last and reply on the first', () => {
    const call: TelegramCall = {
      method: 'sendMessage',
      params: {
        chat_id: 7,
        text: long,
        parse_mode: 'HTML',
        reply_markup: markup,
        reply_parameters: { message_id: 3 },
        link_preview_options: { is_disabled: true },
      },
    };
    const calls = splitLongMessages([call]);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.map((c) => c.params.text).join('\n')).toBe(long);
    calls.forEach((c, n) => {
      expect(c.method).toBe('sendMessage');
      expect(c.params).toMatchObject({ chat_id: 7, parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
      expect((c.params.text as string).length).toBeLessThanOrEqual(4_096);
      expect(c.params.reply_markup).toEqual(n === calls.length - 1 ? markup : undefined);
      expect(c.params.reply_parameters).toEqual(n === 0 ? { message_id: 3 } : undefined);
      expect('reply_markup' in c.params).toBe(n === calls.length - 1);
      expect('reply_parameters' in c.params).toBe(n === 0);
    });
  });

  it('splits HTML as HTML whatever the case of parse_mode', () => {
    const text = `<b>${'word '.repeat(1_000)}</b>`;
    const calls = splitLongMessages([{ method: 'sendMessage', params: { chat_id: 1, text, parse_mode: 'html' } }]);
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(c.params.text).toMatch(/^<b>[^<]+<\/b>$/);
  });

  it('splits a message without parse mode as plain text', () => {
    const text = `<b>${'word '.repeat(1_000)}</b>`;
    const calls = splitLongMessages([{ method: 'sendMessage', params: { chat_id: 1, text } }]);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.params.text).not.toMatch(/^<b>/);
  });

  it('leaves a message with entities, short messages and other methods alone, in order', () => {
    const withEntities: TelegramCall = {
      method: 'sendMessage',
      params: { chat_id: 1, text: 'x'.repeat(5_000), entities: [{ type: 'bold', offset: 0, length: 5 }] },
    };
    const short: TelegramCall = { method: 'sendMessage', params: { chat_id: 1, text: 'hi', reply_markup: markup } };
    const edit: TelegramCall = { method: 'editMessageText', params: { chat_id: 1, message_id: 2, text: long } };
    const photo: TelegramCall = { method: 'sendPhoto', params: { chat_id: 1, photo: 'id', caption: long } };
    const noText: TelegramCall = { method: 'sendMessage', params: { chat_id: 1 } };
    const calls = [withEntities, short, edit, photo, noText];
    const out = splitLongMessages(calls);
    expect(out).toHaveLength(5);
    for (const [n, c] of out.entries()) expect(c).toBe(calls[n]);
  });

  it('expands only the long messages among others', () => {
    const before: TelegramCall = { method: 'answerCallbackQuery', params: { callback_query_id: 'q' } };
    const after: TelegramCall = { method: 'sendMessage', params: { chat_id: 1, text: 'bye' } };
    const out = splitLongMessages([
      before,
      { method: 'sendMessage', params: { chat_id: 1, text: long, parse_mode: 'HTML' } },
      after,
    ]);
    expect(out[0]).toBe(before);
    expect(out.at(-1)).toBe(after);
    expect(out.length).toBeGreaterThan(3);
  });
});
