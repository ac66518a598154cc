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
