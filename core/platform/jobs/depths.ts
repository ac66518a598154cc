/** Queue depths: what an operator's `/stats` shows of every queue and its DLQ. */
/** A queue's depth as SQS estimates it (approximate by nature; good to a message or so when idle). */
export interface QueueDepth {
  readonly queue: string;
  /** Waiting to be received (visible, or delayed). */
  readonly waiting: number;
  /** Received and not yet deleted: being worked on, or waiting out a retry delay. */
  readonly inFlight: number;
  /** In the queue's DLQ: jobs that failed for good and need an admin's look. */
  readonly dead: number;
}

/** Reads the depth of every queue of the platform and of its DLQ. */
export interface QueueDepths {
  /** One entry per queue, in the order they were given. */
  read(): Promise<readonly QueueDepth[]>;
}

/** Where the queues and DLQs to inspect are, by queue. */
export type InspectedQueues = Readonly<Record<string, { readonly url: string; readonly deadLetterUrl: string }>>;
