import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT, snapshotRepository } from "../support/repository-snapshot.js";
import { assertMatchesSchema } from "../support/report-schemas.js";
import { GIT_ENV, GitHistory, tf } from "./git-history.js";

/**
 * The GitHub Action end to end: its committed bundle (action/dist/index.mjs, the file action.yml's
 * `runs.main` names) run by Node the way the runner runs it, with the runner's environment
 * (GITHUB_*, INPUT_* with action.yml's defaults, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY)
 * on scripted pull-request histories; and the GitLab job's command (examples/ci/gitlab-ci.yml)
 * with `keygate` on PATH being this package's build (dist/, made by `npm test`'s pretest).
 */
const BUNDLE = join(PACKAGE_ROOT, "action", "dist", "index.mjs");
const BIN = join(PACKAGE_ROOT, "dist", "bin.js");
/** The action's checkout, as the runner makes it: the repository without node_modules/ or dist/. */
let actionPath: string;

interface ActionMetadata {
  runs: { using: string; main: string };
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { description: string }>;
}

/** action.yml, read with the little YAML it uses (two-level maps of scalars), checked against what the test expects. */
function actionMetadata(): ActionMetadata {
  const text = readFileSync(join(PACKAGE_ROOT, "action.yml"), "utf8");
  const section = (name: string): Record<string, Record<string, string>> => {
    const body = new RegExp(`^${name}:\\n((?:^(?: .*)?\\n)*)`, "m").exec(text)?.[1] ?? "";
    const entries: Record<string, Record<string, string>> = {};
    let current: Record<string, string> | undefined;
    for (const line of body.split("\n")) {
      const top = /^ {2}([\w-]+):\s*(.*)$/.exec(line);
      if (top) {
        current = entries[top[1]!] = top[2] ? { value: top[2] } : {};
        continue;
      }
      const field = /^ {4}([\w-]+):\s*(.*)$/.exec(line);
      if (field && current) current[field[1]!] = field[2]!.replace(/^"(.*)"$/, "$1");
    }
    return entries;
  };
  const runs = section("runs");
  return {
    runs: { using: runs.using?.value ?? "", main: runs.main?.value ?? "" },
    inputs: section("inputs"),
    outputs: section("outputs") as unknown as ActionMetadata["outputs"],
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  seconds: number;
  /** RUNNER_TEMP: the runner's temporary directory. */
  work: string;
}

/** The runner's file command format: `name<<DELIMITER`, the value's lines, `DELIMITER`. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(m[2]!, i + 1);
    outputs[m[1]!] = lines.slice(i + 1, end).join("\n");
    i = end;
  }
  return outputs;
}

function runAction(
  repo: GitHistory,
  event: { name: string; payload: object },
  inputs: Record<string, string> = {},
): Run {
  const work = mkdtempSync(join(tmpdir(), "keygate-action-"));
  writeFileSync(join(work, "event.json"), JSON.stringify(event.payload));
  writeFileSync(join(work, "output"), "");
  writeFileSync(join(work, "summary"), "");
  const metadata = actionMetadata();
  // What the runner does: every input as INPUT_<NAME>, its default unless the workflow set it.
  const inputEnv = Object.fromEntries(
    Object.entries(metadata.inputs).map(([name, input]) => [
      `INPUT_${name.toUpperCase()}`,
      inputs[name] ?? input.default ?? "",
    ]),
  );
  const env = {
    PATH: process.env.PATH,
    HOME: mkdtempSync(join(tmpdir(), "keygate-home-")),
    ...GIT_ENV,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: repo.dir,
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: join(work, "event.json"),
    GITHUB_OUTPUT: join(work, "output"),
    GITHUB_STEP_SUMMARY: join(work, "summary"),
    GITHUB_ACTION_PATH: actionPath,
    RUNNER_TEMP: work,
    ...inputEnv,
  };
  const started = performance.now();
  const result = spawnSync(process.execPath, [join(actionPath, metadata.runs.main)], {
    cwd: repo.dir,
    env,
    encoding: "utf8",
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    outputs: parseOutputs(readFileSync(join(work, "output"), "utf8")),
    summary: readFileSync(join(work, "summary"), "utf8"),
    seconds,
    work,
  };
}

/** A history: users at the base; the pull request adds a key for one of them and a new pair. */
function pullRequest(): { repo: GitHistory; base: string } {
  const repo = GitHistory.create();
  const base = repo.commit("users", { "iam/users.tf": tf.user("app") });
  repo.commit("keys", { "iam/keys.tf": tf.key("app", "app"), "iam/etl.tf": tf.user("etl") + tf.key("etl", "etl") });
  return { repo, base };
}

beforeAll(() => {
  expect(existsSync(BUNDLE), "action/dist/index.mjs: run `npm run build:action` and commit it").toBe(true);
  actionPath = snapshotRepository();
});

describe("action.yml", () => {
  it("is a JavaScript action on Node 24 that runs the committed bundle, with the documented inputs and outputs", () => {
    const metadata = actionMetadata();
    expect(metadata.runs).toEqual({ using: "node24", main: "action/dist/index.mjs" });
    expect(Object.keys(metadata.inputs)).toEqual([
      "paths",
      "base",
      "sarif",
      "fail-on",
      "config",
      "working-directory",
      "keygate-version",
    ]);
    expect(Object.keys(metadata.outputs)).toEqual(["findings", "sarif", "base"]);
    // No install, no Node setup and no build at run time: no steps, no pre- or post-scripts.
    expect(readFileSync(join(PACKAGE_ROOT, "action.yml"), "utf8")).not.toMatch(/^\s*(steps|pre|post|pre-if|post-if):/m);
  });

  it("on a pull request: compares with its base commit, annotates the new pair only, writes SARIF, the summary and the outputs", () => {
    const { repo, base } = pullRequest();
    const run = runAction(
      repo,
      { name: "pull_request", payload: { pull_request: { base: { sha: base } } } },
      { sarif: "out/keygate.sarif" },
    );
    console.log(`the Action's bundle on a pull request: ${run.seconds.toFixed(2)} s`);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`keygate --base ${base} . -f github -f markdown`);
    expect(run.stdout).toMatch(/^::error file=iam\/etl\.tf,line=4,.*aws_iam_access_key\.etl/m);
    expect(run.stdout).not.toContain("aws_iam_access_key.app");
    expect(run.outputs).toEqual({ findings: "1", sarif: "out/keygate.sarif", base });
    const sarif = JSON.parse(readFileSync(join(repo.dir, "out", "keygate.sarif"), "utf8")) as {
      runs: { tool: { driver: { version: string } }; results: unknown[] }[];
    };
    expect(sarif.runs[0]!.results).toHaveLength(1);
    expect(sarif.runs[0]!.tool.driver.version).toBe(
      JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).version,
    );
    expect(run.summary).toContain("aws_iam_access_key.etl");
  });

  it("in a working directory: paths, config and the SARIF output are relative to it", () => {
    const repo = GitHistory.create();
    const base = repo.commit("empty", { "README.md": "infra\n" });
    repo.commit("pair", {
      "infra/iam/main.tf": tf.user("ci") + tf.key("ci", "ci"),
      "infra/.keygate.json": JSON.stringify({ policies: { KG001: "warning" } }),
    });
    const run = runAction(
      repo,
      { name: "pull_request", payload: { pull_request: { base: { sha: base } } } },
      { "working-directory": "infra", paths: "iam", sarif: "keygate.sarif" },
    );
    expect(run.stdout).toMatch(/^::warning file=infra\/iam\/main\.tf,/m);
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({ findings: "1", sarif: "infra/keygate.sarif", base });
    expect(existsSync(join(repo.dir, "infra", "keygate.sarif"))).toBe(true);
  });

  it("fetches the base commit when the checkout is shallow", () => {
    const { repo: origin, base } = pullRequest();
    const clone = GitHistory.create();
    clone.git("remote", "add", "origin", `file://${origin.dir}`);
    clone.git("fetch", "-q", "--depth=1", "origin", "main");
    clone.git("checkout", "-q", "FETCH_HEAD");
    const run = runAction(clone, { name: "pull_request", payload: { pull_request: { base: { sha: base } } } });
    expect(run.stdout).not.toContain("could not fetch");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("aws_iam_access_key.etl");
    expect(run.stdout).not.toContain("aws_iam_access_key.app");
  });

  it("on a branch's first push (no before commit) or with base: none, runs a full scan", () => {
    const { repo } = pullRequest();
    const push = runAction(repo, { name: "push", payload: { before: "0".repeat(40) } });
    expect(push.stdout).toContain("keygate . -f github");
    expect(push.stdout).toContain("aws_iam_access_key.app");
    expect(push.outputs).toMatchObject({ findings: "2", base: "" });
    expect(
      runAction(repo, { name: "pull_request", payload: { pull_request: { base: { sha: "x" } } } }, { base: "none" })
        .stdout,
    ).toContain("keygate . -f github");
  });

  it("on a merge group, compares with the group's base", () => {
    const { repo, base } = pullRequest();
    const run = runAction(repo, { name: "merge_group", payload: { merge_group: { base_sha: base } } });
    expect(run.stdout).toContain(`keygate --base ${base} .`);
    expect(run.outputs.findings).toBe("1");
  });

  it("passes when the change adds no pair, and exits 2 when the base cannot be had", () => {
    const { repo } = pullRequest();
    const head = repo.git("rev-parse", "HEAD").trim();
    const clean = runAction(repo, { name: "push", payload: { before: head } });
    expect(clean.code).toBe(0);
    expect(clean.outputs.findings).toBe("0");
    const missing = runAction(repo, {
      name: "pull_request",
      payload: { pull_request: { base: { sha: "1".repeat(40) } } },
    });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain("::warning::keygate: could not fetch");
  });

  it("passes fail-on and config through, and leaves no temporary file behind", () => {
    const { repo, base } = pullRequest();
    const run = runAction(
      repo,
      { name: "pull_request", payload: { pull_request: { base: { sha: base } } } },
      { "fail-on": "never" },
    );
    expect(run.stdout).toContain("--fail-on never");
    expect(run.code).toBe(0);
    expect(run.outputs.findings).toBe("1");
    expect(readdirSync(run.work).sort()).toEqual(["event.json", "output", "summary"]);
    const badConfig = runAction(repo, { name: "push", payload: { before: base } }, { config: "missing.json" });
    expect(badConfig.code).toBe(2);
    const badDirectory = runAction(
      repo,
      { name: "push", payload: { before: base } },
      { "working-directory": "nowhere" },
    );
    expect(badDirectory.stdout).toMatch(/^::error::keygate: working-directory nowhere does not exist/m);
    expect(badDirectory.code).toBe(2);
  });
});

describe("examples/ci/gitlab-ci.yml", () => {
  it("runs keygate against the merge request's diff base with Code Quality and JUnit reports", () => {
    const binDir = mkdtempSync(join(tmpdir(), "keygate-bin-"));
    writeFileSync(join(binDir, "keygate"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    const { repo, base } = pullRequest();
    const script = readFileSync(join(PACKAGE_ROOT, "examples", "ci", "gitlab-ci.yml"), "utf8")
      .split("\n")
      .find((l) => l.includes("keygate@"))!
      .replace(/^\s*- npx --yes keygate@\S+/, "keygate");
    const result = spawnSync("bash", ["-c", script], {
      cwd: repo.dir,
      encoding: "utf8",
      env: { ...process.env, ...GIT_ENV, PATH: `${binDir}:${process.env.PATH}`, CI_MERGE_REQUEST_DIFF_BASE_SHA: base },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("aws_iam_access_key.etl");
    expect(result.stdout).not.toContain("aws_iam_access_key.app");
    expect(readFileSync(join(repo.dir, "keygate.junit.xml"), "utf8")).toContain("<testsuites");
    const codeQuality = JSON.parse(readFileSync(join(repo.dir, "gl-code-quality-report.json"), "utf8"));
    assertMatchesSchema("gitlab-codequality.schema.json", codeQuality);
    expect(codeQuality.map((i: { location: { path: string } }) => i.location.path)).toEqual(["iam/etl.tf"]);
  });
});
