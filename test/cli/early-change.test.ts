import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { run as runCommandLine } from "../../src/cli.js";
import { openRepositoryAt } from "../../src/change/git.js";
import { startEarlyWork } from "../../src/early.js";
import { cloneWithFeatureBranch, GitHistory, tf } from "../change/git-history.js";
import { runCli, TODAY, writeTree } from "../support/scan-fixture.js";

/**
 * A change-aware scan's first questions to git (the repository, the base, the commit's listing and
 * what differs from it) are asked by the bin's early file before the CLI loads (src/early.ts,
 * change/git.ts's askChangeEarly); the scan takes each answer only for the very question it asks,
 * and asks git itself for anything else. The reports are those of a run that asks everything itself
 * (test/change/git-history.ts runs every change-aware test both ways).
 */
const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "dist", "bin.js");
/** Loaded into the bin to log the processes it starts (see io-spy.mjs). */
const SPY = join(ROOT, "test", "support", "io-spy.mjs");

/** The CLI in-process, as the bin runs it (early) or not; what it printed, and the early questions nobody took. */
async function inProcess(argv: string[], cwd: string, early: boolean) {
  let stdout = "";
  let stderr = "";
  const work = early ? startEarlyWork(argv, cwd) : undefined;
  const code = await runCommandLine(
    argv,
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      cwd,
      env: { ...process.env, XDG_CACHE_HOME: join(cwd, ".cache"), XDG_STATE_HOME: join(cwd, ".state") },
      stdoutIsTTY: false,
      today: TODAY,
      readStdin: async () => new Uint8Array(),
    },
    work,
  );
  return { code, stdout, stderr, asked: work?.git?.asked() ?? [], untaken: work?.git?.untaken() ?? [] };
}

/** The git commands of questions (past the -c settings). */
function commands(questions: string[][]): string[] {
  return questions.map((args) => {
    let at = 0;
    while (args[at] === "-c") at += 2;
    return args[at]!;
  });
}

function featureClone() {
  const { clone } = cloneWithFeatureBranch();
  clone.commit("user", { "ops.tf": tf.user("ops") });
  clone.stage({ "ops-key.tf": tf.key("ops", "ops") });
  return clone;
}

describe("change mode's first git round, asked before the CLI loads", () => {
  it("--staged without a remote: the repository, HEAD, its listing and the index's differences, all taken", async () => {
    const repo = GitHistory.create();
    repo.commit("start", { "README.md": "x\n" });
    repo.stage({ "main.tf": tf.user("a"), "keys.tf": tf.key("a", "a") });
    const argv = ["--staged", "-f", "json"];
    const early = await inProcess(argv, repo.dir, true);
    // No origin/HEAD (git's answer says so): no git symbolic-ref.
    expect(commands(early.asked)).toEqual(["rev-parse", "ls-tree", "diff-index"]);
    expect(early.untaken).toEqual([]);
    const asked = await inProcess(argv, repo.dir, false);
    expect(early).toMatchObject({ code: asked.code, stdout: asked.stdout, stderr: asked.stderr });
    expect(JSON.parse(early.stdout).findings.map((f: { resource: string }) => f.resource)).toEqual([
      "aws_iam_access_key.a",
    ]);
  });

  it("--staged on a feature branch of a clone: the merge base found early too, every answer taken", async () => {
    const clone = featureClone();
    const argv = ["--staged", "-f", "json"];
    const early = await inProcess(argv, clone.dir, true);
    // At the top level of a clone, where origin/HEAD points and the branch are asked with the repository.
    expect(commands(early.asked)).toEqual([
      "symbolic-ref",
      "symbolic-ref",
      "rev-parse",
      "merge-base",
      "ls-tree",
      "diff-index",
    ]);
    expect(early.untaken).toEqual([]);
    const asked = await inProcess(argv, clone.dir, false);
    expect(early).toMatchObject({ code: asked.code, stdout: asked.stdout, stderr: asked.stderr });
    expect(JSON.parse(early.stdout).base.description).toMatch(/^the merge base of HEAD and origin\/main /);
    // On the default branch itself, and detached: HEAD, as without the early round.
    for (const checkout of [
      ["checkout", "-q", "-b", "main", "origin/main"],
      ["checkout", "-q", "--detach"],
    ]) {
      clone.git(...checkout);
      clone.stage({ "ops-key.tf": tf.key("ops", "ops") });
      const [e, a] = [await inProcess(argv, clone.dir, true), await inProcess(argv, clone.dir, false)];
      expect(e.untaken, checkout.join(" ")).toEqual([]);
      expect(e, checkout.join(" ")).toMatchObject({ code: a.code, stdout: a.stdout, stderr: a.stderr });
    }
  });

  it("--base REF and --staged --base REF: taken; an unknown REF: the same message", async () => {
    const repo = GitHistory.create();
    repo.commit("one", { "main.tf": tf.user("a") });
    repo.commit("two", { "keys.tf": tf.key("a", "a") });
    repo.stage({ "more.tf": tf.user("b") });
    for (const argv of [
      ["--base", "HEAD~1", "-f", "json"],
      ["--staged", "--base", "HEAD~1", "-f", "json"],
      ["--base", "HEAD~1", "-f", "json", "--no-cache"],
      ["--base", "mian", "-f", "json"],
    ]) {
      const early = await inProcess(argv, repo.dir, true);
      expect(early.asked.length, argv.join(" ")).toBeGreaterThan(0);
      expect(early.untaken, argv.join(" ")).toEqual([]);
      const asked = await inProcess(argv, repo.dir, false);
      expect(early, argv.join(" ")).toMatchObject({ code: asked.code, stdout: asked.stdout, stderr: asked.stderr });
    }
  });

  it("what the scan asks differently it asks git itself: baseBranch in .keygate.json, no commits yet", async () => {
    const repo = GitHistory.create();
    repo.commit("start", { "README.md": "x\n" });
    repo.git("branch", "trunk");
    repo.git("checkout", "-q", "-b", "feature");
    repo.commit("user", { "main.tf": tf.user("a") });
    repo.stage({ "keys.tf": tf.key("a", "a"), ".keygate.json": JSON.stringify({ baseBranch: "trunk" }) });
    const argv = ["--staged", "-f", "json"];
    const early = await inProcess(argv, repo.dir, true);
    // Asked as without baseBranch (HEAD's listing): not what the scan asks.
    expect(commands(early.untaken)).toEqual(["ls-tree", "diff-index"]);
    const asked = await inProcess(argv, repo.dir, false);
    expect(early).toMatchObject({ code: 1, stdout: asked.stdout, stderr: asked.stderr });
    expect(JSON.parse(early.stdout).findings.map((f: { resource: string }) => f.resource)).toEqual([
      "aws_iam_access_key.a",
    ]);

    const empty = GitHistory.create();
    empty.stage({ "main.tf": tf.user("a"), "keys.tf": tf.key("a", "a") });
    const first = await inProcess(argv, empty.dir, true);
    expect(commands(first.asked)).toEqual(["rev-parse"]);
    expect(first.untaken).toEqual([]);
    const second = await inProcess(argv, empty.dir, false);
    expect(first).toMatchObject({ code: 1, stdout: second.stdout, stderr: second.stderr });
  });

  it("an answer git could not give (git not started) is asked again; answers are for their own run only", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("a") });
    repo.stage({ "keys.tf": tf.key("a", "a") });
    const argv = ["--staged", "-f", "json"];
    const reference = await inProcess(argv, repo.dir, false);
    const path = process.env.PATH;
    // No git to be found: every early question fails to start.
    process.env.PATH = join(repo.dir, "nowhere");
    const work = (() => {
      try {
        return startEarlyWork(argv, repo.dir);
      } finally {
        process.env.PATH = path;
      }
    })();
    const answers = work?.git;
    expect(commands(answers?.asked() ?? [])).toEqual(["rev-parse"]);
    // A run handed nothing takes nothing: the answers asked above are still there.
    await inProcess(argv, repo.dir, false);
    expect(answers?.untaken()).toHaveLength(1);
    let stdout = "";
    const code = await runCommandLine(
      argv,
      {
        stdout: (t) => (stdout += t),
        stderr: () => undefined,
        cwd: repo.dir,
        env: { ...process.env, XDG_CACHE_HOME: join(repo.dir, ".cache"), XDG_STATE_HOME: join(repo.dir, ".state") },
        stdoutIsTTY: false,
        today: TODAY,
        readStdin: async () => new Uint8Array(),
      },
      work,
    );
    // Handed: taken, and asked again when they could not be started.
    expect(answers?.untaken()).toEqual([]);
    expect({ code, stdout }).toEqual({ code: reference.code, stdout: reference.stdout });
  });

  it("the bin: outside a repository it starts nothing more than before; inside one each question is asked once", async () => {
    const dir = await writeTree({ "main.tf": tf.user("a") });
    const log = `${dir}.spy.log`;
    const spied = async (cwd: string, args: string[]) => {
      rmSync(log, { force: true });
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", SPY, BIN, ...args], {
        cwd,
        env: { ...process.env, KEYGATE_SPY_ROOT: cwd, KEYGATE_SPY_LOG: log },
        timeout: 60_000,
      }).catch((error: unknown) => error as { stdout: string; stderr: string });
      const started = existsSync(log) ? readFileSync(log, "utf8").split("\n") : [];
      return {
        stdout,
        stderr,
        git: started
          .filter((line) => /^(spawn|exec)/.test(line))
          .map((line) => line.split(" ").find((word, i, all) => i > 1 && all[i - 1] !== "-c" && word !== "-c")),
      };
    };
    const outside = await spied(dir, ["--staged", "-f", "json"]);
    expect(outside.stderr).toMatch(/is not in a git repository: --base and --staged compare git snapshots/);
    // Nothing early: the scan's own question, whose answer says there is no repository.
    expect(outside.git).toEqual(["rev-parse"]);

    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("a") });
    repo.stage({ "keys.tf": tf.key("a", "a") });
    const inside = await spied(repo.dir, ["--staged", "-f", "json", "--no-cache"]);
    expect(inside.git).toEqual(["rev-parse", "ls-tree", "diff-index", "cat-file"]);
    expect(inside.stdout).toBe(
      (await runCli(["--staged", "-f", "json", "--no-cache"], repo.dir, { ...process.env })).stdout,
    );
  });

  it("git symbolic-ref is left out only where it would say that origin/HEAD is no symbolic ref", async () => {
    const origin = GitHistory.create();
    origin.commit("start", { "main.tf": tf.user("old") });
    const cases: [string, (clone: GitHistory) => string][] = [
      ["no remote", (clone) => clone.dir],
      ["a remote, no origin/HEAD", (clone) => (clone.git("fetch", "-q", "origin"), clone.dir)],
      [
        "origin/HEAD set",
        (clone) => (clone.git("fetch", "-q", "origin"), clone.git("remote", "set-head", "origin", "--auto"), clone.dir),
      ],
      [
        "from a subdirectory",
        (clone) => (
          clone.git("fetch", "-q", "origin"),
          clone.git("remote", "set-head", "origin", "--auto"),
          join(clone.dir, "sub")
        ),
      ],
      [
        "origin/HEAD not symbolic",
        (clone) => (
          clone.git("fetch", "-q", "origin"),
          clone.git("update-ref", "refs/remotes/origin/HEAD", "origin/main"),
          clone.dir
        ),
      ],
      [
        "origin/HEAD not symbolic, packed",
        (clone) => (
          clone.git("fetch", "-q", "origin"),
          clone.git("update-ref", "refs/remotes/origin/HEAD", "origin/main"),
          clone.git("pack-refs", "--all"),
          clone.dir
        ),
      ],
      [
        "origin/HEAD pointing nowhere",
        (clone) => (clone.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/gone"), clone.dir),
      ],
      [
        "a linked work tree of a clone",
        (clone) => {
          clone.git("fetch", "-q", "origin");
          clone.git("remote", "set-head", "origin", "--auto");
          clone.git("worktree", "add", "-q", join(clone.dir, "linked"), "HEAD");
          return join(clone.dir, "linked");
        },
      ],
    ];
    const found: Record<string, { mayHave: boolean; symbolic: string }> = {};
    for (const [name, setUp] of cases) {
      const clone = GitHistory.create();
      clone.commit("start", { "sub/main.tf": tf.user("a") });
      clone.git("remote", "add", "origin", `file://${origin.dir}`);
      const dir = setUp(clone);
      const { repository } = await openRepositoryAt(dir, "HEAD", undefined, { withOriginHead: true });
      const symbolic = await promisify(execFile)(
        "git",
        ["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"],
        {
          cwd: dir,
        },
      ).then(
        ({ stdout }) => stdout.trim(),
        () => "",
      );
      found[name] = { mayHave: repository.mayHaveOriginHead, symbolic };
    }
    expect(found).toEqual({
      "no remote": { mayHave: false, symbolic: "" },
      "a remote, no origin/HEAD": { mayHave: false, symbolic: "" },
      "origin/HEAD set": { mayHave: true, symbolic: "origin/main" },
      "from a subdirectory": { mayHave: true, symbolic: "origin/main" },
      "origin/HEAD not symbolic": { mayHave: true, symbolic: "" },
      "origin/HEAD not symbolic, packed": { mayHave: false, symbolic: "" },
      "origin/HEAD pointing nowhere": { mayHave: true, symbolic: "origin/gone" },
      "a linked work tree of a clone": { mayHave: true, symbolic: "origin/main" },
    });
  });
});
