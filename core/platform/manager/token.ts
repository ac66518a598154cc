/**
 * Bot tokens in what users send: a BotFather token is `<bot id>:<35 of A-Za-z0-9_->`. Zero-width and
 * other invisible format characters are dropped before looking, so a token cannot slip through by
 * carrying them; whitespace around the colon, or inside a message that is only the token, is
 * tolerated, as pasting sometimes adds it.
 */

/** Invisible characters a copied or disguised token may carry (zero-width spaces and joiners, BOM, soft hyphen, word joiner, bidi marks). */
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;
/** A token anywhere in a text: not glued to more digits before, nor to more token characters after. */
const TOKEN_IN_TEXT = /(?<!\d)([1-9]\d{4,19})\s*:\s*([A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])/;
/** A whole message that is a token once every space is gone (pasted across lines, split by a space). */
const SPACED_TOKEN = /^([1-9]\d{4,19}):([A-Za-z0-9_-]{35})(payouts)?$/i;
/** The options an operator may write after the token. */
const OPTION = /^payouts$/i;

/** What a text holds: a token alone (perhaps with options), a token among other words, or none. */
export type TokenFinding =
  | { readonly kind: 'alone'; readonly token: string; readonly payouts: boolean }
  | { readonly kind: 'embedded' }
  | undefined;

/**
 * Looks for a bot token in `text`. `alone`: the message is the token, optionally followed by the
 * word `payouts`, with any surrounding whitespace; the token comes back without the invisible
 * characters and spaces. `embedded`: a token somewhere in other text (never onboarded: deleted
 * and refused all the same). Never logs or keeps anything.
 */
export function findBotToken(text: string | undefined): TokenFinding {
  if (text === undefined) return undefined;
  const visible = text.replace(INVISIBLE, '');
  const match = TOKEN_IN_TEXT.exec(visible);
  if (!match) {
    const spaced = SPACED_TOKEN.exec(visible.replace(/\s+/g, ''));
    return spaced ? { kind: 'alone', token: `${spaced[1]}:${spaced[2]}`, payouts: spaced[3] !== undefined } : undefined;
  }
  const before = visible.slice(0, match.index).trim();
  const after = visible
    .slice(match.index + match[0].length)
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  if (before !== '' || !after.every((word) => OPTION.test(word))) return { kind: 'embedded' };
  return { kind: 'alone', token: `${match[1]}:${match[2]}`, payouts: after.length > 0 };
}
