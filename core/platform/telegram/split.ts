import { TELEGRAM_LIMITS } from '../settings.js';
import type { TelegramCall } from './calls.js';

/** A token of a message text: an HTML tag, an HTML entity, a line break, or plain text. */
interface Token {
  text: string;
  /** For an opening tag: its name; for a closing tag: `/name`. */
  tag?: string;
}

const HTML_TOKEN = /(<\/?[a-zA-Z-]+(?:\s[^<>]*)?>|&#?[a-zA-Z0-9]+;|\n)/;

function tokenize(text: string, html: boolean): Token[] {
  const parts = html ? text.split(HTML_TOKEN) : text.split(/(\n)/);
  const tokens: Token[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const tag = html ? /^<(\/?)([a-zA-Z-]+)/.exec(part) : null;
    tokens.push(tag ? { text: part, tag: `${tag[1]}${tag[2]!.toLowerCase()}` } : { text: part });
  }
  return tokens;
}

const closer = (open: Token) => `</${open.tag}>`;
const closersOf = (stack: readonly Token[]) => stack.map(closer).reverse().join('');

/**
 * Splits a message text into parts of at most `max` characters, at line breaks where it can
 * (then at spaces, then anywhere outside a tag or an entity). In HTML, tags open across a
 * split are closed at the end of a part and opened again at the start of the next, so every
 * part is well-formed on its own. Counts characters of the source text (tags included), which
 * is never less than what Telegram counts, so no part is refused as too long.
 */
export function splitText(text: string, options: { html: boolean; max?: number }): string[] {
  const max = options.max ?? TELEGRAM_LIMITS.maxTextLength;
  if (text.length <= max) return [text];
  const tokens = tokenize(text, options.html);
  const isEntity = (token: Token) => options.html && /^&#?[a-zA-Z0-9]+;$/.test(token.text);
  const isWords = (token: Token) => !token.tag && token.text !== '\n' && !isEntity(token);
  const parts: string[] = [];
  let stack: Token[] = [];
  let index = 0;
  while (index < tokens.length) {
    const prefix = stack.map((t) => t.text).join('');
    let body = '';
    let open = [...stack];
    // The best cuts so far: after which token (or inside it, at `split`), with which part text
    // and which tags still open.
    let lineCut: Cut | undefined;
    let spaceCut: Cut | undefined;
    let anyCut: Cut | undefined;
    // Only a part with some text is worth sending (not just tags opened and closed again).
    let hasText = false;
    let i = index;
    for (; i < tokens.length; i++) {
      const token = tokens[i]!;
      const nextOpen = token.tag ? applyTag(open, token) : open;
      const candidate = body + token.text;
      if (prefix.length + candidate.length + closersOf(nextOpen).length > max) break;
      const before = body;
      const hadText = hasText;
      body = candidate;
      open = nextOpen;
      if (!token.tag && token.text !== '\n' && token.text.trim() !== '') hasText = true;
      if (!hasText) continue;
      if (token.text === '\n') {
        lineCut = { end: i + 1, body: body.slice(0, -1), open };
        continue;
      }
      anyCut = { end: i + 1, body, open };
      if (!isWords(token)) continue;
      // Words keep whole: a cut after the last space of this text, or after the text if it ends with one.
      if (/\s$/.test(token.text)) spaceCut = anyCut;
      else {
        const space = token.text.lastIndexOf(' ');
        const head = token.text.slice(0, space + 1);
        if (space >= 0 && (hadText || head.trim() !== '')) {
          spaceCut = { end: i + 1, body: before + head, open, split: { index: i, at: space + 1 } };
        }
      }
    }
    if (i === tokens.length) {
      parts.push(prefix + body);
      break;
    }
    const token = tokens[i]!;
    const room = max - prefix.length - body.length - closersOf(open).length;
    // A line break that does not fit ends the line right here: the best cut there is.
    if (token.text === '\n' && hasText) lineCut = { end: i, body, open };
    if (!lineCut && isWords(token)) {
      // The text that does not fit is cut at its last space that does (rather than at an earlier
      // cut), unless that would leave a part mostly empty.
      const space = room > 0 ? token.text.lastIndexOf(' ', room - 1) : -1;
      if (space >= 0 && (anyCut || space + 1 > room / 2)) {
        tokens.splice(i, 1, { text: token.text.slice(0, space + 1) }, { text: token.text.slice(space + 1) });
        continue;
      }
    }
    const cut = lineCut ?? spaceCut ?? anyCut;
    if (!cut) {
      // A single token longer than the room left: cut plain text anywhere but inside a character.
      if (!isWords(token)) throw new Error('a tag or entity does not fit in a message');
      const at = room > 0 && isHighSurrogate(token.text.charCodeAt(room - 1)) ? room - 1 : room;
      if (at <= 0) throw new Error('the tags open at a split leave no room for text');
      tokens.splice(i, 1, { text: token.text.slice(0, at) }, { text: token.text.slice(at) });
      continue;
    }
    parts.push(prefix + cut.body + closersOf(cut.open));
    stack = cut.open;
    index = cut.end;
    if (cut.split) {
      const { index: at, at: offset } = cut.split;
      const words = tokens[at]!.text;
      tokens.splice(at, 1, { text: words.slice(0, offset) }, { text: words.slice(offset) });
    }
    // A line break right at the cut would start the next part with an empty line.
    while (tokens[index]?.text === '\n') index++;
  }
  // A last part of tags and spaces alone shows nothing (Telegram refuses it as empty).
  const visible = (part: string) => (options.html ? part.replace(/<[^<>]*>/g, '') : part).trim().length > 0;
  return parts.filter(visible);
}

/** Where a part may end: after token `end - 1`, or inside token `split.index` at `split.at`. */
interface Cut {
  end: number;
  body: string;
  open: Token[];
  split?: { index: number; at: number };
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

function applyTag(open: Token[], token: Token): Token[] {
  if (!token.tag!.startsWith('/')) return [...open, token];
  const name = token.tag!.slice(1);
  const at = open.map((t) => t.tag).lastIndexOf(name);
  return at === -1 ? open : [...open.slice(0, at), ...open.slice(at + 1)];
}

/**
 * Expands every `sendMessage` whose text is too long into several, in order. Only the last
 * part keeps the reply markup (buttons belong under the whole message) and only the first
 * keeps `reply_parameters`. A text with explicit `entities` is left alone: its offsets cannot
 * be split safely, and Telegram refuses it as a 400 that the sender logs.
 */
export function splitLongMessages(calls: readonly TelegramCall[]): TelegramCall[] {
  return calls.flatMap((call) => {
    const text = call.params.text;
    if (call.method !== 'sendMessage' || typeof text !== 'string' || call.params.entities !== undefined) return [call];
    const html = String(call.params.parse_mode ?? '').toUpperCase() === 'HTML';
    const parts = splitText(text, { html });
    if (parts.length === 1) return [call];
    return parts.map((part, n) => {
      const { reply_markup, reply_parameters, ...rest } = call.params;
      const params: Record<string, unknown> = { ...rest, text: part };
      if (n === 0 && reply_parameters !== undefined) params.reply_parameters = reply_parameters;
      if (n === parts.length - 1 && reply_markup !== undefined) params.reply_markup = reply_markup;
      return { method: call.method, params };
    });
  });
}
