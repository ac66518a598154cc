/**
 * Secrets a user must never hand to the assistant (or to any store), and their removal from what
 * the model writes. One scanner serves both: {@link findSecret} for a user's message, before it is
 * queued; {@link redactSecrets} for the model's answers and what is kept of them.
 *
 * The scanner first NORMALIZES a copy of the text, so that what a person reads as a key is found
 * however it was typed: every code point is put in Unicode NFKC (fullwidth `ｓｋ－` reads `sk-`,
 * `①` reads `1`), and invisible code points (format `Cf` such as zero-width spaces and joiners,
 * default-ignorables, combining and variation marks) are dropped. It then looks in the normalized
 * copy; a redaction is mapped back to the original text, whose other characters are left as they
 * were (a Chinese answer keeps its fullwidth punctuation).
 *
 * Runs in the webhook on every free-text message: no Solana SDK and no curve library (the Ed25519
 * check uses `node:crypto`), only the two BIP-39 word lists (English, simplified Chinese).
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { wordlist as english } from '@scure/bip39/wordlists/english';
import { wordlist as chinese } from '@scure/bip39/wordlists/simplified-chinese';

export type SecretKind = 'private-key' | 'seed-phrase' | 'api-key';

/** A secret found in the normalized text: `[start, end)` in its UTF-16 units. */
interface Found {
  readonly start: number;
  readonly end: number;
  readonly kind: SecretKind;
}

const HIDDEN = '[hidden]';

/**
 * What kind of secret `text` contains, if any (`private-key` before `seed-phrase` before
 * `api-key`). Meant for a user's message before it reaches the model or any store: a hit means
 * "delete, refuse and warn", so it leans towards flagging, but must not flag everyday wallet talk.
 *
 * After normalization (see the module comment), these are secrets:
 *
 * - `private-key`
 *   - a PEM `-----BEGIN … PRIVATE KEY-----` block (or its cut beginning);
 *   - a BIP-32 extended private key: `xprv`, `tprv`, `yprv`, `zprv`, `uprv`, `vprv`, `Yprv`,
 *     `Zprv`, `Uprv`, `Vprv` and 100+ base58 characters;
 *   - a JSON byte array (`[12, 34, …]`, any spacing) of exactly 64 or 32 integers 0–255: the
 *     solana-keygen file and a seed; nothing public is written that way in a chat;
 *   - hex (optional `0x`) of exactly 64 or 32 bytes, also split in pieces of ≥ 8 digits by spaces,
 *     newlines or `, ; : | . -`: 32 bytes is an Ed25519 seed or an EVM private key; EVM
 *     transaction hashes (also 32 bytes of hex) are refused too, a cost accepted in a Solana bot;
 *   - a 64-byte Ed25519 KEYPAIR, in base58 or base64 (standard or url-safe, padded or not, also
 *     wrapped over lines): the second 32 bytes are the Ed25519 public key of the first 32. This is
 *     what tells a Solana secret key from a transaction signature, which is also 64 bytes of
 *     base58 but never a keypair: a signature is NOT flagged, whatever the text says around it;
 *   - base64 that is not also valid base58 (it has `0 O I l + / - _ =`) of 64 bytes (any content),
 *     or of 32 bytes with upper, lower case and a digit and either one of `+ / - _ =` or words
 *     such as "private key", "secret", "seed", 私钥, 密钥 in the text (without them, 43 characters
 *     with an `O` or an `l` are far more likely a mistyped address than a seed). Base58 text of 32 bytes is NEVER flagged,
 *     even when words such as "private key" are near it: it is an address (a seed written in
 *     base58 looks exactly the same, and "how do I export the private key of <address>?" is a
 *     common question).
 * - `seed-phrase`: a BIP-39 recovery phrase of at least 12 words, anywhere in the text:
 *   - English: 12 or more consecutive words of the English list, in any case, joined by any
 *     non-letters (spaces, newlines, commas, dots, dashes, numbering such as `1.`/`1)`, CJK
 *     punctuation); the checksum is not required (a phrase with a typo is still a leak);
 *   - simplified Chinese: 12 or more list characters (10 different) each separated from the next
 *     by non-letters;
 *     or, written with no separators at all, 12, 15, 18, 21 or 24 consecutive list characters whose
 *     BIP-39 checksum is valid (the checksum is what tells a phrase from ordinary Chinese, whose
 *     common characters are mostly in the list).
 * - `api-key`: `sk-` and ≥ 20 of `[A-Za-z0-9_-]` (OpenAI, DeepSeek, `sk-proj-…`); GitHub tokens
 *   (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and ≥ 30 characters, `github_pat_…`); a Telegram bot
 *   token `<6–12 digits>:<≥ 30 of [A-Za-z0-9_-]>`; an AWS access key id `AKIA`/`ASIA` + 16; an
 *   AWS secret access key: exactly 40 of `[A-Za-z0-9/+]` right after `<id>/` or `<id>:`, or alone
 *   with upper, lower case and a digit when the text also has an access key id or says `aws` or
 *   `secret access key` (without that context, 40 such characters are not flagged).
 */
export function findSecret(text: string): SecretKind | undefined {
  const kinds = new Set(scan(normalize(text).text).map((found) => found.kind));
  return (['private-key', 'seed-phrase', 'api-key'] as const).find((kind) => kinds.has(kind));
}

/**
 * `text` with every secret {@link findSecret} would report replaced by `[hidden]` (a recovery
 * phrase from its first word to its last), found in the normalized copy and cut from the original,
 * which is otherwise returned unchanged. For the model's answers and for what is kept in history: a
 * redacted text may be shown and stored.
 */
export function redactSecrets(text: string): string {
  const normalized = normalize(text);
  const found = scan(normalized.text).sort((a, b) => a.start - b.start || b.end - a.end);
  if (found.length === 0) return text;
  let out = '';
  let cursor = 0;
  for (const { start, end } of found) {
    const from = normalized.from(start);
    const to = normalized.to(end - 1);
    if (to <= cursor) continue;
    out += from >= cursor ? text.slice(cursor, from) + HIDDEN : '';
    cursor = to;
  }
  return out + text.slice(cursor);
}

// ─── normalization ──────────────────────────────────────────────────────────────────────────────

interface Normalized {
  readonly text: string;
  /** Where the code point of the normalized text's unit `i` starts in the original. */
  readonly from: (i: number) => number;
  /** Where the code point of the normalized text's unit `i` ends in the original. */
  readonly to: (i: number) => number;
}

/** Invisible code points, dropped: format, default-ignorable, combining and variation marks. */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Mn}\p{Me}]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');
const PLAIN = /^[\x20-\x7e\t\n\r]*$/;
const nfkcCache = new Map<number, string>();

function nfkc(codePoint: number, char: string): string {
  let out = nfkcCache.get(codePoint);
  if (out === undefined) {
    out = INVISIBLE.test(char) ? '' : char.normalize('NFKC').replace(INVISIBLE_ALL, '');
    if (nfkcCache.size < 20_000) nfkcCache.set(codePoint, out);
  }
  return out;
}

/** NFKC code point by code point, invisibles dropped, with the map back to the original. */
function normalize(text: string): Normalized {
  if (PLAIN.test(text) || (!INVISIBLE.test(text) && text.normalize('NFKC') === text)) {
    return { text, from: (i) => i, to: (i) => i + 1 };
  }
  const pieces: string[] = [];
  const from: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < text.length; ) {
    const codePoint = text.codePointAt(i)!;
    const width = codePoint > 0xffff ? 2 : 1;
    const char = text.slice(i, i + width);
    const piece = codePoint < 0x80 ? char : nfkc(codePoint, char);
    pieces.push(piece);
    for (let k = 0; k < piece.length; k++) {
      from.push(i);
      to.push(i + width);
    }
    i += width;
  }
  return { text: pieces.join(''), from: (i) => from[i]!, to: (i) => to[i]! };
}

// ─── the scan ───────────────────────────────────────────────────────────────────────────────────

/** A PEM private key through its END line, or through the end of the text when it was cut. */
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
const EXTENDED_KEY = /(?<![A-Za-z0-9])[xtyzuvYZUV]prv[1-9A-HJ-NP-Za-km-z]{100,}/g;
const INT_ARRAY = /\[[\d\s,]*\]/g;
const SK_KEY = /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/g;
const GITHUB_TOKEN = /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g;
const BOT_TOKEN = /(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}/g;
const AWS_KEY_ID = /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g;
const AWS_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g;
/** `<access key id>/<secret>` or `<id>:<secret>`, as people paste the pair. */
const AWS_PAIR_SECRET = /(?<=(?:AKIA|ASIA)[0-9A-Z]{16}[/:])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g;
const AWS_CONTEXT = /aws|secret.?access.?key/i;
/** Runs of base64 (either alphabet) with their padding: blob candidates. */
const BLOB_RUN = /[A-Za-z0-9+/_-]+={0,2}/g;
/** Runs of letters and digits: blob candidates inside runs that also have `_ - + /`. */
const ALNUM_RUN = /[A-Za-z0-9]+/g;
const HEX = /^[0-9a-fA-F]+$/;
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;
/**
 * Words that make a 32-byte base64 value without base64's own marks a seed rather than a mistyped
 * address: private key, secret, seed, and 私钥, 密钥, 秘钥, 种子 written as escapes, so every bundle
 * stays ASCII (one raw CJK character makes Node decode, and V8 hold, the whole bundle as two-byte text).
 */
const SECRET_CONTEXT = /private.?key|secret|seed|\u79C1\u94A5|\u5BC6\u94A5|\u79D8\u94A5|\u79CD\u5B50/i;
const RANDOM_LOOKING = (s: string) => /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s);

/** Every secret in the normalized text, possibly overlapping. */
function scan(text: string): Found[] {
  keypairChecks = 0;
  const found: Found[] = [];
  const add = (start: number, end: number, kind: SecretKind) => found.push({ start, end, kind });
  const each = (regex: RegExp, kind: SecretKind, keep: (match: string) => boolean = () => true) => {
    for (const match of text.matchAll(regex)) {
      if (keep(match[0])) add(match.index, match.index + match[0].length, kind);
    }
  };
  each(PEM_BLOCK, 'private-key');
  each(EXTENDED_KEY, 'private-key');
  each(INT_ARRAY, 'private-key', isKeyArray);
  each(SK_KEY, 'api-key');
  each(GITHUB_TOKEN, 'api-key');
  each(BOT_TOKEN, 'api-key');
  each(AWS_KEY_ID, 'api-key');
  each(AWS_PAIR_SECRET, 'api-key');
  if (AWS_CONTEXT.test(text) || /(?:AKIA|ASIA)[0-9A-Z]{16}/.test(text)) each(AWS_SECRET, 'api-key', RANDOM_LOOKING);
  scanBlobs(text, SECRET_CONTEXT.test(text), add);
  scanPhrases(text, add);
  return found;
}

function isKeyArray(array: string): boolean {
  const items = array.slice(1, -1).split(',');
  return (
    (items.length === 64 || items.length === 32) &&
    items.every((item) => /^\s*\d{1,3}\s*$/.test(item) && Number(item) <= 255)
  );
}

// ─── keys as blobs: hex, base58, base64 ─────────────────────────────────────────────────────────

interface Piece {
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

/** Between two pieces of one split key: white space and at most a little punctuation. */
const HEX_GAP = /^[\s,;:|.-]+$/;
const WRAP_GAP = /^\s+$/;
const MIN_HEX_PIECE = 8;
const MIN_WRAPPED_PIECE = 8;
const MAX_ADDRESS = 44;
/**
 * Ed25519 checks one scan may make (each takes about 0.5 ms). Past them, a lone 64-byte base58
 * token counts as a key without the check (a message with more than 8 transaction signatures is
 * refused), and a wrapped one is not looked at.
 */
const MAX_KEYPAIR_CHECKS = 8;
let keypairChecks = 0;

function scanBlobs(text: string, context: boolean, add: (start: number, end: number, kind: SecretKind) => void) {
  const runs: Piece[] = [];
  for (const match of text.matchAll(BLOB_RUN)) {
    const value = match[0];
    runs.push({ start: match.index, end: match.index + value.length, value });
    // `key_<base58>`, `id=<hex>`: the letters-and-digits parts on their own too.
    if (/[+/_-]/.test(value)) {
      for (const part of value.matchAll(ALNUM_RUN)) {
        if (part[0].length >= 32) {
          const start = match.index + part.index;
          if (isKeyBlob(part[0], true, context)) add(start, start + part[0].length, 'private-key');
        }
      }
    }
  }
  for (const run of runs) if (isKeyBlob(run.value, true, context)) add(run.start, run.end, 'private-key');

  // Split hex: consecutive hex pieces whose digits add up to 32 or 64 bytes.
  const hex = runs
    .map((run) => ({ ...run, value: run.value.replace(/^0x/i, '') }))
    .filter((run) => run.value.length >= MIN_HEX_PIECE && HEX.test(run.value));
  for (const window of windows(text, hex, HEX_GAP, 128)) {
    const joined = window.map((piece) => piece.value).join('');
    if ((joined.length === 64 || joined.length === 128) && /[a-f]/i.test(joined) && /[0-9]/.test(joined)) {
      add(window[0]!.start, window.at(-1)!.end, 'private-key');
    }
  }
  // Wrapped base58/base64 of 64 bytes: consecutive random-looking pieces with white space between.
  const wrapped = runs.filter((run) => run.value.length >= MIN_WRAPPED_PIECE && RANDOM_LOOKING(run.value));
  for (const window of windows(text, wrapped, WRAP_GAP, 90)) {
    // A first line no longer than an address: a list of addresses, not a wrapped key.
    if (window[0]!.value.length <= MAX_ADDRESS) continue;
    const joined = window.map((piece) => piece.value).join('');
    if (joined.length >= 64 && isKeyBlob(joined, false)) add(window[0]!.start, window.at(-1)!.end, 'private-key');
  }
}

/** Every run of ≥ 2 consecutive pieces separated by `gap`, at most `maxLength` characters of value. */
function* windows(text: string, pieces: readonly Piece[], gap: RegExp, maxLength: number): Generator<Piece[]> {
  for (let i = 0; i < pieces.length; i++) {
    let length = pieces[i]!.value.length;
    for (let j = i + 1; j < pieces.length; j++) {
      if (!gap.test(text.slice(pieces[j - 1]!.end, pieces[j]!.start))) break;
      length += pieces[j]!.value.length;
      if (length > maxLength) break;
      yield pieces.slice(i, j + 1);
    }
  }
}

/**
 * One candidate string: is it a key, by the rules of {@link findSecret}? With `small` false
 * (pieces joined across white space), only 64-byte values count.
 */
function isKeyBlob(value: string, small: boolean, context = false): boolean {
  const length = value.length;
  if (length < 43 || length > 130) return false;
  const hex = value.replace(/^0x/i, '');
  if ((hex.length === 64 || hex.length === 128) && HEX.test(hex)) return small || hex.length === 128;
  if (BASE58.test(value)) {
    if (length < 64 || length > 90) return false;
    const bytes = base58Decode(value);
    // Not 64 bytes in base58: a keypair may still be written in base64 that happens to have none
    // of the marks that are not base58 (about one in 5,000 keys is).
    const keypair = bytes.length === 64 ? bytes : base64Decode(value);
    if (keypair?.length !== 64) return false;
    if (keypairChecks >= MAX_KEYPAIR_CHECKS) return small;
    keypairChecks += 1;
    return isKeypair(keypair);
  }
  const bytes = base64Decode(value);
  if (bytes?.length === 64) return true;
  return small && bytes?.length === 32 && RANDOM_LOOKING(value) && (context || /[+/_=-]/.test(value));
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_INDEX = new Map([...B58].map((c, i) => [c, BigInt(i)]));

function base58Decode(value: string): Uint8Array {
  let n = 0n;
  for (const c of value) n = n * 58n + B58_INDEX.get(c)!;
  const bytes: number[] = [];
  for (; n > 0n; n >>= 8n) bytes.unshift(Number(n & 255n));
  for (let i = 0; i < value.length && value[i] === '1'; i++) bytes.unshift(0);
  return Uint8Array.from(bytes);
}

/** Standard or url-safe base64, padded or not; undefined when it is neither. */
function base64Decode(value: string): Uint8Array | undefined {
  const body = value.replace(/=+$/, '');
  if (value.length - body.length > 2 || body.length % 4 === 1) return undefined;
  if (/[+/]/.test(body) && /[-_]/.test(body)) return undefined;
  if (!/^[A-Za-z0-9+/_-]+$/.test(body)) return undefined;
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** PKCS#8 DER of an Ed25519 private key, before its 32-byte seed. */
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** True when the 64 bytes are an Ed25519 seed followed by its own public key (a Solana secret key). */
function isKeypair(bytes: Uint8Array): boolean {
  const key = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8, bytes.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return Buffer.compare(spki.subarray(spki.length - 32), bytes.subarray(32)) === 0;
}

// ─── recovery phrases ───────────────────────────────────────────────────────────────────────────

/**
 * The two word lists, by word, and each index's commonness (see MAX_COMMONNESS): built by the
 * first scan, not when the webhook is imported (most cold starts answer a button or a command,
 * which is never scanned).
 */
let wordLists: { english: Map<string, number>; chinese: Map<string, number>; commonness: number[] } | undefined;
const lists = () =>
  (wordLists ??= {
    english: new Map(english.map((word, i) => [word, i])),
    chinese: new Map(chinese.map((word, i) => [word, i])),
    commonness: Array.from({ length: 2048 }, (_, index) => Math.log(250 / (index + 1))),
  });
const PHRASE_LENGTHS = [12, 15, 18, 21, 24];
const MIN_PHRASE = 12;
/**
 * A phrase of 12 words has 10 different ones or more (all but about 1 in 2,000); one with fewer
 * (but more than one) is a phrase when its checksum holds, as BIP-39's own test vectors ("abandon
 * × 11 about", "letter advice cage … above") are real wallets' phrases. "word word word …" is none.
 */
const MIN_DISTINCT = 10;
/** An English word, or one Chinese character. */
const WORD = /[A-Za-z]+|\p{Script=Han}/gu;
/** A gap between two words of one phrase: no letter of any script. */
const NOT_A_LETTER_ONLY = /^\P{L}*$/u;

interface Word {
  readonly start: number;
  readonly end: number;
  readonly index: number;
  /** Something (not a letter) stood between this word and the one before. */
  readonly separated: boolean;
  /** What stood between this word and the one before was more than white space. */
  readonly punctuated: boolean;
}

function scanPhrases(text: string, add: (start: number, end: number, kind: SecretKind) => void) {
  const { english: ENGLISH, chinese: CHINESE } = lists();
  let run: Word[] = [];
  let list: Map<string, number> | undefined;
  let lastEnd = -1;
  const close = () => {
    if (run.length >= MIN_PHRASE) {
      if (list === ENGLISH || run.slice(1).every((word) => word.separated)) {
        const distinct = new Set(run.map((word) => word.index)).size;
        if (distinct >= MIN_DISTINCT) add(run[0]!.start, run.at(-1)!.end, 'seed-phrase');
        else if (distinct > 1) checksummedWindows(run, add, { anyWords: true });
      } else {
        // Written together (or in groups split by white space): never across punctuation.
        let from = 0;
        for (let i = 1; i <= run.length; i++) {
          if (i < run.length && !run[i]!.punctuated) continue;
          if (i - from >= MIN_PHRASE) {
            const group = run.slice(from, i);
            const distinct = new Set(group.map((word) => word.index)).size;
            // Few distinct characters (the all-zero phrase "的的…在"): common ones too, by checksum.
            checksummedWindows(group, add, { anyWords: distinct > 1 && distinct < MIN_DISTINCT });
          }
          from = i;
        }
      }
    }
    run = [];
  };
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    const wordList = word.length === 1 && CHINESE.has(word) ? CHINESE : ENGLISH;
    const index = wordList.get(wordList === ENGLISH ? word.toLowerCase() : word);
    const gap = lastEnd < 0 || lastEnd === match.index ? '' : text.slice(lastEnd, match.index);
    if (index === undefined || wordList !== list || (gap !== '' && !NOT_A_LETTER_ONLY.test(gap))) close();
    lastEnd = match.index + word.length;
    if (index === undefined) continue;
    list = wordList;
    run.push({
      start: match.index,
      end: lastEnd,
      index,
      separated: gap.length > 0,
      punctuated: gap !== '' && /\S/.test(gap),
    });
  }
  close();
}

/**
 * The Chinese list is ordered by frequency (的 一 是 在 …): everyday text is written mostly with
 * its first few hundred characters, while a phrase draws its words uniformly. A window's
 * commonness is the mean over its characters of ln(250 / (index + 1)), the log-ratio of a
 * Zipf-law frequency to the uniform 1/2048: about -1.1 for a phrase (≥ {@link MAX_COMMONNESS} for
 * fewer than 1 in 10,000 generated phrases of any length), about +0.8 for everyday text (below
 * it for about one window of 20 of technical writing, which the checksum then passes 1 time in 16
 * to 256). Measured on the TypeScript compiler's Chinese messages, a Chinese README and Vim's
 * Chinese tutor: see the tests.
 */
const MAX_COMMONNESS = 0;

/**
 * Windows of a phrase's length whose checksum holds: for Chinese written with no separators, only
 * those made of rare enough characters; with `anyWords`, any (a separated run of few distinct words).
 */
function checksummedWindows(
  run: readonly Word[],
  add: (start: number, end: number, kind: SecretKind) => void,
  { anyWords = false } = {},
) {
  const { commonness } = lists();
  const prefix = [0];
  for (const word of run) prefix.push(prefix.at(-1)! + commonness[word.index]!);
  // A run of few distinct words repeats its windows: each is hashed once, and at most
  // MAX_WINDOWS are hashed for such a run.
  const checked = new Map<string, boolean>();
  // Few distinct words: a phrase starts among the first MAX_STARTS words of its run, or nowhere.
  const starts = anyWords ? MAX_STARTS : run.length;
  for (const length of PHRASE_LENGTHS) {
    for (let i = 0; i + length <= run.length && i < starts; i++) {
      if (!anyWords && (prefix[i + length]! - prefix[i]!) / length > MAX_COMMONNESS) continue;
      const window = run.slice(i, i + length);
      const indexes = window.map((word) => word.index);
      const key = indexes.join(',');
      let valid = checked.get(key);
      if (valid === undefined) {
        if (anyWords && checked.size >= MAX_WINDOWS) return;
        valid = hasValidChecksum(indexes);
        checked.set(key, valid);
      }
      if (!valid) continue;
      // Few distinct words: the whole run is the phrase (and is hidden whole).
      if (anyWords) return add(run[0]!.start, run.at(-1)!.end, 'seed-phrase');
      add(window[0]!.start, window.at(-1)!.end, 'seed-phrase');
    }
  }
}

/** Distinct windows whose checksum one run of few distinct words may cost (SHA-256 each). */
const MAX_WINDOWS = 256;
/** Where a phrase may start in a run of few distinct words. */
const MAX_STARTS = 48;

/** BIP-39: the last `words × 11 / 33` bits are the first bits of SHA-256 of the entropy before them. */
function hasValidChecksum(indexes: readonly number[]): boolean {
  let bits = 0n;
  for (const index of indexes) bits = (bits << 11n) | BigInt(index);
  const total = indexes.length * 11;
  const checksumBits = total / 33;
  const entropyBits = total - checksumBits;
  const entropy = bits >> BigInt(checksumBits);
  const bytes = Buffer.from(entropy.toString(16).padStart(entropyBits / 4, '0'), 'hex');
  const hash = createHash('sha256').update(bytes).digest();
  const expected = BigInt(hash[0]!) >> BigInt(8 - checksumBits);
  return (bits & ((1n << BigInt(checksumBits)) - 1n)) === expected;
}
