/** What `keygate live` prints on stderr while it runs, with and without a terminal. */
import { describe, expect, it } from "vitest";
import type { CliIO } from "../../src/commands/io.js";
import { describeProgress, liveProgressDisplay } from "../../src/commands/live-progress.js";
import type { LiveAuditStats, LiveProgress } from "../../src/live/index.js";

function io(stderrIsTTY: boolean): CliIO & { err: string } {
  const out = {
    err: "",
    stdout: () => {},
    stderr: (t: string) => (out.err += t),
    cwd: "/",
    env: {},
    stdoutIsTTY: false,
    stderrIsTTY,
    today: "2025-01-01",
    readStdin: async () => new Uint8Array(),
  };
  return out;
}

const waiting: LiveProgress = {
  phase: "auditing",
  accountsDone: 37,
  accountsFailed: 1,
  accounts: 100,
  waitingForReport: ["200000000001", "200000000002", "200000000003", "200000000004", "200000000005"],
  accountsAuditing: 4,
  usersDone: 12_000,
  users: 40_000,
  throttledCalls: 3,
};

const stats = (throttledCalls: number): LiveAuditStats => ({
  accounts: [],
  users: 100,
  usersInScope: 100,
  accessKeys: 40,
  apiCalls: {},
  totalApiCalls: 63,
  apiCallsPerUser: 0.63,
  throttledRetries: throttledCalls,
  throttledCalls,
  peakCallsInFlight: 8,
  durationMs: 1_200,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("live progress", () => {
  it("names the phase, the accounts done, failed and auditing, and which accounts wait for a report", () => {
    expect(describeProgress(waiting)).toBe(
      "keygate live: auditing, 37/100 accounts done (1 failed), 4 auditing, 5 waiting for a credential report (200000000001, 200000000002, 200000000003, +2), 12000/40000 users audited, 3 calls throttled",
    );
    expect(
      describeProgress({
        ...waiting,
        accounts: 1,
        accountsDone: 0,
        accountsFailed: 0,
        accountsAuditing: 0,
        phase: "waiting for reports",
        waitingForReport: ["this account"],
        users: 0,
        usersDone: 0,
        throttledCalls: 0,
      }),
    ).toBe("keygate live: waiting for reports, waiting for the credential report");
  });

  it("prints a line every interval without a terminal, then the summary with the throttled calls", async () => {
    const err = io(false);
    const display = liveProgressDisplay(err, "auto", 20);
    display.onProgress(waiting);
    await sleep(120);
    display.finish(stats(3));
    const lines = err.err.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines.slice(0, -1))
      expect(line).toMatch(/^keygate live: auditing, 37\/100 accounts done \(1 failed\), .* \[\d+ s\]$/);
    expect(lines.at(-1)).toBe("keygate live: 100 users, 63 calls (3 throttled, each slowing its account down), 1 s");
    expect(err.err).not.toContain("\r");
  });

  it("prints nothing for a short run without a terminal, and nothing at all with --progress none", async () => {
    const quiet = io(false);
    const display = liveProgressDisplay(quiet, "auto", 10_000);
    display.onProgress(waiting);
    display.finish(stats(0));
    expect(quiet.err).toBe("");
    const none = io(true);
    const off = liveProgressDisplay(none, "none", 20);
    off.onProgress(waiting);
    await sleep(60);
    off.finish(stats(3));
    expect(none.err).toBe("");
  });

  it("redraws one line on a terminal and leaves the summary", () => {
    const tty = io(true);
    const display = liveProgressDisplay(tty, "auto");
    display.onProgress(waiting);
    display.finish(stats(0));
    expect(tty.err).toMatch(
      // eslint-disable-next-line no-control-regex -- a terminal's escape sequences
      /^\r\x1b\[2Kkeygate live: auditing, .*\r\x1b\[2Kkeygate live: 100 users, 63 calls \(none throttled\), 1 s\n$/,
    );
  });
});
