/**
 * Every AWS call of the live audit goes through an {@link AwsCaller}: it counts calls per action,
 * retries throttling (the SDK's own retries are off, so that the count is exact, an exhausted
 * retry quota never drops a call, and an unreachable endpoint fails at once), and turns failures
 * into `AwsAuditError`s. With an {@link AccountRate} (the audit always has one per account) a
 * throttled call lowers the account's rate and waits its turn again; without one it backs off
 * alone, exponentially with jitter. With {@link Slots} it also waits for one of the run's
 * slots (`--max-calls-in-flight`).
 */
import { describeAwsError, isThrottling, isTransient } from "./errors.js";
import type { AccountRate, Slots } from "./rate.js";

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** First backoff; it doubles on each retry up to `maxDelayMs`, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 200, maxDelayMs: 10_000 };

/** Server errors (5xx) are retried fewer times than throttling. */
const MAX_TRANSIENT_ATTEMPTS = 3;

export class AwsCaller {
  /** Calls sent per action (`iam:ListUsers`), retries included. */
  readonly calls = new Map<string, number>();
  /** Retries caused by throttling. */
  throttledRetries = 0;
  /** Calls AWS answered with a throttling error (retried or not). */
  throttledCalls = 0;

  constructor(
    /** Where the calls go, for messages (an endpoint URL or "IAM"). */
    readonly endpoint: string,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    /** The `--profile` the credentials come from, for messages. */
    private readonly profile?: string,
    private readonly random: () => number = Math.random,
    /** The account's rate controller, shared by all its callers. */
    readonly rate?: AccountRate,
    /** The run's call slots, shared by all callers. */
    private readonly slots?: Slots,
  ) {}

  /** Run one AWS call for `action` (its IAM permission name). */
  async call<T>(action: string, send: () => Promise<T>): Promise<T> {
    const max = Math.max(1, this.policy.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      const ticket = await this.rate?.acquire();
      await this.slots?.acquire();
      this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
      let throttled = false;
      try {
        return await send();
      } catch (err) {
        throttled = isThrottling(err);
        const retry =
          (throttled && attempt < max) || (isTransient(err) && attempt < Math.min(max, MAX_TRANSIENT_ATTEMPTS));
        if (throttled) this.throttledCalls += 1;
        if (!retry) throw describeAwsError(err, action, this.endpoint, this.profile);
        if (throttled) this.throttledRetries += 1;
      } finally {
        this.slots?.release();
        if (ticket) this.rate?.release(ticket, throttled);
      }
      // A throttled call waits its turn with the account's lowered rate; otherwise it backs off alone.
      if (!throttled || !this.rate) await sleep(this.backoff(attempt));
    }
  }

  /** Total calls sent. */
  get total(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return ceiling / 2 + this.random() * (ceiling / 2);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
