import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";
import { GitHistory, tf } from "../change/git-history.js";

// End-to-end (git histories): override files in change mode, against the same files scanned and terraform's plan.
// How override files merge is tested in overrides.test.ts.

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const PLANS = join(import.meta.dirname, "..", "fixtures", "plans");

const key = (name: string, body: string) => `resource "aws_iam_access_key" "${name}" {\n${body}}\n`;

describe("override files: HCL, change-aware and plan modes agree", () => {
  // HCL findings are per block, the plan's per instance.
  const findings = (r: { findings?: { resource: string }[] } | undefined) =>
    (r?.findings ?? []).map((f) => f.resource.replace(/\[.*\]$/, "")).sort();

  it("examples/override-files: the same verdict from the .tf files, from a git change adding the override files, and from terraform's plan", async () => {
    const files = Object.fromEntries(
      ["main.tf", "override.tf", "ci_override.tf"].map((f) => [
        f,
        readFileSync(join(EXAMPLES, "override-files", f), "utf8"),
      ]),
    );
    const hcl = await runCli(["-f", "json", "override-files"], EXAMPLES);
    const plan = await runCli(["-f", "json", "examples/override-files.json"], PLANS);
    // The pull request adds only the override files: before it, main.tf created no new pair ...
    const repo = GitHistory.create();
    repo.commit("base", { "main.tf": files["main.tf"]! });
    expect((await repo.keygate([])).flagged).toEqual(["aws_iam_access_key.ci"]);
    // ... the users and the ci key existed; the override files create the deploy and batch keys with users that existed: no new pair.
    repo.write({ "override.tf": files["override.tf"]!, "ci_override.tf": files["ci_override.tf"]! });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
    // The whole configuration added in one change: the same findings as the plan.
    const fresh = GitHistory.create();
    fresh.commit("start", { "README.md": "infrastructure\n" });
    fresh.write(files);
    const change = await fresh.keygate(["--base", "HEAD"]);
    fresh.git("add", "-A");
    const staged = await fresh.keygate(["--staged"]);

    const expected = ["aws_iam_access_key.batch", "aws_iam_access_key.deploy"];
    expect(findings(JSON.parse(hcl.stdout))).toEqual(expected);
    expect(findings(JSON.parse(plan.stdout))).toEqual(expected);
    expect(findings(change.report)).toEqual(expected);
    expect(findings(staged.report)).toEqual(expected);
    expect([hcl.code, plan.code, change.code, staged.code]).toEqual([1, 1, 1, 1]);
  });

  it("an override file that switches a key on for a user new in the change is a new pair", async () => {
    const repo = GitHistory.create();
    repo.commit("a key switched off", {
      "main.tf": tf.user("old") + key("k", "  count = 0\n  user  = aws_iam_user.old.name\n"),
    });
    repo.write({
      "main.tf": tf.user("old") + tf.user("fresh") + key("k", "  count = 0\n  user  = aws_iam_user.old.name\n"),
      "k_override.tf": key("k", "  count = 1\n  user  = aws_iam_user.fresh.name\n"),
    });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.k"] });
  });
});
