import { escapeHtml } from '../../platform/i18n/index.js';

/**
 * Turns the Markdown a language model writes into the HTML subset Telegram accepts
 * (`parse_mode: 'HTML'`), such that the result is ALWAYS well-formed: every character of the
 * input is escaped first, and tags are only ever emitted in pairs around text the parser has
 * already delimited, so they nest properly and never cross. Raw HTML in the input is shown as
 * text, never interpreted. Whatever is not recognised below stays as literal text.
 *
 * Grammar (blocks are recognised per line; `\r\n` and `\r` count as line breaks):
 * - Fenced code: a line of ≥ 3 backticks (up to 3 spaces of indent) and an optional info string
 *   without backticks opens a block that runs to a line of at least as many backticks and nothing
 *   else, or to the end of the text when unclosed. It becomes
 *   `<pre><code class="language-LANG">…</code></pre>` when the info string is one word of
 *   `[A-Za-z0-9_+-]{1,20}`, else `<pre><code>…</code></pre>`; the rest of the info string is
 *   dropped. The contents are escaped and nothing inside is converted.
 * - Heading: `#`…`######`, a space, text (an optional closing run of `#` is dropped) → `<b>text</b>`.
 * - Quote: consecutive lines starting with `>` (one optional space after it is dropped) → one
 *   `<blockquote>`; each quoted line is formatted as a heading, list item or text line.
 * - List item: `- ` or `* ` after any indent → the indent, `• `, then the text.
 * - Anything else is a text line.
 *
 * Inline, within one line (a delimiter pair never spans lines):
 * - `` `code` `` → `<code>`: a run of N backticks closed by the next run of exactly N; contents
 *   verbatim (escaped). A run with no closer is literal. Emphasis never opens or closes inside a
 *   code span.
 * - `**bold**`, `__bold__` → `<b>`; `*italic*`, `_italic_` → `<i>`; `~~strike~~` → `<s>`. An
 *   opener must be followed by a non-space, a closer preceded by one; the closer is the first
 *   valid one after the opener (outside code spans), so e.g. `2 * 3 * 4` stays as it is.
 *   Underscores never open after, nor close before, a letter or digit, so `snake_case_name`
 *   stays as it is. A run of three or more delimiter characters closes with its last ones
 *   (`***x***` is bold italic). A tag already open around the text is not opened again (its
 *   delimiters are dropped), so `# **Title**` is one `<b>`.
 * - `[text](url)` → `<a href="url">text</a>` when `url` is `http://` or `https://`, an ASCII host
 *   name and a path without spaces, quotes, backslashes or angle brackets; otherwise only the
 *   text is kept. Balanced parentheses may appear in the url; the text may not contain `[` and
 *   is never itself linked (an empty text shows the url).
 *
 * Everything else, including unmatched delimiters, is literal text.
 */
export function markdownToTelegramHtml(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let at = 0;
  while (at < lines.length) {
    const line = lines[at]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const closing = new RegExp(`^ {0,3}\`{${fence[1]!.length},}[ \\t]*$`);
      const body: string[] = [];
      for (at++; at < lines.length && !closing.test(lines[at]!); at++) body.push(lines[at]!);
      at++; // the closing fence, or past the end when there is none
      out.push(codeBlock(body.join('\n'), fence[2]!.trim().split(/[ \t]+/)[0]!));
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      for (let m = QUOTE.exec(line); m; m = at < lines.length ? QUOTE.exec(lines[at]!) : null) {
        quoted.push(formatLine(m[1]!));
        at++;
      }
      const body = quoted.join('\n');
      out.push(body.trim() === '' ? body : `<blockquote>${body}</blockquote>`);
      continue;
    }
    out.push(formatLine(line));
    at++;
  }
  return out.join('\n');
}

const FENCE = /^ {0,3}(`{3,})([^`]*)$/;
const QUOTE = /^ {0,3}>[ \t]?(.*)$/;
const HEADING = /^ {0,3}#{1,6}(?:[ \t]+(.*))?$/;
const LIST_ITEM = /^([ \t]*)[-*][ \t]+(.*)$/;
const LANGUAGE = /^[A-Za-z0-9_+-]{1,20}$/;
/** An absolute http(s) URL with an ASCII host: anything else might be refused by Telegram. */
const HTTP_URL = /^https?:\/\/[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?(?:[/?#][^\s<>"'`\\]*)?$/i;
const ALNUM = /[\p{L}\p{N}]/u;
/** Nesting deeper than this is shown as literal text (a guard; real answers never get near it). */
const MAX_DEPTH = 12;

function codeBlock(code: string, language: string): string {
  if (code.trim() === '') return escapeHtml(code);
  const open = LANGUAGE.test(language) ? `<code class="language-${language}">` : '<code>';
  return `<pre>${open}${escapeHtml(code)}</code></pre>`;
}

function formatLine(line: string): string {
  const heading = HEADING.exec(line);
  if (heading) {
    const text = (heading[1] ?? '').replace(/(^|[ \t]+)#+[ \t]*$/, '').trim();
    return text === '' ? '' : `<b>${inline(text, new Set(['b']))}</b>`;
  }
  const item = LIST_ITEM.exec(line);
  if (item) return `${item[1]}• ${inline(item[2]!)}`;
  return inline(line);
}

/** What an inline rule produced at a position: its HTML and where the source it consumed ends. */
interface Span {
  html: string;
  end: number;
}

/** The tag each delimiter character makes, by the length of its run (1 or 2). */
const EMPHASIS: Record<string, { 1?: string; 2: string }> = {
  '*': { 1: 'i', 2: 'b' },
  _: { 1: 'i', 2: 'b' },
  '~': { 2: 's' },
};

/**
 * One line (or the inside of a delimiter pair) to HTML. `open` holds the tags already open around
 * `text`: they are not opened again, and no link is made inside a link.
 */
function inline(text: string, open: ReadonlySet<string> = new Set(), depth = 0): string {
  if (depth > MAX_DEPTH) return escapeHtml(text);
  const codeSpans = findCodeSpans(text);
  let html = '';
  let plainFrom = 0;
  let at = 0;
  while (at < text.length) {
    const span = codeSpans.get(at) ?? emphasisAt(text, at, codeSpans, open, depth) ?? linkAt(text, at, open, depth);
    if (!span) {
      at++;
      continue;
    }
    html += escapeHtml(text.slice(plainFrom, at)) + span.html;
    at = plainFrom = span.end;
  }
  return html + escapeHtml(text.slice(plainFrom));
}

/**
 * The code spans of `text` by their start, left to right. An unclosed run of backticks is
 * literal: it is mapped to itself, so no shorter run is tried inside it.
 */
function findCodeSpans(text: string): Map<number, Span> {
  const spans = new Map<number, Span>();
  for (let at = text.indexOf('`'); at >= 0; at = text.indexOf('`', at)) {
    const run = runLength(text, at);
    const ticks = '`'.repeat(run);
    let close = text.indexOf(ticks, at + run);
    while (close >= 0 && runLength(text, close) !== run) close = text.indexOf(ticks, close + runLength(text, close));
    const code = close >= 0 ? text.slice(at + run, close) : '';
    if (close < 0 || code.trim() === '') {
      spans.set(at, { html: escapeHtml(text.slice(at, at + run)), end: at + run });
      at += run;
      continue;
    }
    spans.set(at, { html: `<code>${escapeHtml(code)}</code>`, end: close + run });
    at = close + run;
  }
  return spans;
}

/** How many times the character at `at` repeats from there on. */
function runLength(text: string, at: number): number {
  let end = at;
  while (text[end] === text[at]) end++;
  return end - at;
}

const isSpace = (ch: string | undefined) => ch === undefined || /\s/.test(ch);
const isAlnum = (ch: string | undefined) => ch !== undefined && ALNUM.test(ch);

function emphasisAt(
  text: string,
  at: number,
  codeSpans: ReadonlyMap<number, Span>,
  open: ReadonlySet<string>,
  depth: number,
): Span | undefined {
  const char = text[at]!;
  const tags = EMPHASIS[char];
  if (!tags) return undefined;
  const length: 1 | 2 = runLength(text, at) >= 2 ? 2 : 1;
  const tag = tags[length];
  if (!tag || isSpace(text[at + length]) || (char === '_' && isAlnum(text[at - 1]))) return undefined;
  const from = at + length;
  const close = findCloser(text, from, char, length, codeSpans);
  if (close === undefined) return undefined;
  const inner = text.slice(from, close);
  const end = close + length;
  if (open.has(tag)) return { html: inline(inner, open, depth + 1), end };
  return { html: `<${tag}>${inline(inner, new Set([...open, tag]), depth + 1)}</${tag}>`, end };
}

/**
 * Where the first valid closer of `length` × `char` after the (non-empty) text starting at `from`
 * begins. Runs of another length belong to other pairs and are skipped, as are code spans; a run
 * of three or more closes with its last characters.
 */
function findCloser(
  text: string,
  from: number,
  char: string,
  length: number,
  codeSpans: ReadonlyMap<number, Span>,
): number | undefined {
  let at = from + 1;
  while (at < text.length) {
    const code = codeSpans.get(at);
    if (code) {
      at = code.end;
      continue;
    }
    if (text[at] !== char) {
      at++;
      continue;
    }
    const run = runLength(text, at);
    const close = at + run - length;
    const fits = run === length || run >= 3;
    if (fits && !isSpace(text[close - 1]) && !(char === '_' && isAlnum(text[close + length]))) return close;
    at += run;
  }
  return undefined;
}

function linkAt(text: string, at: number, open: ReadonlySet<string>, depth: number): Span | undefined {
  if (text[at] !== '[' || open.has('a')) return undefined;
  const close = text.indexOf(']', at + 1);
  if (close < 0 || text[close + 1] !== '(') return undefined;
  const label = text.slice(at + 1, close);
  if (label.includes('[')) return undefined;
  let nesting = 0;
  let end = close + 2;
  for (; end < text.length; end++) {
    const ch = text[end]!;
    if (/\s/.test(ch)) return undefined;
    if (ch === '(') nesting++;
    if (ch === ')' && nesting-- === 0) break;
  }
  if (end >= text.length) return undefined;
  const url = text.slice(close + 2, end);
  const inner = new Set([...open, 'a']);
  if (!HTTP_URL.test(url)) return { html: inline(label, inner, depth + 1), end: end + 1 };
  const body = label.trim() === '' ? escapeHtml(url) : inline(label, inner, depth + 1);
  return { html: `<a href="${escapeHtml(url)}">${body}</a>`, end: end + 1 };
}
