import { describe, expect, it } from "vitest";
import { jsonArgument } from "../../src/model/module.js";
import { referencesIn } from "../../src/model/references.js";
import { runCli, writeTree } from "../support/scan-fixture.js";

const texts = (raw: unknown) => referencesIn(jsonArgument(raw)).map((r) => r.text);

describe("reference validation: an undeclared name in an evaluated expression is an input error", () => {
  it("names the file, line, column and the missing name, like terraform validate; findings elsewhere are still reported", async () => {
    const dir = await writeTree({
      "a/main.tf": [
        'resource "aws_iam_user" "u" {',
        '  for_each = toset(["a"])',
        "  name     = each.key",
        "}",
        'resource "aws_iam_access_key" "k" {',
        "  for_each = local.user_keys",
        "  user     = aws_iam_user.u[each.key].name",
        "}",
        'resource "aws_iam_access_key" "v" {',
        '  user = "${var.prefix}-x"',
        "}",
        'resource "aws_iam_access_key" "m" {',
        "  user = module.nope.name",
        "}",
        'resource "aws_iam_access_key" "r" {',
        "  user = aws_iam_user.missing.name",
        "}",
        "",
      ].join("\n"),
      "b/main.tf":
        'resource "aws_iam_user" "b" {\n  name = "b"\n}\nresource "aws_iam_access_key" "b" {\n  user = aws_iam_user.b.name\n}\n',
    });
    const { code, stdout } = await runCli(["-f", "json", "."], dir);
    const report = JSON.parse(stdout) as {
      errors: { file: string; line: number; column: number; message: string }[];
      findings: { resource: string }[];
    };
    expect(code).toBe(2);
    expect(
      report.errors.map(
        (e) =>
          `${e.file}:${e.line}:${e.column} ${e.message.split(":")[0]} ${/: (\S+) is not declared/.exec(e.message)?.[1]}`,
      ),
    ).toEqual([
      "a/main.tf:6:14 reference to an undeclared local value local.user_keys",
      "a/main.tf:10:13 reference to an undeclared input variable var.prefix",
      "a/main.tf:13:10 reference to an undeclared module call module.nope",
      "a/main.tf:16:10 reference to an undeclared resource aws_iam_user.missing",
    ]);
    expect(report.findings.map((f) => f.resource)).toContain("aws_iam_access_key.b");
  });

  it("follows locals, module inputs and local module outputs to where the name is missing", async () => {
    const dir = await writeTree({
      "main.tf": [
        "locals {",
        "  user = module.team.user_nmae",
        "}",
        'module "team" {',
        '  source = "./team"',
        "  prefix = var.team_prefix",
        "}",
        'resource "aws_iam_access_key" "k" {',
        "  user = local.user",
        "}",
        'resource "aws_iam_access_key" "t" {',
        "  user = module.team.user_name",
        "}",
        "",
      ].join("\n"),
      "team/main.tf":
        'variable "prefix" {}\nresource "aws_iam_user" "this" {\n  name = "${var.prefix}-bot"\n}\noutput "user_name" {\n  value = aws_iam_user.this.name\n}\n',
    });
    const { code, stdout } = await runCli(["-f", "json", "."], dir);
    const errors = (JSON.parse(stdout) as { errors: { file: string; line: number; message: string }[] }).errors;
    expect(code).toBe(2);
    expect(errors.map((e) => `${e.file}:${e.line}`)).toEqual(["main.tf:2", "main.tf:6"]);
    expect(errors[0]!.message).toMatch(/module team \(\.\/team\) has no output "user_nmae"/);
    expect(errors[1]!.message).toMatch(/var\.team_prefix is not declared in the root module/);
  });

  it("a configuration whose references are all declared has no error (for-expression variables, each, count, path, functions)", async () => {
    const dir = await writeTree({
      "main.tf": [
        'variable "names" {\n  default = ["a", "b"]\n}',
        'locals {\n  users = { for n in var.names : n => upper(n) if n != "" }\n}',
        'data "aws_iam_user" "old" {\n  user_name = "old"\n}',
        'resource "aws_iam_user" "u" {\n  for_each = local.users\n  name     = "${each.value}-${path.module}-${terraform.workspace}"\n}',
        'resource "aws_iam_access_key" "k" {\n  count = length(var.names)\n  user  = [for k, u in aws_iam_user.u : u.name][count.index]\n}',
        'resource "aws_iam_access_key" "old" {\n  user = data.aws_iam_user.old.user_name\n}',
        "",
      ].join("\n"),
    });
    const { stdout } = await runCli(["-f", "json", "."], dir);
    expect(JSON.parse(stdout).errors).toEqual([]);
  });

  it("reads references out of templates, objects and lists, not out of strings or for variables", () => {
    expect(texts('${var.a}-${local.b["x"]}')).toEqual(["var.a", "local.b"]);
    expect(texts({ x: ["${module.m.out}", "plain var.c text"] })).toEqual(["module.m.out"]);
    expect(texts('${[for u in aws_iam_user.x : u.name if u.path != "var.z"]}')).toEqual(["aws_iam_user.x"]);
    expect(texts("${lower(data.aws_iam_user.d.user_name)}")).toEqual(["data.aws_iam_user.d"]);
    expect(texts('${"${var.inner}"}')).toEqual(["var.inner"]);
    expect(texts("$${var.escaped}")).toEqual([]);
  });
});
