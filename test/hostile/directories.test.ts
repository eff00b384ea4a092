import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findOnPath } from "../support/path.js";
import { writeTree } from "../support/scan-fixture.js";
import { bin, git, PAIR, STACK_TRACE } from "./support.js";

/**
 * The tests run as root, who reads every directory: the unreadable-directory case drops privileges
 * to `nobody` with setpriv (util-linux), so that the kernel really refuses the directory.
 */
const asNobody = process.getuid?.() === 0 && findOnPath("setpriv") !== undefined;

async function treeForNobody(): Promise<string> {
  const dir = await writeTree({
    "ok/main.tf": PAIR,
    "locked/main.tf": PAIR.replace(/"u"/g, '"v"').replace(/\.u\./g, ".v."),
  });
  execFileSync("chmod", ["-R", "a+rX", dir]);
  chmodSync(join(dir, "locked"), 0o000);
  return dir;
}

describe("an unreadable directory", () => {
  it.runIf(asNobody)(
    "is an input error for that directory, and the rest is scanned (outside git and inside)",
    { timeout: 120_000 },
    async () => {
      for (const inGit of [false, true]) {
        const dir = await treeForNobody();
        if (inGit) {
          chmodSync(join(dir, "locked"), 0o755);
          git(dir, "init", "-q");
          git(dir, "add", "ok");
          execFileSync("chmod", ["-R", "a+rX", dir]);
          chmodSync(join(dir, "locked"), 0o000);
        }
        const state = await writeTree({});
        execFileSync("chmod", ["a+rwx", state]);
        const run = await bin([".", "-f", "json", "--no-cache"], dir, {
          env: {
            XDG_STATE_HOME: state,
            XDG_CACHE_HOME: state,
            HOME: state,
            GIT_CONFIG_COUNT: "1",
            GIT_CONFIG_KEY_0: "safe.directory",
            GIT_CONFIG_VALUE_0: "*",
          },
          wrap: ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
        });
        expect(run.stderr, `git: ${inGit}`).not.toMatch(STACK_TRACE);
        expect(run.code, `git: ${inGit}: ${run.stderr}`).toBe(2);
        const report = JSON.parse(run.stdout);
        expect(report.findings.map((f: { location: { file: string } }) => f.location.file)).toEqual(["ok/main.tf"]);
        expect(report.errors).toEqual([
          { file: "locked", message: expect.stringContaining("this directory cannot be read (permission denied)") },
        ]);
      }
    },
  );
});

describe("git submodules", () => {
  it(
    "a checked-out submodule is scanned; one that is not is reported, never skipped silently",
    { timeout: 120_000 },
    async () => {
      const inner = await writeTree({ "main.tf": PAIR });
      git(inner, "init", "-q");
      git(inner, "add", "-A");
      git(inner, "commit", "-qm", "inner");
      const outer = await writeTree({ "root.tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n' });
      git(outer, "init", "-q");
      git(outer, "-c", "protocol.file.allow=always", "submodule", "add", "-q", inner, "vendor/iam");
      git(outer, "add", "-A");
      git(outer, "commit", "-qm", "with a submodule");
      const scanned = await bin([".", "-f", "json", "--no-cache"], outer);
      expect(scanned.code).toBe(1);
      expect(JSON.parse(scanned.stdout).findings.map((f: { location: { file: string } }) => f.location.file)).toEqual([
        "vendor/iam/main.tf",
      ]);

      // A fresh clone without --recurse-submodules: the submodule's directory is empty.
      const clone = await writeTree({});
      git(clone, "clone", "-q", outer, "c");
      const run = await bin([".", "-f", "json", "--no-cache"], join(clone, "c"));
      expect(run.code).toBe(2);
      expect(JSON.parse(run.stdout).errors).toEqual([
        { file: "vendor/iam", message: expect.stringContaining("a git submodule that is not checked out") },
      ]);
      // Excluded in the config: nothing to say.
      writeFileSync(join(clone, "c", ".keygate.json"), JSON.stringify({ exclude: ["vendor/**"] }));
      expect((await bin(["."], join(clone, "c"))).code).toBe(0);
    },
  );
});
