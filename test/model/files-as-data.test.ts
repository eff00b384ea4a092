import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callFunction } from "../../src/model/functions/index.js";
import { prepareDecoder } from "../../src/model/functions/files.js";
import { known } from "../../src/model/values.js";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import { scan } from "../../src/scan.js";
import { flagged, scanTree, TODAY, writeTree } from "../support/scan-fixture.js";
import { USERS_FROM, YAML } from "./users-as-data.js";

describe("files as data: file, fileexists, fileset, templatefile, yamldecode, jsondecode, csvdecode", () => {
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

  it("yamldecode follows YAML 1.2 as Terraform does: yes/on stay strings, merge keys apply, one document", async () => {
    // The evaluator loads the YAML parser before a yamldecode call (it is not loaded at start-up).
    await prepareDecoder("yamldecode");
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

  it("fileset: one YAML file per user under users/ (** over subdirectories), a key for those that ask", async () => {
    const main = USERS_FROM(
      '[for f in fileset("${path.module}/users", "**/*.{yaml,yml}") : yamldecode(file("${path.module}/users/${f}"))]',
    );
    const user = (name: string, key: boolean) => `name: ${name}\nkey: ${key}\n`;
    const none = await scanTree({
      "main.tf": main,
      "users/alice.yaml": user("alice", false),
      "users/ops/bob.yml": user("bob", false),
      "users/README.md": "not a user",
    });
    expect(none.errors).toEqual([]);
    expect(flagged(none)).toEqual([]);
    const one = await scanTree({
      "main.tf": main,
      "users/alice.yaml": user("alice", false),
      "users/ops/deep/ci.yml": user("ci", true),
    });
    expect(one.errors).toEqual([]);
    expect(flagged(one)).toEqual(["aws_iam_access_key.k"]);
  });

  it("fileset gives Terraform's set: relative to path, / separators, sorted, files only", async () => {
    const result = await scanTree({
      "main.tf": `locals {\n  found = fileset(path.module, "data/**")\n}\nresource "aws_iam_user" "u" {\n  name = "u"\n}\nresource "aws_iam_access_key" "k" {\n  count = local.found == toset(["data/b.txt", "data/sub/a.txt"]) ? 0 : 1\n  user  = aws_iam_user.u.name\n}\n`,
      "data/sub/a.txt": "a",
      "data/b.txt": "b",
    });
    expect(result.errors).toEqual([]);
    expect(flagged(result)).toEqual([]);
  });

  it("fileset: a pattern reaching outside the repository, a malformed pattern, a link out of it: input errors at the call", async () => {
    const key = (expression: string) =>
      `resource "aws_iam_user" "u" {\n  name = "u"\n}\nresource "aws_iam_access_key" "k" {\n  count = length(${expression})\n  user  = aws_iam_user.u.name\n}\n`;
    const outside = await scanTree({ "envs/a/main.tf": key('fileset(path.module, "../../../*")') }, ["envs/a"]);
    expect(outside.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.message}`)).toEqual([
      expect.stringMatching(
        /^envs\/a\/main\.tf:5:18 fileset\(path\.module, "\.\.\/\.\.\/\.\.\/\*"\): .* is outside the repository/,
      ),
    ]);
    // Undecided, the key is assumed created (fail closed).
    expect(flagged(outside)).toEqual(["aws_iam_access_key.k"]);
    // (With no users/ directory there is nothing to match the pattern against, and no error, as in Terraform.)
    const malformed = await scanTree({ "main.tf": key('fileset(path.module, "users/[.yaml")'), "users/a.yaml": "a" });
    expect(malformed.errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual([
      'main.tf:5 fileset(path.module, "users/[.yaml"): failed to glob pattern users/[.yaml: syntax error in pattern',
    ]);
    const root = await writeTree({ "main.tf": key('fileset(path.module, "users/*")'), "users/a.yaml": "a" });
    symlinkSync("/etc/hostname", join(root, "users", "out.yaml"));
    const policies = loadPolicies();
    const settings = await loadSettings(policies, root);
    const linked = await scan({ paths: ["."], cwd: root, settings, policies, today: TODAY });
    expect(linked.errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual([
      expect.stringMatching(/^main\.tf:5 fileset\(.*\): users\/out\.yaml is a symbolic link to .*, outside/),
    ]);
  });

  it("templatefile renders a users list with only vars in scope; the result decoded decides the keys", async () => {
    const main = (vars: string) =>
      USERS_FROM(`yamldecode(templatefile("\${path.module}/users.yaml.tftpl", ${vars})).users`);
    const template =
      "users:\n%{ for name in names ~}\n  - name: ${env}-${name}\n    key: ${contains(with_key, name)}\n%{ endfor ~}\n";
    const none = await scanTree({
      "main.tf": main('{ env = "prod", names = ["alice", "bob"], with_key = [] }'),
      "users.yaml.tftpl": template,
    });
    expect(none.errors).toEqual([]);
    expect(flagged(none)).toEqual([]);
    const one = await scanTree({
      "main.tf": main('{ env = "prod", names = ["alice", "ci"], with_key = ["ci"] }'),
      "users.yaml.tftpl": template,
    });
    expect(one.errors).toEqual([]);
    expect(flagged(one)).toEqual(["aws_iam_access_key.k"]);
  });

  it("templatefile: a reference vars does not give, a nested templatefile, a bad template, a missing file: input errors at the call", async () => {
    const main = USERS_FROM('yamldecode(templatefile("${path.module}/t.tftpl", { names = ["a"] })).users');
    const errorsOf = async (template: string | undefined) => {
      const result = await scanTree({ "main.tf": main, ...(template === undefined ? {} : { "t.tftpl": template }) });
      // Undecided, the key is assumed created (fail closed).
      expect(flagged(result)).toEqual(["aws_iam_access_key.k"]);
      return result.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.message}`);
    };
    // Where Terraform points: a problem with vars at the vars argument, with the file at the path, in rendering at the call.
    const call = (column: number) => `main.tf:2:${column} templatefile("\${path.module}/t.tftpl", {"names" = ["a"]})`;
    expect(await errorsOf("users:\n  - name: ${var.prefix}-${names[0]}\n")).toEqual([
      `${call(61)}: vars map does not contain key "var", referenced at ./t.tftpl:2,13-16`,
    ]);
    expect(await errorsOf("users: ${path.module}\n")).toEqual([
      `${call(61)}: vars map does not contain key "path", referenced at ./t.tftpl:1,10-14`,
    ]);
    expect(await errorsOf('${templatefile("t.tftpl", {})}')).toEqual([
      `${call(22)}: cannot recursively call templatefile from inside another template function (at ./t.tftpl:1,3-30)`,
    ]);
    expect(await errorsOf("users: ${names[\n")).toEqual([
      expect.stringContaining(`${call(35)}: ./t.tftpl is not a valid template`),
    ]);
    expect(await errorsOf(undefined)).toEqual([
      expect.stringMatching(/^main\.tf:2:35 templatefile\(.*\): .*t\.tftpl: /),
    ]);
  });
});
