/**
 * The assistant, in English and Simplified Chinese (the type checker requires both), split by who says
 * each text so a function's bundle carries only its own (core/desk/i18n.ts).
 */
import { catalog } from '../../platform/i18n/index.js';

/** Said by both the webhook and the workers. */
export const aiSharedMessages = /* @__PURE__ */ catalog(
  {
    'ai.secret':
      '⚠️ That looks like a {kind}. I deleted it and did not pass it to the assistant. Never send it to anyone, this bot included. If it is real, treat it as stolen: move your funds to a new wallet.',
    'ai.secret.private-key': 'private key',
    'ai.secret.seed-phrase': 'recovery phrase',
    'ai.secret.api-key': 'API key or token',
  } as const,
  {
    'ai.secret':
      '⚠️ 这看起来像是{kind}。我已删除该消息，且没有交给助手。请勿将它发给任何人（包括本机器人）。如果它是真实的，请视为已泄露：把资金转移到新钱包。',
    'ai.secret.private-key': '私钥',
    'ai.secret.seed-phrase': '助记词',
    'ai.secret.api-key': 'API 密钥或令牌',
  },
);

/** Said by the webhook (the conversation). */
export const aiConversationMessages = /* @__PURE__ */ catalog(
  {
    'ai.reset': '🧹 Done: I have forgotten our conversation. Your next question starts afresh.',
    'ai.private': 'Ask me in a private chat: the assistant answers there only.',
  } as const,
  {
    'ai.reset': '🧹 好的：我已忘记我们之前的对话。您的下一个问题将重新开始。',
    'ai.private': '请在私聊中提问：助手只在私聊中回答。',
  },
);

/** Said by the workers (jobs). */
export const aiJobMessages = /* @__PURE__ */ catalog(
  {
    'ai.quota':
      '⏳ You have asked the assistant {limit} questions today, the daily limit. Ask again after 00:00 UTC. Every command still works.',
    'ai.unavailable':
      '😵 The assistant cannot answer right now: its AI provider is not responding. Please try again in a few minutes. This question did not count toward your daily limit.',
    'ai.busy':
      '🚦 The assistant is too busy to answer right now. Please try again in a minute. This question did not count toward your daily limit.',
    'ai.empty': 'I have no answer to that one. Could you ask it another way?',
    'ai.cut': '… (answer cut short; ask me to go on)',
  } as const,
  {
    'ai.quota': '⏳ 您今天已向助手提问 {limit} 次，达到每日上限。请在 UTC 时间 00:00 之后再问。所有命令仍可正常使用。',
    'ai.unavailable': '😵 助手暂时无法回答：AI 服务没有响应。请几分钟后再试。本次提问不计入您的每日次数。',
    'ai.busy': '🚦 助手现在太忙，暂时无法回答。请一分钟后再试。本次提问不计入您的每日次数。',
    'ai.empty': '这个问题我没有答案。能换个方式问吗？',
    'ai.cut': '……（回答过长已截断；可以让我继续）',
  },
);
