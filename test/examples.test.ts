import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../src/load/config.js";
import { outlineTfJson } from "../src/load/outline.js";
import { loadPolicies } from "../src/policies/catalog.js";
import { scan } from "../src/scan.js";
import { TODAY } from "./support/scan-fixture.js";

const EXAMPLES = join(import.meta.dirname, "..", "examples");
const NOT_CONFIGURATIONS = new Set(["ci"]);

/** `# expect: KG001` / `# expect: KG001 suppressed` markers, as `file:line RULE [suppressed]`. */
function expectedMarkers(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      out.push(...expectedMarkers(path, `${prefix}/${entry}`));
      continue;
    }
    const text = readFileSync(path, "utf8");
    if (/\.(tf|tofu)$/.test(entry)) {
      text.split("\n").forEach((line, i) => {
        const m = /#\s*expect:\s*(KG\d{3})(\s+suppressed)?/.exec(line);
        if (m) out.push(`${prefix}/${entry}:${i + 1} ${m[1]}${m[2] ? " suppressed" : ""}`);
      });
    } else if (/\.(tf|tofu)\.json$/.test(entry)) {
      // JSON has no comments: a "//": "expect: KG001" property inside the resource marks it.
      for (const block of outlineTfJson(text).blocks) {
        for (const comment of outlineTfJson(text).comments) {
          const m = /^expect:\s*(KG\d{3})(\s+suppressed)?/.exec(comment.text);
          const inside =
            comment.start.line > block.span.start.line &&
            comment.end.line <= block.span.end.line &&
            block.keyword === "resource";
          if (m && inside) out.push(`${prefix}/${entry}:${block.span.start.line} ${m[1]}${m[2] ? " suppressed" : ""}`);
        }
      }
    }
  }
  return out.sort();
}

/** `# expect: input-error` markers, as `file:line`: a configuration Terraform refuses, reported as an input error on that line (exit 2). */
function expectedInputErrors(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...expectedInputErrors(path, `${prefix}/${entry}`));
    else if (/\.(tf|tofu)$/.test(entry)) {
      readFileSync(path, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (/#\s*expect:\s*input-error\b/.test(line)) out.push(`${prefix}/${entry}:${i + 1}`);
        });
    }
  }
  return out.sort();
}

/** Configurations Terraform refuses: an input error each (exit 2), kept out of `keygate scan examples/` (exit 1). */
const INPUT_ERRORS = join(import.meta.dirname, "..", "examples-input-errors");
/** `terraform validate -json` of each of them. */
const VALIDATE = join(import.meta.dirname, "fixtures", "plans", "input-errors");

const foldersOf = (root: string) =>
  readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory() && !NOT_CONFIGURATIONS.has(d));
const folders = foldersOf(EXAMPLES);
const refusedFolders = foldersOf(INPUT_ERRORS);

async function scanFolder(root: string, folder: string) {
  const policies = loadPolicies();
  const settings = await loadSettings(policies, root);
  return scan({ paths: [folder], cwd: root, settings, policies, today: TODAY });
}

const findingsOf = (result: Awaited<ReturnType<typeof scan>>) =>
  result.findings
    .map((f) => `${f.location.file}:${f.location.line} ${f.ruleId}${f.suppressed ? " suppressed" : ""}`)
    .sort();

describe("examples/", () => {
  it("has violating and compliant examples, none that Terraform refuses", () => {
    const withMarkers = folders.filter((f) => expectedMarkers(join(EXAMPLES, f), f).length > 0);
    expect(withMarkers.length).toBeGreaterThanOrEqual(5);
    expect(folders.length - withMarkers.length).toBeGreaterThanOrEqual(3);
    expect(folders.filter((f) => expectedInputErrors(join(EXAMPLES, f), f).length > 0)).toEqual([]);
  });

  it.each(folders)("%s: findings match the expect markers exactly", async (folder) => {
    const result = await scanFolder(EXAMPLES, folder);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(findingsOf(result)).toEqual(expectedMarkers(join(EXAMPLES, folder), folder));
  });
});

describe("examples-input-errors/", () => {
  it("has configurations Terraform refuses, each with an input-error marker", () => {
    expect(refusedFolders.length).toBeGreaterThanOrEqual(1);
    for (const folder of refusedFolders)
      expect(expectedInputErrors(join(INPUT_ERRORS, folder), folder).length, folder).toBeGreaterThan(0);
  });

  it.each(refusedFolders)("%s: input errors and findings match the expect markers exactly", async (folder) => {
    const result = await scanFolder(INPUT_ERRORS, folder);
    expect(result.errors.map((e) => `${e.file}:${e.line}`).sort()).toEqual(
      expectedInputErrors(join(INPUT_ERRORS, folder), folder),
    );
    expect(result.warnings).toEqual([]);
    expect(findingsOf(result)).toEqual(expectedMarkers(join(INPUT_ERRORS, folder), folder));
  });

  it.each(refusedFolders)("%s: the input errors are where `terraform validate` refuses it", async (folder) => {
    // Made by scripts/plan-fixtures/generate.sh with Terraform itself.
    const validate = JSON.parse(readFileSync(join(VALIDATE, `${folder}.json`), "utf8")) as {
      valid: boolean;
      diagnostics: { severity: string; range: { filename: string; start: { line: number; column: number } } }[];
    };
    expect(validate.valid).toBe(false);
    const terraform = validate.diagnostics
      .filter((d) => d.severity === "error")
      .map((d) => `${folder}/${d.range.filename}:${d.range.start.line}:${d.range.start.column}`)
      .sort();
    const result = await scanFolder(INPUT_ERRORS, folder);
    expect(result.errors.map((e) => `${e.file}:${e.line}:${e.column}`).sort()).toEqual(terraform);
  });
});
