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

/** A bot's messages in every language, under the same keys (see `catalog`). */
export type Catalog = { readonly [L in Language]: Readonly<Record<string, string>> };

/** The keys of a catalog. */
export type CatalogKey<C extends Catalog> = C extends { readonly en: infer E } ? keyof E & string : never;

/**
 * A translator factory over a bot's catalogs, each key defined in one of them only (a key found
 * twice throws, when its language is first asked for: a language's catalogs are merged then, not
 * at import, which is cold-start time); unknown `{placeholders}` are left visible so they get
 * noticed. A bot may have several, each over the catalogs of what one function says, so that a
 * function's bundle carries only its texts: annotate the calls of `catalog` and `translators` as
 * pure (`@__PURE__`), and the bundler drops those a function does not use.
 */
export function translators<const C extends readonly Catalog[]>(
  catalogs: C,
): (language: Language) => Translate<CatalogKey<C[number]>> {
  const merged: Partial<Record<Language, Record<string, string>>> = {};
  return (language) => {
    merged[language] ??= merge(catalogs.map((c) => c[language]));
    const texts = merged[language];
    return (key, params = {}) =>
      texts[key]!.replace(/\{(\w+)\}/g, (whole, name: string) =>
        name in params ? escapeHtml(String(params[name])) : whole,
      );
  };
}

function merge(parts: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const part of parts) {
    for (const [key, text] of Object.entries(part)) {
      if (key in texts) throw new Error(`Message key ${key} is defined twice`);
      texts[key] = text;
    }
  }
  return texts;
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
