/**
 * The live audit of an organization, for `scripts/bench` (not a timed unit test): the fake
 * endpoint in this process, the built CLI (`keygate live --org`, through a checkout's
 * scripts/bench/measure.mjs) in a child process, so that its CPU time and peak RSS are its own
 * and an older checkout can be measured side by side with the same fake.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { MANAGEMENT_ACCOUNT, startFakeAws } from "./fake-aws.js";
import { addBenchUsers } from "./live-bench.js";

export interface OrgBenchOptions {
  /** The checkout whose build is measured (its `scripts/bench/measure.mjs` and `dist/`). */
  checkout: string;
  accounts: number;
  usersPerAccount: number;
  /** Latency added to every call, in ms (default 5). */
  latencyMs?: number;
  /** Reports: `generated` during the run (none exists; IAM answers STARTED, INPROGRESS, COMPLETE) or `existing` (an hour old). */
  report?: "generated" | "existing";
  /** One account whose audit role cannot be assumed and one whose report never becomes ready. */
  faulty?: boolean;
  /** Share of calls answered with `Throttling` (seeded, reproducible). */
  throttleRate?: number;
  /** Extra `keygate live` arguments (the new options; an older checkout may not know them). */
  args?: string[];
}

export interface OrgBenchResult {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  exitCode: number;
  users: number;
  findings: number;
  errors: number;
  totalApiCalls: number;
  apiCallsPerUser: number;
  /** The most calls the endpoint served at once. */
  maxInFlight: number;
  /** Calls the endpoint answered with `Throttling`. */
  throttled: number;
  /** The first few input errors of the report (from checkouts whose measure.mjs gives them). */
  firstErrors: string[];
  stderr: string;
}

const HOUR = 3_600_000;

export async function benchLiveOrganization(o: OrgBenchOptions): Promise<OrgBenchResult> {
  const fake = await startFakeAws();
  try {
    const now = new Date(Date.parse("2025-01-01T00:00:00Z"));
    fake.clock = () => now;
    const single = o.accounts === 1;
    const ids = Array.from({ length: o.accounts }, (_, i) => (i === 0 ? MANAGEMENT_ACCOUNT : String(200000000000 + i)));
    if (!single) fake.addOrgAccounts(...ids.map((id, i) => ({ id, name: `account-${i}` })));
    ids.forEach((id, i) => {
      const account = fake.account(id);
      account.roles.add("KeygateAudit");
      addBenchUsers(account, o.usersPerAccount, now);
      if (o.report === "existing") account.snapshotReport(new Date(now.getTime() - HOUR));
      if (o.faulty && i === ids.length - 1) account.reportGenerationPolls = Infinity;
      if (o.faulty && i === ids.length - 2) account.roles.delete("KeygateAudit");
    });
    fake.latencyMs = o.latencyMs ?? 5;
    if (o.throttleRate) fake.setThrottling({ rate: o.throttleRate, seed: 19 });
    fake.resetCalls();

    const args = ["live", ...(single ? [] : ["--org"]), "--endpoint-url", fake.url, "-f", "json", ...(o.args ?? [])];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: fake.baseCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: fake.baseCredentials.secretAccessKey,
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: "/nonexistent/keygate-bench/config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/keygate-bench/credentials",
    };
    const started = performance.now();
    const child = spawn(process.execPath, [join(o.checkout, "scripts/bench/measure.mjs"), ...args], {
      cwd: o.checkout,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const wallMs = performance.now() - started;
    const last = stdout.trim().split("\n").at(-1) ?? "";
    let usage: {
      cpuMs: number;
      peakRssMb: number;
      exitCode: number;
      summary: { findings?: number; errors?: number };
      errors?: string[];
    };
    try {
      usage = JSON.parse(last) as typeof usage;
    } catch {
      throw new Error(`keygate ${args.join(" ")} did not finish (status ${status}):\n${stderr.slice(-4000)}`);
    }
    const users = o.accounts * o.usersPerAccount;
    const totalApiCalls = fake.callCount();
    return {
      wallMs,
      cpuMs: usage.cpuMs,
      peakRssMb: usage.peakRssMb,
      exitCode: usage.exitCode,
      users,
      findings: usage.summary.findings ?? 0,
      errors: usage.summary.errors ?? 0,
      totalApiCalls,
      apiCallsPerUser: totalApiCalls / users,
      maxInFlight: fake.maxInFlight,
      throttled: fake.throttled,
      firstErrors: usage.errors ?? [],
      stderr,
    };
  } finally {
    await fake.close();
  }
}
