import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { GIT_ENV, GitHistory, tf } from "./git-history.js";

/**
 * The GitHub Action's run step (action.yml, step `keygate`) and the GitLab job's command
 * (examples/ci/gitlab-ci.yml), run by bash on scripted histories the way the CI services would,
 * with `keygate` on PATH being this package's build (dist/, made by `npm test`'s pretest).
 */
const PACKAGE_ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(PACKAGE_ROOT, "dist", "bin.js");

/** The `run: |` block of the step with `id: keygate`, unindented. */
function actionScript(): string {
  const lines = readFileSync(join(PACKAGE_ROOT, "action.yml"), "utf8").split("\n");
  const step = lines.findIndex((l) => l.trim() === "id: keygate");
  const run = lines.findIndex((l, i) => i > step && l.trim() === "run: |");
  const indent = /^\s*/.exec(lines[run + 1]!)![0].length;
  const body: string[] = [];
  for (const line of lines.slice(run + 1)) {
    if (line.trim() !== "" && /^\s*/.exec(line)![0].length < indent) break;
    body.push(line.slice(indent));
  }
  return body.join("\n");
}

let binDir: string;
beforeAll(() => {
  expect(existsSync(BIN), "dist/bin.js: run `npm run build` first (npm test does)").toBe(true);
  binDir = mkdtempSync(join(tmpdir(), "keygate-bin-"));
  writeFileSync(join(binDir, "keygate"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(binDir, "keygate"), 0o755);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

function runAction(repo: GitHistory, event: { name: string; payload: object }, inputs: Record<string, string> = {}): Run {
  const work = mkdtempSync(join(tmpdir(), "keygate-action-"));
  writeFileSync(join(work, "event.json"), JSON.stringify(event.payload));
  writeFileSync(join(work, "output"), "");
  writeFileSync(join(work, "summary"), "");
  const env = {
    ...process.env,
    ...GIT_ENV,
    PATH: `${binDir}:${process.env.PATH}`,
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: join(work, "event.json"),
    GITHUB_OUTPUT: join(work, "output"),
    GITHUB_STEP_SUMMARY: join(work, "summary"),
    INPUT_PATHS: ".",
    INPUT_BASE: "",
    INPUT_SARIF: "",
    INPUT_FAIL_ON: "",
    INPUT_CONFIG: "",
    ...inputs,
  };
  const result = spawnSync("bash", ["-c", actionScript()], { cwd: repo.dir, env, encoding: "utf8" });
  const outputs = Object.fromEntries(
    readFileSync(join(work, "output"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, outputs, summary: readFileSync(join(work, "summary"), "utf8") };
}

/** A history: users at the base; the pull request adds a key for one of them and a new pair. */
function pullRequest(): { repo: GitHistory; base: string } {
  const repo = GitHistory.create();
  const base = repo.commit("users", { "iam/users.tf": tf.user("app") });
  repo.commit("keys", { "iam/keys.tf": tf.key("app", "app"), "iam/etl.tf": tf.user("etl") + tf.key("etl", "etl") });
  return { repo, base };
}

describe("action.yml", () => {
  it("on a pull request: compares with its base commit, annotates the new pair only, writes SARIF and the summary", () => {
    const { repo, base } = pullRequest();
    const run = runAction(repo, { name: "pull_request", payload: { pull_request: { base: { sha: base } } } }, { INPUT_SARIF: "out/keygate.sarif" });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`keygate --base ${base} . -f github -f markdown`);
    expect(run.stdout).toMatch(/^::error file=iam\/etl\.tf,line=4,.*aws_iam_access_key\.etl/m);
    expect(run.stdout).not.toContain("aws_iam_access_key.app");
    expect(run.outputs).toEqual({ sarif: "out/keygate.sarif", base });
    const sarif = JSON.parse(readFileSync(join(repo.dir, "out", "keygate.sarif"), "utf8")) as { runs: { results: unknown[] }[] };
    expect(sarif.runs[0]!.results).toHaveLength(1);
    expect(run.summary).toContain("aws_iam_access_key.etl");
  });

  it("fetches the base commit when the checkout is shallow", () => {
    const { repo: origin, base } = pullRequest();
    const clone = GitHistory.create();
    clone.git("remote", "add", "origin", `file://${origin.dir}`);
    clone.git("fetch", "-q", "--depth=1", "origin", "main");
    clone.git("checkout", "-q", "FETCH_HEAD");
    const run = runAction(clone, { name: "pull_request", payload: { pull_request: { base: { sha: base } } } });
    expect(run.stderr).not.toContain("could not fetch");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("aws_iam_access_key.etl");
    expect(run.stdout).not.toContain("aws_iam_access_key.app");
  });

  it("on a branch's first push (no before commit) or with base: none, runs a full scan", () => {
    const { repo } = pullRequest();
    const push = runAction(repo, { name: "push", payload: { before: "0".repeat(40) } });
    expect(push.stdout).toContain("keygate . -f github");
    expect(push.stdout).toContain("aws_iam_access_key.app");
    expect(push.outputs.base).toBe("");
    expect(runAction(repo, { name: "pull_request", payload: { pull_request: { base: { sha: "x" } } } }, { INPUT_BASE: "none" }).stdout).toContain("keygate . -f github");
  });

  it("passes when the change adds no pair, and exits 2 when the base cannot be had", () => {
    const { repo } = pullRequest();
    const head = repo.git("rev-parse", "HEAD").trim();
    expect(runAction(repo, { name: "push", payload: { before: head } }).code).toBe(0);
    const missing = runAction(repo, { name: "pull_request", payload: { pull_request: { base: { sha: "1".repeat(40) } } } });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain("::warning::keygate: could not fetch");
  });
});

describe("examples/ci/gitlab-ci.yml", () => {
  it("runs keygate against the merge request's diff base with a JUnit report", () => {
    const { repo, base } = pullRequest();
    const script = readFileSync(join(PACKAGE_ROOT, "examples", "ci", "gitlab-ci.yml"), "utf8")
      .split("\n")
      .find((l) => l.includes("keygate@"))!
      .replace(/^\s*- npx --yes keygate@\S+/, "keygate");
    const result = spawnSync("bash", ["-c", script], { cwd: repo.dir, encoding: "utf8", env: { ...process.env, ...GIT_ENV, PATH: `${binDir}:${process.env.PATH}`, CI_MERGE_REQUEST_DIFF_BASE_SHA: base } });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("aws_iam_access_key.etl");
    expect(result.stdout).not.toContain("aws_iam_access_key.app");
    expect(readFileSync(join(repo.dir, "keygate.junit.xml"), "utf8")).toContain("<testsuites");
  });
});
