import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";
import { GitHistory } from "../change/git-history.js";
import { USERS_FROM, YAML } from "./users-as-data.js";

// End-to-end (git histories): files as data in change mode, against the same files scanned and terraform's plan.
// The functions themselves are tested in files-as-data.test.ts.

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const PLANS = join(import.meta.dirname, "..", "fixtures", "plans");

describe("files as data: HCL, change-aware and plan modes agree", () => {
  const findings = (r: { findings?: { resource: string }[] } | undefined) =>
    (r?.findings ?? []).map((f) => f.resource.replace(/\[.*\]$/, "")).sort();

  /** An example folder: its one finding (resource, instance in the plan) from its files, a change adding them, and terraform's plan. */
  async function sameVerdict(folder: string, names: string[], instance: string): Promise<void> {
    const files = Object.fromEntries(names.map((f) => [f, readFileSync(join(EXAMPLES, folder, f), "utf8")]));
    const hcl = await runCli(["-f", "json", folder], EXAMPLES);
    const plan = await runCli(["-f", "json", `examples/${folder}.json`], PLANS);
    const repo = GitHistory.create();
    repo.commit("start", { "README.md": "infrastructure\n" });
    repo.write(files);
    const change = await repo.keygate(["--base", "HEAD"]);
    repo.git("add", "-A");
    const staged = await repo.keygate(["--staged"]);
    const expected = [instance.replace(/\[.*\]$/, "")];
    for (const r of [JSON.parse(hcl.stdout), JSON.parse(plan.stdout), change.report, staged.report])
      expect(findings(r)).toEqual(expected);
    expect(JSON.parse(plan.stdout).findings[0].resource).toBe(instance);
  }

  it("examples/users-as-data: the same verdict from the files, from a change adding them, and from terraform's plan", async () => {
    await sameVerdict(
      "users-as-data",
      ["main.tf", "users.yaml", "services.json"],
      'aws_iam_access_key.service["metrics-exporter"]',
    );
  });

  it("examples/users-from-files (fileset, templatefile): the same verdict from the files, a change adding them, and terraform's plan", async () => {
    await sameVerdict(
      "users-from-files",
      ["main.tf", "services.yaml.tftpl", "teams/platform.yaml", "teams/data/analysts.yaml", "teams/README.md"],
      'aws_iam_access_key.service["staging-exporter"]',
    );
  });

  it("a change to the data file alone counts: a new user that asks for a key is a new pair, a key for an existing user is not", async () => {
    const repo = GitHistory.create();
    repo.commit("people", {
      "iam/main.tf": USERS_FROM('yamldecode(file("${path.module}/users.yaml")).users'),
      "iam/users.yaml": YAML([["alice", false]]),
    });
    repo.write({ "iam/users.yaml": YAML([["alice", true]]) });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
    repo.write({
      "iam/users.yaml": YAML([
        ["alice", false],
        ["carol", true],
      ]),
    });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.k"] });
    repo.git("add", "-A");
    expect(await repo.keygate(["--staged"])).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.k"] });
  });

  it("a file added where fileset globs (a new subdirectory too) changes the configuration; one elsewhere does not", async () => {
    // Users and keys named by files alone (nothing is read with file()): only the listing says what changed.
    const repo = GitHistory.create();
    repo.commit("people", {
      "stacks/iam/main.tf": `locals {\n  people = "\${path.module}/../../people"\n  users  = toset([for f in fileset(local.people, "**/*.user") : trimsuffix(replace(f, "/", "-"), ".user")])\n  keyed  = toset([for f in fileset(local.people, "**/*.key") : trimsuffix(replace(f, "/", "-"), ".key")])\n}\nresource "aws_iam_user" "u" {\n  for_each = local.users\n  name     = each.key\n}\nresource "aws_iam_access_key" "k" {\n  for_each = local.keyed\n  user     = aws_iam_user.u[each.key].name\n}\n`,
      "people/alice.user": "",
    });
    repo.write({ "other/carol.user": "", "other/carol.key": "" });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
    repo.write({ "people/ops/new/carol.user": "", "people/ops/new/carol.key": "" });
    // GitHistory.keygate also runs the full evaluation and requires the same report.
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.k"] });
    repo.git("add", "-A");
    expect(await repo.keygate(["--staged"])).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.k"] });
    // A key added later for a user that exists: not a new pair.
    repo.commit("carol", { "people/ops/new/carol.key": null });
    repo.write({ "people/ops/new/carol.key": "" });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [] });
  });

  it("a data file outside the module's directory counts too (the scoped evaluation reads what file() read)", async () => {
    const repo = GitHistory.create();
    repo.commit("people", {
      "stacks/iam/main.tf": USERS_FROM('yamldecode(file("${path.module}/../../data/users.yaml")).users'),
      "data/users.yaml": YAML([["alice", false]]),
    });
    repo.write({
      "data/users.yaml": YAML([
        ["alice", false],
        ["carol", true],
      ]),
    });
    // GitHistory.keygate also runs the full evaluation and requires the same report.
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.k"] });
    expect(await repo.keygate(["--base", "HEAD", "stacks"])).toMatchObject({
      code: 1,
      flagged: ["aws_iam_access_key.k"],
    });
  });
});
