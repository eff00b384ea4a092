import { describe, expect, it } from "vitest";
import { jsonArgument } from "../../src/model/module.js";
import { isOverrideFile, mergeArguments } from "../../src/model/overrides.js";
import { flagged, runCli, scanTree, writeTree } from "../support/scan-fixture.js";

const user = (name: string) => `resource "aws_iam_user" "${name}" {\n  name = "${name}"\n}\n`;
const key = (name: string, body: string) => `resource "aws_iam_access_key" "${name}" {\n${body}}\n`;
const locations = (result: { findings: { resource: string; location: { file: string; line: number } }[] }) =>
  result.findings.map((f) => `${f.resource} ${f.location.file}:${f.location.line}`).sort();

describe("override files are merged as Terraform merges them", () => {
  it("knows override files by name, in every syntax", () => {
    for (const name of [
      "override.tf",
      "main_override.tf",
      "override.tf.json",
      "x_override.tf.json",
      "override.tofu",
      "a_override.tofu.json",
      "/d/keys_override.tf",
    ])
      expect(isOverrideFile(name)).toBe(true);
    for (const name of ["main.tf", "overrides.tf", "override_main.tf", "my-override.tf", "override.tfvars"])
      expect(isOverrideFile(name)).toBe(false);
  });

  it("argument by argument: count = 0 in an override switches a key off; a user set there links it", async () => {
    const result = await scanTree({
      "main.tf":
        user("ci") +
        key("ci", "  user = aws_iam_user.ci.name\n") +
        user("deploy") +
        key("deploy", '  user = "someone-else"\n'),
      "keys_override.tf": key("ci", "  count = 0\n") + key("deploy", "  user = aws_iam_user.deploy.name\n"),
    });
    expect(result.errors).toEqual([]);
    expect(flagged(result)).toEqual(["aws_iam_access_key.deploy"]);
    // Reported at the override's argument that decided it (its `user`), not the override block's header.
    expect(locations(result)).toEqual(["aws_iam_access_key.deploy keys_override.tf:5"]);
  });

  it("a finding decided by an override points at the argument that decided it, in either syntax", async () => {
    const native = await scanTree({
      "main.tf": user("u") + key("k", "  count = 0\n  user  = aws_iam_user.u.name\n"),
      "keys_override.tf": `# turned on here\nresource "aws_iam_access_key" "k" {\n  pgp_key = "keybase:ops"\n  count   = 1\n}\n`,
    });
    expect(locations(native)).toEqual(["aws_iam_access_key.k keys_override.tf:4"]);
    const json = await scanTree({
      "main.tf": user("u") + key("k", '  user = "someone-else"\n'),
      "keys_override.tf.json": JSON.stringify(
        { resource: { aws_iam_access_key: { k: { pgp_key: "keybase:ops", user: "${aws_iam_user.u.name}" } } } },
        null,
        2,
      ),
    });
    // {, "resource": {, "aws_iam_access_key": {, "k": {, "pgp_key", "user": line 6.
    expect(locations(json)).toEqual(["aws_iam_access_key.k keys_override.tf.json:6"]);
  });

  it("override files apply in the lexical order of their names, after every other file", async () => {
    const result = await scanTree({
      "main.tf": user("u") + key("k", "  user = aws_iam_user.u.name\n"),
      "a_override.tf": key("k", "  count = 0\n"),
      "b_override.tf": key("k", "  count = 1\n"),
    });
    expect(flagged(result)).toEqual(["aws_iam_access_key.k"]);
    const reversed = await scanTree({
      "main.tf": user("u") + key("k", "  user = aws_iam_user.u.name\n"),
      "a_override.tf": key("k", "  count = 1\n"),
      "z_override.tf": key("k", "  count = 0\n"),
    });
    expect(flagged(reversed)).toEqual([]);
  });

  it("locals value by value, variables and outputs argument by argument, module calls too", async () => {
    const result = await scanTree({
      "main.tf":
        `locals {\n  on    = false\n  other = 1\n}\nvariable "n" {\n  type    = number\n  default = 0\n}\n` +
        user("a") +
        key("a", "  count = local.on ? 1 : 0\n  user  = aws_iam_user.a.name\n") +
        user("b") +
        key("b", "  count = var.n\n  user  = aws_iam_user.b.name\n") +
        `module "keys" {\n  source = "./modules/none"\n  user   = "nobody"\n}\n`,
      "override.tf": `locals {\n  on = true\n}\nvariable "n" {\n  default = 2\n}\nmodule "keys" {\n  source = "./modules/key"\n  user   = aws_iam_user.a.name\n}\n`,
      "modules/none/main.tf": `variable "user" {}\n`,
      "modules/key/main.tf": `variable "user" {}\n` + key("this", "  user = var.user\n"),
    });
    expect(result.errors).toEqual([]);
    expect(flagged(result)).toEqual([
      "aws_iam_access_key.a",
      "aws_iam_access_key.b",
      "module.keys.aws_iam_access_key.this",
    ]);
  });

  it("an output overridden in a module's override file", async () => {
    const files = {
      "main.tf": `module "u" {\n  source = "./modules/u"\n}\n` + key("k", "  user = module.u.name\n"),
      "modules/u/main.tf": `resource "aws_iam_user" "this" {\n  name = "svc"\n}\noutput "name" {\n  value = "someone-else"\n}\n`,
    };
    expect(flagged(await scanTree(files))).toEqual([]);
    const overridden = await scanTree({
      ...files,
      "modules/u/outputs_override.tf": `output "name" {\n  value = aws_iam_user.this.name\n}\n`,
    });
    expect(overridden.errors).toEqual([]);
    expect(flagged(overridden)).toEqual(["aws_iam_access_key.k"]);
  });

  it("arguments merge by name, the override's winning; depends_on is never taken from an override", () => {
    const base = { user: jsonArgument("${aws_iam_user.u.name}"), count: jsonArgument(1) };
    const override = { count: jsonArgument(0), depends_on: jsonArgument([]), pgp_key: jsonArgument("keybase:ops") };
    const merged = mergeArguments(base, override);
    expect(Object.keys(merged)).toEqual(["user", "count", "pgp_key"]);
    expect(merged.user).toBe(base.user);
    expect(merged.count).toBe(override.count);
    expect(merged.pgp_key).toBe(override.pgp_key);
  });

  it("JSON syntax and OpenTofu's .tofu forms: x_override.tofu is read instead of x_override.tf", async () => {
    const json = await scanTree({
      "main.tf": user("u") + key("k", "  user = aws_iam_user.u.name\n"),
      "main_override.tf.json": JSON.stringify({ resource: { aws_iam_access_key: { k: { count: 0 } } } }),
    });
    expect(json.errors).toEqual([]);
    expect(flagged(json)).toEqual([]);
    const tofu = await scanTree({
      "main.tofu": user("u") + key("k", "  user = aws_iam_user.u.name\n"),
      "keys_override.tf": key("k", "  count = 0\n"),
      "keys_override.tofu": key("k", "  count = 1\n"),
    });
    expect(tofu.errors).toEqual([]);
    expect(flagged(tofu)).toEqual(["aws_iam_access_key.k"]);
  });

  it("bad input stays bad input: an override without a base, depends_on, moved and import blocks in an override file", async () => {
    const result = await scanTree({
      "main.tf": user("u") + key("k", "  user = aws_iam_user.u.name\n"),
      "override.tf":
        key("missing", "  count = 0\n") +
        `locals {\n  nope = 1\n}\n` +
        key("k", "  depends_on = [aws_iam_user.u]\n") +
        `moved {\n  from = aws_iam_user.a\n  to   = aws_iam_user.u\n}\n`,
    });
    expect(result.errors.map((e) => `${e.file}:${e.line} ${e.message.split(":")[0]}`)).toEqual([
      "override.tf:1 resource aws_iam_access_key.missing overrides nothing",
      "override.tf:5 local.nope overrides nothing",
      "override.tf:8 resource aws_iam_access_key.k",
      "override.tf:10 a moved block cannot be in an override file (Terraform refuses it)",
    ]);
    // The rest is still judged; the run is an input error (exit 2).
    expect(flagged(result)).toEqual(["aws_iam_access_key.k"]);
    const cli = await runCli(
      ["."],
      await writeTree({ "main.tf": user("u"), "u_override.tf": key("k", "  count = 0\n") }),
    );
    expect(cli.code).toBe(2);
    expect(cli.stdout + cli.stderr).toMatch(
      /u_override\.tf\n\s+1:1\s+error\s+resource aws_iam_access_key\.k overrides nothing/,
    );
  });
});
