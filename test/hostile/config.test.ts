import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, writeTree } from "../support/scan-fixture.js";
import { git, PAIR } from "./support.js";

const OFF = JSON.stringify({ policies: { KG001: "off" } });

describe("the config search", () => {
  it("stops at the repository root: a .keygate.json above it is not used", async () => {
    const outer = await writeTree({ ".keygate.json": OFF, "repo/main.tf": PAIR });
    const repo = join(outer, "repo");
    git(repo, "init", "-q");
    mkdirSync(join(repo, "sub"));
    for (const cwd of [repo, join(repo, "sub")]) {
      const run = await runCli([repo, "-f", "json"], cwd);
      expect(run.code, cwd).toBe(1);
      expect(JSON.parse(run.stdout).config).toEqual({ file: null, policiesOff: [] });
    }
  });

  it("inside the repository, the nearest one up to the root is used", async () => {
    const repo = await writeTree({
      ".keygate.json": JSON.stringify({ policies: { KG001: "warning" } }),
      "stack/main.tf": PAIR,
    });
    git(repo, "init", "-q");
    const run = await runCli([".", "-f", "json"], join(repo, "stack"));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).config).toEqual({ file: "../.keygate.json", policiesOff: [] });
  });

  it("outside a repository, only the working directory's is used", async () => {
    const outer = await writeTree({ ".keygate.json": OFF, "scanned/main.tf": PAIR });
    expect((await runCli(["."], join(outer, "scanned"))).code).toBe(1);
    writeFileSync(join(outer, "scanned", ".keygate.json"), OFF);
    expect((await runCli(["."], join(outer, "scanned"))).code).toBe(0);
  });
});

describe("every report names the config and the policies it turns off", () => {
  const off = async (format: string) => {
    const dir = await writeTree({ ".keygate.json": OFF, "main.tf": PAIR });
    const run = await runCli([".", "-f", format], dir);
    expect(run.code, format).toBe(0);
    return run.stdout;
  };

  it("text: the summary line", async () => {
    expect((await off("text")).replace(/\s+/g, " ")).toContain(
      "0 findings in 1 file; config .keygate.json; turned off: KG001 (access-key-created-with-user)",
    );
  });

  it("json: config.file and config.policiesOff", async () => {
    expect(JSON.parse(await off("json")).config).toEqual({ file: ".keygate.json", policiesOff: ["KG001"] });
  });

  it("sarif: toolConfigurationNotifications", async () => {
    const log = JSON.parse(await off("sarif"));
    const notifications = log.runs[0].invocations[0].toolConfigurationNotifications;
    expect(notifications).toEqual([
      {
        level: "note",
        message: { text: "Configuration read from .keygate.json." },
        locations: [{ physicalLocation: { artifactLocation: { uri: ".keygate.json", uriBaseId: "%SRCROOT%" } } }],
      },
      {
        level: "warning",
        message: {
          text: "Policy KG001 (access-key-created-with-user) is turned off by .keygate.json: its findings are not reported.",
        },
        associatedRule: { id: "KG001" },
        locations: [{ physicalLocation: { artifactLocation: { uri: ".keygate.json", uriBaseId: "%SRCROOT%" } } }],
      },
    ]);
  });

  it("junit, github, markdown", async () => {
    expect(await off("junit")).toContain('<property name="keygate.policy.KG001" value="off"/>');
    const github = await off("github");
    expect(github).toContain(
      "::warning title=keygate%3A policy turned off::KG001 (access-key-created-with-user) is turned off by .keygate.json",
    );
    expect(github).toContain("; config .keygate.json; turned off: KG001");
    expect(await off("markdown")).toContain(
      "Config: `.keygate.json` · **turned off:** KG001 (access-key-created-with-user)",
    );
  });
});
