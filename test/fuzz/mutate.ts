/**
 * Generic mutations of JSON values for the fuzzers: start from a well-formed value (a Telegram
 * update, a job envelope) and break it at random places the way a buggy or hostile sender would:
 * drop fields, give them the wrong type, make strings huge or strange, numbers out of range, nest
 * junk, add fields (prototype-ish names included) or bolt on a second object of another kind.
 *
 * A mutation names its target by an index into every path of the value (taken modulo their count),
 * so fast-check shrinks a failing case towards fewer, simpler mutations near the root.
 */
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

/** Strings people and clients really send: emoji, RTL and zero-width marks, combining marks, CJK, NUL. */
const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e\u0644\u0627 RTL',
  'zero\u200bwidth\u2060joiner',
  'e\u0301\u0301\u0301',
  '👩‍👩‍👧‍👦🏳️‍🌈',
  '钱包服务台',
  '<b>bold</b> & <i>x',
  '*_`[]()~>#+-=|{}.!',
  '$' + '{}{{}}%s%n',
  '\r\n\t',
  'null',
  '__proto__',
];

/** A lone UTF-16 surrogate: valid in a JS string and in JSON (escaped), not in UTF-8. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** Text with any code point, lone surrogates included now and then. */
export const unicodeText = (maxLength = 64): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.string({ unit: 'grapheme', maxLength }), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength }), weight: 2 },
    {
      arbitrary: fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', maxLength: 1 }), loneSurrogate), maxLength }),
      weight: 1,
    },
    { arbitrary: fc.constantFrom(...ODD_STRINGS), weight: 2 },
  );

/** A string of `length` characters made of one repeated unit (cheap to build, expensive to carry). */
export const hugeString = (min = 4_097, max = 200_000): fc.Arbitrary<string> =>
  fc
    .tuple(fc.integer({ min, max }), fc.constantFrom('x', 'я', '🚀', '<', '\\', '"', ' '))
    .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));

/** Numbers at the edges of what ids and counters may be. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    0.5,
    -1.5,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    -(2 ** 31),
    2 ** 52,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    -Number.MAX_SAFE_INTEGER,
    -(2 ** 63),
    1e21,
    1e308,
    -1e308,
    5e-324,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A chain of `depth` nested arrays or objects around a value. */
const deepNesting: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 20, max: 1_000 }), fc.boolean())
  .map(([depth, arrays]) => {
    let value: Json = 'bottom';
    for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
    return value;
  });

/** Any JSON value, from a scalar to a small tree, with the odd strings and numbers above. */
export const junk: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: fc.constantFrom<Json>(null, true, false, [], {}, '', 0), weight: 3 },
  { arbitrary: edgeNumber, weight: 2 },
  { arbitrary: unicodeText(), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, weight: 2 },
  { arbitrary: deepNesting, weight: 1 },
);

/** Field names that have tripped JavaScript code before. */
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'then', ''];
export const fieldName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ODD_KEYS),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
);

/** One change at one place. */
export type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'replace'; at: number; value: Json }
  | { op: 'huge'; at: number; value: string }
  | { op: 'unicode'; at: number; value: string }
  | { op: 'number'; at: number; value: number }
  | { op: 'add'; at: number; key: string; value: Json }
  | { op: 'stringify'; at: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('drop' as const), at: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: junk }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('huge' as const), at: fc.nat(), value: hugeString() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('unicode' as const), at: fc.nat(), value: unicodeText(300) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('number' as const), at: fc.nat(), value: edgeNumber }), weight: 3 },
  {
    arbitrary: fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: fieldName, value: junk }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('stringify' as const), at: fc.nat() }), weight: 1 },
);

/** Every path in `value`, root first (depth-first), bounded so deep junk does not explode the list. */
export function pathsOf(value: Json, limit = 2_000): Path[] {
  const paths: Path[] = [];
  const walk = (node: Json, path: Path, depth: number) => {
    if (paths.length >= limit) return;
    paths.push(path);
    if (depth > 40 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const [index, child] of node.entries()) walk(child, [...path, index], depth + 1);
    } else for (const key of Object.keys(node)) walk(node[key] as Json, [...path, key], depth + 1);
  };
  walk(value, [], 0);
  return paths;
}

/** Sets an own property, even one named `__proto__` (a plain assignment would set the prototype). */
function setOwn(target: Record<string, Json> | Json[], key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function getAt(root: Json, path: Path): Json {
  let node: Json = root;
  for (const key of path) node = (node as Record<string, Json>)[key as string] as Json;
  return node;
}

/** `value` with one mutation applied; the input is never modified. */
export function applyMutation(value: Json, change: Mutation): Json {
  const root = structuredClone(value) as Json;
  const paths = pathsOf(root);
  const path = paths[change.at % paths.length]!;
  const current = getAt(root, path);
  let next: Json | undefined;
  switch (change.op) {
    case 'drop':
      next = undefined;
      break;
    case 'replace':
      next = change.value;
      break;
    case 'huge':
    case 'unicode':
      next = change.value;
      break;
    case 'number':
      next = change.value;
      break;
    case 'stringify':
      next = JSON.stringify(current);
      break;
    case 'add': {
      if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
        setOwn(current, change.key, change.value);
        return root;
      }
      if (Array.isArray(current)) {
        current.push(change.value);
        return root;
      }
      next = change.value;
      break;
    }
  }
  if (path.length === 0) return next === undefined ? null : next;
  const parent = getAt(root, path.slice(0, -1)) as Record<string, Json> | Json[];
  const key = path[path.length - 1]!;
  if (next === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key as string];
  } else setOwn(parent, key, next);
  return root;
}

/** `base` broken by one to `max` mutations. */
export function mutated<T extends Json>(base: fc.Arbitrary<T>, max = 3): fc.Arbitrary<Json> {
  return fc
    .tuple(base, fc.array(mutation, { minLength: 1, maxLength: max }))
    .map(([value, changes]) => changes.reduce<Json>((acc, change) => applyMutation(acc, change), value));
}

/** A JSON text cut short somewhere (never the whole text). */
export function truncated(text: string, at: number): string {
  return text.length <= 1 ? '' : text.slice(0, at % (text.length - 1));
}
