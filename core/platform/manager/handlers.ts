import { PoisonJobError, TransientError } from '../errors.js';
import { emitFrom, handle, type JobEnvelope, type JobHandler, type JobQueue } from '../jobs/index.js';
import { CiphertextRejectedError, type IntakeKeyService, openIntake } from '../keys/index.js';
import {
  type CommandList,
  type OffboardDeps,
  type OnboardDeps,
  type OnboardOutcome,
  offboardBot,
  onboardBot,
  type WebhookRoute,
} from '../onboarding/index.js';
import { type QuotaMeter, usageReport } from '../quotas/index.js';
import { type Deliver, notice } from '../telegram/index.js';
import type { TenantFeatures, TenantRecord, TenantRegistry } from '../tenants/index.js';
import { managerTranslator } from './catalog.js';
import { tokenIntakeContext } from './intake.js';
import { BotListJob, BotOnboardJob, BotRemoveJob, BotsUsageJob } from './jobs.js';

type Translate = ReturnType<typeof managerTranslator>;

/** A bot added through the manager: the Free plan, and every feature but payouts unless the operator asked for them. */
export function managerFeatures(payouts: boolean): TenantFeatures {
  return { payouts, assistant: true, watches: true, broadcasts: true };
}

/** Who a manager job acts for: every one is an operator's, in their private chat with the manager. */
function operatorOf(job: JobEnvelope): { userId: number; chatId: number } {
  if (job.userId === null || job.chatId === null || job.chatId !== job.userId) {
    throw new PoisonJobError('manager.no_operator', 'a manager job needs its operator, in their private chat');
  }
  return { userId: job.userId, chatId: job.chatId };
}

export interface OnboardingWorkerDeps {
  readonly intake: IntakeKeyService;
  /** Onboarding's dependencies but the webhook route. */
  readonly onboard: Omit<OnboardDeps, 'log' | 'webhook'>;
  /** The deployment's webhook route, read when a job needs it; undefined until the deploy recorded its URL. */
  readonly webhook: () => Promise<WebhookRoute | undefined>;
  readonly offboard: Omit<OffboardDeps, 'log'>;
  /** The command menus a new bot gets (`setMyCommands`, in order): the bot module's. */
  readonly commands: readonly CommandList[];
  readonly queue: JobQueue;
}

/**
 * The onboarding worker's part of the manager: `manager.onboard` opens the token (sealed to the
 * intake key for this very operator: a job naming another operator cannot open it), runs
 * `onboardBot` (idempotent: a redelivered job finds the same record and treasury key) and tells the
 * operator the outcome; `manager.remove` runs `offboardBot` for the presser, who must operate the bot.
 * The token lives only in memory for one job; no outcome, log line or message carries it.
 */
export function onboardingHandlers(deps: OnboardingWorkerDeps): JobHandler[] {
  const say = (job: JobEnvelope, chatId: number, html: string) =>
    emitFrom(deps.queue, job, [notice(chatId, chatId, html)]);

  const onboard = handle(BotOnboardJob, async (job, log) => {
    const { userId, chatId } = operatorOf(job);
    const t = managerTranslator(job.payload.lang);
    let token: string;
    try {
      token = await openIntake(deps.intake, job.payload.sealed, tokenIntakeContext(userId));
    } catch (error) {
      if (!(error instanceof CiphertextRejectedError)) throw error;
      log.warn('manager.sealed_rejected');
      return say(job, chatId, t('manager.sealed_rejected'));
    }
    const webhook = await deps.webhook();
    // Before the first deploy has recorded where the webhook is: retried later, as any transient failure.
    if (webhook === undefined)
      throw new TransientError('manager.no_webhook', 'the deploy has not recorded the webhook URL');
    const outcome = await onboardBot(
      {
        token,
        operatorUserId: userId,
        plan: 'free',
        features: managerFeatures(job.payload.payouts),
        commands: deps.commands,
      },
      { ...deps.onboard, webhook, log },
    );
    log.info('manager.onboard', { outcome: outcome.kind });
    return say(job, chatId, onboardText(t, outcome));
  });

  const remove = handle(BotRemoveJob, async (job, log) => {
    const { userId, chatId } = operatorOf(job);
    const t = managerTranslator(job.payload.lang);
    const id = job.payload.botId;
    const outcome = await offboardBot(id, userId, { ...deps.offboard, log });
    log.info('manager.remove', { outcome: outcome.kind, botId: id });
    switch (outcome.kind) {
      case 'removed': {
        const record = await deps.offboard.registry.get(id);
        const date = new Date(outcome.purgeAfter).toISOString().slice(0, 16).replace('T', ' ');
        return say(job, chatId, t('manager.removed', { username: record?.username ?? id, date }));
      }
      // Someone else's bot reads as no bot: a stranger learns nothing of what is hosted here.
      case 'not_found':
      case 'not_operator':
        return say(job, chatId, t('manager.remove.not_yours', { id }));
      case 'already_removed':
        return say(job, chatId, t('manager.remove.already', { id }));
      default:
        return say(job, chatId, t('manager.remove.unavailable', { id }));
    }
  });

  return [onboard, remove];
}

function onboardText(t: Translate, outcome: OnboardOutcome): string {
  switch (outcome.kind) {
    case 'onboarded': {
      const { tenant } = outcome;
      return t(outcome.created ? 'manager.onboarded' : 'manager.updated', {
        username: tenant.username,
        plan: t(`quota.plan.${tenant.plan}`),
        payouts: t(tenant.features.payouts ? 'manager.on' : 'manager.off'),
      });
    }
    case 'invalid_token':
    case 'token_rejected':
      return t('manager.invalid_token');
    case 'taken':
      return t('manager.taken');
    case 'unavailable':
      return t('manager.unavailable', { step: outcome.step });
    case 'refused':
      return t('manager.refused', { step: outcome.step, code: outcome.code });
    case 'invalid_request':
      return t('manager.refused', { step: 'request', code: 'invalid_request' });
  }
}

export interface ManagerNotifyDeps {
  readonly registry: Pick<TenantRegistry, 'get' | 'listOperatedBy'>;
  readonly deliver: Deliver;
  /** The quota meter of one of the bots, on its own items. */
  readonly meterOf: (record: TenantRecord) => QuotaMeter;
  readonly now?: () => number;
}

/**
 * The notify worker's part of the manager: `/mybots` (each bot the operator operates, its status
 * and plan) and `/usage` (each active or revoked bot's usage report, as its own `/usage` shows it).
 * Only the registry's records that still name the user among their operators are shown.
 */
export function managerNotifyHandlers(deps: ManagerNotifyDeps): JobHandler[] {
  async function botsOf(userId: number): Promise<TenantRecord[]> {
    const listed = await deps.registry.listOperatedBy(userId);
    const records = await Promise.all(listed.map((entry) => deps.registry.get(entry.id)));
    return records.filter((r): r is TenantRecord => r?.operators.includes(userId) === true);
  }
  const sendTo = async (jobId: string, chatId: number, texts: readonly string[], log: Parameters<Deliver>[2]) => {
    await deps.deliver(
      jobId,
      texts.map((text) => ({ method: 'sendMessage', params: { chat_id: chatId, text, parse_mode: 'HTML' } })),
      log,
    );
  };

  const list = handle(BotListJob, async (job, log) => {
    const { userId, chatId } = operatorOf(job);
    const t = managerTranslator(job.payload.lang);
    const bots = await botsOf(userId);
    const text =
      bots.length === 0
        ? t('manager.bots.none')
        : [
            t('manager.bots.title'),
            ...bots.map((bot) =>
              t('manager.bots.line', {
                username: bot.username,
                id: bot.id,
                status: t(`manager.status.${bot.status}`),
                plan: t(`quota.plan.${bot.plan}`),
              }),
            ),
          ].join('\n');
    await sendTo(job.id, chatId, [text], log);
  });

  const usage = handle(BotsUsageJob, async (job, log) => {
    const { userId, chatId } = operatorOf(job);
    const t = managerTranslator(job.payload.lang);
    const bots = (await botsOf(userId)).filter((bot) => bot.status !== 'removed');
    if (bots.length === 0) return sendTo(job.id, chatId, [t('manager.bots.none')], log);
    const now = (deps.now ?? Date.now)();
    const reports = await Promise.all(
      bots.map(async (bot) => usageReport(t, await deps.meterOf(bot).usage(), { bot: bot.username, now })),
    );
    await sendTo(job.id, chatId, reports, log);
  });

  return [list, usage];
}
