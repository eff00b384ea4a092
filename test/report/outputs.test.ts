import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPORTERS } from "../../src/report/index.js";
import { planReportTargets, TargetError } from "../../src/report/targets.js";
import { runCli, writeTree } from "../support/scan-fixture.js";

const FORMATS = [...REPORTERS.keys()];
const plan = (formats: string[], outputs: string[]) => planReportTargets(formats, outputs, FORMATS, "text");

const PAIR = {
  "main.tf":
    'resource "aws_iam_user" "u" {\n  name = "u"\n}\n\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n',
};

describe("which report goes where (-f, -o)", () => {
  it("sends one format to stdout by default, and text when none is named", () => {
    expect(plan([], [])).toEqual([{ format: "text", file: undefined }]);
    expect(plan(["json"], [])).toEqual([{ format: "json", file: undefined }]);
  });

  it("writes a single format to a plain -o FILE", () => {
    expect(plan(["sarif"], ["out.sarif"])).toEqual([{ format: "sarif", file: "out.sarif" }]);
    expect(plan([], ["report.txt"])).toEqual([{ format: "text", file: "report.txt" }]);
  });

  it("pairs formats with files by -o FORMAT=FILE; the format without a file goes to stdout", () => {
    expect(plan(["text", "sarif", "junit"], ["sarif=keygate.sarif", "junit=out/junit.xml"])).toEqual([
      { format: "text", file: undefined },
      { format: "sarif", file: "keygate.sarif" },
      { format: "junit", file: "out/junit.xml" },
    ]);
  });

  it("asks for a format named only in -o FORMAT=FILE, besides text on stdout when -f is not given", () => {
    expect(plan([], ["sarif=keygate.sarif"])).toEqual([
      { format: "text", file: undefined },
      { format: "sarif", file: "keygate.sarif" },
    ]);
    expect(plan(["sarif"], ["sarif=keygate.sarif"])).toEqual([{ format: "sarif", file: "keygate.sarif" }]);
  });

  it("reads -o with an = that names no format as a file when it is a path, and a misspelt format as an error", () => {
    expect(plan(["json"], ["reports/a=b.json"])).toEqual([{ format: "json", file: "reports/a=b.json" }]);
    expect(plan(["json"], ["./a=b.json"])).toEqual([{ format: "json", file: "./a=b.json" }]);
    expect(() => plan(["sarif"], ["sarf=out.sarif"])).toThrow(
      '-o sarf=out.sarif: unknown format "sarf"; formats: text, compact, json, sarif, junit, github, gitlab, markdown (for a file named so, write -o ./sarf=out.sarif)',
    );
  });

  it("refuses what cannot be done, saying how to do it", () => {
    expect(() => plan(["json", "sarif"], [])).toThrow(
      new TargetError(
        "only one format can go to standard output, but json and sarif would; send the others to files with -o FORMAT=FILE",
      ),
    );
    expect(() => plan(["json", "sarif"], ["out"])).toThrow(
      /-o out: with several formats or outputs, say which format goes where: -o FORMAT=FILE/,
    );
    expect(() => plan(["json"], ["a", "b"])).toThrow(TargetError);
    expect(() => plan(["sarif"], ["sarif="])).toThrow('-o sarif=: no file after "="; write -o sarif=FILE');
    expect(() => plan(["sarif", "junit"], ["sarif=out", "junit=out"])).toThrow(
      "-o sarif=out and -o junit=out write to the same file",
    );
  });
});

describe("keygate with several reports", () => {
  it("prints text and writes SARIF and JUnit in one run", async () => {
    const root = await writeTree(PAIR);
    const { code, stdout, stderr } = await runCli(
      ["-f", "text", "-f", "sarif", "-o", "sarif=reports/keygate.sarif", "-o", "junit=reports/junit.xml"],
      root,
    );
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(stdout).toContain("✖ 1 finding (1 error)");
    const log = JSON.parse(await readFile(join(root, "reports", "keygate.sarif"), "utf8"));
    expect(log.runs[0].results).toHaveLength(1);
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toMatch(/(^|\/)main\.tf$/);
    expect(await readFile(join(root, "reports", "junit.xml"), "utf8")).toContain(
      '<testsuites name="keygate" tests="1" failures="1"',
    );
  });

  it("keeps a plain -o FILE for one format", async () => {
    const root = await writeTree(PAIR);
    const { code, stdout } = await runCli(["-f", "github", "-o", "annotations.log"], root);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(await readFile(join(root, "annotations.log"), "utf8")).toMatch(/^::error file=(.*\/)?main\.tf,line=5,/);
  });

  it("is a usage error (exit 2) to send two formats to stdout", async () => {
    const root = await writeTree(PAIR);
    const { code, stdout, stderr } = await runCli(["-f", "json", "-f", "sarif"], root);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "keygate: only one format can go to standard output, but json and sarif would; send the others to files with -o FORMAT=FILE\nRun `keygate --help` for usage.\n",
    );
  });

  it("is a usage error (exit 2) to name an unknown format", async () => {
    const root = await writeTree(PAIR);
    const { code, stderr } = await runCli(["-f", "xml"], root);
    expect(code).toBe(2);
    // One line and the valid values (issue 16 replaced yargs' "Invalid values:" block).
    expect(stderr).toBe(
      "keygate: --format xml: not a valid value\nValid values: text, compact, json, sarif, junit, github, gitlab, markdown.\n",
    );
  });

  it("teaches every format in --help, in the reporter's own words", async () => {
    const { code, stdout } = await runCli(["--help"], process.cwd());
    expect(code).toBe(0);
    // yargs wraps to the terminal's width; compare the words.
    const words = stdout.replace(/\s+/g, " ");
    for (const reporter of REPORTERS.values())
      expect(words).toContain(` ${reporter.name} ${reporter.description.replace(/\s+/g, " ")}`);
    expect(stdout).toContain("-o sarif=keygate.sarif");
    expect(stdout).toMatch(/--baseline\s/);
    expect(stdout).toMatch(/--write-baseline\s/);
  });
});
