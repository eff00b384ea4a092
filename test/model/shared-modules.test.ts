import { describe, expect, it } from "vitest";
import { runCli, scanTree } from "../support/scan-fixture.js";

/*
 * One finding per instance, where the user can act (issue 13, point 9): a user+key pair inside a
 * shared local module is reported for every module block that instantiates it, in every root, with
 * the call chain as related locations; a keygate:ignore above one module block silences that call.
 */

const PAIR = `variable "name" {}\nresource "aws_iam_user" "this" {\n  name = var.name\n}\nresource "aws_iam_access_key" "this" {\n  user = aws_iam_user.this.name\n}\n`;
const call = (name: string, source: string, user: string) =>
  `module "${name}" {\n  source = "${source}"\n  name   = "${user}"\n}\n`;

describe("a pair in a shared local module: one finding per calling instance", () => {
  it("two roots calling it under the same name, and one root calling it twice: a finding each, at its own call", async () => {
    const result = await scanTree({
      "modules/pair/main.tf": PAIR,
      "envs/a/main.tf": call("pair", "../../modules/pair", "a"),
      "envs/c/main.tf": call("pair", "../../modules/pair", "c"),
      "envs/b/main.tf": call("one", "../../modules/pair", "b1") + "\n" + call("two", "../../modules/pair", "b2"),
    });
    expect(result.errors).toEqual([]);
    const seen = result.findings.map((f) => ({
      resource: f.resource,
      configuration: f.configuration,
      at: `${f.location.file}:${f.location.line}`,
      calls: f.related
        .filter((r) => r.role === "module-call")
        .map((r) => `${r.address} ${r.location!.file}:${r.location!.line}`),
    }));
    expect(seen).toEqual([
      {
        resource: "module.one.aws_iam_access_key.this",
        configuration: "envs/b",
        at: "modules/pair/main.tf:5",
        calls: ["module.one envs/b/main.tf:1"],
      },
      {
        resource: "module.pair.aws_iam_access_key.this",
        configuration: "envs/a",
        at: "modules/pair/main.tf:5",
        calls: ["module.pair envs/a/main.tf:1"],
      },
      {
        resource: "module.pair.aws_iam_access_key.this",
        configuration: "envs/c",
        at: "modules/pair/main.tf:5",
        calls: ["module.pair envs/c/main.tf:1"],
      },
      {
        resource: "module.two.aws_iam_access_key.this",
        configuration: "envs/b",
        at: "modules/pair/main.tf:5",
        calls: ["module.two envs/b/main.tf:6"],
      },
    ]);
    expect(new Set(result.findings.map((f) => f.fingerprint)).size).toBe(4);
  });

  it("a nested call chain is listed from the root; the message names the call", async () => {
    const dir = await (
      await import("../support/scan-fixture.js")
    ).writeTree({
      "modules/pair/main.tf": PAIR,
      "modules/team/main.tf": `variable "team" {}\n` + call("bot", "../pair", "bot").replace('"bot"\n}', "var.team\n}"),
      "envs/a/main.tf": `module "team" {\n  source = "../../modules/team"\n  team   = "payments"\n}\n`,
    });
    const { stdout } = await runCli(["-f", "json", "."], dir);
    const finding = JSON.parse(stdout).findings[0];
    expect(finding.resource).toBe("module.team.module.bot.aws_iam_access_key.this");
    expect(
      finding.relatedLocations
        .filter((r: { role: string }) => r.role === "module-call")
        .map(
          (r: { address: string; location: { file: string; line: number } }) =>
            `${r.address} ${r.location.file}:${r.location.line}`,
        ),
    ).toEqual(["module.team envs/a/main.tf:1", "module.team.module.bot modules/team/main.tf:2"]);
    expect(finding.related).not.toContain("module.team");
    const compact = await runCli(["-f", "compact", "."], dir);
    expect(compact.stdout).toContain(
      "Access key module.team.module.bot.aws_iam_access_key.this (module.team, called at envs/a/main.tf:1) is created together",
    );
  });

  it("keygate:ignore above a module block suppresses that call's finding only", async () => {
    const result = await scanTree({
      "modules/pair/main.tf": PAIR,
      "envs/b/main.tf":
        "# keygate:ignore KG001 -- the reviewed bootstrap user\n" +
        call("one", "../../modules/pair", "b1") +
        "\n" +
        call("two", "../../modules/pair", "b2"),
    });
    expect(result.warnings).toEqual([]);
    expect(result.findings.map((f) => `${f.resource} ${f.suppressed ? "suppressed" : "reported"}`)).toEqual([
      "module.one.aws_iam_access_key.this suppressed",
      "module.two.aws_iam_access_key.this reported",
    ]);
  });
});
