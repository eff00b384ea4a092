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
