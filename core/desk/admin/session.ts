import * as z from 'zod/mini';

/** The admin desk's session fields, in the users' own sessions. */
export const adminSessionFields = {
  /**
   * Set in a user's private-chat session by an admin's `/block` (the `admin.block` job), cleared by
   * `/unblock`: the bot then ignores everything this session brings (core/desk/admin/users-conversation.ts).
   */
  blocked: z.optional(z.literal(true)),
  /** The blocked user was told they are blocked (once per block: blocking and unblocking clear it). */
  blockNoticed: z.optional(z.literal(true)),
  /** When this session last reported its user as seen (`user.seen`, ms), for /stats' "active in the last 24 h". */
  seenAt: z.optional(z.int().check(z.minimum(0))),
  /** Set on the first update of a private chat, once the user is in the directory. */
  joined: z.optional(z.literal(true)),
};
