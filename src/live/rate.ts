/**
 * How fast the live audit calls AWS: one {@link AccountRate} per account (IAM throttles per
 * account) and one {@link Slots} of calls for the whole run (`--max-calls-in-flight`).
 *
 * `AccountRate` is an AIMD controller, as TCP's congestion window: it allows `limit` calls in
 * flight (at most `--concurrency`). A `Throttling` answer halves the limit, once per "epoch": a
 * throttled call sent before the last decrease says nothing about the lowered rate and is only
 * retried. Each success adds `1/limit`, so the limit grows back by one per round of successful
 * calls. At one call in flight a further throttle spaces the account's calls apart (a pause that
 * doubles on each throttle in a row, up to `maxPauseMs`, and halves on each success), so the rate
 * keeps falling below one call per round trip when AWS asks for it.
 *
 * Why not the SDK's adaptive retry mode: its CUBIC rate limiter lowers the rate to 0.7 × the
 * measured rate on every throttled answer; when a share of calls is throttled whatever the rate
 * (as IAM does at times), the rate falls to its floor of 0.5 calls per second and an account of
 * 1,000 users takes half an hour. Halving once per epoch keeps reacting to a rate limit (every
 * call of the new epoch is throttled) without collapsing under throttling the rate does not cause.
 */

/** One call's admission: the epoch it was sent in. */
export interface RateTicket {
  readonly epoch: number;
}

export class AccountRate {
  /** Calls that AWS answered with a throttling error. */
  throttled = 0;
  /** The lowest limit reached (for the summary and the tests). */
  lowestLimit: number;
  private limit: number;
  private inFlight = 0;
  private epoch = 0;
  private pauseMs = 0;
  private throttledInARow = 0;
  private nextSendAt = 0;
  private readonly waiting: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Calls in flight at most (`--concurrency`). */
    private readonly maxInFlight: number,
    /** The first pause between calls at one call in flight. */
    private readonly basePauseMs = 50,
    private readonly maxPauseMs = 10_000,
  ) {
    this.limit = maxInFlight;
    this.lowestLimit = maxInFlight;
  }

  /** Calls allowed in flight now. */
  get allowed(): number {
    return Math.max(1, Math.floor(this.limit));
  }

  /** Wait for a turn to send one call. */
  acquire(): Promise<RateTicket> {
    return new Promise((resolve) => {
      this.waiting.push(() => resolve({ epoch: this.epoch }));
      this.pump();
    });
  }

  /** The call's answer came: `throttled` if AWS asked to slow down. */
  release(ticket: RateTicket, throttled: boolean): void {
    this.inFlight -= 1;
    if (throttled) {
      this.throttled += 1;
      if (ticket.epoch === this.epoch) {
        this.epoch += 1;
        this.throttledInARow += 1;
        if (this.limit > 1) this.limit = Math.max(1, this.limit / 2);
        else if (this.throttledInARow > 1)
          this.pauseMs = Math.min(this.maxPauseMs, Math.max(this.basePauseMs, this.pauseMs * 2));
        this.lowestLimit = Math.min(this.lowestLimit, this.allowed);
      }
    } else {
      this.throttledInARow = 0;
      if (this.pauseMs > 0) this.pauseMs = this.pauseMs / 2 < this.basePauseMs ? 0 : this.pauseMs / 2;
      else this.limit = Math.min(this.maxInFlight, this.limit + 1 / this.limit);
    }
    this.pump();
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.inFlight < this.allowed) {
      const now = Date.now();
      if (this.pauseMs > 0 && now < this.nextSendAt) {
        if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.pump();
          }, this.nextSendAt - now);
        }
        return;
      }
      this.nextSendAt = now + this.pauseMs;
      this.inFlight += 1;
      this.waiting.shift()!();
    }
  }
}

/** At most `limit` holders at once, served in order: the run's call slots (`--max-calls-in-flight`), the account slots (`--account-concurrency`). */
export class Slots {
  /** The most calls that were in flight at once. */
  peak = 0;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  acquire(): Promise<void> {
    if (this.inFlight < this.limit) {
      this.take();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.inFlight -= 1;
    const next = this.waiting.shift();
    if (next) {
      this.take();
      next();
    }
  }

  private take(): void {
    this.inFlight += 1;
    this.peak = Math.max(this.peak, this.inFlight);
  }
}
