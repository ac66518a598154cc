import { describe, expect, it } from 'vitest';
import { CONVERSATION_CATALOGS, JOB_CATALOGS } from '../../../core/desk/i18n.js';

const catalogs = [...new Set([...CONVERSATION_CATALOGS, ...JOB_CATALOGS])];
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("the desk's catalogs", () => {
  it('define each key once: a text the webhook and the workers both say is in a catalog both translators take', () => {
    const keys = catalogs.flatMap((c) => Object.keys(c.en));
    expect(keys.length).toBeGreaterThan(200);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });

  it('say every text in English and Chinese, with the same placeholders', () => {
    for (const c of catalogs) {
      expect(Object.keys(c.zh).sort()).toEqual(Object.keys(c.en).sort());
      for (const [key, en] of Object.entries(c.en)) {
        const zh = (c.zh as Record<string, string>)[key]!;
        expect(en.trim(), key).not.toBe('');
        expect(zh.trim(), key).not.toBe('');
        expect(placeholders(zh), key).toEqual(placeholders(en));
      }
    }
  });
});
