import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callFunction } from "../../src/model/functions/index.js";
import { known } from "../../src/model/values.js";
import { flagged, runCli, scanTree } from "../support/scan-fixture.js";
import { GitHistory } from "../change/git-history.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const PLANS = join(import.meta.dirname, "..", "fixtures", "plans");

/** Users listed in a data file, keys for those that ask for one. */
const USERS_FROM = (expression: string) =>
  `locals {\n  users = ${expression}\n}\nresource "aws_iam_user" "u" {\n  for_each = { for u in local.users : u.name => u }\n  name     = each.key\n}\nresource "aws_iam_access_key" "k" {\n  for_each = { for u in local.users : u.name => u if u.key }\n  user     = aws_iam_user.u[each.key].name\n}\n`;
const YAML = (users: [string, boolean][]) =>
  `users:\n${users.map(([name, key]) => `  - name: ${name}\n    key: ${key}\n`).join("")}`;

describe("files as data: file, fileexists, yamldecode, jsondecode, csvdecode", () => {
  it("users kept in YAML: no finding when no user asks for a key, one when a user does", async () => {
    const main = USERS_FROM('yamldecode(file("${path.module}/users.yaml")).users');
    expect(
      flagged(
        await scanTree({
          "main.tf": main,
          "users.yaml": YAML([
            ["alice", false],
            ["bob", false],
          ]),
        }),
      ),
    ).toEqual([]);
    const one = await scanTree({
      "main.tf": main,
      "users.yaml": YAML([
        ["alice", false],
        ["ci", true],
      ]),
    });
    expect(one.errors).toEqual([]);
    expect(flagged(one)).toEqual(["aws_iam_access_key.k"]);
  });

  it("in a local module, path.module is the module's directory; JSON and CSV too", async () => {
    const result = await scanTree({
      "main.tf": `module "json" {\n  source = "./modules/json"\n}\nmodule "csv" {\n  source = "./modules/csv"\n}\n`,
      "modules/json/main.tf": USERS_FROM('jsondecode(file("${path.module}/users.json"))'),
      "modules/json/users.json": JSON.stringify([{ name: "a", key: false }]),
      "modules/csv/main.tf": USERS_FROM(
        '[for r in csvdecode(file("${path.module}/users.csv")) : { name = r.name, key = r.key == "yes" }]',
      ),
      "modules/csv/users.csv": 'name,key\n"svc, the first",yes\nb,no\n',
    });
    expect(result.errors).toEqual([]);
    expect(flagged(result)).toEqual(["module.csv.aws_iam_access_key.k"]);
  });

  it("fileexists decides: a key only where its marker file is present", async () => {
    const files = (present: boolean) => ({
      "main.tf": `resource "aws_iam_user" "u" {\n  name = "u"\n}\nresource "aws_iam_access_key" "k" {\n  count = fileexists("\${path.module}/issue-key") ? 1 : 0\n  user  = aws_iam_user.u.name\n}\n`,
      ...(present ? { "issue-key": "" } : {}),
    });
    expect(flagged(await scanTree(files(false)))).toEqual([]);
    expect(flagged(await scanTree(files(true)))).toEqual(["aws_iam_access_key.k"]);
  });

  it("yamldecode follows YAML 1.2 as Terraform does: yes/on stay strings, merge keys apply, one document", () => {
    expect(callFunction("yamldecode", [known("a: yes\nb: on\nc: true\nd: 0o17\ne: 012\n")])).toEqual(
      known({ a: "yes", b: "on", c: true, d: 15, e: 12 }),
    );
    expect(callFunction("yamldecode", [known("base: &b {key: true}\nci:\n  <<: *b\n  name: ci\n")])).toEqual(
      known({ base: { key: true }, ci: { key: true, name: "ci" } }),
    );
    expect(callFunction("yamldecode", [known("a: 1\n---\nb: 2\n")])).toMatchObject({ kind: "unknown", error: true });
    expect(callFunction("yamldecode", [known("a: [1\n")])).toMatchObject({ kind: "unknown", error: true });
    expect(callFunction("jsondecode", [known("{")])).toMatchObject({ kind: "unknown", error: true });
    expect(callFunction("csvdecode", [known("a,b\n1\n")])).toMatchObject({ kind: "unknown", error: true });
  });

  it("a path outside the repository, or a missing file, is an input error naming the call; nothing outside is read", async () => {
    const outside = await scanTree(
      { "envs/a/main.tf": USERS_FROM('yamldecode(file("${path.module}/../../../users.yaml")).users') },
      ["envs/a"],
    );
    expect(outside.errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual([
      expect.stringMatching(
        /^envs\/a\/main\.tf:2 file\("\$\{path\.module\}\/\.\.\/\.\.\/\.\.\/users\.yaml"\): .*users\.yaml is outside the repository/,
      ),
    ]);
    const missing = await scanTree({ "main.tf": USERS_FROM('yamldecode(file("${path.module}/users.yaml")).users') });
    expect(missing.errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual([
      expect.stringMatching(/^main\.tf:2 file\(.*\): users\.yaml: .*/),
    ]);
    // Undecided, the key is assumed created: still reported (fail closed).
    expect(flagged(missing)).toEqual(["aws_iam_access_key.k"]);
  });

  it("templatefile is not evaluated (nothing is rendered or executed): the key stays undecided and is reported", async () => {
    const result = await scanTree({
      "main.tf": `resource "aws_iam_user" "u" {\n  name = "u"\n}\nresource "aws_iam_access_key" "k" {\n  count = length(templatefile("\${path.module}/t.tpl", {})) > 0 ? 1 : 0\n  user  = aws_iam_user.u.name\n}\n`,
      "t.tpl": "",
    });
    expect(flagged(result)).toEqual(["aws_iam_access_key.k"]);
  });
});

describe("files as data: HCL, change-aware and plan modes agree", () => {
  const findings = (r: { findings?: { resource: string }[] } | undefined) =>
    (r?.findings ?? []).map((f) => f.resource.replace(/\[.*\]$/, "")).sort();

  it("examples/users-as-data: the same verdict from the files, from a change adding them, and from terraform's plan", async () => {
    const files = Object.fromEntries(
      ["main.tf", "users.yaml", "services.json"].map((f) => [
        f,
        readFileSync(join(EXAMPLES, "users-as-data", f), "utf8"),
      ]),
    );
    const hcl = await runCli(["-f", "json", "users-as-data"], EXAMPLES);
    const plan = await runCli(["-f", "json", "examples/users-as-data.json"], PLANS);
    const repo = GitHistory.create();
    repo.commit("start", { "README.md": "infrastructure\n" });
    repo.write(files);
    const change = await repo.keygate(["--base", "HEAD"]);
    repo.git("add", "-A");
    const staged = await repo.keygate(["--staged"]);
    const expected = ["aws_iam_access_key.service"];
    for (const r of [JSON.parse(hcl.stdout), JSON.parse(plan.stdout), change.report, staged.report])
      expect(findings(r)).toEqual(expected);
    expect(JSON.parse(plan.stdout).findings[0].resource).toBe('aws_iam_access_key.service["metrics-exporter"]');
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
