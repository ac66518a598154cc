import { Composer } from 'telegraf';
import { ValidationError } from '../../platform/errors.js';
import { sealForIntake } from '../../platform/keys/index.js';
import type { AdminGate } from '../admin/index.js';
import { findSecret } from '../assistant/index.js';
import type { BotContext } from '../bot/index.js';
import type { VaultSettings } from '../settings.js';
import { secretContext } from './context.js';
import { SECRET_NAME, SecretCheckJob, SecretDeleteJob, SecretListJob, SecretStoreJob } from './jobs.js';

export interface SecretCommandOptions {
  /** Admins (as the admin gate knows them, by user id) may also keep service credentials (`/setsecret <name> service`). */
  admins: Pick<AdminGate, 'isAdmin'>;
  /** The intake key's public key (SPKI DER): values are sealed to it here, opened only by the vault worker. */
  intakePublicKey: Uint8Array;
  settings: VaultSettings;
}

/**
 * Deletes any message that carries a secret ({@link findSecret}: a key, a recovery phrase, a
 * token), in its text or its caption, in any chat, command or not, warns, and stops it there: no
 * handler after this one sees it, so a refused `/setsecret other sk-…`, a key pasted into a
 * group or into another flow (a wallet rename) neither stays in the chat nor reaches the
 * session, a queue or the assistant. The one message it lets through is the answer to a pending
 * `/setsecret` (private chat, plain text): that value is the secret, sealed and deleted by
 * {@link secretCommands}. Goes before every flow that reads text.
 */
export function secretGuard(): Composer<BotContext> {
  const guard = new Composer<BotContext>();
  guard.on('message', (ctx, next) => {
    const message = ctx.message;
    const text = 'text' in message ? message.text : 'caption' in message ? message.caption : undefined;
    if (text === undefined) return next();
    const first = 'entities' in message ? message.entities?.[0] : undefined;
    const isCommand = first?.type === 'bot_command' && first.offset === 0;
    const awaitedValue = ctx.session.secretPrompt && ctx.chat.type === 'private' && 'text' in message && !isCommand;
    if (awaitedValue) return next();
    const secret = findSecret(text);
    if (!secret) return next();
    ctx.deleteMessage(message.message_id);
    return ctx.reply(ctx.t('ai.secret', { kind: ctx.t(`ai.secret.${secret}`) }));
  });
  return guard;
}

/** How long `/setsecret` waits for the value. */
const PROMPT_SECONDS = 300;
const HTML = { parse_mode: 'HTML' } as const;

/**
 * The user's secret vault. `/setsecret <name>` asks for the value; the next message is deleted
 * from the chat at once, sealed to the intake key and queued as `secret.store`, so the value is
 * never stored, queued or logged in the clear (the webhook has no KMS access and cannot read it
 * back). `/secrets`, `/checksecret` and `/delsecret` are answered by the vault worker. Private
 * chats only: a group would show the value to everyone. An admin adding `service` as the last
 * argument works on the deployment's service credentials (owner `service`, their own purpose);
 * from anyone else `service` is just a bad argument.
 */
export function secretCommands(options: SecretCommandOptions): Composer<BotContext> {
  const secrets = new Composer<BotContext>();

  // The value of a pending /setsecret: taken before any other handler sees the message.
  secrets.on('message', (ctx, next) => {
    const prompt = ctx.session.secretPrompt;
    if (!prompt || ctx.chat.type !== 'private') return next();
    const { secretPrompt: _, ...rest } = ctx.session;
    ctx.session = rest;
    const message = ctx.message;
    const text = 'text' in message ? message.text : undefined;
    const first = 'entities' in message ? message.entities?.[0] : undefined;
    const isCommand = first?.type === 'bot_command' && first.offset === 0;
    if (text === undefined || isCommand) {
      // Anything but plain text ends the prompt; a command then runs as usual.
      if (text !== undefined && /^\/cancel(@\w+)?$/.test(text)) return ctx.reply(ctx.t('secret.cancelled'));
      return next();
    }
    // Whatever happens next, text sent in answer to the prompt is probably the secret: it goes.
    ctx.deleteMessage(message.message_id);
    if (message.date - prompt.since > PROMPT_SECONDS) return ctx.reply(ctx.t('secret.expired'));
    if (Buffer.byteLength(text) > options.settings.maxSecretBytes) {
      return ctx.reply(ctx.t('secret.too_long', { max: options.settings.maxSecretBytes }));
    }
    let sealed: string;
    try {
      sealed = sealForIntake(options.intakePublicKey, text, secretContext(prompt.scope, ctx.from.id));
    } catch (error) {
      // Text that is not well-formed Unicode would not survive UTF-8 unchanged.
      if (error instanceof ValidationError) return ctx.reply(ctx.t('secret.cancelled'));
      throw error;
    }
    ctx.enqueue({
      job: SecretStoreJob,
      payload: { name: prompt.name, sealed, lang: ctx.lang, ...(prompt.scope ? { scope: prompt.scope } : {}) },
      chatId: ctx.chat.id,
      userId: ctx.from.id,
    });
    return ctx.reply(ctx.t('secret.storing', { name: prompt.name }), HTML);
  });

  /** `service` as the last argument, from an admin, means the deployment's service credentials. */
  function scopeOf(ctx: BotContext, args: readonly string[]): { rest: readonly string[]; scope?: 'service' } {
    const admin = options.admins.isAdmin(ctx);
    return admin && args.at(-1) === 'service' ? { rest: args.slice(0, -1), scope: 'service' } : { rest: args };
  }

  /** The secret name (and scope) a command names, or undefined after saying what is wrong. */
  function nameIn(ctx: BotContext, args: readonly string[]): { name: string; scope?: 'service' } | undefined {
    if (ctx.chat?.type !== 'private') {
      void ctx.reply(ctx.t('secret.private'));
      return undefined;
    }
    const { rest, scope } = scopeOf(ctx, args);
    const [name] = rest;
    if (name !== undefined && rest.length === 1 && SECRET_NAME.test(name)) return { name, ...(scope ? { scope } : {}) };
    void ctx.reply(ctx.t('secret.bad_name'));
    return undefined;
  }

  secrets.command('setsecret', (ctx) => {
    const named = nameIn(ctx, ctx.args);
    if (named === undefined) return;
    ctx.session = { ...ctx.session, secretPrompt: { ...named, since: ctx.message.date } };
    return ctx.reply(ctx.t('secret.send_value', { name: named.name }), HTML);
  });
  for (const [command, job] of [
    ['checksecret', SecretCheckJob],
    ['delsecret', SecretDeleteJob],
  ] as const) {
    secrets.command(command, (ctx) => {
      const named = nameIn(ctx, ctx.args);
      if (named !== undefined)
        ctx.enqueue({ job, payload: { ...named, lang: ctx.lang }, chatId: ctx.chat.id, userId: ctx.from.id });
    });
  }
  secrets.command('secrets', (ctx) => {
    if (ctx.chat.type !== 'private') return ctx.reply(ctx.t('secret.private'));
    const { scope } = scopeOf(ctx, ctx.args);
    const payload = { lang: ctx.lang, ...(scope ? { scope } : {}) };
    ctx.enqueue({ job: SecretListJob, payload, chatId: ctx.chat.id, userId: ctx.from.id });
  });
  return secrets;
}
