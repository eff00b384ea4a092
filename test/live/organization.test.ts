import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditLive, type LiveKeyEvidence } from "../../src/live-audit.js";
import type { LiveProgress } from "../../src/live/index.js";
import { MANAGEMENT_ACCOUNT, startFakeAws, type FakeAws } from "../support/fake-aws.js";
import { liveOptions } from "../support/live.js";
import { at, T0 } from "../support/live-scenario.js";

const evidenceOf = (f: { evidence: unknown }): LiveKeyEvidence => f.evidence as LiveKeyEvidence;

let fake: FakeAws;
beforeEach(async () => {
  fake = await startFakeAws();
  fake.addOrgAccounts(
    { id: MANAGEMENT_ACCOUNT, name: "management" },
    { id: "222222222222", name: "prod" },
    { id: "333333333333", name: "legacy" }, // no audit role
    { id: "444444444444", name: "dev" },
    { id: "555555555555", name: "closed", state: "SUSPENDED" },
  );
  for (const id of [MANAGEMENT_ACCOUNT, "222222222222", "333333333333", "444444444444", "555555555555"]) {
    const acct = fake.account(id);
    if (id !== "333333333333") acct.roles.add("KeygateAudit");
    acct.addUser({ name: `setup-${id.slice(0, 1)}`, created: T0, password: true, keys: [{ created: at(4) }] });
    acct.snapshotReport();
  }
});
afterEach(async () => {
  await fake.close();
});

describe("auditLive over an organization", () => {
  it("audits every active account through the role; one that cannot be assumed is an error and the others finish", async () => {
    fake.pageCap = 2; // ListAccounts over three pages
    const { findings, errors, stats } = await auditLive(liveOptions(fake, { org: true }));
    expect(findings.map((f) => evidenceOf(f).accountId)).toEqual([MANAGEMENT_ACCOUNT, "222222222222", "444444444444"]);
    expect(findings.map((f) => f.location.file)).toEqual([
      `aws://${MANAGEMENT_ACCOUNT}/iam`,
      "aws://222222222222/iam",
      "aws://444444444444/iam",
    ]);
    expect(findings.map((f) => evidenceOf(f).accountName)).toEqual(["management", "prod", "dev"]);
    expect(errors).toEqual([
      {
        file: "aws://333333333333/iam",
        message:
          "account 333333333333 (legacy): cannot assume arn:aws:iam::333333333333:role/KeygateAudit: the role must exist in the account and trust arn:aws:iam::111111111111:user/auditor, which needs sts:AssumeRole on it. AWS said: User: arn:aws:iam::111111111111:user/auditor is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/KeygateAudit",
      },
    ]);
    expect(stats.accounts.map((a) => [a.accountId, a.status])).toEqual([
      [MANAGEMENT_ACCOUNT, "audited"],
      ["222222222222", "audited"],
      ["333333333333", "failed"],
      ["444444444444", "audited"],
      ["555555555555", "skipped"],
    ]);
    expect(stats.accounts.find((a) => a.accountId === "555555555555")?.reason).toBe("state SUSPENDED");
    // The caller's own account is audited with its own credentials; the others through the role.
    expect(fake.callCount("sts:AssumeRole")).toBe(3);
    expect(fake.callCount("organizations:ListAccounts")).toBe(3);
    expect(fake.callsByAccount.get("555555555555")).toBeUndefined();
    expect(stats.apiCalls["sts:GetCallerIdentity"]).toBe(1);
  });

  it("audits the accounts named with --accounts through --role-name", async () => {
    fake.account("222222222222").roles.add("SecurityAuditReadOnly");
    const { findings, errors } = await auditLive(
      liveOptions(fake, { accounts: ["222222222222"], roleName: "SecurityAuditReadOnly" }),
    );
    expect(errors).toEqual([]);
    expect(findings.map((f) => f.resource)).toEqual(["arn:aws:iam::222222222222:user/setup-2"]);
    expect(fake.callCount("organizations:ListAccounts")).toBe(0);
  });

  it("keeps other accounts going when an assumed role lacks an IAM permission", async () => {
    fake.deny("iam:ListUsers", "444444444444");
    const { findings, errors } = await auditLive(liveOptions(fake, { accounts: ["222222222222", "444444444444"] }));
    expect(findings.map((f) => evidenceOf(f).accountId)).toEqual(["222222222222"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.file).toBe("aws://444444444444/iam");
    expect(errors[0]?.message).toMatch(
      /^account 444444444444: access denied: the audit needs the permission iam:ListUsers/,
    );
  });

  it("explains a caller that may not list the organization", async () => {
    fake.deny("organizations:ListAccounts");
    const { findings, errors } = await auditLive(liveOptions(fake, { org: true }));
    expect(findings).toEqual([]);
    expect(errors).toEqual([
      {
        file: "aws://organizations",
        message:
          "cannot list the organization's accounts (run --org from the management account or a delegated administrator): access denied: the audit needs the permission organizations:ListAccounts (read-only; the AWS-managed SecurityAudit policy grants it). AWS said: You don't have permissions to access this resource.",
      },
    ]);
  });

  it("bounds the accounts audited at once", async () => {
    fake.latencyMs = 5;
    const ids = Array.from({ length: 6 }, (_, i) => String(600000000000 + i));
    for (const id of ids) {
      fake.account(id).roles.add("KeygateAudit");
      fake.account(id).snapshotReport();
    }
    fake.resetCalls();
    let mostAuditing = 0;
    const onProgress = (p: LiveProgress) => (mostAuditing = Math.max(mostAuditing, p.accountsAuditing));
    const { errors, stats } = await auditLive(
      liveOptions(fake, { accounts: ids, accountConcurrency: 2, concurrency: 1, onProgress }),
    );
    expect(errors).toEqual([]);
    expect(stats.accounts.filter((a) => a.status === "audited")).toHaveLength(6);
    // Report polls hold no account slot, so more calls than accounts audited can be in flight.
    expect(mostAuditing).toBe(2);
    expect(fake.maxInFlight).toBeLessThanOrEqual(6);
  });

  it("bounds the calls in flight over all accounts with maxCallsInFlight", async () => {
    fake.latencyMs = 5;
    const ids = Array.from({ length: 6 }, (_, i) => String(600000000000 + i));
    for (const id of ids) {
      fake.account(id).roles.add("KeygateAudit");
      for (let u = 0; u < 10; u++)
        fake.account(id).addUser({ name: `u${u}`, created: T0, password: true, keys: [{ created: at(4) }] });
    }
    fake.resetCalls();
    const { errors, findings, stats } = await auditLive(liveOptions(fake, { accounts: ids, maxCallsInFlight: 3 }));
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(60);
    expect(fake.maxInFlight).toBeLessThanOrEqual(3);
    expect(stats.peakCallsInFlight).toBeLessThanOrEqual(3);
  });
});
