/**
 * live/ as a facts layer: it hands every user and account to the checks it is given, makes each
 * call a check asks for once per user (or account) whichever checks ask, and counts what it did.
 * The checks here are written for the test; live/ knows no policy.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Finding } from "../../src/findings.js";
import { auditCredentialReport, auditLive, type AccountJudge, type UserFacts } from "../../src/live/index.js";
import { MANAGEMENT_ACCOUNT, startFakeAws, type FakeAws } from "../support/fake-aws.js";
import { liveOptions } from "../support/live.js";
import { addTableScenario } from "../support/live-scenario.js";

let fake: FakeAws;
beforeEach(async () => {
  fake = await startFakeAws();
  fake.clock = () => new Date("2024-07-01T08:00:00Z");
  addTableScenario(fake.account()); // 12 users, one without a password
  fake.account().snapshotReport();
});
afterEach(async () => {
  await fake.close();
});

/** A check that asks for every fact of every user, and says nothing. */
function curious(seen: string[]): AccountJudge {
  return {
    async user(user) {
      await user.passwordEnabled();
      for (const key of (await user.api?.accessKeys()) ?? []) await user.api?.keyLastUsed(key.id);
      seen.push(user.name);
      return { findings: [] };
    },
  };
}

describe("the facts of an account", () => {
  it("are gathered once per user however many checks ask: one audit, one call per fact", async () => {
    const first: string[] = [];
    const second: string[] = [];
    const { stats, findings, errors } = await auditLive(liveOptions(fake), [curious(first), curious(second)]);
    expect(errors).toEqual([]);
    expect(findings).toEqual([]);
    expect(first.sort()).toEqual(second.sort());
    expect(first).toHaveLength(12);
    const keys = [...fake.account().users.values()].reduce((n, u) => n + u.keys.length, 0);
    expect(stats.apiCalls).toEqual({
      "iam:GenerateCredentialReport": 1,
      "iam:GetCredentialReport": 1,
      "iam:ListUsers": 1,
      "iam:ListAccessKeys": 12,
      "iam:GetAccessKeyLastUsed": keys,
    });
    expect(stats.accounts[0]).toMatchObject({ users: 12, usersInScope: 12, usersSettledByReport: 0, accessKeys: keys });
  });

  it("cost no call when no check asks: users out of every scope, settled by the report", async () => {
    const scopeOnly: AccountJudge = { user: () => Promise.resolve({ findings: [] }) };
    const nobody: AccountJudge = { user: () => Promise.resolve(null) };
    const { stats } = await auditLive(liveOptions(fake), [scopeOnly, nobody]);
    expect(Object.keys(stats.apiCalls).sort()).toEqual([
      "iam:GenerateCredentialReport",
      "iam:GetCredentialReport",
      "iam:ListUsers",
    ]);
    expect(stats.accounts[0]).toMatchObject({ usersInScope: 12, usersSettledByReport: 12, accessKeys: 0 });
    const out = await auditLive(liveOptions(fake), [nobody]);
    expect(out.stats.accounts[0]).toMatchObject({ usersInScope: 0, usersSettledByReport: 0 });
  });

  it("hand each account to the account checks once, after its users, with its password policy on demand", async () => {
    fake.account().passwordPolicy = { MinimumPasswordLength: 12, RequireSymbols: true, MaxPasswordAge: 90 };
    const order: string[] = [];
    const judge: AccountJudge = {
      user: () => {
        order.push("user");
        return Promise.resolve(null);
      },
      async account(account) {
        order.push("account");
        const policy = await account.api?.passwordPolicy();
        const again = await account.api?.passwordPolicy();
        expect(again).toBe(policy);
        const finding = { ruleId: "KG999", resource: account.id, location: account.location } as unknown as Finding;
        return { findings: policy?.minimumPasswordLength === 12 && policy.maxPasswordAge === 90 ? [finding] : [] };
      },
    };
    const { findings, stats } = await auditLive(liveOptions(fake), [judge, judge]);
    expect(order.filter((o) => o === "account")).toHaveLength(2);
    expect(order.indexOf("account")).toBe(order.length - 2);
    expect(findings.map((f) => [f.resource, f.location.file])).toEqual([
      [MANAGEMENT_ACCOUNT, `aws://${MANAGEMENT_ACCOUNT}/iam`],
      [MANAGEMENT_ACCOUNT, `aws://${MANAGEMENT_ACCOUNT}/iam`],
    ]);
    // Two checks asked, twice each: one call.
    expect(stats.apiCalls["iam:GetAccountPasswordPolicy"]).toBe(1);
  });

  it("of a saved report are the report's, without AWS's answers, located at the users' lines", async () => {
    const users: UserFacts[] = [];
    const judge: AccountJudge = {
      user: (user, account) => {
        users.push(user);
        expect(account.api).toBeUndefined();
        return Promise.resolve({ findings: [] });
      },
    };
    const csv = fake.account().renderCredentialReport();
    const { stats } = await auditCredentialReport(
      { file: "report.csv", content: new TextEncoder().encode(csv), cwd: "/" },
      [judge],
    );
    expect(users.map((u) => [u.name, u.location.line, u.api])).toEqual(
      [...fake.account().users.keys()].map((name, i) => [name, i + 3, undefined]),
    );
    expect(stats.usersInScope).toBe(12);
  });
});
