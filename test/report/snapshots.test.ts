import { describe, expect, it } from "vitest";
import { REPORTERS } from "../../src/report/index.js";
import { CONTEXT, scanScenario } from "./ci-scenario.js";

/** File extensions of the snapshots, so that each opens as what it is in an editor or a diff. */
const EXTENSION: Record<string, string> = { text: "txt", json: "json", sarif: "sarif", junit: "xml", github: "log", markdown: "md" };

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

  it.each([...REPORTERS.keys()])("%s is the same on every run", async (name) => {
    const render = async () => REPORTERS.get(name)!.render(await scanScenario(), CONTEXT);
    expect(await render()).toBe(await render());
  });
});
