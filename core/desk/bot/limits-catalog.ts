import { catalog } from '../../platform/i18n/index.js';

/**
 * Abuse control (English and Simplified Chinese; the type checker requires both). Plain text, no
 * markup: the same strings answer button presses (`answerCallbackQuery` shows no HTML, ≤ 200 chars).
 */
export const limitMessages = /* @__PURE__ */ catalog(
  {
    'limit.slow_down':
      '⏳ That is a lot at once! Please give me about {seconds} seconds, then try again. I skip what you send until then.',
    'limit.jobs':
      '⏳ You asked me to check a lot in a short time, so I did not do that one. Please try again in about {seconds} seconds.',
  } as const,
  {
    'limit.slow_down': '⏳ 操作太频繁了！请等待约 {seconds} 秒后再试。在此之前发送的内容我会略过。',
    'limit.jobs': '⏳ 您短时间内提交的查询太多，这一次没有执行。请约 {seconds} 秒后再试。',
  },
);
