/**
 * What the log grep looks for, and how tests tell it about the secrets they store.
 *
 * The grep (`log-grep.global.ts`) scans every line the test run wrote for three shapes of secret
 * and for every value a test registered: a line matching any of them fails the run. Findings
 * never carry the secret: their excerpt shows where it was, masked.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/** Environment variable naming the capture directory (set by the global setup, inherited by workers). */
export const LOG_CAPTURE_DIR = 'LOG_CAPTURE_DIR';
/** File of the capture directory holding registered values, one JSON string per line. */
export const REGISTERED_FILE = 'registered.txt';
/** Registered values shorter than this are ignored (too likely to occur by chance). */
export const MIN_REGISTERED_LENGTH = 8;

/** A shape of secret the grep recognises without being told the value. */
export interface SecretPattern {
  /** Stable name, reported in findings. */
  readonly name: string;
  /** Global regex matching the secret itself (nothing around it). */
  readonly regex: RegExp;
}

// A colon, or its percent-encoding (a token inside a URL query).
const COLON = '(?::|%3[Aa])';
// Neither preceded by a digit (the whole bot id is taken) nor followed by a token character.
const NOT_AFTER_DIGIT = '(?<![0-9])';
const NOT_BEFORE_TOKEN_CHAR = '(?![A-Za-z0-9_-])';

/**
 * The shapes of secret a log line must never contain:
 * - `telegram-bot-token`: `<bot id>:<35 url-safe characters>`, as Telegram issues them (a subset
 *   of what `core/platform/log.ts` scrubs, so a redacted line never matches);
 * - `local-bot-token`: the local stack's `<bot id>:LOCAL<base64url>` (`localTelegramIdentity`);
 * - `local-webhook-secret`: the local stack's `local-whs-<base64url>` webhook secret;
 * - `local-ai-key`: the local stack's `local-ai-<base64url>` assistant provider key;
 * - `secret-canary`: a value from {@link secretCanary}, found even if its registration was lost.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    name: 'telegram-bot-token',
    regex: new RegExp(`${NOT_AFTER_DIGIT}[0-9]{3,}${COLON}[A-Za-z0-9_-]{35}${NOT_BEFORE_TOKEN_CHAR}`, 'g'),
  },
  { name: 'local-bot-token', regex: new RegExp(`${NOT_AFTER_DIGIT}[0-9]+${COLON}LOCAL[A-Za-z0-9_-]{16,}`, 'g') },
  { name: 'local-webhook-secret', regex: /local-whs-[A-Za-z0-9_-]{16,}/g },
  { name: 'local-ai-key', regex: /local-ai-[A-Za-z0-9_-]{16,}/g },
  { name: 'secret-canary', regex: /canary-[A-Za-z0-9_-]{25,}/g },
];

/** One secret found in one line. */
export interface Finding {
  /** 1-based line number. */
  readonly line: number;
  /** Which pattern matched: a {@link SECRET_PATTERNS} name, or `registered`. */
  readonly pattern: string;
  /** The line around the match with every secret in it replaced by `[<pattern>]`. */
  readonly excerpt: string;
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly pattern: string;
}

// Colour and cursor sequences of terminal output (the reporter's lines), removed before scanning.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const EXCERPT_CONTEXT = 40;

function spansOf(line: string, registered: readonly string[]): Span[] {
  const spans: Span[] = [];
  for (const { name, regex } of SECRET_PATTERNS) {
    for (const match of line.matchAll(regex)) {
      spans.push({ start: match.index, end: match.index + match[0].length, pattern: name });
    }
  }
  for (const value of registered) {
    for (let at = line.indexOf(value); at >= 0; at = line.indexOf(value, at + value.length)) {
      spans.push({ start: at, end: at + value.length, pattern: 'registered' });
    }
  }
  return spans.sort((a, b) => a.start - b.start || b.end - a.end);
}

/** `line` with every span replaced by `[pattern]`, and where each span's marker starts. */
function mask(line: string, spans: readonly Span[]): { text: string; at: Map<Span, number> } {
  let text = '';
  let cursor = 0;
  const at = new Map<Span, number>();
  for (const span of spans) {
    if (span.start < cursor) {
      // Overlaps a span already masked: point at that marker.
      at.set(span, Math.max(0, text.lastIndexOf('[')));
      continue;
    }
    text += line.slice(cursor, span.start);
    at.set(span, text.length);
    text += `[${span.pattern}]`;
    cursor = span.end;
  }
  return { text: text + line.slice(cursor), at };
}

function excerpt(masked: string, at: number): string {
  const from = Math.max(0, at - EXCERPT_CONTEXT);
  const to = Math.min(masked.length, masked.indexOf(']', at) + 1 + EXCERPT_CONTEXT);
  const body = masked.slice(from, to).replace(/\p{Cc}/gu, ' ');
  return `${from > 0 ? '…' : ''}${body}${to < masked.length ? '…' : ''}`;
}

/**
 * Every secret in `lines`: each {@link SECRET_PATTERNS} match, and each occurrence of a
 * `registered` value (exact; values shorter than {@link MIN_REGISTERED_LENGTH} are ignored).
 * One finding per line and pattern, in line order. Terminal escape sequences are removed first.
 */
export function scanForSecrets(lines: Iterable<string>, registered: readonly string[]): Finding[] {
  const values = [...new Set(registered.filter((value) => value.length >= MIN_REGISTERED_LENGTH))];
  const findings: Finding[] = [];
  let number = 0;
  for (const raw of lines) {
    number += 1;
    const line = raw.includes('\u001b') ? raw.replace(ANSI, '') : raw;
    const spans = spansOf(line, values);
    if (spans.length === 0) continue;
    const masked = mask(line, spans);
    const reported = new Set<string>();
    for (const span of spans) {
      if (reported.has(span.pattern)) continue;
      reported.add(span.pattern);
      findings.push({ line: number, pattern: span.pattern, excerpt: excerpt(masked.text, masked.at.get(span) ?? 0) });
    }
  }
  return findings;
}

/**
 * Tells the log grep of this run about a secret a test stores: any log line containing it fails
 * the run. Values under 8 characters are not looked for. A no-op outside the grep (no
 * `LOG_CAPTURE_DIR`); never throws.
 */
export function registerSecret(value: string): void {
  const dir = process.env[LOG_CAPTURE_DIR];
  if (!dir) return;
  try {
    appendFileSync(join(dir, REGISTERED_FILE), `${JSON.stringify(value)}\n`);
  } catch {
    // The grep still finds canaries by their shape.
  }
}

/**
 * A fresh, recognisable secret value for a test to store (`canary-<label>-<24 base64url>`, url-safe),
 * already registered with the log grep. `label` is reduced to lower-case letters, digits and
 * dashes.
 */
export function secretCanary(label: string): string {
  const tag =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'secret';
  const value = `canary-${tag}-${randomBytes(18).toString('base64url')}`;
  registerSecret(value);
  return value;
}
