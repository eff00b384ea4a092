import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, writeTree } from "../support/scan-fixture.js";

/** The smaller messages of issue 16, each by its exact text. */
describe("messages", () => {
  it("a path that does not exist: one line and a hint, exit 2", async () => {
    const root = await writeTree({});
    const { code, stdout } = await runCli(["scan", "nonexistent/"], root);
    expect(stdout).toBe("✖ path does not exist: nonexistent/\nNothing was checked: name the directories, files or plans to scan.\n");
    expect(code).toBe(2);
  });

  it("an empty directory: one line and a hint, exit 2", async () => {
    const root = await writeTree({});
    await mkdir(join(root, "empty"));
    const { code, stdout } = await runCli(["scan", "empty"], root);
    expect(stdout).toBe('✖ no Terraform files (.tf, .tf.json, .tofu, .tofu.json) found in "empty"\nNothing was checked: name the directories, files or plans to scan.\n');
    expect(code).toBe(2);
  });

  it("a repository of Terragrunt configurations only says that they are not read", async () => {
    const root = await writeTree({ "infra/prod/app/terragrunt.hcl": 'terraform {\n  source = "../../../modules//app"\n}\n', "terragrunt.hcl": "" });
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
    expect(JSON.parse(stdout).errors).toEqual([{ file: "report.csv", message: "cannot read the credential report: no such file" }]);
    expect(code).toBe(2);
  });

  it("an account id of 10 digits is named; the position of an input error reads 2:1 as findings' do", async () => {
    const columns = (await header()).split(",");
    const row = columns.map((c) => (c === "user" ? "alice" : c === "arn" ? "arn:aws:iam::1234567890:user/alice" : "N/A"));
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
