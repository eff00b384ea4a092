import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, writeTree } from "../support/scan-fixture.js";

/** The smaller messages of issue 16, each by its exact text. */
describe("messages", () => {
  it("a path that does not exist: one line and a hint, exit 2", async () => {
    const root = await writeTree({});
    const { code, stdout } = await runCli(["scan", "nonexistent/"], root);
    expect(stdout).toBe(
      "✖ path does not exist: nonexistent/\nNothing was checked: name the directories, files or plans to scan.\n",
    );
    expect(code).toBe(2);
  });

  it("an empty directory: one line and a hint, exit 2", async () => {
    const root = await writeTree({});
    await mkdir(join(root, "empty"));
    const { code, stdout } = await runCli(["scan", "empty"], root);
    expect(stdout).toBe(
      '✖ no Terraform files (.tf, .tf.json, .tofu, .tofu.json) found in "empty"\nNothing was checked: name the directories, files or plans to scan.\n',
    );
    expect(code).toBe(2);
  });

  it("a repository of Terragrunt configurations only says that they are not read", async () => {
    const root = await writeTree({
      "infra/prod/app/terragrunt.hcl": 'terraform {\n  source = "../../../modules//app"\n}\n',
      "terragrunt.hcl": "",
    });
    const { code, stdout } = await runCli(["-f", "json", "infra"], root);
    expect(JSON.parse(stdout).errors).toEqual([
      {
        file: "infra",
        message:
          'no Terraform files (.tf, .tf.json, .tofu, .tofu.json) found in "infra"; infra/prod/app/terragrunt.hcl is a Terragrunt configuration, which keygate does not read: scan the Terraform modules it sources, or its plan (terragrunt plan -out tfplan && terragrunt show -json tfplan > tfplan.json)',
      },
    ]);
    expect(code).toBe(2);
  });
});

describe("messages of keygate live (offline: no AWS call)", () => {
  const header = async () => (await import("../../src/live/credential-report.js")).CREDENTIAL_REPORT_COLUMNS.join(",");

  it("a missing credential report: the reason once, in words", async () => {
    const root = await writeTree({});
    const { code, stdout } = await runCli(["live", "--credential-report", "report.csv", "-f", "json"], root);
    expect(JSON.parse(stdout).errors).toEqual([
      { file: "report.csv", message: "cannot read the credential report: no such file" },
    ]);
    expect(code).toBe(2);
  });

  it("an account id of 10 digits is named; the position of an input error reads 2:1 as findings' do", async () => {
    const columns = (await header()).split(",");
    const row = columns.map((c) =>
      c === "user" ? "alice" : c === "arn" ? "arn:aws:iam::1234567890:user/alice" : "N/A",
    );
    const root = await writeTree({ "report.csv": `${columns.join(",")}\n${row.join(",")}\n` });
    const { code, stdout } = await runCli(["live", "--credential-report", "report.csv", "-f", "compact"], root);
    expect(stdout.split("\n")[0]).toBe(
      'report.csv:2:1: error malformed credential report: arn (column 2) is "arn:aws:iam::1234567890:user/alice", expected an IAM user or root ARN, whose account id has 12 digits (1234567890 has 10)',
    );
    const text = await runCli(["live", "--credential-report", "report.csv"], root);
    expect(text.stdout).toMatch(/^report\.csv\n {2}2:1 {2}error {2}malformed credential report/);
    expect(code).toBe(2);
  });
});

describe("undecided conditions: shown evaluated, without the checkout's directory", () => {
  const label =
    'module "this" {\n  source  = "cloudposse/label/null"\n  version = "0.25.0"\n}\n\nvariable "user_enabled" {\n  type    = bool\n  default = true\n}\n\n';
  const systemUser = (enabled: string) =>
    `module "s3_user" {\n  source  = "cloudposse/iam-system-user/aws"\n  version = "1.2.0"\n\n  name    = "s3"\n${enabled}  context = module.this.context\n}\n`;
  const undecided = async (files: Record<string, string>) => {
    const root = await writeTree(files);
    const { stdout } = await runCli(["-f", "json", "."], root);
    const report = JSON.parse(stdout) as {
      findings: { message: string; evidence: { undecided: string[]; inputs?: { name: string; value: string }[] } }[];
    };
    // The checkout's directory appears nowhere: not in messages, not in evidence.
    expect(stdout).not.toContain(root);
    expect(stdout).not.toMatch(/root@|@\//);
    return report.findings.map((f) => ({
      undecided: f.evidence.undecided,
      inputs: f.evidence.inputs?.map((i) => `${i.name} = ${i.value}`),
    }));
  };

  it("a module input whose other half is decided (user_enabled = true) shows what is left to decide", async () => {
    expect(
      await undecided({
        "main.tf": label + systemUser("  enabled = module.this.enabled && var.user_enabled ? true : false\n"),
      }),
    ).toEqual([
      {
        undecided: [
          "enabled = module.this.enabled && var.user_enabled ? true : false, which depends on module.this.enabled",
        ],
        inputs: [
          "enabled = module.this.enabled && var.user_enabled ? true : false, which depends on module.this.enabled",
          "create_iam_access_key = true",
        ],
      },
    ]);
  });

  it("an input left unset names what the module falls back to, by its address (was root@/absolute/checkout:…)", async () => {
    expect(await undecided({ "main.tf": label + systemUser("") })).toEqual([
      {
        undecided: ["enabled = module.this.context.enabled"],
        inputs: ["enabled = module.this.context.enabled", "create_iam_access_key = true"],
      },
    ]);
  });

  it("a count through a local of a local module shows the root variable it comes down to", async () => {
    const files = {
      "main.tf": 'variable "on" {\n  type = bool\n}\n\nmodule "u" {\n  source  = "./mod"\n  enabled = var.on\n}\n',
      "mod/main.tf":
        'variable "enabled" {\n  type = bool\n}\n\nvariable "user_enabled" {\n  type    = bool\n  default = true\n}\n\nlocals {\n  enabled = var.enabled && var.user_enabled ? true : false\n}\n\nresource "aws_iam_user" "this" {\n  count = local.enabled ? 1 : 0\n  name  = "u"\n}\n\nresource "aws_iam_access_key" "this" {\n  count = local.enabled ? 1 : 0\n  user  = aws_iam_user.this[0].name\n}\n',
    };
    expect(await undecided(files)).toEqual([
      { undecided: ["count = local.enabled ? 1 : 0, which depends on var.on"], inputs: undefined },
    ]);
    const root = await writeTree(files);
    const { stdout } = await runCli(["-f", "compact", "."], root);
    expect(stdout.split("\n")[0]).toBe(
      'mod/main.tf:19:1: error Access key module.u.aws_iam_access_key.this (module.u, called at main.tf:5) is created together with its user module.u.aws_iam_user.this "u" (line 14), so the key is issued at the user\'s setup, not as a separate, later step. Assumed created, as keygate cannot decide: count = local.enabled ? 1 : 0, which depends on var.on. [KG001]',
    );
  });
});
