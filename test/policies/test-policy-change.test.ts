/**
 * The test-only policy (KG900, test/support/test-policy.ts) in change mode: without an `isNew` of
 * its own, a finding is new in a change when its resource is (a new block, new instances, or a
 * renamed one that `moved` does not account for). KG001's own rule (both ends of the pair new)
 * does not apply to it. Runs git: e2e tier.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHistory, tf } from "../change/git-history.js";
import { registerTestPolicy } from "../support/test-policy.js";

const passwordPolicy = (name: string, length: number) =>
  `resource "aws_iam_account_password_policy" "${name}" {\n  minimum_password_length = ${length}\n}\n`;

let unregister: () => void;
beforeAll(() => {
  unregister = registerTestPolicy();
});
afterAll(() => unregister());

describe("KG900 with --base and --staged", () => {
  it("reports a password policy added in the change, not one that was there at the base", async () => {
    const repo = GitHistory.create();
    repo.commit("old policy", { "old.tf": passwordPolicy("old", 8) });
    repo.write({ "new.tf": passwordPolicy("new", 8) });
    expect((await repo.keygate([])).flagged).toEqual([
      "aws_iam_account_password_policy.new",
      "aws_iam_account_password_policy.old",
    ]);
    const change = await repo.keygate(["--base", "HEAD"]);
    expect(change).toMatchObject({ code: 0, flagged: ["aws_iam_account_password_policy.new"], errors: [] });
    expect(change.report?.findings[0]).toMatchObject({ ruleId: "KG900", location: { file: "new.tf", line: 1 } });
  });

  it("follows a moved block: a renamed policy is not new", async () => {
    const repo = GitHistory.create();
    repo.commit("policy", { "main.tf": passwordPolicy("a", 8) });
    repo.write({
      "main.tf":
        passwordPolicy("b", 8) + tf.moved("aws_iam_account_password_policy.a", "aws_iam_account_password_policy.b"),
    });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);
  });

  it("judges each policy by its own rule in one run: a key for an old user is not new, a new password policy is", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("ci") });
    repo.stage({ "keys.tf": tf.key("ci", "ci"), "account.tf": passwordPolicy("p", 10) });
    const staged = await repo.keygate(["--staged", "keys.tf", "account.tf"]);
    expect(staged).toMatchObject({ flagged: ["aws_iam_account_password_policy.p"], errors: [] });
  });
});
