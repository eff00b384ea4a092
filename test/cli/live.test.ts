import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAws, type FakeAws } from "../support/fake-aws.js";
import { addTableScenario, casesByUser, TABLE_EXPECTATIONS } from "../support/live-scenario.js";
import { writeTree } from "../support/scan-fixture.js";
import { checkPrintedReport } from "../support/report-schemas.js";

/** `keygate live` end to end: the built bin, run as a user runs it, against the local IAM endpoint. */
const BIN = join(import.meta.dirname, "..", "..", "dist", "bin.js");
const run = promisify(execFile);

let fake: FakeAws;
beforeAll(async () => {
  fake = await startFakeAws();
  fake.clock = () => new Date("2024-07-01T08:00:00Z");
  addTableScenario(fake.account());
  fake.account().snapshotReport();
});
afterAll(async () => {
  await fake.close();
});

async function keygate(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = await writeTree({ ".aws/config": "" });
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_ACCESS_KEY_ID: fake.baseCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: fake.baseCredentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        ...env,
      },
      cwd: home,
      timeout: 60_000,
    });
    checkPrintedReport(stdout);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    checkPrintedReport(e.stdout);
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("keygate live", () => {
  it("audits the account and reports every case of the table, exit 1", async () => {
    const { code, stdout, stderr } = await keygate(["live", "--endpoint-url", fake.url, "-f", "json"]);
    expect(stderr).toBe("");
    const report = JSON.parse(stdout) as {
      findings: { source: string; evidence: unknown; message: string }[];
      errors: unknown[];
    };
    expect(report.errors).toEqual([]);
    expect(casesByUser(report.findings)).toEqual(TABLE_EXPECTATIONS);
    expect(report.findings.every((f) => f.source === "live")).toBe(true);
    expect(report.findings.map((f) => f.message).join("\n")).toContain("exactly the case the CIS control names");
    expect(code).toBe(1);
  });

  it("prints no AWS SDK notice about the Node.js version: keygate sets the SDK's switch itself", async () => {
    const { code, stderr } = await keygate(["live", "--endpoint-url", fake.url, "-f", "json"], {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
    });
    expect(stderr).not.toContain("NodeVersionSupportWarning");
    expect(stderr).toBe("");
    expect(code).toBe(1);
  });

  it("prints the remediation commands in the text report", async () => {
    const { code, stdout } = await keygate(["live", "--endpoint-url", fake.url, "--fail-on", "never"]);
    expect(code).toBe(0);
    // The text report wraps to 80 columns (issue 16): the words, whatever the line breaks.
    expect(stdout.replace(/\s+/g, " ")).toMatch(
      /fix: aws iam update-access-key --user-name setup-unused --access-key-id \S+ --status Inactive && aws iam delete-access-key/,
    );
  });

  it("audits a saved credential report offline", async () => {
    const dir = await writeTree({});
    const report = join(dir, "report.csv");
    await writeFile(report, fake.account().renderCredentialReport());
    const { code, stdout } = await keygate(["live", "--credential-report", report, "-f", "json"], {
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
    });
    const parsed = JSON.parse(stdout) as {
      findings: { location: { file: string; line: number } }[];
      errors: unknown[];
    };
    expect(parsed.errors).toEqual([]);
    expect(parsed.findings.length).toBeGreaterThan(0);
    expect(parsed.findings.every((f) => f.location.line > 1)).toBe(true);
    expect(code).toBe(1);
  });

  it("says what is wrong with a malformed report, with its line, exit 2", async () => {
    const dir = await writeTree({ "report.csv": "user,arn\nalice,arn:aws:iam::111111111111:user/alice\n" });
    const { code, stdout } = await keygate(["live", "--credential-report", join(dir, "report.csv"), "-f", "json"]);
    const parsed = JSON.parse(stdout) as { errors: { line?: number; message: string }[] };
    expect(parsed.errors[0]?.line).toBe(1);
    expect(code).toBe(2);
  });

  it("fails fast with a clear message on an unreachable endpoint, exit 2", async () => {
    const started = Date.now();
    const { code, stdout } = await keygate(["live", "--endpoint-url", "http://127.0.0.1:9", "-f", "json"]);
    expect(Date.now() - started).toBeLessThan(20_000);
    const parsed = JSON.parse(stdout) as { errors: { message: string }[] };
    expect(parsed.errors[0]?.message).toMatch(/reach|connect/i);
    expect(code).toBe(2);
  });

  it("refuses bad values of the organization options before any AWS call, exit 2", async () => {
    const before = fake.callCount();
    for (const [option, value, message] of [
      ["--report-timeout", "0", "--report-timeout takes a number of seconds greater than 0"],
      ["--account-concurrency", "0", "--account-concurrency takes a whole number of 1 or more"],
      ["--max-calls-in-flight", "1.5", "--max-calls-in-flight takes a whole number of 1 or more"],
      ["--progress", "verbose", "--progress verbose: not a valid value"],
    ] as const) {
      const { code, stdout, stderr } = await keygate(["live", "--endpoint-url", fake.url, option, value]);
      expect(stderr).toContain(message);
      expect(stdout).toBe("");
      expect(code).toBe(2);
    }
    expect(fake.callCount()).toBe(before);
  });

  it("takes the organization options, and stays silent on stderr with --progress none", async () => {
    const { code, stderr } = await keygate([
      "live",
      "--endpoint-url",
      fake.url,
      "--report-timeout",
      "30",
      "--account-concurrency",
      "2",
      "--max-calls-in-flight",
      "4",
      "--progress",
      "none",
      "-f",
      "json",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
  });

  it("refuses options that cannot go together, exit 2", async () => {
    const { code, stderr } = await keygate(["live", "--org", "--accounts", "111111111111"]);
    // Each option once, in keygate's words (issue 16; yargs said "Arguments org and accounts are mutually exclusive").
    expect(stderr).toBe(
      "keygate: --org and --accounts cannot be used together\nRun `keygate live --help` for usage.\n",
    );
    expect(code).toBe(2);
  });
});
