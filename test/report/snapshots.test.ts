import { describe, expect, it } from "vitest";
import { REPORTERS } from "../../src/report/index.js";
import { assertMatchesSchema } from "../support/report-schemas.js";
import { CONTEXT, scanScenario } from "./ci-scenario.js";

/** File extensions of the snapshots, so that each opens as what it is in an editor or a diff. */
const EXTENSION: Record<string, string> = {
  text: "txt",
  compact: "compact.txt",
  json: "json",
  sarif: "sarif",
  junit: "xml",
  github: "log",
  gitlab: "gitlab.json",
  markdown: "md",
};

/**
 * One snapshot per format of the same scenario, so that the wording and shape of every report
 * cannot drift silently. Review a changed snapshot like code; `vitest -u` rewrites them.
 */
describe("report snapshots (fixtures/ci-scenario)", () => {
  it("covers every registered format", () => {
    expect(Object.keys(EXTENSION).sort()).toEqual([...REPORTERS.keys()].sort());
  });

  it.each([...REPORTERS.keys()])("%s", async (name) => {
    const result = await scanScenario();
    const report = REPORTERS.get(name)!.render(result, CONTEXT);
    await expect(report).toMatchFileSnapshot(`__snapshots__/ci-scenario.${EXTENSION[name] ?? "txt"}`);
  });

  // The text report as a terminal of 80 and of 120 columns shows it, with and without colour.
  it.each([
    [80, false],
    [120, false],
    [80, true],
    [120, true],
  ])("text at %i columns, colour %s", async (width, color) => {
    const report = REPORTERS.get("text")!.render(await scanScenario(), { ...CONTEXT, width, color });
    await expect(report).toMatchFileSnapshot(`__snapshots__/ci-scenario.${width}${color ? ".color" : ""}.txt`);
    // eslint-disable-next-line no-control-regex -- colour escape sequences
    for (const line of report.replace(/\x1b\[[0-9;]*m/g, "").split("\n")) {
      // Nothing runs past the edge but a word that cannot be broken (a URL).
      if (line.length > width) expect(line.trim().replace(/^docs: /, "")).not.toContain(" ");
    }
    expect(report.includes("\x1b[")).toBe(color);
  });

  it("text with --verbose: the details under every finding", async () => {
    const report = REPORTERS.get("text")!.render(await scanScenario(), { ...CONTEXT, verbose: true });
    await expect(report).toMatchFileSnapshot("__snapshots__/ci-scenario.verbose.txt");
    expect(report.match(/docs: /g)).toHaveLength(2);
  });

  it("json and gitlab are valid against their published schemas (schemas/)", async () => {
    const result = await scanScenario();
    const json = JSON.parse(REPORTERS.get("json")!.render(result, CONTEXT));
    assertMatchesSchema("report.schema.json", json);
    expect(json.findings[0]).toMatchObject({
      helpUri: expect.stringMatching(/^https:\/\/.*KG001\.md$/),
      remediation: expect.stringContaining("Create the user on its own"),
    });
    const gitlab = JSON.parse(REPORTERS.get("gitlab")!.render(result, CONTEXT));
    assertMatchesSchema("gitlab-codequality.schema.json", gitlab);
    // Unsuppressed findings, the input error and the warnings; each fingerprint once.
    expect(gitlab.map((i: { check_name: string }) => i.check_name).sort()).toEqual([
      "KG001",
      "KG001",
      "keygate/input-error",
      "keygate/warning",
      "keygate/warning",
    ]);
    expect(new Set(gitlab.map((i: { fingerprint: string }) => i.fingerprint)).size).toBe(gitlab.length);
  });

  it("the schemas reject what breaks the contract", async () => {
    const json = JSON.parse(REPORTERS.get("json")!.render(await scanScenario(), CONTEXT));
    delete json.findings[0].helpUri;
    expect(() => assertMatchesSchema("report.schema.json", json)).toThrow(/helpUri/);
    const gitlab = JSON.parse(REPORTERS.get("gitlab")!.render(await scanScenario(), CONTEXT));
    gitlab[0].severity = "error";
    expect(() => assertMatchesSchema("gitlab-codequality.schema.json", gitlab)).toThrow(/severity/);
    gitlab[0].severity = "major";
    gitlab[0].location = { path: "a.tf" };
    expect(() => assertMatchesSchema("gitlab-codequality.schema.json", gitlab)).toThrow();
  });

  it.each([...REPORTERS.keys()])("%s is the same on every run", async (name) => {
    const render = async () => REPORTERS.get(name)!.render(await scanScenario(), CONTEXT);
    expect(await render()).toBe(await render());
  });
});
