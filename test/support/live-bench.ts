/**
 * The live audit at scale, for `scripts/bench` (not a timed unit test): an account of N users,
 * all with a console password and keys, on the fake endpoint with added latency per call; audit
 * it and return the wall time and the API calls per user.
 */
import { auditLive } from "../../src/live-audit.js";
import { startFakeAws, type FakeAccount } from "./fake-aws.js";

export interface LiveBenchOptions {
  /** Users in the account (default 1000). */
  users?: number;
  /** Latency added to every call, in ms (default 5). */
  latencyMs?: number;
  /** Concurrent calls (default: the audit's default). */
  concurrency?: number;
  /**
   * `existing` (default): a complete report from an hour before the run, as on any run within
   * four hours of another; `generated`: none yet, IAM generates it during the run (one poll).
   */
  report?: "existing" | "generated";
  /**
   * `mixed` (default): per ten users, one of each finding row (error, warning in use, info,
   * warning never used) and six users whose keys came later and are in use (half with two keys);
   * `all-setup`: every user has a never-used setup key, the worst case for calls.
   */
  population?: "mixed" | "all-setup";
  /** Pause between report polls, in ms (default 100; `keygate live` uses 2000). */
  reportPollIntervalMs?: number;
}

export interface LiveBenchResult {
  users: number;
  latencyMs: number;
  report: "existing" | "generated";
  population: "mixed" | "all-setup";
  wallMs: number;
  findings: { error: number; warning: number; info: number };
  errors: number;
  apiCalls: Record<string, number>;
  totalApiCalls: number;
  apiCallsPerUser: number;
}

const HOUR = 3_600_000;

export async function benchLiveAudit(options: LiveBenchOptions = {}): Promise<LiveBenchResult> {
  const users = options.users ?? 1000;
  const latencyMs = options.latencyMs ?? 5;
  const report = options.report ?? "existing";
  const population = options.population ?? "mixed";
  const fake = await startFakeAws();
  try {
    const now = Date.parse("2025-01-01T00:00:00Z");
    fake.clock = () => new Date(now);
    const account = fake.account();
    addBenchUsers(account, users, new Date(now), population);
    if (report === "existing") account.snapshotReport(new Date(now - HOUR));
    else account.reportGenerationPolls = 0;
    fake.latencyMs = latencyMs;
    fake.resetCalls();

    const started = performance.now();
    const result = await auditLive({
      endpointUrl: fake.url,
      credentials: fake.baseCredentials,
      region: "us-east-1",
      reportPollIntervalMs: options.reportPollIntervalMs ?? 100,
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    });
    const wallMs = Math.round(performance.now() - started);
    const findings = { error: 0, warning: 0, info: 0 };
    for (const f of result.findings) findings[f.severity] += 1;
    return {
      users,
      latencyMs,
      report,
      population,
      wallMs,
      findings,
      errors: result.errors.length,
      apiCalls: result.stats.apiCalls,
      totalApiCalls: result.stats.totalApiCalls,
      apiCallsPerUser: Math.round((result.stats.totalApiCalls / users) * 1000) / 1000,
    };
  } finally {
    await fake.close();
  }
}

/** `users` users with a console password and keys, of the `population`'s kinds (see {@link LiveBenchOptions}). */
export function addBenchUsers(
  account: FakeAccount,
  users: number,
  now: Date,
  population: "mixed" | "all-setup" = "mixed",
): void {
  for (let i = 0; i < users; i++) {
    const created = new Date(Date.parse("2020-01-01T00:00:00Z") + i * HOUR);
    const s = (seconds: number): Date => new Date(created.getTime() + seconds * 1000);
    const used = new Date(now.getTime() - 24 * HOUR);
    const kind = population === "all-setup" ? 0 : i % 10;
    const keys =
      kind === 0
        ? [{ created: s(3) }]
        : kind === 1
          ? [{ created: s(3), lastUsed: used }]
          : kind === 2
            ? [{ created: s(3), status: "Inactive" as const }]
            : kind === 3
              ? [{ created: s(86_400) }]
              : i % 2 === 0
                ? [
                    { created: s(86_400), lastUsed: used },
                    { created: s(90 * 86_400), lastUsed: used },
                  ]
                : [{ created: s(7 * 86_400), lastUsed: used }];
    account.addUser({ name: `user-${String(i).padStart(5, "0")}`, created, password: true, keys });
  }
}
