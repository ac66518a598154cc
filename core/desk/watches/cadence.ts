/**
 * How often the poller checks a watched address: the cost of watching follows the addresses that
 * move, not the minutes that pass. An address whose balance moved lately (or that was never seen
 * yet) is checked at every poll; one that has been still for an hour every 5 minutes, for a day
 * every 15. A change is therefore noticed within one poll interval of the address's last move in
 * the past hour, within 5 minutes after a quiet hour and within 15 minutes after a quiet day.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** From the longest quiet: an address still for at least `quietMs` is checked every `everyMs`. */
export const WATCH_CADENCE: readonly { readonly quietMs: number; readonly everyMs: number }[] = [
  { quietMs: DAY, everyMs: 15 * MINUTE },
  { quietMs: HOUR, everyMs: 5 * MINUTE },
];

/** Base58's alphabet: an address's first character spreads the quiet addresses over their interval. */
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/**
 * Whether the poll at `at` (ms) checks `address`, whose balance last moved at `changedAt` (ms;
 * undefined: never seen), when polls come every `pollMs`. Each quiet address is checked once per
 * window of its interval, at an offset taken from its first character: addresses sharing one are
 * due together, and they are neighbours in the watch list, so one range read fetches their snapshots.
 */
export function isDue(address: string, changedAt: number | undefined, at: number, pollMs: number): boolean {
  if (changedAt === undefined) return true;
  const everyMs = WATCH_CADENCE.find((c) => at - changedAt >= c.quietMs)?.everyMs ?? 0;
  if (everyMs <= pollMs) return true;
  const offset = (Math.max(0, BASE58.indexOf(address[0] ?? '')) / BASE58.length) * everyMs;
  return Math.floor((at + offset) / everyMs) !== Math.floor((at - pollMs + offset) / everyMs);
}

/** How long an address stays hot (checked at every poll) after its balance moved: until its first quiet cadence starts. */
export const HOT_MS = Math.min(...WATCH_CADENCE.map((c) => c.quietMs));

/** First characters `from` to `to` (both included, in base58's alphabet, which is in ASCII order). */
export interface FirstCharacters {
  readonly from: string;
  readonly to: string;
}

/**
 * The first characters of the quiet addresses that may be due at the poll at `at`: for each
 * quiet cadence, the characters whose offset falls in this poll's window, merged into runs of the
 * alphabet. The watch list is in address order and base58's alphabet in ASCII order, so each run
 * is one contiguous span of the list: a quiet address outside every run is not due (`isDue`), and
 * the poll reads only these spans, plus the hot addresses (moved within `HOT_MS`, or never seen).
 */
export function dueFirstCharacters(at: number, pollMs: number): FirstCharacters[] {
  const due = [...BASE58].map((c) => WATCH_CADENCE.some(({ quietMs }) => isDue(c, at - quietMs, at, pollMs)));
  const runs: FirstCharacters[] = [];
  for (let i = 0; i < due.length; i++) {
    if (!due[i]) continue;
    let j = i;
    while (due[j + 1]) j++;
    runs.push({ from: BASE58[i]!, to: BASE58[j]! });
    i = j;
  }
  return runs;
}
