/**
 * Positional JSON-RPC parameters, validated the way an Agave node validates them: missing arguments,
 * serde-style type errors (`Invalid params: invalid type: integer \`1\`, expected a string.`), and
 * Solana's own `Invalid param: Invalid` / `Invalid param: WrongSize` for malformed pubkeys and signatures.
 * Unknown config fields are ignored, as Solana's config structs do.
 */
import { COMMITMENT_RANK, type Commitment } from './clock.js';
import { base58Decode } from './codec.js';
import { invalidParam, invalidParams, missingParams, RpcCode, RpcError, serdeError } from './errors.js';

/** A method's config object (the trailing `{ commitment, encoding, ... }`). */
export type Config = Readonly<Record<string, unknown>>;

/** serde's description of a JSON value, for `invalid type` messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'sequence';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value)}`;
    case 'number':
      return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
    case 'boolean':
      return `boolean \`${value}\``;
    case 'object':
      return 'map';
    default:
      return typeof value;
  }
}

const invalidType = (value: unknown, expected: string): RpcError =>
  serdeError(`invalid type: ${describe(value)}, expected ${expected}`);

/** The positional parameter list (`params` may be absent). */
export function positional(params: unknown): readonly unknown[] {
  if (params === undefined || params === null) return [];
  if (Array.isArray(params)) return params;
  throw invalidType(params, 'a sequence');
}

/** Parameter `index`, which the method needs (it takes at least `count`). */
export function required(params: readonly unknown[], index: number, count: number): unknown {
  if (params.length <= index) throw missingParams(count);
  return params[index];
}

export function stringParam(value: unknown): string {
  if (typeof value !== 'string') throw invalidType(value, 'a string');
  return value;
}

/** A base58 pubkey (Solana's `verify_pubkey`). */
export function pubkeyParam(value: unknown): string {
  const text = stringParam(value);
  if (text.length > 44) throw invalidParam('WrongSize');
  const bytes = base58Decode(text);
  if (bytes === undefined) throw invalidParam('Invalid');
  if (bytes.length !== 32) throw invalidParam('WrongSize');
  return text;
}

/** A base58 transaction signature (Solana's `verify_signature`). */
export function signatureParam(value: unknown): string {
  const text = stringParam(value);
  if (text.length > 88) throw invalidParam('WrongSize');
  const bytes = base58Decode(text);
  if (bytes === undefined) throw invalidParam('Invalid');
  if (bytes.length !== 64) throw invalidParam('WrongSize');
  return text;
}

/** A non-negative integer (`u64`/`usize` parameters). */
export function integerParam(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalidType(value, 'u64');
  return value;
}

export function booleanParam(value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidType(value, 'a boolean');
  return value;
}

/** The config object at `index` (absent or `null` → `{}`). */
export function configParam(params: readonly unknown[], index: number): Config {
  const value = params[index];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidType(value, 'a map');
  return value as Config;
}

/** An optional config field. */
export function field<T>(config: Config, name: string, parse: (value: unknown) => T): T | undefined {
  const value = config[name];
  return value === undefined || value === null ? undefined : parse(value);
}

/** One of `variants`, as serde parses a Rust enum. */
export function variantParam<T extends string>(value: unknown, variants: readonly T[]): T {
  const text = stringParam(value);
  if (!(variants as readonly string[]).includes(text)) {
    throw serdeError(`unknown variant \`${text}\`, expected one of ${variants.map((v) => `\`${v}\``).join(', ')}`);
  }
  return text as T;
}

const COMMITMENTS: readonly Commitment[] = ['processed', 'confirmed', 'finalized'];

/** `config.commitment`, or `fallback`. */
export function commitmentParam(config: Config, fallback: Commitment = 'finalized'): Commitment {
  return field(config, 'commitment', (value) => variantParam(value, COMMITMENTS)) ?? fallback;
}

/** History methods (`getTransaction`, `getSignaturesForAddress`) refuse `processed`. */
export function historyCommitmentParam(config: Config): Commitment {
  const commitment = commitmentParam(config);
  if (COMMITMENT_RANK[commitment] < COMMITMENT_RANK.confirmed) {
    throw invalidParams('Method does not support commitment below `confirmed`');
  }
  return commitment;
}

/** Fails with -32016 when `config.minContextSlot` is ahead of the node. */
export function checkMinContextSlot(config: Config, slot: number): void {
  const min = field(config, 'minContextSlot', integerParam);
  if (min !== undefined && min > slot) {
    throw new RpcError(RpcCode.minContextSlotNotReached, 'Minimum context slot has not been reached', {
      contextSlot: slot,
    });
  }
}
