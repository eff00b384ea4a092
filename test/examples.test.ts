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

const folders = readdirSync(EXAMPLES).filter(
  (d) => statSync(join(EXAMPLES, d)).isDirectory() && !NOT_CONFIGURATIONS.has(d),
);

describe("examples/", () => {
  it("has violating and compliant examples", () => {
    const withMarkers = folders.filter((f) => expectedMarkers(join(EXAMPLES, f), f).length > 0);
    expect(withMarkers.length).toBeGreaterThanOrEqual(5);
    expect(folders.length - withMarkers.length).toBeGreaterThanOrEqual(3);
    // And at least one that Terraform refuses (an input error, exit 2), with the rest still reported.
    expect(folders.filter((f) => expectedInputErrors(join(EXAMPLES, f), f).length > 0).length).toBeGreaterThanOrEqual(
      1,
    );
  });

  it.each(folders)("%s: findings match the expect markers exactly", async (folder) => {
    const policies = loadPolicies();
    const settings = await loadSettings(policies, EXAMPLES);
    const result = await scan({ paths: [folder], cwd: EXAMPLES, settings, policies, today: TODAY });
    expect(result.errors.map((e) => `${e.file}:${e.line}`).sort()).toEqual(
      expectedInputErrors(join(EXAMPLES, folder), folder),
    );
    expect(result.warnings).toEqual([]);
    const actual = result.findings
      .map((f) => `${f.location.file}:${f.location.line} ${f.ruleId}${f.suppressed ? " suppressed" : ""}`)
      .sort();
    expect(actual).toEqual(expectedMarkers(join(EXAMPLES, folder), folder));
  });
});
