import type { Keypair } from '@solana/web3.js';
import { DEPOSIT_CALLBACK } from '../../core/desk/deposits/jobs.js';
import { type LocalStack, type PeerUser, transferRequestInstruction } from '../../local/index.js';
import { scanQr } from './qr.js';

/**
 * The deposit request the bot showed `user` after `/deposit [sol]`: its URL, reference and message,
 * and what its QR code image (the photo sent just before) reads as, if there was one.
 */
export async function requestDeposit(stack: LocalStack, user: PeerUser, sol?: string) {
  const before = user.botMessages().length;
  await user.sendText(sol === undefined ? '/deposit' : `/deposit ${sol}`);
  const message = await stack.telegram.waitFor(
    () =>
      user
        .botMessages()
        .slice(before)
        .find((m) => m.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data?.startsWith('dp:paid:'))),
    20_000,
  );
  const url = /solana:\S+/.exec(message.text)?.[0];
  if (!url) throw new Error(`no solana: URL in ${message.text}`);
  const reference = new URL(url.replace('solana:', 'https://x/')).searchParams.get('reference')!;
  const photo = user
    .botMessages()
    .slice(before)
    .find((m) => m.photo !== undefined && m.message_id < message.message_id);
  const image = photo?.photo?.at(-1) && stack.telegram.file(photo.photo.at(-1)!.file_id);
  return { url, reference, message, qr: image ? scanQr(image)?.text : undefined };
}

/** Pays a `solana:` request from `payer`, as a Solana Pay wallet does (reference as a read-only key). */
export function payRequest(stack: LocalStack, payer: Keypair, url: string, lamports?: bigint): Promise<string> {
  const { instruction } = transferRequestInstruction(payer.publicKey, url, lamports);
  return stack.solana.svm.send([instruction], [payer]);
}

/**
 * Presses "I've paid" under the request until the bot says one of `outcomes` (the payment needs
 * to be finalized first: about 32 slots on the local chain); the message that says it.
 */
export async function pressPaidUntil(
  stack: LocalStack,
  user: PeerUser,
  request: { reference: string; message: { message_id: number } },
  outcomes: readonly string[],
  tries = 30,
) {
  for (let i = 0; i < tries; i++) {
    const before = user.botMessages().length;
    await user.pressButton(request.message.message_id, DEPOSIT_CALLBACK.paid(request.reference));
    const answer = await stack.telegram.waitFor(() => user.botMessages().slice(before)[0], 20_000);
    if (outcomes.some((o) => answer.text.includes(o))) return answer;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`"I've paid" never led to ${outcomes.join(' / ')}`);
}
