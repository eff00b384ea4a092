import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { snapshotRepository } from "../support/repository-snapshot.js";
import { GIT_ENV, GitHistory, tf } from "./git-history.js";

/**
 * The hook end to end with the real pre-commit framework: `.pre-commit-hooks.yaml` installs keygate
 * as pre-commit does (`language: script`: a clone of the hook repository, nothing compiled or
 * installed) and runs `keygate --staged` on the staged Terraform files, from the committed bundle
 * (action/dist/index.mjs). The hook repository is a snapshot of this repository's files (tracked
 * and untracked, as `git ls-files` lists them) committed to a temporary repository, so the test
 * checks the working tree as it is, committed or not. The first run's time and the size of
 * pre-commit's environment (PRE_COMMIT_HOME: the clone, pre-commit's database) are printed.
 */
const PACKAGE_ROOT = join(import.meta.dirname, "..", "..");
const hasPreCommit = spawnSync("pre-commit", ["--version"]).status === 0;
const INSTALL_TIMEOUT = 600_000;

/** The bytes of every file under a directory. */
function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
}

let hookRepository: string;
let hookRevision: string;

function preCommit(args: string[], cwd: string, home: string) {
  const started = performance.now();
  const result = spawnSync("pre-commit", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      ...GIT_ENV,
      PRE_COMMIT_HOME: home,
      PRE_COMMIT_COLOR: "never",
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
    },
    timeout: INSTALL_TIMEOUT,
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`pre-commit ${args.join(" ")}: exit ${result.status} in ${seconds.toFixed(1)} s`);
  return { code: result.status, output: `${result.stdout}${result.stderr}`, seconds };
}

describe.skipIf(!hasPreCommit)("pre-commit hook (end to end)", () => {
  beforeAll(() => {
    const hook = GitHistory.create();
    snapshotRepository(hook.dir);
    expect(
      existsSync(join(hook.dir, "action", "dist", "index.mjs")),
      "action/dist/index.mjs: run `npm run build:action`",
    ).toBe(true);
    hook.git("add", "-A");
    hookRevision = hook.commit("keygate as it is in the working tree");
    hookRepository = hook.dir;
  });

  it(
    "pre-commit try-repo: fails on a user and key staged together, passes a staged key for a committed user",
    () => {
      const repo = GitHistory.create();
      repo.commit("users", { "stacks/app/users.tf": tf.user("app"), "README.md": "infra\n" });
      repo.stage({
        // Compliant: a key for the committed user, in a file of its own.
        "stacks/app/keys.tf": tf.key("app", "app"),
        // Violating: a new user and its key, in two files of another configuration.
        "stacks/etl/users.tf": tf.user("etl"),
        "stacks/etl/keys.tf": tf.key("etl", "etl"),
      });
      // Unstaged edits are stashed by pre-commit while the hook runs.
      repo.write({
        "stacks/etl/keys.tf": `${tf.key("etl", "etl")}# unstaged\n`,
        "untracked.tf": tf.user("x") + tf.key("x", "x"),
      });

      // try-repo clones the hook repository and installs the hook afresh, in a directory of its own.
      const { code, output, seconds } = preCommit(
        ["try-repo", hookRepository, "keygate", "--ref", hookRevision],
        repo.dir,
        mkdtempSync(join(tmpdir(), "keygate-pre-commit-")),
      );
      console.log(`pre-commit try-repo, the hook installed and run: ${seconds.toFixed(1)} s`);
      expect(output).toMatch(/keygate \(no access key at an IAM user's initial setup.*Failed/);
      expect(code).toBe(1);
      expect(output).toContain("stacks/etl/keys.tf");
      expect(output).toContain("aws_iam_access_key.etl");
      expect(output).not.toContain("aws_iam_access_key.app");
      expect(output).not.toContain("aws_iam_access_key.x");
      expect(readFileSync(join(repo.dir, "stacks/etl/keys.tf"), "utf8")).toContain("# unstaged");
    },
    INSTALL_TIMEOUT,
  );

  it(
    "installed from examples/ci/pre-commit-config.yaml: git commit is refused for a new pair and accepted for a later key",
    () => {
      const home = mkdtempSync(join(tmpdir(), "keygate-pre-commit-"));
      const repo = GitHistory.create();
      const config = readFileSync(join(PACKAGE_ROOT, "examples", "ci", "pre-commit-config.yaml"), "utf8")
        .replace("https://github.com/keygate-dev/keygate", hookRepository)
        .replace(/rev: \S+/, `rev: ${hookRevision}`);
      writeFileSync(join(repo.dir, ".pre-commit-config.yaml"), config);
      expect(preCommit(["install"], repo.dir, home).code).toBe(0);
      const commit = (message: string) => {
        const started = performance.now();
        const result = spawnSync("git", ["commit", "-m", message], {
          cwd: repo.dir,
          encoding: "utf8",
          env: {
            ...process.env,
            ...GIT_ENV,
            PRE_COMMIT_HOME: home,
            PRE_COMMIT_COLOR: "never",
            npm_config_prefer_offline: "true",
          },
          timeout: INSTALL_TIMEOUT,
        });
        const seconds = (performance.now() - started) / 1000;
        console.log(`git commit -m "${message}": exit ${result.status} in ${seconds.toFixed(1)} s`);
        return { code: result.status, output: `${result.stdout}${result.stderr}`, seconds };
      };

      repo.stage({ ".pre-commit-config.yaml": config });
      const first = commit("pre-commit config (installs the hook)");
      expect(first.code).toBe(0);
      // The hook's first run installs it: pre-commit's environment (PRE_COMMIT_HOME) is then the
      // clone of the hook repository and pre-commit's database; nothing is compiled or installed.
      const megabytes = directorySize(home) / 1e6;
      console.log(
        `pre-commit hook, first run (install included): ${first.seconds.toFixed(1)} s; its environment (PRE_COMMIT_HOME): ${megabytes.toFixed(1)} MB`,
      );
      expect(megabytes).toBeGreaterThan(1); // the clone is there: the measure measures something
      expect(megabytes).toBeLessThanOrEqual(60);
      expect(
        readdirSync(home, { recursive: true }).some((f) => String(f).split(/[\\/]/).includes("node_modules")),
      ).toBe(false);

      repo.stage({ "main.tf": tf.user("deploy") + tf.key("deploy", "deploy") });
      const refused = commit("user and key together");
      expect(refused.code).toBe(1);
      expect(refused.output).toContain("aws_iam_access_key.deploy");
      expect(repo.git("log", "--format=%s", "-1").trim()).toBe("pre-commit config (installs the hook)");

      repo.stage({ "main.tf": tf.user("deploy") });
      expect(commit("the user alone").code).toBe(0);
      repo.stage({ "keys.tf": tf.key("deploy", "deploy") });
      const later = commit("its key, later");
      expect(later.output).toMatch(/keygate.*Passed/);
      expect(later.code).toBe(0);

      // Hook = gate: on a feature branch off the remote's default branch, a user committed first
      // and its key committed second is refused at the second commit, as the pull request would be.
      repo.git("update-ref", "refs/remotes/origin/main", "HEAD");
      repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
      repo.git("checkout", "-q", "-b", "feature");
      repo.stage({ "ops.tf": tf.user("ops") });
      expect(commit("a user on the branch").code).toBe(0);
      repo.stage({ "ops-key.tf": tf.key("ops", "ops") });
      const branchKey = commit("its key, in the same branch");
      expect(branchKey.code).toBe(1);
      expect(branchKey.output).toContain("aws_iam_access_key.ops");
      expect(branchKey.output).toMatch(/Compared with the merge base of HEAD and origin\/main \([0-9a-f]{7}\)/);
    },
    INSTALL_TIMEOUT,
  );
});
