import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { SAFE_GIT_OPTIONS } from "../load/git.js";
import { closest } from "../suggest.js";

/** A git problem that stops a change-aware scan; the CLI prints the message and exits 2. */
export class GitError extends Error {}

/** The output of a git command that ran to its end. */
export interface GitOutput {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * The environment for git: the caller's (so that `GIT_INDEX_FILE`, which git sets for hooks during
 * `git commit -a`, and `GIT_DIR` are honoured), with messages in English for the error mapping and
 * no optional locks, so that reading never rewrites the index.
 */
export function gitEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, LC_ALL: "C", LANGUAGE: "C", GIT_OPTIONAL_LOCKS: "0", GIT_TERMINAL_PROMPT: "0" };
}

/** Runs git to its end and collects its output; rejects with a {@link GitError} only when git cannot be started. */
export function runGit(args: readonly string[], cwd: string): Promise<GitOutput> {
  return new Promise((done, fail) => {
    const child = spawn("git", [...SAFE_GIT_OPTIONS, ...args], {
      cwd,
      env: gitEnvironment(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => fail(startFailure(error)));
    child.on("close", (code) =>
      done({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") }),
    );
  });
}

/** The error for git that could not be started (not installed, not on PATH). */
export function startFailure(error: NodeJS.ErrnoException): GitError {
  if (error.code === "ENOENT") {
    return new GitError(
      "git is not installed (or not on PATH): --base and --staged read the repository's history with git. Install git, or run a full scan without them.",
    );
  }
  return new GitError(`cannot run git: ${error.message}`);
}

/** Runs git and returns its stdout; a non-zero exit becomes a {@link GitError} with git's own first message line. */
export async function git(args: readonly string[], cwd: string): Promise<Buffer> {
  const result = await runGit(args, cwd);
  if (result.code !== 0)
    throw new GitError(`git ${command(args)} failed: ${firstMessage(result.stderr) || `exit code ${result.code}`}`);
  return result.stdout;
}

/** The git command of an argument list, past its `-c NAME=VALUE` settings. */
function command(args: readonly string[]): string | undefined {
  let at = 0;
  while (args[at] === "-c") at += 2;
  return args[at];
}

/** git's first `fatal:`/`error:` line (else its first line), without the prefix. */
export function firstMessage(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? "";
  return line.replace(/^(fatal|error):\s*/, "");
}

/** The repository a change-aware scan runs in. */
export interface Repository {
  /**
   * The root of the working tree, spelled from the working directory (`cwd` + `git rev-parse
   * --show-cdup`), so that paths compare equal to the working tree's even through symbolic links.
   */
  toplevel: string;
  /** Whether the clone is shallow (then a missing REF may only be missing from the clone). */
  shallow: boolean;
}

/** Finds the repository that holds `cwd`, or says why there is none. */
export async function openRepository(cwd: string): Promise<Repository> {
  return (await openRepositoryAt(cwd)).repository;
}

/**
 * Finds the repository that holds `cwd` (or says why there is none) and, in the same git process,
 * the commit `revision` names (as {@link resolveCommit}: undefined when it names none). A revision
 * that git could take for an option (empty, or starting with `-`) is not asked about.
 */
export async function openRepositoryAt(
  cwd: string,
  revision?: string,
): Promise<{ repository: Repository; commit: string | undefined }> {
  const asked = revision !== undefined && revision !== "" && !revision.startsWith("-");
  const result = await runGit(
    [
      "rev-parse",
      "--is-bare-repository",
      "--is-inside-work-tree",
      "--is-shallow-repository",
      "--show-cdup",
      ...(asked ? ["--verify", "--quiet", `${revision}^{commit}`] : []),
    ],
    cwd,
  );
  // With --verify --quiet, a revision that names no commit is exit code 1 and no message, after the repository's answers.
  const unknown = asked && result.code === 1 && result.stderr.trim() === "";
  if (result.code !== 0 && !unknown) {
    const message = firstMessage(result.stderr);
    if (/not a git repository/i.test(message)) {
      throw new GitError(
        `${cwd} is not in a git repository: --base and --staged compare git snapshots. Run keygate inside the repository, or run a full scan without them.`,
      );
    }
    throw new GitError(`git cannot read the repository at ${cwd}: ${message}`);
  }
  // A bare repository (or its .git directory) prints no --show-cdup: there is no working tree to compare.
  const [bare, inside, shallow = "false", cdup = "", commit = ""] = result.stdout.toString("utf8").split("\n");
  if (bare === "true" || inside !== "true") {
    throw new GitError(
      `${cwd} is ${bare === "true" ? "a bare git repository" : "inside a git directory, not a working tree"}: --base and --staged compare a revision with the working tree, and there is none here. Run keygate in a checkout of the repository (git clone, or git worktree add).`,
    );
  }
  return {
    repository: { toplevel: resolve(cwd, cdup), shallow: shallow.trim() === "true" },
    commit: asked && !unknown && commit.trim() !== "" ? commit.trim() : undefined,
  };
}

/** The commit a revision names (`git rev-parse --verify REV^{commit}`), or undefined when there is none. */
export async function resolveCommit(repository: Repository, revision: string): Promise<string | undefined> {
  const result = await runGit(["rev-parse", "--verify", "--quiet", `${revision}^{commit}`], repository.toplevel);
  return result.code === 0 ? result.stdout.toString("utf8").trim() : undefined;
}

/**
 * Resolves `--base REF` to a commit, with an error that says what to do when it cannot (`known`:
 * what {@link openRepositoryAt} found REF names, so that git is not asked again).
 */
export async function resolveBase(repository: Repository, ref: string, known?: string): Promise<string> {
  if (ref === "" || ref.startsWith("-"))
    throw new GitError(`--base needs a git revision (a branch, tag or commit), not "${ref}"`);
  const commit = known ?? (await resolveCommit(repository, ref));
  if (commit) return commit;
  // A name (origin/mian) that is no branch or tag here is named as such, shallow clone or not; only a
  // commit id, or a revision whose name resolves (main~5), can be missing for want of history.
  const name = ref.replace(/([~^]\d*|@\{[^}]*\})+$/, "");
  const isCommitId = /^[0-9a-f]{7,64}$/i.test(name);
  const nameKnown = isCommitId || (name !== ref && (await resolveCommit(repository, name)) !== undefined);
  if (repository.shallow && nameKnown) {
    throw new GitError(
      `--base ${ref}: not found in this shallow clone. Fetch more history: in GitHub Actions, actions/checkout with \`fetch-depth: 0\`; in GitLab CI, GIT_DEPTH: 0; elsewhere \`git fetch --unshallow\` or \`git fetch origin ${ref}\`.`,
    );
  }
  const suggestion = isCommitId ? undefined : closest(name, await refNames(repository));
  const meant = suggestion && suggestion !== name ? ` Did you mean ${suggestion}?` : "";
  if (repository.shallow) {
    throw new GitError(
      `--base ${ref}: no branch or tag named ${name} in this repository.${meant} If it exists on the remote, this shallow clone has not fetched it: \`git fetch origin ${name.startsWith("origin/") ? `${name.slice(7)}:refs/remotes/${name}` : `${name}:${name}`}\`, or check out every branch (actions/checkout with \`fetch-depth: 0\`; in GitLab CI, GIT_DEPTH: 0).`,
    );
  }
  throw new GitError(
    `--base ${ref}: unknown revision: no commit, branch or tag of that name in this repository (a remote branch is origin/NAME; fetch it first).${meant}`,
  );
}

/** The short names of the repository's branches, remote branches and tags. */
async function refNames(repository: Repository): Promise<string[]> {
  const result = await runGit(
    ["for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes", "refs/tags"],
    repository.toplevel,
  );
  return result.code === 0
    ? result.stdout
        .toString("utf8")
        .split("\n")
        .filter((n) => n && !n.endsWith("/HEAD"))
    : [];
}
