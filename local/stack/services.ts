/**
 * The lifecycle of a local stack: services started one after another or side by side, each kept
 * as it comes up, and stopped in the reverse order of their start, on `stop()` as after a failed start.
 */

/** Whatever a starter returns: a running service that can be stopped. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** The services of one stack, in the order they came up. */
export class Services {
  readonly #started: Stoppable[] = [];
  readonly #starting = new Set<Promise<void>>();
  #stopping: Promise<void> | undefined;

  /**
   * Waits for `starting` and keeps the service, to stop it with the others. One that comes up after
   * `stop()` was called is stopped at once (and its start rejects), so nothing outlives the stack.
   */
  start<T extends Stoppable>(starting: Promise<T>): Promise<T> {
    const started = starting.then(async (service) => {
      if (this.#stopping !== undefined) {
        await service.stop().catch(() => undefined);
        throw new Error('The local stack stopped while this service was starting');
      }
      this.#started.push(service);
      return service;
    });
    const settled = started.then(
      () => undefined,
      () => undefined,
    );
    this.#starting.add(settled);
    void settled.then(() => this.#starting.delete(settled));
    return started;
  }

  /** How many services are up. */
  get size(): number {
    return this.#started.length;
  }

  /**
   * Waits for the starts in flight, then stops every service, last started first. A service that
   * fails to stop does not keep the others running. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(this.#starting);
      for (const service of this.#started.splice(0).reverse()) await service.stop().catch(() => undefined);
    })();
    return this.#stopping;
  }
}
