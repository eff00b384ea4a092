import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { escapeData, Runner } from "./runner.js";

/**
 * The GitHub Action (action.yml, `runs.using: node24`): keygate with `--base` on the change the
 * workflow runs for, annotations on the pull request (`-f github`), a table in the run's summary
 * (`-f markdown`), SARIF when asked, and the outputs `findings`, `sarif` and `base`. The Action
 * runs from its bundle (action/dist/index.mjs, `npm run build:action`): nothing is installed or
 * built at run time, unless the `keygate-version` input asks for a published version from npm.
 */

/** How the Action runs keygate's command line: in this process (the bundle), or another keygate. */
export type RunKeygate = (args: string[], cwd: string) => Promise<number>;

/** A run's outcome: keygate's exit code, which becomes the step's. */
export async function runAction(
  env: NodeJS.ProcessEnv,
  keygate: RunKeygate,
  log: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const runner = new Runner(env);
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const cwd = resolve(workspace, runner.input("working-directory") || ".");
  if (!existsSync(cwd)) {
    log(
      `::error::${escapeData(`keygate: working-directory ${runner.input("working-directory")} does not exist in ${workspace}`)}`,
    );
    return 2;
  }

  const base = changeBase(runner);
  if (base) ensureCommit(base, cwd, env, log);

  const args: string[] = base ? ["--base", base] : [];
  args.push(...(runner.input("paths") || ".").split(/\s+/).filter(Boolean));
  const failOn = runner.input("fail-on");
  if (failOn) args.push("--fail-on", failOn);
  const config = runner.input("config");
  if (config) args.push("--config", config);
  // Annotations on the pull request, a table in the run's summary, SARIF when asked.
  args.push("-f", "github");
  if (env.GITHUB_STEP_SUMMARY) args.push("-f", "markdown", "-o", `markdown=${env.GITHUB_STEP_SUMMARY}`);
  const sarif = runner.input("sarif");
  if (sarif) args.push("-f", "sarif", "-o", `sarif=${sarif}`);
  log(`keygate ${args.join(" ")}`);

  // The JSON report, for the outputs: written where the runner keeps temporary files, then removed.
  const scratch = mkdtempSync(join(env.RUNNER_TEMP || tmpdir(), "keygate-"));
  const report = join(scratch, "keygate.json");
  try {
    const code = await keygate([...args, "-f", "json", "-o", `json=${report}`], cwd);
    runner.setOutput("findings", String(unsuppressedFindings(report) ?? ""));
    // Relative to the workspace, where github/codeql-action/upload-sarif looks for it.
    if (sarif) runner.setOutput("sarif", workspaceRelative(resolve(cwd, sarif), workspace));
    runner.setOutput("base", base);
    return code;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The revision to compare with: the `base` input, else the pull request's base commit
 * (pull_request, pull_request_target), the merge group's base (merge_group), or the commit before
 * the push (push). "" for a full scan: `base: none`, another event, or a new branch's first push.
 */
export function changeBase(runner: Runner): string {
  const input = runner.input("base");
  if (input === "none") return "";
  if (input) return input;
  let base = "";
  switch (runner.env.GITHUB_EVENT_NAME) {
    case "pull_request":
    case "pull_request_target":
      base = runner.eventField("pull_request.base.sha");
      break;
    case "merge_group":
      base = runner.eventField("merge_group.base_sha");
      break;
    case "push":
      base = runner.eventField("before");
      break;
  }
  // A new branch's push has no "before": the null object id.
  return /^0*$/.test(base) ? "" : base;
}

/**
 * actions/checkout fetches one commit by default; the base commit alone is then fetched, which is
 * all keygate reads of it. When that fails keygate says the revision is missing (exit 2).
 */
function ensureCommit(base: string, cwd: string, env: NodeJS.ProcessEnv, log: (line: string) => void): void {
  const git = (args: string[]) =>
    spawnSync("git", args, { cwd, env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (git(["cat-file", "-e", `${base}^{commit}`]).status === 0) return;
  const fetched = git(["fetch", "--no-tags", "--depth=1", "origin", base]);
  if (fetched.status !== 0)
    log(`::warning::${escapeData(`keygate: could not fetch ${base}; with actions/checkout, set fetch-depth: 0`)}`);
}

/** The number of findings that are not suppressed, from the JSON report; undefined without one. */
function unsuppressedFindings(report: string): number | undefined {
  try {
    const json = JSON.parse(readFileSync(report, "utf8")) as { findings: { suppressed: unknown }[] };
    return json.findings.filter((f) => !f.suppressed).length;
  } catch {
    return undefined;
  }
}

function workspaceRelative(file: string, workspace: string): string {
  const path = relative(workspace, file);
  return path.startsWith("..") || isAbsolute(path) ? file : path.split("\\").join("/");
}

/**
 * A published keygate (the `keygate-version` input), installed from npm into the runner's
 * temporary directory and run with the Action's Node.
 */
export function publishedKeygate(version: string, env: NodeJS.ProcessEnv): RunKeygate {
  const prefix = join(env.RUNNER_TEMP || tmpdir(), "keygate-npm");
  return async (args, cwd) => {
    execFileSync(
      "npm",
      ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-save", "--omit=dev", `keygate@${version}`],
      { stdio: ["ignore", 2, 2], env },
    );
    const bin = join(prefix, "node_modules", "keygate", "dist", "bin.js");
    return spawnSync(process.execPath, [bin, ...args], { cwd, env, stdio: "inherit" }).status ?? 2;
  };
}
