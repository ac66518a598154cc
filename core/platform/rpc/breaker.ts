/** Where an endpoint's circuit breaker stands. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** A request let through by the breaker; report its outcome with the same ticket. */
export interface BreakerTicket {
  /** True when this request is the single probe of a half-open breaker. */
  readonly probe: boolean;
  /** The breaker's generation when it was let through; outcomes of older generations are ignored. */
  readonly generation: number;
}

/**
 * Circuit breaker of one endpoint.
 *
 * Invariants: it opens after `failureThreshold` consecutive failures and then lets nothing
 * through for `openMs`; after that it is half-open and lets exactly one probe through at a time:
 * the probe's success closes it, its failure opens it again for `openMs`. Outcomes of requests
 * let through before the last state change are ignored (a slow success from before the outage
 * must not close a breaker that has just opened). Rate limiting (429) is neither a success nor a
 * failure: it says the endpoint is healthy but busy, and the pool honours `Retry-After` instead.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private opened = false;
  private probing = false;
  private generation = 0;

  constructor(
    private readonly failureThreshold: number,
    private readonly openMs: number,
  ) {}

  /** The state at `now` (an open breaker turns half-open by itself once `openMs` have passed). */
  state(now: number): BreakerState {
    if (!this.opened) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a request may go out now (closed, or half-open with no probe in flight). */
  available(now: number): boolean {
    const state = this.state(now);
    return state === 'closed' || (state === 'half-open' && !this.probing);
  }

  /** When `available` may next turn true (now, when it already is). */
  availableAt(now: number): number {
    if (this.available(now)) return now;
    // A probe in flight settles within the request timeout; check again shortly.
    return this.state(now) === 'open' ? this.openUntil : now;
  }

  /** Lets one request through; call only when `available(now)`. */
  admit(now: number): BreakerTicket {
    const probe = this.state(now) === 'half-open';
    if (probe) this.probing = true;
    return { probe, generation: this.generation };
  }

  /** Reports a success; returns true when it closed the breaker. */
  success(ticket: BreakerTicket): boolean {
    if (ticket.generation !== this.generation) return false;
    if (this.opened && !ticket.probe) return false;
    this.failures = 0;
    if (!this.opened) return false;
    this.reset(false, 0);
    return true;
  }

  /** Reports a failure; returns true when it opened (or re-opened) the breaker. */
  failure(ticket: BreakerTicket, now: number): boolean {
    if (ticket.generation !== this.generation) return false;
    if (this.opened && !ticket.probe) return false;
    this.failures++;
    if (this.opened || this.failures >= this.failureThreshold) {
      this.reset(true, now + this.openMs);
      return true;
    }
    return false;
  }

  /** Reports an outcome that says nothing about health (429, the caller gave up). */
  neutral(ticket: BreakerTicket): void {
    if (ticket.generation === this.generation && ticket.probe) this.probing = false;
  }

  private reset(opened: boolean, openUntil: number): void {
    this.opened = opened;
    this.openUntil = openUntil;
    this.failures = 0;
    this.probing = false;
    this.generation++;
  }
}
