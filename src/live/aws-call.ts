/**
 * Every AWS call of the live audit goes through an {@link AwsCaller}: it counts calls per action,
 * retries throttling with exponential backoff and jitter (the SDK's own retries are off, so that
 * the count is exact, an exhausted retry quota never drops a call, and an unreachable endpoint
 * fails at once), and turns failures into `AwsAuditError`s.
 */
import { describeAwsError, isThrottling, isTransient } from "./errors.js";

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

  constructor(
    /** Where the calls go, for messages (an endpoint URL or "IAM"). */
    readonly endpoint: string,
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    /** The `--profile` the credentials come from, for messages. */
    private readonly profile?: string,
    private readonly random: () => number = Math.random,
  ) {}

  /** Run one AWS call for `action` (its IAM permission name). */
  async call<T>(action: string, send: () => Promise<T>): Promise<T> {
    const max = Math.max(1, this.policy.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
      try {
        return await send();
      } catch (err) {
        const retry = (isThrottling(err) && attempt < max) || (isTransient(err) && attempt < Math.min(max, MAX_TRANSIENT_ATTEMPTS));
        if (!retry) throw describeAwsError(err, action, this.endpoint, this.profile);
        if (isThrottling(err)) this.throttledRetries += 1;
        await sleep(this.backoff(attempt));
      }
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
