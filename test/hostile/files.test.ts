import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, writeTree } from "../support/scan-fixture.js";
import { bin, git, PAIR, STACK_TRACE } from "./support.js";

const USER = 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n';
const KEY = 'resource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n';

describe("repeated properties in .tf.json", () => {
  it('a second "resource" property declares more blocks, as in HCL\'s JSON syntax', async () => {
    const text =
      '{\n  "resource": { "aws_iam_user": { "u": { "name": "u" } } },\n  "resource": { "aws_iam_access_key": { "k": { "user": "${aws_iam_user.u.name}" } } }\n}\n';
    const dir = await writeTree({ "main.tf.json": text });
    for (const args of [["."], [".", "--no-prefilter"]]) {
      const run = await runCli([...args, "-f", "json"], dir);
      expect(run.code, args.join(" ")).toBe(1);
      expect(JSON.parse(run.stdout).findings.map((f: { resource: string }) => f.resource)).toEqual([
        "aws_iam_access_key.k",
      ]);
    }
  });

  it("repeated types and names are kept too; a repeated argument is an input error", async () => {
    const types =
      '{ "resource": { "aws_iam_user": { "u": { "name": "u" } }, "aws_iam_user": { "v": { "name": "v" } }, "aws_iam_access_key": { "k": { "user": "${aws_iam_user.v.name}" } } } }\n';
    expect((await runCli(["."], await writeTree({ "main.tf.json": types }))).code).toBe(1);
    const argument =
      '{ "resource": { "aws_iam_access_key": { "k": { "user": "${aws_iam_user.u.name}", "user": "other" } }, "aws_iam_user": { "u": { "name": "u" } } } }\n';
    const run = await runCli([".", "-f", "json"], await writeTree({ "main.tf.json": argument }));
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).errors[0]).toMatchObject({
      file: "main.tf.json",
      line: 1,
      message: expect.stringContaining('Duplicate argument: "user" was already set at line 1'),
    });
  });
});

describe("symbolic links and special files", () => {
  it("a link to a file inside the scanned tree is followed, outside git as inside", async () => {
    for (const inGit of [false, true]) {
      const dir = await writeTree({ "shared/user.tf.txt": USER, "stack/key.tf": KEY });
      symlinkSync("../shared/user.tf.txt", join(dir, "stack", "user.tf"));
      if (inGit) git(dir, "init", "-q");
      const run = await runCli(["."], dir);
      expect(run.code, `git: ${inGit}`).toBe(1);
    }
  });

  it("a link out of the repository (or scanned directory), or to a device, is an input error; the rest is scanned", async () => {
    const outside = await writeTree({ "user.tf": USER });
    for (const inGit of [false, true]) {
      const dir = await writeTree({ "key.tf": KEY, "other/main.tf": PAIR });
      symlinkSync(join(outside, "user.tf"), join(dir, "user.tf"));
      symlinkSync("/dev/zero", join(dir, "zero.tf"));
      if (inGit) {
        git(dir, "init", "-q");
        git(dir, "add", "-A");
        git(dir, "commit", "-qm", "links");
      }
      const run = await bin([".", "-f", "json", "--no-cache"], dir, { timeoutMs: 30_000 });
      expect(run.signal, `git: ${inGit}`).toBeNull();
      expect(run.code, `git: ${inGit}`).toBe(2);
      const report = JSON.parse(run.stdout);
      expect(report.findings.map((f: { resource: string }) => f.resource)).toEqual(["aws_iam_access_key.k"]);
      const where = inGit ? "the repository" : "the scanned directory";
      expect(report.errors.map((e: { file: string; message: string }) => [e.file, e.message])).toEqual([
        ["user.tf", expect.stringContaining(`is a symbolic link to ${join(outside, "user.tf")}, outside ${where}`)],
        ["zero.tf", expect.stringContaining(`is a symbolic link to /dev/zero, outside ${where}`)],
      ]);
    }
  });

  it("a FIFO, named or found, is refused at once", async () => {
    const dir = await writeTree({ "main.tf": PAIR });
    execFileSync("mkfifo", [join(dir, "pipe.tf")]);
    mkdirSync(join(dir, "plans"));
    execFileSync("mkfifo", [join(dir, "plans", "plan.json")]);
    for (const args of [["."], ["pipe.tf"], ["plans/plan.json", "main.tf"]]) {
      const run = await bin([...args, "--no-cache"], dir, { timeoutMs: 30_000 });
      expect(run.signal, args.join(" ")).toBeNull();
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stdout, args.join(" ")).toContain("is not a regular file (a FIFO, socket or device)");
      expect(run.stderr + run.stdout).not.toMatch(STACK_TRACE);
    }
  });
});
