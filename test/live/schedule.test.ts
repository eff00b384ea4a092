/**
 * The schedule of an organization's audit: reports requested first and awaited outside the account
 * slots, a report timeout that ends one account only, throttling that lowers an account's rate,
 * and the new options' validation. No wall-clock assertions: order of events only.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditLive } from "../../src/live-audit.js";
import { LiveUsageError, type AccountStats } from "../../src/live/index.js";
import { AccountRate } from "../../src/live/rate.js";
import { MANAGEMENT_ACCOUNT, startFakeAws, type FakeAws } from "../support/fake-aws.js";
import { liveOptions } from "../support/live.js";
import { at, T0 } from "../support/live-scenario.js";

const STUCK = "200000000001";
const HEALTHY = ["200000000002", "200000000003", "200000000004", "200000000005"];

let fake: FakeAws;
beforeEach(async () => {
  fake = await startFakeAws();
});
afterEach(async () => {
  await fake.close();
});

function organization(): void {
  fake.addOrgAccounts({ id: STUCK, name: "stuck" }, ...HEALTHY.map((id, i) => ({ id, name: `healthy-${i}` })));
  for (const id of [STUCK, ...HEALTHY]) {
    const account = fake.account(id);
    account.roles.add("KeygateAudit");
    for (let u = 0; u < 5; u++)
      account.addUser({ name: `u${u}`, created: T0, password: true, keys: [{ created: at(3) }] });
  }
  fake.account(STUCK).reportGenerationPolls = Infinity;
}

describe("the organization's schedule", () => {
  it("requests every account's report before auditing any user", async () => {
    organization();
    fake.account(STUCK).reportGenerationPolls = 1;
    const order: string[] = [];
    fake.onCall = (action, account) => {
      if (
        account &&
        account !== MANAGEMENT_ACCOUNT &&
        (action === "iam:GenerateCredentialReport" || action === "iam:ListUsers")
      )
        order.push(`${action} ${account}`);
    };
    const { errors, findings } = await auditLive(liveOptions(fake, { org: true, accountConcurrency: 1 }));
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(25);
    const firstListUsers = order.findIndex((o) => o.startsWith("iam:ListUsers"));
    for (const id of [STUCK, ...HEALTHY])
      expect(order.indexOf(`iam:GenerateCredentialReport ${id}`)).toBeLessThan(firstListUsers);
  });

  it("audits the healthy accounts while a stuck report waits, tells which account it waits for, and ends only the stuck account at its report timeout", async () => {
    organization();
    const done: AccountStats[] = [];
    const waits: string[][] = [];
    const phases = new Set<string>();
    // One account slot: were the stuck account's wait holding it, nothing else could finish first.
    // The timeout is generous so that the healthy accounts finish first even on a loaded machine.
    const { errors, findings, stats } = await auditLive(
      liveOptions(fake, {
        org: true,
        accountConcurrency: 1,
        reportPollIntervalMs: 50,
        reportTimeoutMs: 15_000,
        onAccountDone: (a) => done.push(a),
        onProgress: (p) => {
          phases.add(p.phase);
          if (p.phase === "waiting for reports") waits.push(p.waitingForReport);
        },
      }),
    );
    expect(done.map((a) => a.accountId)).toEqual([...done.slice(0, 4).map((a) => a.accountId), STUCK]);
    expect(done.slice(0, 4).map((a) => a.status)).toEqual(["audited", "audited", "audited", "audited"]);
    expect(findings).toHaveLength(20);
    expect(errors).toEqual([
      {
        file: `aws://${STUCK}/iam`,
        message: `account ${STUCK} (stuck): the credential report was not ready 15 s after it was requested (last state: INPROGRESS); IAM can take a while for large accounts: run again, or allow more time with --report-timeout SECONDS`,
      },
    ]);
    expect(stats.accounts.find((a) => a.accountId === STUCK)).toMatchObject({ status: "failed", users: 0 });
    expect(fake.callsByAccount.get(STUCK)?.get("iam:ListUsers")).toBeUndefined();
    expect(waits.at(-1)).toEqual([STUCK]);
    expect([...phases]).toEqual(
      expect.arrayContaining(["listing accounts", "auditing", "waiting for reports", "done"]),
    );
  }, 60_000);
});

describe("throttling", () => {
  it("lowers the account's calls in flight to one on a burst of throttling, and loses no user", async () => {
    const account = fake.account();
    for (let u = 0; u < 120; u++)
      account.addUser({ name: `u${u}`, created: T0, password: true, keys: [{ created: at(3) }] });
    account.snapshotReport();
    fake.latencyMs = 2;
    // A burst: calls 20 to 44 are all throttled, as IAM does when an account goes over its rate.
    fake.setThrottling({ calls: Array.from({ length: 25 }, (_, i) => 20 + i) });
    const { errors, findings, stats } = await auditLive(liveOptions(fake, { concurrency: 8 }));
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(120);
    expect(stats.throttledCalls).toBe(fake.throttled);
    expect(stats.throttledCalls).toBe(25);
    expect(stats.accounts[0]?.lowestConcurrency).toBe(1);
  });

  it("keeps every user under 30 % random throttling", async () => {
    const account = fake.account();
    for (let u = 0; u < 100; u++)
      account.addUser({ name: `u${u}`, created: T0, password: true, keys: [{ created: at(3) }] });
    account.snapshotReport();
    fake.setThrottling({ rate: 0.3, seed: 7 });
    const { errors, findings, stats } = await auditLive(liveOptions(fake));
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(100);
    expect(stats.throttledCalls).toBe(fake.throttled);
    expect(stats.throttledRetries).toBe(fake.throttled);
  });
});

describe("AccountRate", () => {
  it("halves once per epoch: a throttled call sent before the decrease does not lower it again", async () => {
    const rate = new AccountRate(8, 1, 100);
    const tickets = await Promise.all(Array.from({ length: 8 }, () => rate.acquire()));
    expect(rate.allowed).toBe(8);
    for (const t of tickets.slice(0, 4)) rate.release(t, true);
    expect(rate.allowed).toBe(4);
    expect(rate.throttled).toBe(4);
    rate.release(tickets[4]!, false);
    const fresh = await rate.acquire();
    rate.release(fresh, true);
    expect(rate.allowed).toBe(2);
    for (const t of tickets.slice(5)) rate.release(t, false);
    // Successes add 1/limit each: back up by one per round of successful calls.
    expect(rate.allowed).toBe(3);
    expect(rate.lowestLimit).toBe(2);
  });

  it("spaces calls apart when one call in flight is still throttled, and lets go on success", async () => {
    const rate = new AccountRate(1, 5, 1000);
    rate.release(await rate.acquire(), true);
    rate.release(await rate.acquire(), true); // the second in a row at one call in flight: 5 ms apart
    const t0 = performance.now();
    rate.release(await rate.acquire(), true); // 10 ms apart
    rate.release(await rate.acquire(), false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(4);
    rate.release(await rate.acquire(), false);
    expect(rate.allowed).toBe(1);
    expect(rate.throttled).toBe(3);
  });
});

describe("the new options", () => {
  it.each([
    [{ reportTimeoutMs: 0 }, "--report-timeout must be a number of seconds > 0, got 0"],
    [{ reportTimeoutMs: Number.NaN }, "--report-timeout must be a number of seconds > 0, got NaN"],
    [{ accountConcurrency: 0 }, "--account-concurrency must be a whole number ≥ 1, got 0"],
    [{ maxCallsInFlight: 2.5 }, "--max-calls-in-flight must be a whole number ≥ 1, got 2.5"],
  ])("refuses %o before any AWS call", async (bad, message) => {
    await expect(auditLive(liveOptions(fake, { org: true, ...bad }))).rejects.toThrow(new LiveUsageError(message));
    expect(fake.callCount()).toBe(0);
  });
});
