/**
 * Secrets a user must never hand to the assistant, and their removal from what the model writes.
 * Pure and dependency-free (the webhook bundles it): shapes only, no word lists, no decoding.
 *
 * A TOKEN is a maximal run of ASCII letters and digits (so `key_<base58>` still isolates the
 * base58), except for the shapes that carry punctuation, which are matched as a whole: PEM blocks,
 * solana-keygen arrays, `sk-` keys and Telegram bot tokens.
 */

export type SecretKind = 'private-key' | 'seed-phrase' | 'api-key';

const PEM_HEADER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** A PEM private key through its END line, or through the end of the text when it was cut. */
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/** Candidates for a solana-keygen JSON array; {@link isKeyArray} checks the 64 bytes. */
const INT_ARRAY = /\[[\d\s,]*\]/g;
/** An OpenAI-style API key (DeepSeek's too), including `sk-proj-…`. */
const SK_KEY = /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/g;
/** A Telegram bot token: the bot id, a colon, the secret. */
const BOT_TOKEN = /(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}/g;
const TOKEN = /[A-Za-z0-9]+/g;
const HEX_KEY = /^(?:0x)?(?:[0-9a-f]{64}|[0-9a-f]{128})$/i;
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;
/**
 * Words that make a 64-byte base58 value a transaction signature rather than a secret key: the
 * two have the same length, and no shape tells them apart.
 */
const ABOUT_TRANSACTIONS = /\b(?:txs?|txid|txn|transactions?|sigs?|signatures?|solscan|explorer)\b|交易|签名/i;
const PHRASE_LENGTHS = new Set([12, 15, 18, 21, 24]);
const HIDDEN = '[hidden]';

/**
 * What kind of secret `text` contains, if any (the first found, in the order below). Meant for a
 * user's message before it reaches the model or any store; a hit means "refuse and warn", so it
 * leans towards flagging, but must not flag everyday wallet talk.
 *
 * - `private-key`: a PEM `-----BEGIN … PRIVATE KEY-----`; a solana-keygen JSON array of 64
 *   integers 0–255; a token of exactly 64 or 128 hex digits (optional `0x`); a base58 token of
 *   80–90 characters (a 64-byte Solana secret key is 86–88). A base58 token of 86–88 characters
 *   is exactly as long as a transaction signature, so it is NOT flagged when the text mentions
 *   transactions (tx, txid, transaction, signature, sig, solscan, explorer, 交易, 签名): a user
 *   asking about a transaction is far more common than one pasting a key next to those words.
 *   Addresses (32–44 base58 characters) are never flagged.
 * - `api-key`: `sk-` and ≥ 20 of `[A-Za-z0-9_-]`; a Telegram bot token `<6–12 digits>:<≥ 30 chars>`.
 * - `seed-phrase`: the WHOLE message (trimmed, any case) is 12, 15, 18, 21 or 24 words of 3–8
 *   ASCII letters separated only by whitespace, optionally numbered (`1. word`, `1) word`,
 *   `1.word`). BIP-39 words are 3–8 letters, so a sentence with a shorter word or any
 *   punctuation is not a phrase; a phrase inside longer text is not detected.
 */
export function findSecret(text: string): SecretKind | undefined {
  if (PEM_HEADER.test(text)) return 'private-key';
  if ([...text.matchAll(INT_ARRAY)].some(([array]) => isKeyArray(array))) return 'private-key';
  if (text.search(SK_KEY) >= 0 || text.search(BOT_TOKEN) >= 0) return 'api-key';
  const aboutTransactions = ABOUT_TRANSACTIONS.test(text);
  for (const [token] of text.matchAll(TOKEN)) {
    if (HEX_KEY.test(token)) return 'private-key';
    if (isBase58Key(token) && !(aboutTransactions && token.length >= 86 && token.length <= 88)) return 'private-key';
  }
  return isRecoveryPhrase(text) ? 'seed-phrase' : undefined;
}

/**
 * `text` with every secret-looking token replaced by `[hidden]`: PEM private keys, 64-byte
 * integer arrays, `sk-` keys, bot tokens, 64/128-digit hex and 80–90-character base58 tokens —
 * the last also hides transaction signatures, which cannot be told apart (see {@link findSecret}).
 * Recovery phrases are not redacted (only a whole message is recognised as one). For the model's
 * answers and for what is kept in history: a redacted text may be shown and stored.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(PEM_BLOCK, HIDDEN)
    .replace(INT_ARRAY, (array) => (isKeyArray(array) ? HIDDEN : array))
    .replace(SK_KEY, HIDDEN)
    .replace(BOT_TOKEN, HIDDEN)
    .replace(TOKEN, (token) => (HEX_KEY.test(token) || isBase58Key(token) ? HIDDEN : token));
}

function isKeyArray(array: string): boolean {
  const items = array.slice(1, -1).split(',');
  return items.length === 64 && items.every((item) => /^\s*\d{1,3}\s*$/.test(item) && Number(item) <= 255);
}

const isBase58Key = (token: string) => token.length >= 80 && token.length <= 90 && BASE58.test(token);

function isRecoveryPhrase(text: string): boolean {
  const words: string[] = [];
  for (const token of text.trim().toLowerCase().split(/\s+/)) {
    const numbered = /^(?:\d{1,2}[.)])?([a-z]*)$/.exec(token);
    if (!numbered) return false;
    if (numbered[1]) words.push(numbered[1]);
  }
  return PHRASE_LENGTHS.has(words.length) && words.every((word) => word.length >= 3 && word.length <= 8);
}
