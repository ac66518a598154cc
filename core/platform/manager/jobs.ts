import * as z from 'zod/mini';
import { LANGUAGES } from '../i18n/index.js';
import { defineJob } from '../jobs/index.js';
import { INTAKE_TEXT_PREFIX } from '../keys/index.js';
import { TenantIdSchema } from '../tenants/index.js';

const lang = z.enum(LANGUAGES);

/**
 * Put a bot on the deployment: its token sealed to the intake key in the webhook (bound to the
 * operator, the envelope's `userId`), opened only by the worker that onboards. The operator and
 * the chat to answer are the envelope's `userId` and `chatId`; nothing else travels.
 */
export const BotOnboardJob = defineJob('manager.onboard', 'vault', () =>
  z.object({
    sealed: z.string().check(z.startsWith(INTAKE_TEXT_PREFIX), z.maxLength(2_048)),
    payouts: z.boolean(),
    lang,
  }),
);

/** Take one of the operator's bots off the deployment (after the confirm button). */
export const BotRemoveJob = defineJob('manager.remove', 'vault', () => z.object({ botId: TenantIdSchema, lang }));

/** List the operator's bots, with status and plan. */
export const BotListJob = defineJob('manager.bots', 'notify', () => z.object({ lang }));

/** The usage of each of the operator's bots. */
export const BotsUsageJob = defineJob('manager.usage', 'notify', () => z.object({ lang }));
