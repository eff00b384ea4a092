import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import { scan } from "../../src/scan.js";
import { TODAY } from "../support/scan-fixture.js";

// Every call into hcl2json (its WebAssembly parser) is counted: a scan of valid files makes none.
const calls = vi.hoisted(() => ({ parse: 0, getExpressionAst: 0 }));
vi.mock("@cdktf/hcl2json", async (importOriginal) => {
  const real = await importOriginal<typeof import("@cdktf/hcl2json")>();
  return {
    ...real,
    parse: (...args: Parameters<typeof real.parse>) => {
      calls.parse++;
      return real.parse(...args);
    },
    getExpressionAst: (...args: Parameters<typeof real.getExpressionAst>) => {
      calls.getExpressionAst++;
      return real.getExpressionAst(...args);
    },
  };
});

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const scratch = mkdtempSync(join(tmpdir(), "keygate-front-end-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function scanAll(cwd: string, paths: string[]) {
  const policies = loadPolicies();
  const settings = await loadSettings(policies, cwd);
  return scan({ paths, cwd, settings, policies, today: TODAY, prefilter: false });
}

describe("one front end", () => {
  beforeEach(() => {
    calls.parse = 0;
    calls.getExpressionAst = 0;
  });

  it("scans every example, every file parsed and every expression evaluated, without calling hcl2json", async () => {
    const result = await scanAll(EXAMPLES, ["."]);
    // examples/ holds configurations Terraform accepts (those it refuses are in examples-input-errors/).
    expect(result.errors).toEqual([]);
    expect(result.findings.length).toBeGreaterThan(10);
    expect(calls).toEqual({ parse: 0, getExpressionAst: 0 });
  });

  it("asks hcl2json only for the exact diagnostic of a file keygate's parser rejects", async () => {
    writeFileSync(
      join(scratch, "main.tf"),
      'resource "aws_iam_user" "u" {\n  name = "ci"\n}\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name +\n}\n',
    );
    const result = await scanAll(scratch, ["."]);
    expect(result.errors).toEqual([
      expect.objectContaining({ file: "main.tf", line: 5, message: expect.stringContaining("Invalid expression") }),
    ]);
    expect(calls).toEqual({ parse: 1, getExpressionAst: 0 });
  });
});
