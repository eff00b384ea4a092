import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";
import { cloneWithFeatureBranch, GitHistory, tf } from "./git-history.js";

/**
 * Hook = gate: `--staged` compares the index with the point where the branch left the default
 * branch, so a user committed on a feature branch and its key staged later are refused by the hook
 * exactly as the pull-request gate (`--base` = the base commit) refuses the branch.
 */
describe("--staged: the base is where the branch left the default branch", () => {
  it("a user committed on the branch and its key staged later: refused, as the pull-request gate refuses it", async () => {
    const { clone } = cloneWithFeatureBranch();
    clone.commit("user", { "ops.tf": tf.user("ops") });
    clone.stage({ "ops-key.tf": tf.key("ops", "ops") });
    const hook = await clone.keygate(["--staged"]);
    const gate = await clone.keygate(["--base", clone.git("merge-base", "HEAD", "origin/main").trim()]);
    expect(hook).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.ops"] });
    expect(gate.flagged).toEqual(hook.flagged);
    // A key for a user that was on the default branch already stays fine.
    clone.stage({ "old-key.tf": tf.key("old", "old") });
    expect((await clone.keygate(["--staged"])).flagged).toEqual(["aws_iam_access_key.ops"]);
  });

  it("the text output names the base used", async () => {
    const { clone } = cloneWithFeatureBranch();
    clone.commit("user", { "ops.tf": tf.user("ops") });
    clone.stage({ "ops-key.tf": tf.key("ops", "ops") });
    const base = clone.git("merge-base", "HEAD", "origin/main").trim().slice(0, 7);
    const { stdout } = await runCli(["--staged", "--no-color"], clone.dir, { ...process.env });
    expect(stdout).toContain(`Compared with the merge base of HEAD and origin/main (${base}).`);
    const explicit = await runCli(["--staged", "--base", "HEAD", "--no-color"], clone.dir, { ...process.env });
    expect(explicit.stdout).toContain(`Compared with HEAD (${clone.git("rev-parse", "--short=7", "HEAD").trim()}).`);
    expect(explicit.code).toBe(0);
    // The JSON report says it too (schemas/report.schema.json "base"), with the full commit id.
    const json = await clone.keygate(["--staged"]);
    expect(json.report).toMatchObject({
      base: {
        commit: clone.git("merge-base", "HEAD", "origin/main").trim(),
        description: `the merge base of HEAD and origin/main (${base})`,
      },
    });
    // A full scan has no base.
    expect((await clone.keygate([])).report).not.toHaveProperty("base");
  });

  it("on the default branch itself, and without a remote default branch, it compares with HEAD as before", async () => {
    const { clone } = cloneWithFeatureBranch();
    clone.git("checkout", "-q", "-b", "main", "origin/main");
    clone.commit("user on main", { "ops.tf": tf.user("ops") });
    clone.stage({ "ops-key.tf": tf.key("ops", "ops") });
    expect(await clone.keygate(["--staged"])).toMatchObject({ code: 0, flagged: [] });

    const alone = GitHistory.create();
    alone.commit("user", { "main.tf": tf.user("a") });
    alone.git("checkout", "-q", "-b", "feature");
    alone.stage({ "keys.tf": tf.key("a", "a") });
    expect(await alone.keygate(["--staged"])).toMatchObject({ code: 0, flagged: [] });
  });

  it("baseBranch in .keygate.json names the default branch; an unknown one is exit 2", async () => {
    const repo = GitHistory.create();
    repo.commit("start", { "README.md": "x\n" });
    repo.git("branch", "trunk");
    repo.git("checkout", "-q", "-b", "feature");
    repo.commit("user", { "main.tf": tf.user("a") });
    repo.stage({ "keys.tf": tf.key("a", "a") });
    expect((await repo.keygate(["--staged"])).flagged).toEqual([]);
    repo.write({ ".keygate.json": JSON.stringify({ baseBranch: "trunk" }) });
    expect(await repo.keygate(["--staged"])).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.a"] });
    repo.write({ ".keygate.json": JSON.stringify({ baseBranch: "nope" }) });
    const bad = await repo.keygate(["--staged"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/baseBranch "nope" \(\.keygate\.json\): unknown revision/);
  });

  it("--staged --base REF compares the index with REF", async () => {
    const repo = GitHistory.create();
    const first = repo.commit("start", { "README.md": "x\n" });
    repo.commit("user", { "main.tf": tf.user("a") });
    repo.stage({ "keys.tf": tf.key("a", "a") });
    expect((await repo.keygate(["--staged", "--base", first])).flagged).toEqual(["aws_iam_access_key.a"]);
    expect((await repo.keygate(["--staged", "--base", "HEAD"])).flagged).toEqual([]);
  });
});
