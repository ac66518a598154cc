/**
 * The peer's deterministic "model": an echo of the last user message, prefixed in the language the
 * system prompt asks for, so tests can predict the exact answer without scripting it.
 */
import type { ChatRequest } from './schemas.js';

/** How many characters of the user's message the default answer quotes. */
export const ECHO_CHARS = 200;

/**
 * Prefixes used when the system prompt asks for an answer in a language ("Answer in Simplified
 * Chinese", "reply in Spanish", "respond in …"; case-insensitive). A language merely mentioned
 * (say, in a list of the bot's features) does not count. First match wins, so the more specific
 * names come first.
 */
export const LANGUAGE_PREFIXES: ReadonlyArray<readonly [language: string, prefix: string]> = [
  ['Simplified Chinese', '（简体中文）'],
  ['Traditional Chinese', '（繁體中文）'],
  ['Chinese', '（中文）'],
  ['Russian', '(русский) '],
  ['Spanish', '(español) '],
];

/** The text of the last `user` message, or `''` when there is none. */
export function lastUserMessage(request: ChatRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i]!;
    if (message.role === 'user') return message.content;
  }
  return '';
}

/** The language prefix the system prompts call for, or `''`. */
export function languagePrefix(request: ChatRequest): string {
  const system = request.messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content.toLowerCase())
    .join('\n');
  for (const [language, prefix] of LANGUAGE_PREFIXES) {
    if (new RegExp(`\\b(?:answer|reply|respond) in ${language.toLowerCase()}\\b`).test(system)) return prefix;
  }
  return '';
}

/**
 * The default answer: `<prefix>Local model: you said "<first 200 characters of the last user message>"`.
 * Characters are code points, so a quoted emoji or CJK text is never cut in half.
 */
export function defaultReply(request: ChatRequest): string {
  const quoted = Array.from(lastUserMessage(request)).slice(0, ECHO_CHARS).join('');
  return `${languagePrefix(request)}Local model: you said "${quoted}"`;
}

/**
 * A rough token count (about four characters a token, at least one for non-empty text), enough for
 * `usage` to grow with the text as a real provider's does.
 */
export function countTokens(text: string): number {
  return Math.ceil(Array.from(text).length / 4);
}
