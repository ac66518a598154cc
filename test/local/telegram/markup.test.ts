import { describe, expect, it } from 'vitest';
import { MarkupError, parseHtml, parseMarkdown, parseMarkdownV2 } from '../../../local/telegram/index.js';

const htmlError = (text: string): string => {
  try {
    parseHtml(text);
  } catch (error) {
    if (error instanceof MarkupError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
};

const v2Error = (text: string): string => {
  try {
    parseMarkdownV2(text);
  } catch (error) {
    if (error instanceof MarkupError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
};

describe('parseHtml', () => {
  it('reports tdlib error texts with UTF-8 byte offsets when the markup is broken', () => {
    expect(htmlError('🏟 🏟&lt;<abacaba')).toBe('Unclosed start tag at byte offset 13');
    expect(htmlError('🏟 🏟&lt;<abac aba>')).toBe('Unsupported start tag "abac" at byte offset 13');
    expect(htmlError('🏟 🏟&lt;<i   =aba>')).toBe('Empty attribute name in the tag "i" at byte offset 13');
    expect(htmlError('🏟 🏟&lt;<i    aba>')).toBe(
      'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13',
    );
    expect(htmlError('🏟 🏟&lt;<i    aba  =  ')).toBe('Unclosed start tag "i" at byte offset 13');
    expect(htmlError('🏟 🏟&lt;<i    aba  =  190azAz-.,')).toBe('Unexpected end of name token at byte offset 27');
    expect(htmlError('🏟 🏟&lt;</')).toBe('Unexpected end tag at byte offset 13');
    expect(htmlError('🏟 🏟&lt;<b></b></')).toBe('Unexpected end tag at byte offset 20');
    expect(htmlError('🏟 🏟&lt;<i>a</i   ')).toBe('Unclosed end tag at byte offset 17');
    expect(htmlError('🏟 🏟&lt;<i>a</em   >')).toBe(
      'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
    );
    expect(htmlError('<b>bold')).toBe("Can't find end tag corresponding to start tag b");
    expect(htmlError('<span class="x">s</span>')).toBe('Tag "span" must have class "tg-spoiler" at byte offset 0');
    expect(htmlError('1 < 2')).toBe('Unsupported start tag "" at byte offset 2');
  });

  it('decodes the four named entities and numeric ones and leaves other names as text', () => {
    expect(parseHtml('&lt;&gt;&amp;&quot;&laquo;&#33;&#x41;')).toEqual({ text: '<>&"&laquo;!A', entities: [] });
  });

  it('produces nested entities with UTF-16 offsets when tags are well formed', () => {
    const parsed = parseHtml('🏟 <b>bold <i>both</i></b> <a href="example.com/x">link</a> <tg-spoiler>s</tg-spoiler>');
    expect(parsed.text).toBe('🏟 bold both link s');
    expect(parsed.entities).toEqual([
      { type: 'bold', offset: 3, length: 9 },
      { type: 'italic', offset: 8, length: 4 },
      { type: 'text_link', offset: 13, length: 4, url: 'http://example.com/x' },
      { type: 'spoiler', offset: 18, length: 1 },
    ]);
  });

  it('merges pre and code with a language into one pre entity', () => {
    expect(parseHtml('<pre><code class="language-ts">x</code></pre>').entities).toEqual([
      { type: 'pre', offset: 0, length: 1, language: 'ts' },
    ]);
    expect(parseHtml('<blockquote expandable>q</blockquote>').entities).toEqual([
      { type: 'expandable_blockquote', offset: 0, length: 1 },
    ]);
  });
});

describe('parseMarkdownV2', () => {
  it('rejects every reserved character that is not escaped', () => {
    for (const c of ']()>#+-=|{}.!') {
      // '>' starts a block quote at the beginning of a line, so test it mid-line.
      expect(v2Error(`a${c}`)).toBe(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
      expect(parseMarkdownV2(`a\\${c}`).text).toBe(`a${c}`);
    }
  });

  it('reports the unclosed entity with its byte offset', () => {
    expect(v2Error('🏟 🏟_abacaba')).toBe("Can't find end of Italic entity at byte offset 9");
    expect(v2Error('🏟 🏟_abac * asd ')).toBe("Can't find end of Bold entity at byte offset 15");
    expect(v2Error('🏟 🏟```a ')).toBe("Can't find end of PreCode entity at byte offset 9");
    expect(v2Error('[telegram\\.org](asd')).toBe("Can't find end of a URL at byte offset 16");
  });

  it('produces entities for nested markup, links, code and block quotes', () => {
    expect(parseMarkdownV2('*bold _it_* __u__ ~s~ ||sp|| `c\\`` [l](https://t.me/x) ```ts\nx```')).toEqual({
      text: 'bold it u s sp c` l x',
      entities: [
        { type: 'bold', offset: 0, length: 7 },
        { type: 'italic', offset: 5, length: 2 },
        { type: 'underline', offset: 8, length: 1 },
        { type: 'strikethrough', offset: 10, length: 1 },
        { type: 'spoiler', offset: 12, length: 2 },
        { type: 'code', offset: 15, length: 2 },
        { type: 'text_link', offset: 18, length: 1, url: 'https://t.me/x' },
        { type: 'pre', offset: 20, length: 1, language: 'ts' },
      ],
    });
    expect(parseMarkdownV2('>quoted\n>more\nafter')).toEqual({
      text: 'quoted\nmore\nafter',
      entities: [{ type: 'blockquote', offset: 0, length: 11 }],
    });
  });
});

describe('parseMarkdown', () => {
  it('parses legacy Markdown and rejects an unclosed entity', () => {
    expect(parseMarkdown('*b* _i_ [x](http://t.me)')).toEqual({
      text: 'b i x',
      entities: [
        { type: 'bold', offset: 0, length: 1 },
        { type: 'italic', offset: 2, length: 1 },
        { type: 'text_link', offset: 4, length: 1, url: 'http://t.me/' },
      ],
    });
    expect(() => parseMarkdown('a *b')).toThrow("Can't find end of the entity starting at byte offset 2");
  });
});
