/**
 * Telegram's text markup parsers (`parse_mode` HTML, MarkdownV2 and legacy Markdown), following
 * tdlib's `parse_html` / `parse_markdown_v2` / `parse_markdown`: same accepted syntax, same error texts
 * (`Unsupported start tag "x" at byte offset N`, `Character '.' is reserved and must be escaped with the
 * preceding '\'`, ...), byte offsets in UTF-8 and entity offsets in UTF-16 code units.
 *
 * Errors are thrown as {@link MarkupError}; the caller prefixes `Bad Request: can't parse entities: `.
 */
import type { TgMessageEntity } from './types.js';

/** Text with its entities, after markup was parsed. */
export interface FormattedText {
  text: string;
  entities: TgMessageEntity[];
}

/** A markup syntax error; `message` is tdlib's text without the Bot API prefix. */
export class MarkupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MarkupError';
  }
}

const HTML_TAGS = new Set([
  'a',
  'b',
  'strong',
  'i',
  'em',
  's',
  'strike',
  'del',
  'u',
  'ins',
  'tg-spoiler',
  'tg-emoji',
  'span',
  'pre',
  'code',
  'blockquote',
]);

const isSpace = (c: string): boolean =>
  c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\v' || c === '\f' || c === '';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlNum = (c: string): boolean => isDigit(c) || isAlpha(c);
const isHexDigit = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

/** The input as code points, with the UTF-8 byte offset of each (tdlib reports byte offsets). */
class Source {
  readonly chars: string[];
  private readonly bytes: number[];

  constructor(input: string) {
    this.chars = Array.from(input);
    this.bytes = new Array<number>(this.chars.length + 1);
    let offset = 0;
    for (let i = 0; i < this.chars.length; i++) {
      this.bytes[i] = offset;
      offset += Buffer.byteLength(this.chars[i]!, 'utf8');
    }
    this.bytes[this.chars.length] = offset;
  }

  get length(): number {
    return this.chars.length;
  }

  /** The code point at `i`, or `''` past the end (tdlib reads the terminating NUL). */
  at(i: number): string {
    return this.chars[i] ?? '';
  }

  byteOffset(i: number): number {
    return this.bytes[Math.min(i, this.chars.length)]!;
  }

  slice(from: number, to: number): string {
    return this.chars.slice(from, to).join('');
  }
}

/** Decodes `&lt;` `&gt;` `&amp;` `&quot;` and numeric references at `pos`; other names stay literal text. */
function decodeHtmlEntity(src: Source, pos: number): { value: string; codePoint: number; next: number } | undefined {
  let end = pos + 1;
  let code = 0;
  if (src.at(pos + 1) === '#') {
    end++;
    if (src.at(pos + 2) === 'x') {
      end++;
      while (isHexDigit(src.at(end))) code = code * 16 + Number.parseInt(src.at(end++), 16);
    } else {
      while (isDigit(src.at(end))) code = code * 10 + Number(src.at(end++));
    }
    if (code === 0 || code >= 0x10ffff || end - pos >= 10) return undefined;
  } else {
    while (isAlpha(src.at(end))) end++;
    const name = src.slice(pos + 1, end);
    const named: Record<string, number> = { lt: 60, gt: 62, amp: 38, quot: 34 };
    const value = named[name];
    if (value === undefined) return undefined;
    code = value;
  }
  const next = src.at(end) === ';' ? end + 1 : end;
  return { value: String.fromCodePoint(code), codePoint: code, next };
}

/** Normalises a link target the way tdlib's `check_url` does; `undefined` when it is not a usable URL. */
export function checkedUrl(raw: string): string | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  const hasScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value);
  try {
    const url = new URL(hasScheme ? value : `http://${value}`);
    const scheme = url.protocol.toLowerCase();
    if (scheme === 'http:' || scheme === 'https:' || scheme === 'ftp:') {
      if (!url.hostname.includes('.') && url.hostname !== 'localhost') return undefined;
      return url.href;
    }
    if (scheme === 'tg:' || scheme === 'ton:') return value;
    return undefined;
  } catch {
    return undefined;
  }
}

/** Sorts like tdlib: by offset, longer (outer) entities first. */
function sortEntities(entities: TgMessageEntity[]): TgMessageEntity[] {
  return entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
}

interface OpenHtmlTag {
  tag: string;
  argument: string;
  offset: number;
}

/** Parses `parse_mode: HTML` text (tags b/strong/i/em/u/ins/s/strike/del/span.tg-spoiler/tg-spoiler/a/code/pre/blockquote/tg-emoji). */
export function parseHtml(input: string): FormattedText {
  const src = new Source(input);
  const entities: TgMessageEntity[] = [];
  const open: OpenHtmlTag[] = [];
  let out = '';
  let needUtf16Check = false;

  for (let i = 0; i < src.length; i++) {
    const c = src.at(i);
    if (c === '&') {
      const decoded = decodeHtmlEntity(src, i);
      if (decoded !== undefined) {
        if (decoded.codePoint >= 0xd800 && decoded.codePoint <= 0xdfff) needUtf16Check = true;
        out += decoded.value;
        i = decoded.next - 1;
        continue;
      }
    }
    if (c !== '<') {
      out += c;
      continue;
    }

    const begin = i++;
    const at = src.byteOffset(begin);
    if (src.at(i) !== '/') {
      while (!isSpace(src.at(i)) && src.at(i) !== '>') i++;
      if (src.at(i) === '') throw new MarkupError(`Unclosed start tag at byte offset ${at}`);
      const tag = src.slice(begin + 1, i).toLowerCase();
      if (!HTML_TAGS.has(tag)) throw new MarkupError(`Unsupported start tag "${tag}" at byte offset ${at}`);

      let argument = '';
      while (src.at(i) !== '>') {
        while (src.at(i) !== '' && isSpace(src.at(i))) i++;
        if (src.at(i) === '>') break;
        const nameBegin = i;
        while (!isSpace(src.at(i)) && src.at(i) !== '=' && src.at(i) !== '>') i++;
        const name = src.slice(nameBegin, i).toLowerCase();
        if (name === '') throw new MarkupError(`Empty attribute name in the tag "${tag}" at byte offset ${at}`);
        while (src.at(i) !== '' && isSpace(src.at(i))) i++;
        if (src.at(i) !== '=') {
          if (tag === 'blockquote' && name === 'expandable') {
            if (src.at(i) === '') throw new MarkupError(`Unclosed start tag at byte offset ${at}`);
            argument = 'expandable';
            continue;
          }
          throw new MarkupError(
            `Expected equal sign in declaration of an attribute of the tag "${tag}" at byte offset ${at}`,
          );
        }
        i++;
        while (src.at(i) !== '' && isSpace(src.at(i))) i++;
        if (src.at(i) === '') throw new MarkupError(`Unclosed start tag "${tag}" at byte offset ${at}`);

        let value = '';
        const quote = src.at(i);
        if (quote !== "'" && quote !== '"') {
          const tokenBegin = i;
          while (isAlNum(src.at(i)) || src.at(i) === '.' || src.at(i) === '-') i++;
          value = src.slice(tokenBegin, i).toLowerCase();
          if (!isSpace(src.at(i)) && src.at(i) !== '>') {
            throw new MarkupError(`Unexpected end of name token at byte offset ${src.byteOffset(tokenBegin)}`);
          }
        } else {
          i++;
          while (src.at(i) !== quote && src.at(i) !== '') {
            if (src.at(i) === '&') {
              const decoded = decodeHtmlEntity(src, i);
              if (decoded !== undefined) {
                value += decoded.value;
                i = decoded.next;
                continue;
              }
            }
            value += src.at(i++);
          }
          if (src.at(i) === quote) i++;
        }
        if (src.at(i) === '') throw new MarkupError(`Unclosed start tag at byte offset ${at}`);

        if (tag === 'a' && name === 'href') argument = value;
        else if (tag === 'code' && name === 'class' && value.startsWith('language-')) argument = value.slice(9);
        else if (tag === 'span' && name === 'class' && value.startsWith('tg-')) argument = value.slice(3);
        else if (tag === 'tg-emoji' && name === 'emoji-id') argument = value;
      }

      if (tag === 'span' && argument !== 'spoiler') {
        throw new MarkupError(`Tag "span" must have class "tg-spoiler" at byte offset ${at}`);
      }
      open.push({ tag, argument, offset: out.length });
      continue;
    }

    // An end tag.
    const top = open.at(-1);
    if (top === undefined) throw new MarkupError(`Unexpected end tag at byte offset ${at}`);
    while (!isSpace(src.at(i)) && src.at(i) !== '>') i++;
    const endTag = src.slice(begin + 2, i).toLowerCase();
    while (src.at(i) !== '' && isSpace(src.at(i))) i++;
    if (src.at(i) !== '>') throw new MarkupError(`Unclosed end tag at byte offset ${at}`);
    if (endTag !== '' && endTag !== top.tag) {
      throw new MarkupError(`Unmatched end tag at byte offset ${at}, expected "</${top.tag}>", found "</${endTag}>"`);
    }
    open.pop();
    if (out.length > top.offset) {
      const entity = htmlEntity(top, out.length - top.offset, out.slice(top.offset), entities);
      if (entity !== undefined) entities.push(entity);
    }
  }

  const unclosed = open.at(-1);
  if (unclosed !== undefined) {
    throw new MarkupError(`Can't find end tag corresponding to start tag ${unclosed.tag}`);
  }
  if (needUtf16Check && /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(out)) {
    throw new MarkupError(
      'Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units',
    );
  }
  return { text: out, entities: sortEntities(entities) };
}

/** The entity a closed HTML tag produces; may instead merge `<pre><code class="language-x">` into one `pre`. */
function htmlEntity(
  tag: OpenHtmlTag,
  length: number,
  inner: string,
  entities: TgMessageEntity[],
): TgMessageEntity | undefined {
  const offset = tag.offset;
  const sameRange = (e: TgMessageEntity | undefined): e is TgMessageEntity =>
    e !== undefined && e.offset === offset && e.length === length;
  switch (tag.tag) {
    case 'b':
    case 'strong':
      return { type: 'bold', offset, length };
    case 'i':
    case 'em':
      return { type: 'italic', offset, length };
    case 'u':
    case 'ins':
      return { type: 'underline', offset, length };
    case 's':
    case 'strike':
    case 'del':
      return { type: 'strikethrough', offset, length };
    case 'tg-spoiler':
    case 'span':
      return { type: 'spoiler', offset, length };
    case 'blockquote':
      return { type: tag.argument === 'expandable' ? 'expandable_blockquote' : 'blockquote', offset, length };
    case 'tg-emoji': {
      if (!/^[1-9][0-9]*$/.test(tag.argument)) throw new MarkupError('Invalid custom emoji identifier specified');
      return { type: 'custom_emoji', offset, length, custom_emoji_id: tag.argument };
    }
    case 'a': {
      const url = checkedUrl(tag.argument === '' ? inner : tag.argument);
      return url === undefined ? undefined : { type: 'text_link', offset, length, url };
    }
    case 'pre': {
      const last = entities.at(-1);
      if (sameRange(last) && last.type === 'code' && last.language !== undefined) {
        last.type = 'pre';
        return undefined;
      }
      return { type: 'pre', offset, length };
    }
    case 'code': {
      const last = entities.at(-1);
      if (sameRange(last) && last.type === 'pre' && tag.argument !== '') {
        last.language = tag.argument;
        return undefined;
      }
      return tag.argument === ''
        ? { type: 'code', offset, length }
        : { type: 'code', offset, length, language: tag.argument };
    }
    default:
      return undefined;
  }
}

/** Drops the `language` tdlib keeps on a bare `<code class="language-x">` outside `<pre>`. */
function finishCodeEntities(entities: TgMessageEntity[]): TgMessageEntity[] {
  for (const entity of entities) {
    if (entity.type === 'code') delete entity.language;
  }
  return entities;
}

type V2Type =
  | 'Bold'
  | 'Italic'
  | 'Underline'
  | 'Strikethrough'
  | 'Spoiler'
  | 'Code'
  | 'Pre'
  | 'PreCode'
  | 'TextUrl'
  | 'CustomEmoji';

interface OpenV2Entity {
  type: V2Type;
  argument: string;
  offset: number;
  byteOffset: number;
}

const V2_RESERVED = '_*[]()~`>#+-=|{}.!';
const reservedError = (c: string): MarkupError =>
  new MarkupError(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);

function closesV2(type: V2Type, c: string, next: string, next2: string): boolean {
  switch (type) {
    case 'Bold':
      return c === '*';
    case 'Italic':
      return c === '_' && next !== '_';
    case 'Underline':
      return c === '_' && next === '_';
    case 'Strikethrough':
      return c === '~';
    case 'Spoiler':
      return c === '|' && next === '|';
    case 'Code':
      return c === '`';
    case 'Pre':
    case 'PreCode':
      return c === '`' && next === '`' && next2 === '`';
    case 'TextUrl':
    case 'CustomEmoji':
      return c === ']';
  }
}

const V2_ENTITY_TYPES: Record<Exclude<V2Type, 'TextUrl' | 'CustomEmoji' | 'PreCode'>, string> = {
  Bold: 'bold',
  Italic: 'italic',
  Underline: 'underline',
  Strikethrough: 'strikethrough',
  Spoiler: 'spoiler',
  Code: 'code',
  Pre: 'pre',
};

/**
 * Parses `parse_mode: MarkdownV2`: `*bold*`, `_italic_`, `__underline__`, `~strike~`, `||spoiler||`, `` `code` ``,
 * ```` ```lang pre``` ````, `[text](url)`, `![emoji](tg://emoji?id=N)` and `>` block quotes at line starts.
 * Every other reserved character must be escaped with `\`.
 */
export function parseMarkdownV2(input: string): FormattedText {
  const src = new Source(input);
  const entities: TgMessageEntity[] = [];
  const open: OpenV2Entity[] = [];
  let out = '';
  let quoteStart: number | undefined;

  const closeQuote = (): void => {
    if (quoteStart === undefined) return;
    const end = out.endsWith('\n') ? out.length - 1 : out.length;
    if (end > quoteStart) entities.push({ type: 'blockquote', offset: quoteStart, length: end - quoteStart });
    quoteStart = undefined;
  };

  for (let i = 0; i < src.length; i++) {
    const c = src.at(i);
    const lineStart = i === 0 || src.at(i - 1) === '\n';
    if (lineStart && open.length === 0) {
      if (c === '>') {
        quoteStart ??= out.length;
        continue;
      }
      closeQuote();
    }
    const next = src.at(i + 1);
    if (c === '\\' && next !== '' && next.codePointAt(0)! <= 126) {
      out += next;
      i++;
      continue;
    }

    const top = open.at(-1);
    const reserved =
      top !== undefined && (top.type === 'Code' || top.type === 'Pre' || top.type === 'PreCode') ? '`' : V2_RESERVED;
    if (!reserved.includes(c)) {
      out += c;
      continue;
    }

    if (top === undefined || !closesV2(top.type, c, next, src.at(i + 2))) {
      const byteOffset = src.byteOffset(i);
      let type: V2Type;
      let argument = '';
      switch (c) {
        case '_':
          if (next === '_') {
            type = 'Underline';
            i++;
          } else {
            type = 'Italic';
          }
          break;
        case '*':
          type = 'Bold';
          break;
        case '~':
          type = 'Strikethrough';
          break;
        case '|':
          if (next !== '|') throw reservedError(c);
          type = 'Spoiler';
          i++;
          break;
        case '[':
          type = 'TextUrl';
          break;
        case '`':
          if (next === '`' && src.at(i + 2) === '`') {
            i += 3;
            type = 'Pre';
            let languageEnd = i;
            while (!isSpace(src.at(languageEnd)) && src.at(languageEnd) !== '`') languageEnd++;
            if (i !== languageEnd && languageEnd < src.length && src.at(languageEnd) !== '`') {
              type = 'PreCode';
              argument = src.slice(i, languageEnd);
              i = languageEnd;
            }
            const cur = src.at(i);
            const after = src.at(i + 1);
            if (cur === '\n' || cur === '\r') {
              i += (after === '\n' || after === '\r') && cur !== after ? 2 : 1;
            }
            i--;
          } else {
            type = 'Code';
          }
          break;
        case '!':
          if (next !== '[') throw reservedError(c);
          type = 'CustomEmoji';
          i++;
          break;
        default:
          throw reservedError(c);
      }
      open.push({ type, argument, offset: out.length, byteOffset });
      continue;
    }

    // Closing the innermost entity.
    let skip = out.length === top.offset;
    let entity: TgMessageEntity | undefined;
    const length = out.length - top.offset;
    switch (top.type) {
      case 'Underline':
      case 'Spoiler':
        i++;
        break;
      case 'Pre':
      case 'PreCode':
        i += 2;
        break;
      case 'TextUrl': {
        let url: string;
        if (src.at(i + 1) !== '(') {
          url = out.slice(top.offset);
        } else {
          i += 2;
          const urlBegin = i;
          url = '';
          while (i < src.length && src.at(i) !== ')') {
            const ch = src.at(i);
            const escaped = src.at(i + 1);
            if (ch === '\\' && escaped !== '' && escaped.codePointAt(0)! <= 126) {
              url += escaped;
              i += 2;
              continue;
            }
            url += ch;
            i++;
          }
          if (src.at(i) !== ')')
            throw new MarkupError(`Can't find end of a URL at byte offset ${src.byteOffset(urlBegin)}`);
        }
        const checked = checkedUrl(url);
        if (checked === undefined) skip = true;
        else entity = { type: 'text_link', offset: top.offset, length, url: checked };
        break;
      }
      case 'CustomEmoji': {
        if (src.at(i + 1) !== '(') throw new MarkupError('Custom emoji entity must contain a tg://emoji URL');
        i += 2;
        const urlBegin = i;
        let url = '';
        while (i < src.length && src.at(i) !== ')') url += src.at(i++);
        if (src.at(i) !== ')') {
          throw new MarkupError(`Can't find end of a custom emoji URL at byte offset ${src.byteOffset(urlBegin)}`);
        }
        const id = /^tg:\/\/emoji\?id=([1-9][0-9]*)$/.exec(url)?.[1];
        if (id === undefined) throw new MarkupError('Custom emoji URL must have an emoji identifier');
        entity = { type: 'custom_emoji', offset: top.offset, length, custom_emoji_id: id };
        break;
      }
      default:
        break;
    }
    open.pop();
    if (skip) continue;
    if (entity === undefined) {
      entity =
        top.type === 'PreCode'
          ? { type: 'pre', offset: top.offset, length, language: top.argument }
          : top.type === 'TextUrl' || top.type === 'CustomEmoji'
            ? undefined
            : { type: V2_ENTITY_TYPES[top.type], offset: top.offset, length };
    }
    if (entity !== undefined) entities.push(entity);
  }

  const unclosed = open.at(-1);
  if (unclosed !== undefined) {
    throw new MarkupError(`Can't find end of ${unclosed.type} entity at byte offset ${unclosed.byteOffset}`);
  }
  closeQuote();
  return { text: out, entities: sortEntities(entities) };
}

/** Parses legacy `parse_mode: Markdown` (`*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ````, `[text](url)`). */
export function parseMarkdown(input: string): FormattedText {
  const src = new Source(input);
  const entities: TgMessageEntity[] = [];
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src.at(i);
    const next = src.at(i + 1);
    if (c === '\\' && (next === '_' || next === '*' || next === '`' || next === '[')) {
      out += next;
      i++;
      continue;
    }
    if (c !== '_' && c !== '*' && c !== '`' && c !== '[') {
      out += c;
      continue;
    }
    const begin = i;
    const end = c === '[' ? ']' : c;
    let isPre = false;
    let language = '';
    i++;
    if (c === '`' && src.at(i) === '`' && src.at(i + 1) === '`') {
      i += 2;
      isPre = true;
      let languageEnd = i;
      while (languageEnd < src.length && !isSpace(src.at(languageEnd)) && src.at(languageEnd) !== '`') languageEnd++;
      if (i !== languageEnd && languageEnd < src.length && src.at(languageEnd) !== '`') {
        language = src.slice(i, languageEnd);
        i = languageEnd;
      }
      const cur = src.at(i);
      const after = src.at(i + 1);
      if (cur === '\n' || cur === '\r') i += (after === '\n' || after === '\r') && cur !== after ? 2 : 1;
    }
    const offset = out.length;
    while (i < src.length && (src.at(i) !== end || (isPre && !(src.at(i + 1) === '`' && src.at(i + 2) === '`')))) {
      out += src.at(i++);
    }
    if (i === src.length) {
      throw new MarkupError(`Can't find end of the entity starting at byte offset ${src.byteOffset(begin)}`);
    }
    const length = out.length - offset;
    if (length > 0) {
      if (c === '_') entities.push({ type: 'italic', offset, length });
      else if (c === '*') entities.push({ type: 'bold', offset, length });
      else if (c === '`') {
        if (!isPre) entities.push({ type: 'code', offset, length });
        else if (language === '') entities.push({ type: 'pre', offset, length });
        else entities.push({ type: 'pre', offset, length, language });
      } else {
        let url = out.slice(offset);
        if (src.at(i + 1) === '(') {
          i += 2;
          url = '';
          while (i < src.length && src.at(i) !== ')') url += src.at(i++);
        }
        const checked = checkedUrl(url);
        if (checked !== undefined) entities.push({ type: 'text_link', offset, length, url: checked });
      }
    }
    if (isPre) i += 2;
  }
  return { text: out, entities: sortEntities(entities) };
}

/** Parses `text` in the given mode (already normalised to `HTML`, `MarkdownV2` or `Markdown`). */
export function parseMarkup(text: string, mode: 'HTML' | 'MarkdownV2' | 'Markdown'): FormattedText {
  if (mode === 'HTML') {
    const parsed = parseHtml(text);
    return { text: parsed.text, entities: finishCodeEntities(parsed.entities) };
  }
  return mode === 'MarkdownV2' ? parseMarkdownV2(text) : parseMarkdown(text);
}

/**
 * Trims leading and trailing whitespace like Telegram does before storing a message, moving entities with the
 * text and dropping the ones left empty.
 */
export function trimFormatted(formatted: FormattedText): FormattedText {
  const leading = formatted.text.length - formatted.text.trimStart().length;
  const text = formatted.text.trim();
  const entities: TgMessageEntity[] = [];
  for (const entity of formatted.entities) {
    const start = Math.max(0, entity.offset - leading);
    const end = Math.min(text.length, entity.offset + entity.length - leading);
    if (end > start) entities.push({ ...entity, offset: start, length: end - start });
  }
  return { text, entities };
}

/** Number of Unicode characters (code points), the unit of Telegram's text length limits. */
export const characterCount = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};
