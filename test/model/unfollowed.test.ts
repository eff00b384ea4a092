import { describe, expect, it } from "vitest";
import { runCli, writeTree } from "../support/scan-fixture.js";

const report = (stdout: string) =>
  JSON.parse(stdout) as {
    warnings: { file: string; line: number; column: number; message: string }[];
    errors: unknown[];
  };

describe("module calls keygate cannot follow are said, not passed over", () => {
  const files = {
    "main.tf": [
      'module "bucket" {',
      '  source       = "cloudposse/s3-bucket/aws"',
      '  version      = "4.2.0"',
      "  user_enabled = true",
      "}",
      'module "off" {',
      '  source = "git::https://example.com/iam.git"',
      "  count  = 0",
      "}",
      'module "iam_user" {',
      '  source  = "terraform-aws-modules/iam/aws//modules/iam-user"',
      '  version = "~> 5.0"',
      '  name    = "ci"',
      "  create_iam_access_key = false",
      "}",
      'module "local" {',
      '  source = "./local"',
      "}",
      "",
    ].join("\n"),
    "local/main.tf": 'module "nested" {\n  source = "github.com/example/nested"\n}\n',
  };

  it("a warning at each call neither downloaded nor catalogued, naming it and how to make it checkable; exit 0 by default", async () => {
    const dir = await writeTree(files);
    const { code, stdout } = await runCli(["-f", "json", "."], dir);
    const warnings = report(stdout).warnings;
    expect(warnings.map((w) => `${w.file}:${w.line}:${w.column}`)).toEqual(["local/main.tf:1:1", "main.tf:1:1"]);
    expect(warnings[1]!.message).toMatch(
      /^module call module\.bucket \("cloudposse\/s3-bucket\/aws" 4\.2\.0\) was not checked: .*Run `terraform init` \(or `tofu init`\) in \. .*module catalog entry/,
    );
    expect(warnings[0]!.message).toMatch(/^module call module\.local\.module\.nested /);
    expect(code).toBe(0);
  });

  it("--fail-on warning turns them into a failure", async () => {
    const dir = await writeTree(files);
    expect((await runCli(["-f", "json", "--fail-on", "warning", "."], dir)).code).toBe(1);
  });

  it("a downloaded module is followed, with no warning", async () => {
    const dir = await writeTree({
      "main.tf": 'module "bucket" {\n  source  = "cloudposse/s3-bucket/aws"\n  version = "4.2.0"\n}\n',
      ".terraform/modules/modules.json": JSON.stringify({
        Modules: [
          { Key: "", Source: "", Dir: "." },
          {
            Key: "bucket",
            Source: "registry.terraform.io/cloudposse/s3-bucket/aws",
            Version: "4.2.0",
            Dir: ".terraform/modules/bucket",
          },
        ],
      }),
      ".terraform/modules/bucket/main.tf": 'resource "aws_s3_bucket" "this" {\n  bucket = "b"\n}\n',
    });
    const { stdout } = await runCli(["-f", "json", "."], dir);
    expect(report(stdout).warnings).toEqual([]);
  });
});
