import { describe, expect, it } from 'vitest';
import { catalog, translators } from '../../../../core/platform/i18n/index.js';

const greetings = catalog({ 'hi.name': 'Hello, {name}!' } as const, { 'hi.name': '你好，{name}！' });
const farewells = catalog({ 'bye.plain': 'Bye.', 'bye.other': '{missing} stays' } as const, {
  'bye.plain': '再见。',
  'bye.other': '{missing} 保留',
});

describe('translators', () => {
  it('translates the keys of every catalog it is given, in each language', () => {
    const t = translators([greetings, farewells]);
    expect(t('en')('bye.plain')).toBe('Bye.');
    expect(t('zh')('hi.name', { name: 'Ada' })).toBe('你好，Ada！');
  });

  it('escapes substituted parameters and leaves unknown placeholders visible', () => {
    const t = translators([greetings, farewells])('en');
    expect(t('hi.name', { name: '<b>&"' })).toBe('Hello, &lt;b&gt;&amp;&quot;!');
    expect(t('bye.other')).toBe('{missing} stays');
  });

  it('refuses a key defined in two catalogs (one source of truth per text), in every language', () => {
    const again = catalog({ 'bye.plain': 'Goodbye.' } as const, { 'bye.plain': '再会。' });
    const t = translators([farewells, again]);
    expect(() => t('en')).toThrow(/bye\.plain is defined twice/);
    expect(() => t('zh')).toThrow(/bye\.plain is defined twice/);
  });

  it("merges a language's catalogs once, when it is first asked for", () => {
    const t = translators([greetings, farewells]);
    expect(t('en')('bye.plain')).toBe('Bye.');
    // Asked again, the same merged texts: a change to a catalog object after the first use shows nowhere.
    (farewells.en as Record<string, string>)['bye.plain'] = 'changed';
    try {
      expect(t('en')('bye.plain')).toBe('Bye.');
      expect(t('zh')('bye.plain')).toBe('再见。');
    } finally {
      (farewells.en as Record<string, string>)['bye.plain'] = 'Bye.';
    }
  });
});
