import * as z from 'zod/mini';

/**
 * The formatting a broadcast carries: the admin's own, as their Telegram client sent it with the
 * `/broadcast` message (bold, italic, links…). Every copy is sent as text plus these entities,
 * never with a parse mode, so whatever the text says (`<`, `&`, `*`) reaches users as written.
 */
export const FORMATTING_TYPES = [
  'bold',
  'italic',
  'underline',
  'strikethrough',
  'spoiler',
  'code',
  'blockquote',
  'expandable_blockquote',
] as const;

/** Kinds Telegram finds in any text by itself: left out of a broadcast, each copy gets them again. */
const DETECTED_TYPES: ReadonlySet<string> = new Set([
  'mention',
  'hashtag',
  'cashtag',
  'bot_command',
  'url',
  'email',
  'phone_number',
]);

const span = { offset: z.int().check(z.minimum(0)), length: z.int().check(z.minimum(1)) };

/** One kept entity: a formatting type, `pre` with its optional language, or a web (or `tg:`) link. */
export const EntitySchema = z.discriminatedUnion('type', [
  z.object({ type: z.enum(FORMATTING_TYPES), ...span }),
  z.object({ type: z.literal('pre'), ...span, language: z.optional(z.string().check(z.regex(/^[\w#+.-]{1,32}$/))) }),
  z.object({
    type: z.literal('text_link'),
    ...span,
    url: z.url({ protocol: /^(https?|tg)$/ }).check(z.maxLength(2048)),
  }),
]);
export type Entity = z.infer<typeof EntitySchema>;

/** The types a broadcast keeps, for the admin's "cannot be broadcast" answer. */
const KEPT_TYPES: ReadonlySet<string> = new Set([...FORMATTING_TYPES, 'pre', 'text_link']);

/** Telegram keeps at most 100 entities of a message. */
const MAX_ENTITIES = 100;

/** Offsets and lengths count UTF-16 code units, as JavaScript strings do and as Telegram does. */
const withinText = (m: { text: string; entities: readonly Entity[] }) =>
  m.entities.every((e) => e.offset + e.length <= m.text.length);

/** What every recipient gets: the admin's text with its formatting as entities, each inside the text. */
export const BroadcastMessageSchema = z
  .object({
    text: z.string().check(z.minLength(1), z.maxLength(4096)),
    entities: z.array(EntitySchema).check(z.maxLength(MAX_ENTITIES)),
  })
  .check(z.refine(withinText, { message: 'an entity runs past the end of the text', path: ['entities'] }));
export type BroadcastMessage = z.infer<typeof BroadcastMessageSchema>;

/** A message's text and formatting as a `sendMessage` takes them: the preview and every copy alike. */
export function messageParams(message: BroadcastMessage): { text: string; entities?: Entity[] } {
  return { text: message.text, ...(message.entities.length > 0 ? { entities: message.entities } : {}) };
}

/** An entity as an update carries it: only its shape is trusted, the rest is checked here. */
const RawEntitiesSchema = z.array(
  z.looseObject({ type: z.string().check(z.maxLength(64)), offset: z.int(), length: z.int() }),
);

/** Why a `/broadcast` cannot be queued as written. */
export type DraftProblem =
  | { problem: 'usage' }
  | { problem: 'too_long'; length: number }
  | { problem: 'too_many'; count: number }
  | { problem: 'unsupported'; type: string }
  | { problem: 'out_of_range'; type: string; offset: number; length: number; textLength: number }
  | { problem: 'invalid'; type: string };

export type DraftResult = { ok: true; message: BroadcastMessage } | ({ ok: false } & DraftProblem);

const refuse = (problem: DraftProblem): DraftResult => ({ ok: false, ...problem });

/**
 * The text after a `/broadcast` command, with the entities that fall in it shifted to match
 * (offsets in UTF-16 code units, counted from the end of the command and the space after it).
 * Entities Telegram detects by itself (the command, links, mentions…) are left to it; any other
 * entity must be a kept formatting type, inside the text, with a valid link or language, or the
 * draft is refused with the reason (nothing is silently dropped or clipped).
 */
export function broadcastFrom(text: string, rawEntities: unknown = []): DraftResult {
  const command = /^\/broadcast(@\w+)?(\s+|$)/.exec(text);
  if (!command) return refuse({ problem: 'usage' });
  const skip = command[0].length;
  const body = text.slice(skip).trimEnd();
  if (body === '') return refuse({ problem: 'usage' });
  if (body.length > 4096) return refuse({ problem: 'too_long', length: body.length });
  const raw = RawEntitiesSchema.safeParse(rawEntities ?? []);
  if (!raw.success) return refuse({ problem: 'invalid', type: 'entities' });
  const entities: Entity[] = [];
  for (const e of raw.data) {
    if (DETECTED_TYPES.has(e.type)) continue;
    if (!KEPT_TYPES.has(e.type)) return refuse({ problem: 'unsupported', type: e.type });
    const end = e.offset + e.length;
    if (e.offset < 0 || e.length < 1 || end > skip + body.length) {
      const offset = e.offset - skip;
      return refuse({ problem: 'out_of_range', type: e.type, offset, length: e.length, textLength: body.length });
    }
    // Formatting that begins in the space after the command starts with the text.
    const start = Math.max(e.offset, skip);
    if (end <= start) continue;
    const entity = EntitySchema.safeParse({ ...e, offset: start - skip, length: end - start });
    if (!entity.success) return refuse({ problem: 'invalid', type: e.type });
    entities.push(entity.data);
  }
  if (entities.length > MAX_ENTITIES) return refuse({ problem: 'too_many', count: entities.length });
  // Every entity was checked above: the message holds by construction, and the schema says so.
  return { ok: true, message: BroadcastMessageSchema.parse({ text: body, entities }) };
}
