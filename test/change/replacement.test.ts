import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";
import { GitHistory, tf } from "./git-history.js";

/*
 * Replacement is creation (issue 13, point 8): a key whose `user` or `pgp_key` changes is destroyed
 * and created again (the AWS provider marks both ForceNew), so a key pointed at a new user is a key
 * created with its user, although its address existed before.
 */

const SCENARIO = join(import.meta.dirname, "..", "fixtures", "plans", "scenarios", "key-moved-to-new-user");
const PROVIDER = readFileSync(join(SCENARIO, "main.tf"), "utf8").split("# broker_v1")[0]!;
const key = (name: string, body: string) => `resource "aws_iam_access_key" "${name}" {\n${body}}\n`;

describe("replacement is creation: a key whose ForceNew argument changes is a new key", () => {
  it("a key moved to a new user: the same verdict from --base, --staged, the .tf files and terraform's plan", async () => {
    const repo = GitHistory.create();
    repo.commit("broker v1 and its key", {
      "main.tf": PROVIDER + tf.user("broker_v1") + key("broker", "  user = aws_iam_user.broker_v1.name\n"),
    });
    const after = readFileSync(join(SCENARIO, "main.tf"), "utf8");
    repo.write({ "main.tf": after });
    const change = await repo.keygate(["--base", "HEAD"]);
    repo.git("add", "-A");
    const staged = await repo.keygate(["--staged"]);
    const hcl = await repo.keygate([]);
    const plan = await runCli(["-f", "json", "plan.json"], SCENARIO);

    const expected = ["aws_iam_access_key.broker"];
    for (const r of [change, staged, hcl])
      expect({ code: r.code, flagged: r.flagged }).toEqual({ code: 1, flagged: expected });
    expect(JSON.parse(plan.stdout).findings.map((f: { resource: string }) => f.resource)).toEqual(expected);
    // The finding names the new user, and says why the key counts as new.
    expect(JSON.stringify(change.report!.findings[0]!.related)).toContain("aws_iam_user.broker_v2");
    // Terraform's own plan: the key is replaced because `user` cannot be updated.
    const planned = JSON.parse(readFileSync(join(SCENARIO, "plan.json"), "utf8")) as {
      resource_changes: {
        address: string;
        action_reason?: string;
        change: { actions: string[]; replace_paths?: string[][] };
      }[];
    };
    expect(planned.resource_changes.find((c) => c.address === "aws_iam_access_key.broker")).toMatchObject({
      action_reason: "replace_because_cannot_update",
      change: { actions: ["delete", "create"], replace_paths: [["user"]] },
    });
  });

  it("a key moved to another existing user, or given a pgp_key, is replaced for a user that exists: no finding", async () => {
    const repo = GitHistory.create();
    repo.commit("two users, one key", { "main.tf": tf.user("a") + tf.user("b") + tf.key("k", "a") });
    repo.write({ "main.tf": tf.user("a") + tf.user("b") + tf.key("k", "b") });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
    repo.write({
      "main.tf": tf.user("a") + tf.user("b") + key("k", '  user    = aws_iam_user.a.name\n  pgp_key = "keybase:ops"\n'),
    });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
  });

  it("a new user beside a key whose pgp_key changes: a finding only when the key is the new user's", async () => {
    const repo = GitHistory.create();
    repo.commit("a user and its key", { "main.tf": tf.user("a") + tf.key("k", "a") });
    // pgp_key changed and a new user added, but the key is still a's: a's key is replaced, no new pair.
    repo.write({
      "main.tf": tf.user("a") + tf.user("b") + key("k", '  user    = aws_iam_user.a.name\n  pgp_key = "keybase:ops"\n'),
    });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
  });

  it("the same user name through a renamed block (no moved block) replaces nothing: the key's user value is the same", async () => {
    const repo = GitHistory.create();
    repo.commit("user and key", {
      "main.tf": `resource "aws_iam_user" "old" {\n  name = "ci-bot"\n}\n` + tf.key("k", "old"),
    });
    repo.write({ "main.tf": `resource "aws_iam_user" "renamed" {\n  name = "ci-bot"\n}\n` + tf.key("k", "renamed") });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
  });

  it("for_each users: a new user instance does not replace the key of another instance", async () => {
    const repo = GitHistory.create();
    const config = (names: string[]) =>
      `locals {\n  names = toset(${JSON.stringify(names)})\n}\nresource "aws_iam_user" "u" {\n  for_each = local.names\n  name     = each.key\n}\n` +
      key("alice", '  user = aws_iam_user.u["alice"].name\n');
    repo.commit("alice", { "main.tf": config(["alice"]) });
    repo.write({ "main.tf": config(["alice", "bob"]) });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
  });
});
