/**
 * State the local peers keep in the data directory across restarts (the chain, the Telegram peer's
 * chats, the web chat's test wallets): one JSON file each, written atomically (a temp file renamed
 * over the old one, so a crash leaves the previous state or the new one, never half of one) and
 * read back through a schema.
 *
 * A file that cannot be read back is an error that names the file and what to do, never a silent
 * fresh start: the stack's DynamoDB (balances, payouts) is kept beside it, and a chain or a chat
 * history quietly started over would no longer match it.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as z from 'zod/mini';

/** A state file exists but is not valid: unreadable JSON, or not the expected shape. */
export class LocalStateError extends Error {
  constructor(
    readonly file: string,
    what: string,
    reason: string,
  ) {
    super(
      `${file} is not a valid ${what} (${reason}). Fix it, or delete it to start the ${what} afresh ` +
        '(the rest of the data directory is kept).',
    );
    this.name = 'LocalStateError';
  }
}

/** The state in `file`, or `undefined` when there is none yet; throws {@link LocalStateError} when it is invalid. */
export async function readState<T>(file: string, schema: z.ZodMiniType<T>, what: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LocalStateError(file, what, `not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LocalStateError(file, what, `${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Writes `value` as JSON to `file` atomically: a temp file beside it, then renamed over it. */
export async function writeState(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Saves a changing state: `changed()` schedules a save `delayMs` later (changes in between share
 * it), `flush()` saves now if anything changed and waits; saves never overlap. A failed background
 * save is reported to `onError` and retried at the next change or flush.
 */
export class StateSaver {
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly snapshot: () => unknown | Promise<unknown>,
    private readonly options: { delayMs?: number; onError?: (error: unknown) => void } = {},
  ) {}

  changed(): void {
    this.#dirty = true;
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#save().catch((error: unknown) => {
        this.#dirty = true;
        (this.options.onError ?? ((e) => console.error(`Could not save ${this.file}: ${String(e)}`)))(error);
      });
    }, this.options.delayMs ?? 250);
    this.#timer.unref();
  }

  /** Saves now if anything changed since the last save. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#save();
  }

  #save(): Promise<void> {
    this.#saving = this.#saving
      .catch(() => undefined)
      .then(async () => {
        if (!this.#dirty) return;
        this.#dirty = false;
        try {
          await writeState(this.file, await this.snapshot());
        } catch (error) {
          this.#dirty = true;
          throw error;
        }
      });
    return this.#saving;
  }
}

/** Bytes as base64 in a state file. */
export const Base64 = z.string().check(z.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'));
/** A bigint as a decimal string in a state file. */
export const BigIntString = z.string().check(z.regex(/^-?\d{1,40}$/, 'a decimal integer'));

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
