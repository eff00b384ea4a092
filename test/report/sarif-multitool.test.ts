import { execFile } from "node:child_process";
import { cp, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import { sarifReporter } from "../../src/report/sarif.js";
import { scan } from "../../src/scan.js";
import { applyBaseline, parseBaseline } from "../../src/suppress/baseline.js";
import { TODAY, writeTree } from "../support/scan-fixture.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");

/** The Multitool's own executable (the npm wrapper runs it through a shell, which splits `A;B` arguments). */
const MULTITOOL = createRequire(import.meta.url)("@microsoft/sarif-multitool") as string;

/**
 * Notes (never warnings or errors) that keygate leaves on purpose, and why. Anything else the
 * Multitool says fails the test.
 */
const ACCEPTED_NOTES: Record<string, string> = {
  // Words come from one place (report/messages.ts) as whole sentences; GitHub wants them so (GH1007).
  SARIF2002: "ProvideMessageArguments",
  // Commit and remote are known to the uploader (upload-sarif sends them); a remote URL can hold a token.
  SARIF2003: "ProvideVersionControlProvenance",
  // The validator is offline here, and the docs URL exists once the version is tagged.
  SARIF2006: "UrisShouldBeReachable",
  // Snippets and context regions would make the reporter re-read files; viewers show the code themselves.
  SARIF2010: "ProvideCodeSnippets",
  SARIF2011: "ProvideContextRegion",
};

interface Issue {
  ruleId: string;
  level: string;
  file: string;
  text: string;
}

/** Runs `sarif-multitool validate` with the SARIF and GitHub rule kinds; returns what it reported, by file. */
async function validate(files: string[], dir: string): Promise<Issue[]> {
  const out = join(dir, "validation.sarif");
  await promisify(execFile)(
    MULTITOOL,
    [
      "validate",
      ...files,
      "--rule-kind",
      "Sarif;Gh",
      "--level",
      "Error;Warning;Note",
      "--output",
      out,
      "--log",
      "ForceOverwrite",
    ],
    {
      timeout: 120_000,
    },
  );
  const log = JSON.parse(await readFile(out, "utf8")) as {
    runs: {
      results?: {
        ruleId: string;
        level?: string;
        message: { arguments?: string[] };
        locations?: { physicalLocation?: { artifactLocation?: { uri?: string } } }[];
      }[];
    }[];
  };
  return (log.runs[0]?.results ?? []).map((r) => ({
    ruleId: r.ruleId,
    // A result without a level is a warning (SARIF §3.27.10).
    level: r.level ?? "warning",
    file: r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? "",
    text: (r.message.arguments ?? []).join(" | "),
  }));
}

describe("SARIF of the examples, checked by Microsoft's SARIF Multitool", () => {
  it("has no errors or warnings under the SARIF and GitHub rules, with suppressed, baselined and unparseable inputs", async () => {
    const root = await writeTree({
      "extra/broken/main.tf": 'resource "aws_iam_user" "half" {\n  name = "half"\n',
      "extra/annotations/main.tf": [
        'resource "aws_iam_user" "bot" {\n  name = "bot[1]"\n}\n',
        "# keygate:ignore KG001",
        'resource "aws_iam_access_key" "bot" {\n  user = aws_iam_user.bot.name\n}\n',
        "# keygate:ignore KG999 -- not a rule",
        'resource "aws_iam_user" "spare" {\n  name = "spare"\n}\n',
      ].join("\n"),
    });
    await cp(EXAMPLES, join(root, "examples"), { recursive: true });
    const policies = loadPolicies();
    const settings = await loadSettings(policies, root);
    const scanned = await scan({ paths: ["examples", "extra"], cwd: root, settings, policies, today: TODAY });
    const accepted = scanned.findings.find((f) => !f.suppressed)!;
    const baseline = parseBaseline(
      JSON.stringify({
        version: 1,
        findings: [
          {
            fingerprint: accepted.fingerprint,
            ruleId: accepted.ruleId,
            resource: accepted.resource,
            file: accepted.location.file,
            reason: "accepted in SEC-1",
          },
          {
            fingerprint: "0123456789abcdef0123456789abcdef",
            ruleId: "KG001",
            resource: "aws_iam_access_key.gone",
            file: "examples/gone/main.tf",
          },
        ],
      }),
      "keygate-baseline.json",
    );
    const result = applyBaseline(scanned, baseline);
    // What the log must exercise: every kind of result and notification keygate writes.
    expect(result.findings.some((f) => f.suppressed?.kind === "inline")).toBe(true);
    expect(result.findings.some((f) => f.suppressed?.kind === "baseline")).toBe(true);
    expect(result.findings.some((f) => f.notes.length > 0)).toBe(true);
    expect(result.errors.map((e) => e.file)).toEqual(["extra/broken/main.tf"]);
    expect(result.warnings.length).toBeGreaterThanOrEqual(2);

    const good = join(root, "keygate.sarif");
    await writeFile(good, sarifReporter.render(result, { color: false, cwd: root, repoRoot: root }));
    // A control: without its rules array the log breaks a GitHub rule, so the validator is really judging.
    const log = JSON.parse(await readFile(good, "utf8"));
    delete log.runs[0].tool.driver.rules;
    for (const r of log.runs[0].results) delete r.ruleIndex;
    const broken = join(root, "no-rules.sarif");
    await writeFile(broken, JSON.stringify(log));

    const issues = await validate([good, broken], root);
    expect(issues.filter((i) => i.file.endsWith("no-rules.sarif")).map((i) => i.ruleId)).toContain("GH1018");
    const mine = issues.filter((i) => i.file.endsWith("keygate.sarif"));
    expect(mine.filter((i) => i.level !== "note")).toEqual([]);
    expect(mine.filter((i) => !(i.ruleId in ACCEPTED_NOTES))).toEqual([]);
  }, 180_000);
});
