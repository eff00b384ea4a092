import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";

/**
 * CLI cases in tflint's manner: each folder under cases/ holds `case.json` (args, exit code), the
 * input, and the expected report (`expected.json` for JSON output, else `expected.txt`) and
 * `expected.stderr` when something is printed there. `UPDATE_EXPECTED=1` rewrites the expectations
 * (review the diff before committing).
 */
const CASES = join(import.meta.dirname, "cases");
const update = process.env.UPDATE_EXPECTED === "1";

interface CaseSpec {
  description: string;
  args: string[];
  exit: number;
}

describe("CLI cases", () => {
  it.each(readdirSync(CASES).sort())("%s", async (name) => {
    const dir = join(CASES, name);
    const spec = JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as CaseSpec;
    const { code, stdout, stderr } = await runCli(spec.args, dir);
    const isJson = spec.args.includes("json");
    const reportFile = join(dir, isJson ? "expected.json" : "expected.txt");
    const stderrFile = join(dir, "expected.stderr");
    if (update) {
      writeFileSync(reportFile, stdout);
      if (stderr) writeFileSync(stderrFile, stderr);
    }
    expect(code, spec.description).toBe(spec.exit);
    if (isJson) expect(JSON.parse(stdout)).toEqual(JSON.parse(readFileSync(reportFile, "utf8")));
    else expect(stdout).toBe(readFileSync(reportFile, "utf8"));
    expect(stderr).toBe(existsSync(stderrFile) ? readFileSync(stderrFile, "utf8") : "");
  });
});
