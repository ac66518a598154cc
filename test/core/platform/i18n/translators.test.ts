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

  it('refuses a key defined in two catalogs (one source of truth per text)', () => {
    const again = catalog({ 'bye.plain': 'Goodbye.' } as const, { 'bye.plain': '再会。' });
    expect(() => translators([farewells, again])).toThrow(/bye\.plain is defined twice/);
  });
});
