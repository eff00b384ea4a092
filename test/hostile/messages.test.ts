import { existsSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { CREDENTIAL_REPORT_COLUMNS } from "../../src/live/credential-report.js";
import { writeTree } from "../support/scan-fixture.js";
import { bin, git, PAIR, ROOT, STACK_TRACE } from "./support.js";

/** Issue 18's unclear messages, each by its text, through the built bin. */
describe("unclear messages say what is wrong", () => {
  it("a repeated argument names the line of the first, not hcl2json's internal file name", async () => {
    const dir = await writeTree({ "dup.tf": 'resource "aws_iam_user" "u" {\n  name = "a"\n  name = "b"\n}\n' });
    const run = await bin(["dup.tf", "-f", "compact", "--no-cache"], dir);
    expect(run.stdout.split("\n")[0]).toBe(
      'dup.tf:3:3: error Attribute redefined: The argument "name" was already set at line 2, column 3. Each argument may be set only once.',
    );
    expect(run.stdout).not.toContain("keygate-input");
    expect(run.code).toBe(2);
  });

  it("--base and --staged in a bare repository (or its git directory) say there is no working tree", async () => {
    const dir = await writeTree({ "work/main.tf": PAIR });
    git(join(dir, "work"), "init", "-q");
    git(join(dir, "work"), "add", ".");
    git(join(dir, "work"), "commit", "-qm", "pair");
    git(dir, "clone", "-q", "--bare", "work", "bare.git");
    for (const args of [["--base", "HEAD"], ["--staged"]]) {
      const run = await bin(args, join(dir, "bare.git"));
      expect(run.stderr).toBe(
        `keygate: ${join(dir, "bare.git")} is a bare git repository: --base and --staged compare a revision with the working tree, and there is none here. Run keygate in a checkout of the repository (git clone, or git worktree add).\n`,
      );
      expect(run.code).toBe(2);
    }
    const inGitDir = await bin(["--base", "HEAD"], join(dir, "work", ".git"));
    expect(inGitDir.stderr).toMatch(
      /^keygate: \S+\/work\/\.git is inside a git directory, not a working tree: --base and --staged compare/,
    );
    expect(inGitDir.code).toBe(2);
    // The same command in the checkout works.
    expect((await bin(["--base", "HEAD"], join(dir, "work"))).code).toBe(0);
  });

  it("--staged in a repository without commits: a note, no warning (not one labelled suppression), --fail-on warning passes", async () => {
    const dir = await writeTree({ "main.tf": 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n' });
    git(dir, "init", "-q");
    git(dir, "add", "main.tf");
    const run = await bin(["--staged", "--fail-on", "warning"], dir);
    expect(run.stdout).toBe("Compared with an empty tree (no commits yet).\n✔ 0 findings in 1 file\n");
    expect(run.code).toBe(0);
    const json = JSON.parse((await bin(["--staged", "-f", "json"], dir)).stdout);
    expect(json.warnings).toEqual([]);
  });

  it("a warning that is not about a suppression is not counted as a suppression warning", async () => {
    const dir = await writeTree({
      "main.tf": 'module "users" {\n  source  = "example/users/aws"\n  version = "1.0.0"\n}\n',
    });
    const run = await bin([".", "-f", "compact", "--no-cache"], dir);
    expect(run.stdout).toMatch(
      /^main\.tf:1:1: warning module call module\.users \("example\/users\/aws" 1\.0\.0\) was not checked/,
    );
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("0 findings, 1 warning in 1 file");
  });

  it("two -o targets that are one file through a symbolic link (even a dangling one) are a usage error, before anything is written", async () => {
    const dir = await writeTree({ "main.tf": PAIR });
    symlinkSync("report.json", join(dir, "link.sarif"));
    const run = await bin(["-o", "json=report.json", "-o", "sarif=link.sarif", "."], dir);
    expect(run.stderr).toBe(
      "keygate: -o json=report.json and -o sarif=link.sarif write to the same file: link.sarif is a symbolic link to report.json\nName a different file for each output.\n",
    );
    expect(run.code).toBe(2);
    expect(existsSync(join(dir, "report.json"))).toBe(false);
    const baseline = await bin(["-o", "sarif=link.sarif", "--write-baseline", "report.json", "."], dir);
    expect(baseline.stderr).toMatch(
      /^keygate: -o sarif=link\.sarif and --write-baseline report\.json write to the same file: link\.sarif is a symbolic link to report\.json\n/,
    );
    expect(baseline.code).toBe(2);
    expect((await bin(["-o", "json=report.json", "-o", "sarif=other.sarif", "."], dir)).code).toBe(1);
  });

  it("February 30 in a credential report is named, not rolled over to March 1", async () => {
    const row = CREDENTIAL_REPORT_COLUMNS.map((c) =>
      c === "user"
        ? "alice"
        : c === "arn"
          ? "arn:aws:iam::123456789012:user/alice"
          : c === "user_creation_time"
            ? "2024-02-30T10:00:00+00:00"
            : c.endsWith("_active") || c === "password_enabled"
              ? "false"
              : "N/A",
    );
    const dir = await writeTree({ "report.csv": `${CREDENTIAL_REPORT_COLUMNS.join(",")}\n${row.join(",")}\n` });
    const run = await bin(["live", "--credential-report", "report.csv", "-f", "compact"], dir);
    expect(run.stdout.split("\n")[0]).toBe(
      'report.csv:2:1: error malformed credential report: user_creation_time (column 3) is "2024-02-30T10:00:00+00:00": there is no February 30 in 2024, so the report is corrupt or was edited; download it again',
    );
    expect(run.code).toBe(2);
  });

  it("a file over 512 MB (sparse: no disk used) is refused with its size, .tf, .tf.json and plans alike", async () => {
    const dir = await writeTree({ "main.tf": PAIR });
    for (const name of ["huge.tf", "huge.tf.json", "plan.json"]) {
      writeFileSync(join(dir, name), "");
      truncateSync(join(dir, name), 600 * 1048576);
    }
    const run = await bin([".", "plan.json", "-f", "json", "--no-cache"], dir);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    const errors = JSON.parse(run.stdout).errors as { file: string; message: string }[];
    expect(errors.map((e) => e.file).sort()).toEqual(["huge.tf", "huge.tf.json", "plan.json"]);
    for (const error of errors)
      expect(error.message).toBe(
        "is 600 MB: keygate reads files up to 511 MB (the longest text JavaScript can hold); exclude it, or split it",
      );
    expect(run.code).toBe(2);
  });
});

describe("hcl2json's time budget", () => {
  it("a file hcl2json does not finish in time is an input error, and a fresh worker parses the next one", async () => {
    // The built pool (dist), which runs hcl2json on worker threads as the bin does.
    const { ParserPool } = (await import(
      pathToFileURL(join(ROOT, "dist", "load", "parse-pool.js")).href
    )) as typeof import("../../src/load/parse-pool.js");
    const pool = new ParserPool(1, { baseMs: 1, perMbMs: 0 });
    const declined = 'resource "aws_iam_user" "u" {\n  name = \n}\n';
    try {
      const [late] = await pool.parse([declined]);
      expect(late!.result).toEqual({
        ok: false,
        problems: [
          {
            line: 1,
            column: 1,
            message:
              "hcl2json, which parses what keygate's own parser declines, did not finish this file within 1 ms: it is too large or too unusual to check. Simplify it, or exclude it",
          },
        ],
      });
      pool.budget = { baseMs: 60_000, perMbMs: 0 };
      const [parsed] = await pool.parse([declined]);
      expect(parsed!.result.ok).toBe(false);
      expect(
        parsed!.result.ok ? [] : parsed!.result.problems.map((p) => `${p.line}:${p.column} ${p.message.split(":")[0]}`),
      ).toEqual(["2:10 Invalid expression"]);
    } finally {
      await pool.close();
    }
  });
});
