import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { markdownToTelegramHtml as toHtml } from '../../../../core/desk/assistant/markup.js';
import { splitText } from '../../../../core/platform/telegram/split.js';

/** What Telegram's HTML parse mode sees in `html`: a problem, or the text content and tag names. */
interface Parsed {
  problem?: string;
  /** Text with tags removed and entities decoded. */
  text: string;
  tags: string[];
}

const SIMPLE_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 's', 'code', 'pre', 'blockquote', 'tg-spoiler', 'a']);
const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"' };
const ENTITY = /&(?:lt|gt|amp|quot);/y;
const VALUE = /^(?:[^"<>&]|&(?:lt|gt|amp|quot);)*$/;

/**
 * A strict reading of Telegram's HTML subset: only the allowed tags (attributes only `href` on
 * `<a>` and `class="language-…"` on a `<code>` directly inside `<pre>`), balanced and properly
 * nested, nothing inside `<code>`/`<pre>` but that `<code>`, no link in a link, and no `<`, `>`
 * or `&` outside a tag except the four entities.
 */
function parseTelegramHtml(html: string): Parsed {
  const stack: string[] = [];
  const tags: string[] = [];
  let text = '';
  const fail = (problem: string) => ({ problem, text, tags });
  let at = 0;
  while (at < html.length) {
    const ch = html[at]!;
    if (ch === '&') {
      ENTITY.lastIndex = at;
      const entity = ENTITY.exec(html)?.[0];
      if (!entity) return fail(`a bare & at ${at}`);
      text += ENTITIES[entity];
      at += entity.length;
      continue;
    }
    if (ch === '>') return fail(`a bare > at ${at}`);
    if (ch !== '<') {
      text += ch;
      at++;
      continue;
    }
    const end = html.indexOf('>', at);
    if (end < 0) return fail(`an unterminated tag at ${at}`);
    const tag = html.slice(at, end + 1);
    at = end + 1;
    const closing = /^<\/([a-z-]+)>$/.exec(tag);
    if (closing) {
      if (stack.pop() !== closing[1]) return fail(`${tag} does not close the innermost open tag`);
      continue;
    }
    const opening = /^<([a-z-]+)(?: (href|class)="([^"]*)")?>$/.exec(tag);
    const [, name = '', attribute, value = ''] = opening ?? [];
    if (!opening || !SIMPLE_TAGS.has(name)) return fail(`${tag} is not an allowed tag`);
    const parent = stack.at(-1);
    if (parent === 'code' || (parent === 'pre' && name !== 'code')) return fail(`${tag} inside <${parent}>`);
    if (name === 'a' && stack.includes('a')) return fail('a link inside a link');
    if (name === 'a' && (attribute !== 'href' || !VALUE.test(value))) return fail(`${tag} needs one clean href`);
    if (name !== 'a' && attribute !== undefined) {
      const languageOfCode = name === 'code' && parent === 'pre' && attribute === 'class';
      if (!languageOfCode || !/^language-[A-Za-z0-9_+-]{1,20}$/.test(value)) return fail(`${tag} has a bad attribute`);
    }
    stack.push(name);
    tags.push(name);
  }
  return stack.length > 0 ? fail(`<${stack.join('>, <')}> left open`) : { text, tags };
}

const alnum = (text: string) => [...text].filter((ch) => /[\p{L}\p{N}]/u.test(ch));

/** Whether `sub` can be read off `seq` in order by skipping some of it. */
function isSubsequence(sub: readonly string[], seq: readonly string[]): boolean {
  let at = 0;
  for (const ch of seq) if (ch === sub[at]) at++;
  return at === sub.length;
}

/**
 * The input with every character the converter may drop removed: whole fence lines (their info
 * string goes into a class or away) and link destinations (into an href or away). A superset of
 * what it drops, so the rest must all be shown.
 */
function undroppable(markdown: string): string {
  return markdown
    .split(/\r\n?|\n/)
    .filter((line) => !/^ {0,3}```/.test(line))
    .map((line) => {
      let out = '';
      for (let at = 0; at < line.length; at++) {
        out += line[at];
        if (line[at] !== ']' || line[at + 1] !== '(') continue;
        let nesting = 0;
        for (at += 2; at < line.length && !/\s/.test(line[at]!); at++) {
          if (line[at] === '(') nesting++;
          if (line[at] === ')' && nesting-- === 0) break;
        }
      }
      return out;
    })
    .join('\n');
}

/** Checks (a), (b) and (c) for one input; returns the parse for further checks. */
function expectSafe(markdown: string): Parsed {
  const html = toHtml(markdown);
  const parsed = parseTelegramHtml(html);
  expect(parsed.problem, `${JSON.stringify(markdown)} → ${JSON.stringify(html)}`).toBeUndefined();
  // Nothing invented or reordered, and nothing lost but delimiters, fence info and link targets.
  expect(isSubsequence(alnum(parsed.text), alnum(markdown))).toBe(true);
  expect(isSubsequence(alnum(undroppable(markdown)), alnum(parsed.text))).toBe(true);
  return parsed;
}

const FRAGMENTS = [
  '**',
  '__',
  '*',
  '_',
  '~~',
  '~',
  '`',
  '``',
  '```',
  '```ts\n',
  '\n```\n',
  '<b>',
  '</b>',
  '<a href="x">',
  '<pre>',
  '&',
  '&amp;',
  '&lt;',
  '"',
  '[x](',
  '[lbl](mailto:z)',
  '[lbl](https://a.io/q?a=1&b)',
  '[',
  ']',
  '](',
  '(',
  ')',
  'https://a.io/p',
  'javascript:x',
  '# ',
  '> ',
  '- ',
  '* ',
  '\n',
  '\r\n',
  ' ',
  ' ',
  'word',
  'snake_case',
  '2 * 3',
  '中文',
  '😀',
  'Ab9',
];
const markdownish = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 60 })
  .map((parts) => parts.join(''));

describe('markdownToTelegramHtml', () => {
  it.each([
    ['**bold** and __bold__', '<b>bold</b> and <b>bold</b>'],
    ['*italic* and _italic_', '<i>italic</i> and <i>italic</i>'],
    ['~~gone~~', '<s>gone</s>'],
    ['run `npm i <pkg> && go`', 'run <code>npm i &lt;pkg&gt; &amp;&amp; go</code>'],
    ['``a ` b``', '<code>a ` b</code>'],
    ['`**not bold**`', '<code>**not bold**</code>'],
    ['***both***', '<b><i>both</i></b>'],
    ['*a **b** c*', '<i>a <b>b</b> c</i>'],
    ['**a `**` b**', '<b>a <code>**</code> b</b>'],
    ['[docs](https://solana.com/docs?a=1&b=2)', '<a href="https://solana.com/docs?a=1&amp;b=2">docs</a>'],
    ['[**bold** link](http://x.io)', '<a href="http://x.io"><b>bold</b> link</a>'],
    ['[wiki](https://en.wikipedia.org/wiki/A_(b))', '<a href="https://en.wikipedia.org/wiki/A_(b)">wiki</a>'],
    ['[click](javascript:alert(1))', 'click'],
    ['[here](#section) and [x](ftp://h/f)', 'here and x'],
    ['[q](https://x.io/"onclick=")', 'q'],
    ['[](https://x.io)', '<a href="https://x.io">https://x.io</a>'],
    ['# Title', '<b>Title</b>'],
    ['### **Big** title ##', '<b>Big title</b>'],
    ['#hashtag and C# code', '#hashtag and C# code'],
    ['> quoted *text*\n> second\nafter', '<blockquote>quoted <i>text</i>\nsecond</blockquote>\nafter'],
    ['- one\n* two\n  - nested', '• one\n• two\n  • nested'],
    [
      '```ts\nconst a = "<b>" && *x*;\n```\nafter',
      '<pre><code class="language-ts">const a = &quot;&lt;b&gt;&quot; &amp;&amp; *x*;</code></pre>\nafter',
    ],
    ['```python title\nx\n```', '<pre><code class="language-python">x</code></pre>'],
    ['```c++\nx\n```', '<pre><code class="language-c++">x</code></pre>'],
    ['```"><script>\nx\n```', '<pre><code>x</code></pre>'],
    ['```\nunclosed **x**\n\nstill code', '<pre><code>unclosed **x**\n\nstill code</code></pre>'],
    ['````\n```\n````', '<pre><code>```</code></pre>'],
    ['<b>raw</b> &amp; <script>', '&lt;b&gt;raw&lt;/b&gt; &amp;amp; &lt;script&gt;'],
    ['line one\r\nline two', 'line one\nline two'],
  ])('converts %j', (markdown, html) => {
    expect(toHtml(markdown)).toBe(html);
    expect(parseTelegramHtml(html).problem).toBeUndefined();
  });

  it.each([
    ['snake_case_name and __init__ file_name_', 'snake_case_name and <b>init</b> file_name_'],
    ['2 * 3 * 4 = 24', '2 * 3 * 4 = 24'],
    ['a * b and c *d', 'a * b and c *d'],
    ['**open only', '**open only'],
    ['*a\nb*', '*a\nb*'],
    ['~single~ tilde', '~single~ tilde'],
    ['** spaced **', '** spaced **'],
    ['`unclosed code', '`unclosed code'],
    ['[text] (https://x.io) and [t](https://x.io', '[text] (https://x.io) and [t](https://x.io'],
    ['[a [b](https://x.io)', '[a <a href="https://x.io">b</a>'],
    ['**a _b** c_', '<b>a _b</b> c_'],
  ])('leaves unmatched or improper delimiters of %j as text', (markdown, html) => {
    expect(toHtml(markdown)).toBe(html);
  });

  it('keeps an empty code block and an empty heading as plain text', () => {
    expect(toHtml('```\n\n```')).toBe('');
    expect(toHtml('#\nx')).toBe('\nx');
  });

  it('is accepted by a strict Telegram HTML reader for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (markdown) => {
        expectSafe(markdown);
      }),
      { numRuns: 300 },
    );
  });

  it('is accepted by a strict Telegram HTML reader for any mix of Markdown and HTML fragments', () => {
    fc.assert(
      fc.property(markdownish, (markdown) => {
        expectSafe(markdown);
      }),
      { numRuns: 300 },
    );
  });

  it('shows every letter and digit of plain text, in order and nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (words) => {
        const markdown = words.replace(/[*_~`[\]()#>\-&<"\r\n]/g, ' ');
        expect(alnum(expectSafe(markdown).text)).toEqual(alnum(markdown));
      }),
      { numRuns: 200 },
    );
  });

  it('splits a long answer into parts that are each well-formed', () => {
    const long = fc
      .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.constantFrom('lorem ipsum dolor ', 'x'.repeat(300))), {
        minLength: 400,
        maxLength: 800,
      })
      .map((parts) => parts.join('').padEnd(4500, ' filler'));
    fc.assert(
      fc.property(long, (markdown) => {
        const html = toHtml(markdown);
        expect(parseTelegramHtml(html).problem).toBeUndefined();
        const parts = splitText(html, { html: true });
        if (html.length > 4096) expect(parts.length).toBeGreaterThan(1);
        for (const part of parts) {
          expect(part.length).toBeLessThanOrEqual(4096);
          expect(parseTelegramHtml(part).problem, part).toBeUndefined();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('handles a long line of unmatched delimiters', () => {
    const markdown = '*a _b [c `d ~~e '.repeat(2_000);
    expect(parseTelegramHtml(toHtml(markdown)).problem).toBeUndefined();
  });
});

describe('parseTelegramHtml (the test oracle)', () => {
  it.each([
    ['<b>x', 'left open'],
    ['<b><i>x</b></i>', 'innermost'],
    ['<div>x</div>', 'not an allowed tag'],
    ['<a href="x"><a href="y">z</a></a>', 'link inside a link'],
    ['<code><b>x</b></code>', 'inside <code>'],
    ['<b class="language-x">x</b>', 'bad attribute'],
    ['a & b', 'bare &'],
    ['a > b', 'bare >'],
    ['<b', 'unterminated'],
  ])('rejects %j', (html, problem) => {
    expect(parseTelegramHtml(html).problem).toContain(problem);
  });

  it('accepts every allowed form and decodes entities', () => {
    const html =
      '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><s>s</s><code>c</code><tg-spoiler>t</tg-spoiler>' +
      '<pre><code class="language-ts">&lt;&gt;&amp;&quot;</code></pre><a href="https://x?a=1&amp;b">l</a>' +
      '<blockquote>q</blockquote>';
    const parsed = parseTelegramHtml(html);
    expect(parsed.problem).toBeUndefined();
    expect(parsed.text).toBe('bsieusct<>&"lq');
  });
});
