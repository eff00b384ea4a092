import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { runCli } from "../support/scan-fixture.js";

/**
 * Hermetic git for scripted histories: no system or global config (so a developer's hooks,
 * signing or default branch cannot leak in), a fixed identity. keygate's own git processes inherit
 * process.env, so they run under the same rules.
 */
export const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Keygate Test",
  GIT_AUTHOR_EMAIL: "test@keygate.invalid",
  GIT_COMMITTER_NAME: "Keygate Test",
  GIT_COMMITTER_EMAIL: "test@keygate.invalid",
  GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
} as const;
Object.assign(process.env, GIT_ENV);

/** A temporary git repository whose history a test writes step by step. */
export class GitHistory {
  private constructor(readonly dir: string) {}

  /** A new repository (branch `main`, no commits), optionally in a fresh directory of its own. */
  static create(): GitHistory {
    const dir = mkdtempSync(join(tmpdir(), "keygate-git-"));
    const history = new GitHistory(dir);
    history.git("init", "-q", "-b", "main");
    return history;
  }

  /** Runs git in the repository; returns its stdout. */
  git(...args: string[]): string {
    return execFileSync("git", args, {
      cwd: this.dir,
      env: { ...process.env, ...GIT_ENV },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** Writes files into the working tree (`null` deletes one). */
  write(files: Record<string, string | null>): this {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    return this;
  }

  /** Writes the files and stages exactly them (deletions included). */
  stage(files: Record<string, string | null>): this {
    this.write(files);
    if (Object.keys(files).length) this.git("add", "-A", "--", ...Object.keys(files));
    return this;
  }

  /** Writes and stages the files, then commits everything staged; returns the commit id. */
  commit(message: string, files: Record<string, string | null> = {}): string {
    this.stage(files);
    this.git("commit", "-q", "--allow-empty", "-m", message);
    return this.git("rev-parse", "HEAD").trim();
  }

  /**
   * Runs keygate in the repository (or a directory in it) with the JSON report; returns exit code,
   * findings' addresses and the rest. A change-aware run is made twice, scoped (the default) and
   * with the full evaluation of both sides, and the two must agree byte for byte; the first runs as
   * the bin does, taking what its early file asked git before the CLI loaded (see src/early.ts),
   * the second asks git everything itself.
   */
  async keygate(args: string[], cwd = ".") {
    const { code, stdout, stderr } = await runCli(
      [...args, "-f", "json"],
      join(this.dir, cwd),
      { ...process.env },
      undefined,
      { asBin: true },
    );
    if (args.some((a) => a === "--staged" || a.startsWith("--base"))) {
      const full = await runCli([...args, "-f", "json"], join(this.dir, cwd), {
        ...process.env,
        KEYGATE_CHANGE_EVALUATION: "full",
      });
      expect({ args, code: full.code, stdout: full.stdout, stderr: full.stderr }).toEqual({
        args,
        code,
        stdout,
        stderr,
      });
    }
    const report = stdout ? (JSON.parse(stdout) as JsonReport) : undefined;
    return {
      code,
      stderr,
      report,
      flagged: (report?.findings ?? []).map((f) => f.resource).sort(),
      errors: (report?.errors ?? []).map((e) => `${e.file}: ${e.message}`),
      warnings: (report?.warnings ?? []).map((w) => `${w.file}: ${w.message}`),
    };
  }
}

/** The parts of the JSON report (docs/reports.md) the tests look at. */
export interface JsonReport {
  version: number;
  findings: {
    ruleId: string;
    resource: string;
    related: unknown;
    location: { file: string; line: number };
    fingerprint: string;
    suppressed: unknown;
  }[];
  errors: { file: string; message: string }[];
  warnings?: { file: string; message: string }[];
  summary: { files: number; findings: number };
}

/** Terraform snippets for the histories. */
export const tf = {
  user: (name: string, extra = "") => `resource "aws_iam_user" "${name}" {\n  name = "${name}-bot"\n${extra}}\n`,
  key: (name: string, user: string, ref = `aws_iam_user.${user}.name`) =>
    `resource "aws_iam_access_key" "${name}" {\n  user = ${ref}\n}\n`,
  moved: (from: string, to: string) => `moved {\n  from = ${from}\n  to   = ${to}\n}\n`,
  call: (name: string, source: string, inputs = "") => `module "${name}" {\n  source = "${source}"\n${inputs}}\n`,
};

/** A clone of a repository with one commit, on a branch "feature" made from origin/main, origin/HEAD set (as `git clone` sets it). */
export function cloneWithFeatureBranch() {
  const origin = GitHistory.create();
  origin.commit("start", { "README.md": "infrastructure\n", "main.tf": tf.user("old") });
  const clone = GitHistory.create();
  clone.git("remote", "add", "origin", `file://${origin.dir}`);
  clone.git("fetch", "-q", "origin");
  clone.git("remote", "set-head", "origin", "--auto");
  clone.git("checkout", "-q", "-b", "feature", "origin/main");
  return { origin, clone };
}
