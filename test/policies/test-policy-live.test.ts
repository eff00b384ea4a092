/**
 * The test-only policy KG900 (test/support/test-policy.ts) checks live accounts through the same
 * seam as KG001: its account check reads the account's password policy from the facts the audit
 * gathers, and `keygate live` reports it with KG001's findings from ONE audit, without any edit to
 * src/live/ or to the command. With KG001 switched off, live reports no KG001 finding and makes
 * none of KG001's calls. (A saved report: test/policies/test-policy.test.ts.)
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLive } from "../../src/live-audit.js";
import { MANAGEMENT_ACCOUNT, startFakeAws, type FakeAws } from "../support/fake-aws.js";
import { liveOptions } from "../support/live.js";
import { at, T0 } from "../support/live-scenario.js";
import { runCli, writeTree } from "../support/scan-fixture.js";
import { registerTestPolicy, TEST_POLICY_ID } from "../support/test-policy.js";

const saved = { ...process.env };
let unregister: () => void;
let fake: FakeAws;

beforeAll(() => {
  unregister = registerTestPolicy();
});
afterAll(() => unregister());
beforeEach(async () => {
  fake = await startFakeAws();
  const account = fake.account();
  // alice got an active key 4 s after she was created, never used: KG001's exact case.
  account.addUser({ name: "alice", created: T0, password: true, keys: [{ created: at(4) }] });
  account.addUser({ name: "bob", created: T0, password: true, keys: [] });
  account.passwordPolicy = { MinimumPasswordLength: 8, RequireSymbols: true };
  account.snapshotReport();
  // The CLI takes its credentials from the SDK's default chain.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: fake.baseCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: fake.baseCredentials.secretAccessKey,
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  });
});
afterEach(async () => {
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
  Object.assign(process.env, saved);
  await fake.close();
});

interface JsonFinding {
  ruleId: string;
  resource: string;
  severity: string;
  source: string;
  location: { file: string; line: number };
  message: string;
}

async function live(config: object | undefined, ...args: string[]) {
  const root = await writeTree({
    ".aws/config": "",
    ...(config ? { ".keygate.json": JSON.stringify(config) } : {}),
  });
  const { code, stdout, stderr } = await runCli(["live", "--endpoint-url", fake.url, ...args], root, {
    HOME: root,
  });
  return { code, stdout, stderr };
}

const KG900_MESSAGE = `Password policy of account ${MANAGEMENT_ACCOUNT} (aws://${MANAGEMENT_ACCOUNT}/iam:1:1) allows passwords shorter than 14 characters (MinimumPasswordLength = 8), so they are guessed and cracked sooner.`;

describe("keygate live with a second policy that checks accounts", () => {
  it("reports both policies' findings from one audit: one report, one ListUsers, each call once", async () => {
    const { code, stdout, stderr } = await live(undefined, "-f", "json", "--progress", "none");
    expect(stderr).toBe("");
    const findings = (JSON.parse(stdout) as { findings: JsonFinding[] }).findings;
    expect(findings.map((f) => [f.ruleId, f.resource, f.severity, f.source, f.location.file])).toEqual([
      ["KG001", `arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/alice`, "error", "live", `aws://${MANAGEMENT_ACCOUNT}/iam`],
      [
        TEST_POLICY_ID,
        `arn:aws:iam::${MANAGEMENT_ACCOUNT}:account-password-policy`,
        "warning",
        "live",
        `aws://${MANAGEMENT_ACCOUNT}/iam`,
      ],
    ]);
    expect(findings[1]!.message).toBe(KG900_MESSAGE);
    expect(code).toBe(1);
    expect(Object.fromEntries(fake.calls)).toEqual({
      "iam:GenerateCredentialReport": 1,
      "iam:GetCredentialReport": 1,
      "iam:ListUsers": 1,
      "iam:ListAccessKeys": 1,
      "iam:GetAccessKeyLastUsed": 1,
      "iam:GetAccountPasswordPolicy": 1,
    });
  });

  it("with KG001 off: only the test policy's finding, and none of KG001's calls", async () => {
    const { code, stdout, stderr } = await live({ policies: { KG001: "off" } }, "-f", "compact");
    expect(stderr).toBe("");
    expect(stdout.split("\n")[0]).toBe(
      `aws://${MANAGEMENT_ACCOUNT}/iam:1:1: warning Password policy of account ${MANAGEMENT_ACCOUNT} allows passwords shorter than 14 characters (MinimumPasswordLength = 8). [${TEST_POLICY_ID}]`,
    );
    expect(code).toBe(0); // a warning, below the default --fail-on
    expect(fake.callCount("iam:GetAccountPasswordPolicy")).toBe(1);
    expect(fake.callCount("iam:ListAccessKeys")).toBe(0);
    expect(fake.callCount("iam:GetAccessKeyLastUsed")).toBe(0);
  });

  it("with the test policy off: KG001 alone, and the password policy is never asked for", async () => {
    const { code, stdout } = await live({ policies: { [TEST_POLICY_ID]: "off" } }, "-f", "json");
    expect((JSON.parse(stdout) as { findings: JsonFinding[] }).findings.map((f) => f.ruleId)).toEqual(["KG001"]);
    expect(code).toBe(1);
    expect(fake.callCount("iam:GetAccountPasswordPolicy")).toBe(0);
  });

  it("an account without a password policy (IAM's NoSuchEntity) has IAM's default, 8: a finding", async () => {
    fake.account().passwordPolicy = undefined;
    const { stdout } = await live({ policies: { KG001: "off" } }, "-f", "compact");
    expect(stdout).toContain("(no password policy: IAM's default, 8). [KG900]");
  });

  it("a password policy of 14 characters or more: nothing", async () => {
    fake.account().passwordPolicy = { MinimumPasswordLength: 14 };
    const { code, stdout } = await live({ policies: { KG001: "off" } }, "-f", "json");
    expect((JSON.parse(stdout) as { findings: JsonFinding[] }).findings).toEqual([]);
    expect(code).toBe(0);
  });

  it("its findings are accepted by a baseline like any other", async () => {
    const root = await writeTree({
      ".aws/config": "",
      ".keygate.json": JSON.stringify({ policies: { KG001: "off" } }),
    });
    const cli = (...args: string[]) => runCli(["live", "--endpoint-url", fake.url, ...args], root, { HOME: root });
    expect((await cli("--write-baseline", "baseline.json")).code).toBe(0);
    const again = await cli("--baseline", "baseline.json", "-f", "json");
    const report = JSON.parse(again.stdout) as { findings: { ruleId: string; baselined?: unknown }[] };
    expect(report.findings.map((f) => f.ruleId)).toEqual([TEST_POLICY_ID]);
    expect(again.code).toBe(0);
  });

  it("an account whose password policy cannot be read fails alone, with the reason", async () => {
    fake.deny("iam:GetAccountPasswordPolicy");
    const { code, stdout } = await live(undefined, "-f", "json");
    const report = JSON.parse(stdout) as { findings: JsonFinding[]; errors: { message: string }[] };
    expect(report.findings.map((f) => f.ruleId)).toEqual(["KG001"]);
    expect(report.errors.map((e) => e.message)).toEqual([
      expect.stringContaining(
        "access denied: the audit needs the permission iam:GetAccountPasswordPolicy",
      ) as unknown as string,
    ]);
    expect(code).toBe(2);
  });

  it("the library's auditLive runs every registered account check, in one audit", async () => {
    const { findings, stats } = await auditLive(liveOptions(fake));
    expect(findings.map((f) => f.ruleId)).toEqual(["KG001", TEST_POLICY_ID]);
    expect(stats.apiCalls["iam:ListUsers"]).toBe(1);
    expect(stats.apiCalls["iam:GetAccountPasswordPolicy"]).toBe(1);
  });
});
