import * as z from 'zod/mini';

/** How many wallets a user may link. */
export const MAX_WALLETS = 10;
/** A wallet's label: at most this many characters (code points) once whitespace is collapsed. */
export const MAX_LABEL_CHARS = 32;

/** A wallet the user linked by sending its address (syntax checked); labels are the user's own text. */
export const LinkedWalletSchema = z.object({
  address: z.string().check(z.regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/)),
  // Counted in UTF-16 units here: 32 characters may take up to 64 (emoji), and a label the bot
  // accepted must never invalidate the session.
  label: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_LABEL_CHARS * 2))),
});
export type LinkedWallet = z.infer<typeof LinkedWalletSchema>;

/** The wallets feature's session fields. */
export const walletSessionFields = {
  /** Linked wallets, in the order they were linked (buttons refer to them by index and address prefix). */
  wallets: z.optional(z.array(LinkedWalletSchema).check(z.maxLength(MAX_WALLETS))),
  /** A "Rename" waiting for the label: the wallet's address and when it was asked (s). */
  walletPrompt: z.optional(z.object({ address: LinkedWalletSchema.shape.address, since: z.int() })),
};
