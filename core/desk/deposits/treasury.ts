import type { JobQueue } from '../../platform/jobs/index.js';
import { emitFrom, handle } from '../../platform/jobs/index.js';
import { qrPng } from '../../platform/qr/index.js';
import { TelegramSendJob } from '../../platform/telegram/index.js';
import { assertAdmin } from '../admin/index.js';
import { jobTranslator } from '../i18n.js';
import { TreasuryQrJob } from './jobs.js';

/**
 * `deposit.treasury`: for an admin (checked again here), the treasury address as a QR code PNG
 * whose text is the bare address (any wallet's "send" screen scans it), sent with `sendPhoto`
 * through the notify queue, captioned with the address in `<code>` (tap to copy).
 */
export function treasuryQrHandler(deps: { admins: ReadonlySet<number>; queue: JobQueue; treasury: string }) {
  return handle(TreasuryQrJob, async (job) => {
    assertAdmin(deps.admins, job);
    if (job.chatId === null) return;
    const t = jobTranslator(job.payload.lang);
    await emitFrom(deps.queue, job, [
      {
        job: TelegramSendJob,
        payload: {
          calls: [
            {
              method: 'sendPhoto',
              params: {
                chat_id: job.chatId,
                caption: t('deposit.treasury', { address: deps.treasury }),
                parse_mode: 'HTML',
              },
              files: {
                photo: {
                  filename: 'treasury.png',
                  contentType: 'image/png',
                  base64: Buffer.from(qrPng(deps.treasury)).toString('base64'),
                },
              },
            },
          ],
        },
        chatId: job.chatId,
        userId: job.userId,
      },
    ]);
  });
}
