import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeTree } from "../support/scan-fixture.js";
import { bin, git, PAIR } from "./support.js";

/**
 * A scanned repository names programs for git to run: an fsmonitor, a clean/smudge/process filter
 * and a diff textconv for every .tf file, and every hook. Each would leave a marker file outside
 * the repository. keygate must run none of them, in any mode, cache on or off.
 */
async function plantedRepository(): Promise<{ dir: string; markers: string }> {
  const markers = await writeTree({});
  const dir = await writeTree({
    "main.tf": 'resource "aws_iam_user" "old" {\n  name = "old"\n}\n',
    "other/queue.tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n',
  });
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "base");
  // Staged before the traps are set (git add would run the clean filter of the test's own git).
  writeFileSync(join(dir, "keys.tf"), PAIR);
  git(dir, "add", "keys.tf");
  const script = (name: string) => {
    const path = join(markers, `${name}.sh`);
    writeFileSync(path, `#!/bin/sh\ntouch "${join(markers, `ran-${name}`)}"\ncat\n`);
    chmodSync(path, 0o755);
    return path;
  };
  writeFileSync(join(dir, ".gitattributes"), "*.tf filter=evil diff=evil\n*.tf.json filter=evil diff=evil\n");
  const hooks = join(dir, ".git", "hooks");
  mkdirSync(hooks, { recursive: true });
  for (const hook of [
    "pre-commit",
    "post-checkout",
    "post-index-change",
    "reference-transaction",
    "fsmonitor-watchman",
    "pre-auto-gc",
    "post-merge",
  ]) {
    writeFileSync(join(hooks, hook), `#!/bin/sh\ntouch "${join(markers, `ran-hook-${hook}`)}"\n`);
    chmodSync(join(hooks, hook), 0o755);
  }
  const config = [
    "[core]",
    `\tfsmonitor = ${script("fsmonitor")}`,
    "\tuntrackedCache = true",
    `[filter "evil"]`,
    `\tclean = ${script("clean")}`,
    `\tsmudge = ${script("smudge")}`,
    `\tprocess = ${script("process")}`,
    "\trequired = true",
    `[diff "evil"]`,
    `\ttextconv = ${script("textconv")}`,
    `\tcommand = ${script("external-diff")}`,
    "[diff]",
    `\texternal = ${script("diff-external")}`,
  ].join("\n");
  writeFileSync(join(dir, ".git", "config"), `${readFileSync(join(dir, ".git", "config"), "utf8")}\n${config}\n`);
  // Stat-dirty files (same content, new times): git would re-read them through the clean filter to compare.
  const later = new Date(Date.now() + 5_000);
  for (const file of ["main.tf", "other/queue.tf", "keys.tf"]) utimesSync(join(dir, file), later, later);
  // And one modified in the work tree.
  writeFileSync(join(dir, "other/queue.tf"), 'resource "aws_sqs_queue" "q" {\n  name = "q2"\n}\n');
  return { dir, markers };
}

describe("a scanned repository's programs", () => {
  it(
    "none runs: full scan, --base, --staged, with and without the cache, named paths",
    { timeout: 300_000 },
    async () => {
      const { dir, markers } = await plantedRepository();
      const cache = await writeTree({});
      const state = await writeTree({});
      const env = { XDG_CACHE_HOME: cache, XDG_STATE_HOME: state };
      const runs: [string[], number][] = [
        [["."], 1],
        [["."], 1], // warm: the cache's git listing again
        [[".", "--no-cache"], 1],
        [["--no-prefilter", "."], 1],
        [["other", "keys.tf"], 1],
        [["--base", "HEAD", "."], 1],
        [["--base", "HEAD", "--no-cache", "."], 1],
        [["--staged"], 1],
        [["--staged", "keys.tf"], 1],
        [["--staged", "--no-cache"], 1],
        [["-f", "sarif", "."], 1],
      ];
      for (const [args, code] of runs) {
        const run = await bin(args, dir, { env, timeoutMs: 20_000 });
        expect(run.stderr, args.join(" ")).toBe("");
        expect(run.code, args.join(" ")).toBe(code);
        expect(
          readdirSync(markers).filter((f) => f.startsWith("ran-")),
          args.join(" "),
        ).toEqual([]);
      }
      // The traps are armed: the test's own git, without keygate's settings, does run them.
      try {
        git(dir, "-c", "core.hooksPath=.git/hooks", "status", "--porcelain");
      } catch {
        // the planted filter fails on purpose
      }
      expect(
        existsSync(join(markers, "ran-fsmonitor")) ||
          existsSync(join(markers, "ran-clean")) ||
          existsSync(join(markers, "ran-process")),
      ).toBe(true);
    },
  );
});
