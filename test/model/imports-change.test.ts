import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";
import { GitHistory, tf } from "../change/git-history.js";

// End-to-end (git histories): import blocks in change mode, against the same files scanned and terraform's plan.
// What an import block means is tested in imports.test.ts.

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const PLANS = join(import.meta.dirname, "..", "fixtures", "plans");

describe("import blocks: HCL, change-aware and plan modes agree", () => {
  const findings = (r: { findings?: { resource: string }[] } | undefined) =>
    (r?.findings ?? []).map((f) => f.resource.replace(/\[.*\]$/, "")).sort();

  it("examples/imported-user: the same verdict from the .tf files, from a git change adding them, and from terraform's plan", async () => {
    const text = readFileSync(join(EXAMPLES, "imported-user", "main.tf"), "utf8");
    // HCL
    const hcl = await runCli(["-f", "json", "imported-user"], EXAMPLES);
    // plan (made by terraform 1.11 from the same folder: test/fixtures/plans/examples/imported-user.json)
    const plan = await runCli(["-f", "json", "examples/imported-user.json"], PLANS);
    // change mode: the configuration added in one pull request
    const repo = GitHistory.create();
    repo.commit("start", { "README.md": "infrastructure\n" });
    repo.write({ "main.tf": text });
    const change = await repo.keygate(["--base", "HEAD"]);
    repo.git("add", "-A");
    const staged = await repo.keygate(["--staged"]);

    const expected = ["aws_iam_access_key.batch_v2"];
    expect(findings(JSON.parse(hcl.stdout))).toEqual(expected);
    expect(findings(JSON.parse(plan.stdout))).toEqual(expected);
    expect(findings(change.report)).toEqual(expected);
    expect(findings(staged.report)).toEqual(expected);
    for (const r of [hcl, plan]) expect(r.code).toBe(1);
    expect(change.code).toBe(1);
  });

  it("the plan really imports the users: no-op or update with `importing`, never create", () => {
    const plan = JSON.parse(readFileSync(join(PLANS, "examples", "imported-user.json"), "utf8")) as {
      resource_changes: { address: string; change: { actions: string[]; importing?: unknown } }[];
    };
    const users = plan.resource_changes.filter((c) => c.address.startsWith("aws_iam_user."));
    expect(
      users
        .filter((c) => c.change.importing)
        .map((c) => c.address)
        .sort(),
    ).toEqual(["aws_iam_user.legacy_batch", 'aws_iam_user.operator["ops-alice"]', 'aws_iam_user.operator["ops-bob"]']);
    for (const c of users.filter((u) => u.change.importing)) expect(c.change.actions).not.toContain("create");
  });

  it("removing the import block later changes nothing: the user is already there", async () => {
    const repo = GitHistory.create();
    const importBlock = `import {\n  to = aws_iam_user.legacy\n  id = "legacy-bot"\n}\n`;
    repo.commit("adopt", { "main.tf": importBlock + tf.user("legacy") + tf.key("legacy", "legacy") });
    repo.write({ "main.tf": tf.user("legacy") + tf.key("legacy", "legacy") });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
  });
});
