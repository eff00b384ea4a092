import { describe, expect, it } from "vitest";
import { parseAddress } from "../../src/model/imports.js";
import { flagged, runCli, scanTree, writeTree } from "../support/scan-fixture.js";

const user = (name: string, extra = "") => `resource "aws_iam_user" "${name}" {\n  name = "${name}"\n${extra}}\n`;
const key = (name: string, userRef: string, extra = "") =>
  `resource "aws_iam_access_key" "${name}" {\n${extra}  user = ${userRef}\n}\n`;

describe("import blocks: an imported user is an existing user", () => {
  it("a key for an imported user is not a finding; one for a user created beside it is", async () => {
    const result = await scanTree({
      "main.tf":
        `import {\n  to = aws_iam_user.legacy\n  id = "legacy"\n}\n` +
        user("legacy") +
        key("legacy", "aws_iam_user.legacy.name") +
        user("fresh") +
        key("fresh", "aws_iam_user.fresh.name"),
    });
    expect(result.errors).toEqual([]);
    expect(flagged(result)).toEqual(["aws_iam_access_key.fresh"]);
  });

  it("for_each imports (Terraform 1.7+): every instance imported clears the key; one left out does not", async () => {
    const config = (imported: string) =>
      `locals {\n  names = toset(["a", "b"])\n}\nimport {\n  for_each = ${imported}\n  to       = aws_iam_user.team[each.key]\n  id       = each.key\n}\n` +
      user("team", "  for_each = local.names\n").replace('name = "team"', "name = each.key") +
      key("team", "each.value.name", "  for_each = aws_iam_user.team\n");
    expect(flagged(await scanTree({ "main.tf": config("local.names") }))).toEqual([]);
    expect(flagged(await scanTree({ "main.tf": config('toset(["a"])') }))).toEqual(["aws_iam_access_key.team"]);
  });

  it("single-instance imports with literal keys, and into a module instance", async () => {
    const result = await scanTree({
      "main.tf":
        `import {\n  to = aws_iam_user.bots["x"]\n  id = "x"\n}\nimport {\n  to = aws_iam_user.bots["y"]\n  id = "y"\n}\n` +
        user("bots", '  for_each = toset(["x", "y"])\n').replace('name = "bots"', "name = each.key") +
        key("bots", "each.value.name", "  for_each = aws_iam_user.bots\n") +
        `import {\n  to = module.team.aws_iam_user.this\n  id = "team"\n}\nmodule "team" {\n  source = "./team"\n}\n`,
      "team/main.tf": user("this") + key("this", "aws_iam_user.this.name"),
    });
    expect(result.errors).toEqual([]);
    expect(flagged(result)).toEqual([]);
  });

  it("JSON syntax, and OpenTofu's identity form in a .tofu file", async () => {
    const json = await scanTree({
      "main.tf.json": JSON.stringify({
        import: [{ to: "aws_iam_user.legacy", id: "legacy" }],
        resource: {
          aws_iam_user: { legacy: { name: "legacy" } },
          aws_iam_access_key: { legacy: { user: "${aws_iam_user.legacy.name}" } },
        },
      }),
    });
    expect(json.errors).toEqual([]);
    expect(flagged(json)).toEqual([]);
    const tofu = await scanTree({
      "main.tofu":
        `import {\n  to = aws_iam_user.legacy\n  identity = {\n    user_name = "legacy"\n  }\n}\n` +
        user("legacy") +
        key("legacy", "aws_iam_user.legacy.name"),
    });
    expect(tofu.errors).toEqual([]);
    expect(flagged(tofu)).toEqual([]);
  });

  it("an import `to` naming nothing is an input error at its line; other configurations are still reported", async () => {
    const dir = await writeTree({
      "a/main.tf":
        `import {\n  to = aws_iam_user.legcy\n  id = "legacy"\n}\n` +
        user("legacy") +
        key("legacy", "aws_iam_user.legacy.name"),
      "b/main.tf": user("b") + key("b", "aws_iam_user.b.name"),
      "c/main.tf": `import {\n  to = module.nowhere.aws_iam_user.x\n  id = "x"\n}\n`,
    });
    const { code, stdout } = await runCli(["-f", "json", "."], dir);
    const report = JSON.parse(stdout) as {
      errors: { file: string; line: number; column: number; message: string }[];
      findings: { resource: string }[];
    };
    expect(code).toBe(2);
    expect(report.errors.map((e) => [e.file, e.line, e.column])).toEqual([
      ["a/main.tf", 2, 3],
      ["c/main.tf", 2, 3],
    ]);
    expect(report.errors[0]!.message).toMatch(
      /`to = aws_iam_user\.legcy` names the resource aws_iam_user\.legcy, which is not declared/,
    );
    expect(report.errors[1]!.message).toMatch(/names the module call module\.nowhere, which is not declared/);
    expect(report.findings.map((f) => f.resource).sort()).toEqual([
      "aws_iam_access_key.b",
      "aws_iam_access_key.legacy",
    ]);
  });

  it("an import block in a child module is an error, as in Terraform; one into an unfollowed registry module is not", async () => {
    const child = await scanTree({
      "main.tf": `module "team" {\n  source = "./team"\n}\n`,
      "team/main.tf": `import {\n  to = aws_iam_user.this\n  id = "team"\n}\n` + user("this"),
    });
    expect(child.errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual([
      expect.stringMatching(/^team\/main\.tf:2 .*only allowed in the root module/),
    ]);
    const remote = await scanTree({
      "main.tf":
        `import {\n  to = module.vendor.aws_iam_user.this\n  id = "v"\n}\nmodule "vendor" {\n  source = "example/vendor/aws"\n}\n` +
        user("u"),
    });
    expect(remote.errors).toEqual([]);
  });

  it("parses addresses as Terraform writes them", () => {
    expect(parseAddress('module.a["k"].module.b.aws_iam_user.x[each.key]')).toEqual({
      modules: [{ name: "a", index: '"k"' }, { name: "b" }],
      type: "aws_iam_user",
      name: "x",
      index: "each.key",
    });
    expect(parseAddress('aws_iam_user.x["a]b"]')).toEqual({
      modules: [],
      type: "aws_iam_user",
      name: "x",
      index: '"a]b"',
    });
    expect(parseAddress("aws_iam_user")).toBeNull();
    expect(parseAddress("aws_iam_user.x.y")).toBeNull();
  });
});
