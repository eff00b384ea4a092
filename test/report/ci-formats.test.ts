import { describe, expect, it } from "vitest";
import { githubReporter } from "../../src/report/github.js";
import { junitReporter } from "../../src/report/junit.js";
import { markdownReporter } from "../../src/report/markdown.js";
import { scanTree } from "../support/scan-fixture.js";
import { CONTEXT, scanScenario } from "./ci-scenario.js";

/** The `<testcase>` elements of a JUnit report as [suite, name, outcome] rows. */
function testCases(xml: string): string[][] {
  const rows: string[][] = [];
  let suite = "";
  for (const m of xml.matchAll(
    /<testsuite name="([^"]*)"|<testcase name="([^"]*)"[^>]*?(\/>|>\s*<(failure|error|skipped|system-out))/g,
  )) {
    if (m[1] !== undefined) suite = m[1];
    else rows.push([suite, m[2]!, m[3] === "/>" ? "passed" : m[4] === "system-out" ? "passed" : m[4]!]);
  }
  return rows;
}

describe("JUnit report", () => {
  it("has a test case per policy and configuration, an error case per unreadable file, and skips what those leave unchecked", async () => {
    const xml = junitReporter.render(await scanScenario(), CONTEXT);
    expect(testCases(xml)).toEqual([
      ["stacks/app", "KG001 access-key-created-with-user", "failure"],
      ["stacks/broken", "KG001 access-key-created-with-user", "skipped"],
      ["stacks/broken", "read stacks/broken/main.tf", "error"],
      ["stacks/ci", "KG001 access-key-created-with-user", "passed"],
      ["stacks/clean", "KG001 access-key-created-with-user", "passed"],
    ]);
    expect(xml).toMatch(/^<testsuites name="keygate" tests="5" failures="1" errors="1" skipped="1">$/m);
  });

  it("puts every unsuppressed finding of a configuration in its failure, with location, fix and docs", async () => {
    const xml = junitReporter.render(await scanScenario(), CONTEXT);
    const failure = /<failure type="KG001" message="([^"]*)">([^<]*)<\/failure>/.exec(xml)!;
    expect(failure[1]).toBe("2 findings: aws_iam_access_key.report, aws_iam_access_key.deploy");
    expect(failure[2]).toContain("stacks/app/legacy.tf:15:1 error Access key aws_iam_access_key.report");
    expect(failure[2]).toContain("stacks/app/main.tf:10:1 error Access key aws_iam_access_key.deploy");
    expect(failure[2]).toContain("docs: https://github.com/keygate-dev/keygate/blob/v0.1.0/docs/policies/KG001.md");
    expect(xml).toContain(
      '<testcase name="KG001 access-key-created-with-user" classname="stacks/app" file="stacks/app/legacy.tf" line="15">',
    );
  });

  it("shows suppressed and baselined findings, warnings and the baseline in system-out", async () => {
    const xml = junitReporter.render(await scanScenario(), CONTEXT);
    expect(xml).toContain(
      "<system-out>suppressed: stacks/app/legacy.tf:6:1 aws_iam_access_key.vendor -- vendor onboarding needs a key on day one, SEC-142 (until 2099-12-31)</system-out>",
    );
    expect(xml).toContain(
      "<system-out>baselined: stacks/ci/main.tf:5:1 aws_iam_access_key.runner -- runner key predates keygate; rotation tracked in SEC-200</system-out>",
    );
    expect(xml).toContain(
      '<system-out>warning: stacks/app/legacy.tf:19:1: keygate:ignore names an unknown rule "KG999"',
    );
    expect(xml).toContain("baseline keygate-baseline.json: 1 of 3 entries matched, 1 stale</system-out>");
  });

  it("escapes what XML cannot carry as it is", async () => {
    const { root: _root, ...result } = await scanTree({
      "main.tf":
        'resource "aws_iam_user" "u" {\n  name = "a<b>&\\"c\\""\n}\n\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n',
    });
    const xml = junitReporter.render(result, CONTEXT);
    expect(xml).toContain('"a&lt;b&gt;&amp;"c""');
    expect(xml).not.toContain("<b>");
    // Attributes hold no raw quote or angle bracket: each value runs from =" to the next ".
    for (const [, value] of xml.matchAll(/="([^"]*)"/g)) expect(value).not.toMatch(/[<>]/);
  });

  it("passes every policy of a clean configuration", async () => {
    const { root: _root, ...result } = await scanTree({
      "main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n',
    });
    expect(testCases(junitReporter.render(result, CONTEXT))).toEqual([
      [".", "KG001 access-key-created-with-user", "passed"],
    ]);
  });
});

describe("GitHub annotations", () => {
  it("writes one workflow command per unsuppressed finding, input error and warning, then a summary", async () => {
    const lines = githubReporter
      .render(await scanScenario(), CONTEXT)
      .trimEnd()
      .split("\n");
    expect(lines.map((l) => l.replace(/::[^:]*$/, "").replace(/^(::\w+ [^:]*)::.*$/, "$1"))).toEqual([
      "::error file=stacks/app/legacy.tf,line=15,endLine=17,col=1,title=KG001 IAM user gets an access key during its initial setup",
      "::error file=stacks/app/main.tf,line=10,endLine=12,col=1,title=KG001 IAM user gets an access key during its initial setup",
      "::error file=stacks/broken/main.tf,line=1,col=32,title=keygate%3A input error (the check is incomplete)",
      "::warning file=keygate-baseline.json,line=12,col=5,title=keygate%3A warning",
      "::warning file=stacks/app/legacy.tf,line=19,col=1,title=keygate%3A warning",
      "keygate: 2 findings, 1 suppressed, 1 baselined, 1 stale baseline entry, 1 input error, 2 warnings in 5 files",
    ]);
  });

  it("escapes the message's line breaks and keeps the note, the fix and the docs", async () => {
    const [first] = githubReporter.render(await scanScenario(), CONTEXT).split("\n");
    const message = first!.slice(first!.indexOf("::", 2) + 2);
    expect(message).not.toContain("\n");
    expect(message.split("%0A").map((part) => part.split(":")[0])).toEqual([
      "Access key aws_iam_access_key.report (stacks/app/legacy.tf",
      "Note",
      "Fix",
      "Docs",
    ]);
  });

  it("gives paths relative to the repository root and an end column on one-line ranges", async () => {
    const { root: _root, ...result } = await scanTree({
      "main.tf":
        'resource "aws_iam_user" "u" { name = "u" }\nresource "aws_iam_access_key" "k" { user = aws_iam_user.u.name }\n',
    });
    const [first] = githubReporter.render(result, { color: false, cwd: "/repo/infra", repoRoot: "/repo" }).split("\n");
    expect(first).toMatch(/^::error file=infra\/main\.tf,line=2,endLine=2,col=1,endColumn=\d+,title=/);
  });

  it("annotates a finding on an AWS account without a file", async () => {
    const result = await scanScenario();
    const finding = {
      ...result.findings[1]!,
      location: { file: "aws://123456789012/iam", line: 1, column: 1, endLine: 1, endColumn: 1 },
    };
    const [first] = githubReporter
      .render({ ...result, findings: [finding], errors: [], warnings: [] }, CONTEXT)
      .split("\n");
    expect(first).toMatch(/^::error title=KG001 IAM user gets an access key during its initial setup::Access key/);
  });

  it("uses ::warning and ::notice for policies set to warning and info", async () => {
    for (const [severity, command] of [
      ["warning", "::warning"],
      ["info", "::notice"],
    ]) {
      const { root: _root, ...result } = await scanTree({
        "main.tf":
          'resource "aws_iam_user" "u" {\n  name = "u"\n}\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n',
        ".keygate.json": JSON.stringify({ policies: { KG001: severity } }),
      });
      expect(githubReporter.render(result, CONTEXT).split(" ")[0]).toBe(command);
    }
  });
});

describe("Markdown summary", () => {
  it("starts with the status and the counts", async () => {
    const md = markdownReporter.render(await scanScenario(), CONTEXT);
    expect(md.split("\n").slice(0, 3)).toEqual([
      "### ⚠️ keygate could not complete the check: 1 input error",
      "",
      "2 findings (2 errors) · 1 suppressed · 1 baselined · 1 input error · 2 warnings · 5 files scanned",
    ]);
  });

  it("has a row per unsuppressed finding and folds the suppressed ones away", async () => {
    const md = markdownReporter.render(await scanScenario(), CONTEXT);
    const rows = md.split("\n").filter((l) => l.startsWith("| 🔴 error |"));
    expect(rows.map((r) => r.split(" | ")[2])).toEqual(["`stacks/app/legacy.tf:15`", "`stacks/app/main.tf:10`"]);
    expect(md).toContain("<details><summary>2 suppressed findings</summary>");
    expect(md).toContain(
      "| KG001 | `aws_iam_access_key.runner` | `stacks/ci/main.tf:5` | baseline | runner key predates keygate; rotation tracked in SEC-200 |",
    );
    expect(md).toContain("Baseline `keygate-baseline.json`: 1 of 3 entries matched, 1 stale.");
  });

  it("says so when all is well", async () => {
    const { root: _root, ...result } = await scanTree({
      "main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n',
    });
    expect(markdownReporter.render(result, CONTEXT)).toBe(
      "### ✅ keygate: no findings\n\n0 findings · 0 suppressed · 0 input errors · 0 warnings · 1 file scanned\n",
    );
  });

  it("keeps table cells whole: pipes escaped, no raw HTML", async () => {
    const { root: _root, ...result } = await scanTree({
      "main.tf":
        'resource "aws_iam_user" "u" {\n  name = "a|b<script>"\n}\n\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n',
    });
    const row = markdownReporter
      .render(result, CONTEXT)
      .split("\n")
      .find((l) => l.startsWith("| 🔴"))!;
    expect(row).toContain('"a\\|b&lt;script&gt;"');
    expect(row.split(/(?<!\\)\|/).length).toBe(6);
  });
});
