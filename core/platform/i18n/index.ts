/**
 * The platform's languages and its translator engine. A bot brings its own catalogs (one per
 * language, with the same keys) and gets a typed `translator`; parameters are HTML-escaped when
 * substituted, so user-supplied text can never inject markup.
 */
export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Escapes text for Telegram HTML: only `&`, `<`, `>` and `"` need it. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export type Translate<K extends string = string> = (key: K, params?: Record<string, string | number>) => string;

/** A translator factory over a bot's catalogs; unknown `{placeholders}` are left visible so they get noticed. */
export function translators<K extends string>(
  catalogs: Readonly<Record<Language, Readonly<Record<K, string>>>>,
): (language: Language) => Translate<K> {
  return (language) => {
    const catalog = catalogs[language];
    return (key, params = {}) =>
      catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
        name in params ? escapeHtml(String(params[name])) : whole,
      );
  };
}

/** Picks the user's language: their choice, else their Telegram client's, else English. */
export function pickLanguage(chosen: Language | undefined, clientLanguage: string | undefined): Language {
  if (chosen) return chosen;
  return clientLanguage?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}
/**
 * A feature's messages in both languages. The Chinese catalog must have exactly the English keys,
 * so a missing translation fails the type check.
 */
export function catalog<const E extends Record<string, string>>(
  en: E,
  zh: { readonly [K in keyof E]: string },
): { readonly en: E; readonly zh: { readonly [K in keyof E]: string } } {
  return { en, zh };
}
