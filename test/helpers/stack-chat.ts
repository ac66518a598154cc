import type { LogLine, PeerUser, TelegramPeer } from '../../local/index.js';

/** Presses a button as `user` and waits for the bot to answer the press; returns the answer's text. */
export async function pressAndWait(
  peer: TelegramPeer,
  user: PeerUser,
  messageId: number,
  data: string,
): Promise<string | undefined> {
  const update = await user.pressButton(messageId, data);
  const id = update.callback_query!.id;
  const query = await peer.waitFor(() => {
    const state = peer.callbackQuery(id);
    return state?.answered ? state : undefined;
  }, 20_000);
  return query.answer?.text;
}

/**
 * The functions' JSON log lines that are warnings or errors: a flow where nothing failed has none
 * (an admin event waiting for its digest window is a deferral, logged at debug). Also how many
 * lines there were, so a test can tell "no problem" from "no log at all".
 */
export function unexpectedProblems(logs: readonly LogLine[]): { lines: number; problems: unknown[] } {
  const lines = logs.flatMap((entry) => {
    try {
      return [JSON.parse(entry.line) as { level?: string }];
    } catch {
      return [];
    }
  });
  return { lines: lines.length, problems: lines.filter((l) => l.level === 'warn' || l.level === 'error') };
}
