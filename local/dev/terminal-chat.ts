import type { Interface } from 'node:readline/promises';
import type { LocalStack } from '../index.js';

interface Shown {
  versions: number;
}

/**
 * A person's chat with the local bot in the terminal. Lines are sent as messages; `:N` presses
 * button N of the bot's latest keyboard; `:user ID` switches user; `:quit` or Ctrl-C leaves (at a
 * terminal, readline takes Ctrl-C as a key and closes: the pending question is aborted). The bot's
 * messages and edits are printed as they happen.
 */
export async function startTerminalChat({ stack, rl }: { stack: LocalStack; rl: Interface }): Promise<void> {
  let user = stack.telegram.user(1001, { first_name: 'You', language_code: 'en' });
  const shown = new Map<number, Shown>();
  let buttons: { messageId: number; data: string }[] = [];

  const render = () => {
    for (const message of stack.telegram.sent(user.id)) {
      const versions = message.history.length;
      const seen = shown.get(message.message_id);
      if (seen?.versions === versions) continue;
      shown.set(message.message_id, { versions });
      const label = seen ? 'bot (edited)' : 'bot';
      const photo = message.photo?.at(-1);
      const image = photo ? `[photo ${photo.width}×${photo.height}: open the web chat to see it] ` : '';
      console.log(`\n${label} › ${image}${message.text}`);
      const rows = message.reply_markup?.inline_keyboard ?? [];
      buttons = [];
      for (const row of rows) {
        const cells = row.map((button) => {
          const data = 'callback_data' in button ? String(button.callback_data) : '';
          buttons.push({ messageId: message.message_id, data });
          return `[${buttons.length}] ${button.text}`;
        });
        console.log(`      ${cells.join('   ')}`);
      }
    }
  };
  const timer = setInterval(render, 100);
  console.log(
    'Talk to the bot: type a message (try /start), `:N` presses button N, `:user ID` switches user, `:quit` exits.',
  );
  render();
  try {
    for (;;) {
      const line = await ask(rl);
      if (line === undefined) return;
      if (line === ':quit' || line === ':q') return;
      if (line === '') continue;
      const press = /^:(\d+)$/.exec(line);
      const switchUser = /^:user (\d+)$/.exec(line);
      if (press) {
        const button = buttons[Number(press[1]) - 1];
        if (!button) console.log('No such button.');
        else await user.pressButton(button.messageId, button.data);
      } else if (switchUser) {
        user = stack.telegram.user(Number(switchUser[1]));
        shown.clear();
        console.log(`Now chatting as user ${user.id}.`);
      } else {
        await user.sendText(line);
      }
      await stack.telegram.idle().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      render();
    }
  } finally {
    clearInterval(timer);
    rl.close();
  }
}

/** The next line, trimmed; `undefined` once the interface was closed under the question (Ctrl-C). */
async function ask(rl: Interface): Promise<string | undefined> {
  try {
    return (await rl.question('you › ')).trim();
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') return undefined;
    throw error;
  }
}
