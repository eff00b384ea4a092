import { spawn } from "node:child_process";
import { closeSync, existsSync, fstatSync, lstatSync, readSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { SAFE_GIT_OPTIONS, spoolFile } from "../load/git.js";
import { closest } from "../suggest.js";

/**
 * What a change-aware scan compares: `--base REF` (REF → working tree) or `--staged` (→ the index,
 * from `--base REF` when given, else from where the branch left the default branch: see
 * {@link stagedBase}).
 */
export type ChangeMode = { kind: "base"; ref: string } | { kind: "staged"; base?: string };

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

/** Asks git a question: runs it to its end (see {@link runGit}); how the early answers are asked and taken. */
export type AskGit = (args: readonly string[], cwd: string) => Promise<GitOutput>;

/** Runs git to its end and collects its output; rejects with a {@link GitError} only when git cannot be started. */
export const runGit: AskGit = (args, cwd) => {
  // A question asked before the CLI loaded (see askChangeEarly), word for word: its answer, once.
  const early = handed?.take(args, cwd);
  return early ? early.catch(() => startGit(args, cwd)) : startGit(args, cwd);
};

/**
 * Runs git and collects its output; `spooled`: its stdout goes to an unlinked temporary file, read
 * once git is done (an answer asked before the CLI loads may be megabytes, more than a pipe holds,
 * and Node does not read a pipe while it compiles: git would wait).
 */
function startGit(args: readonly string[], cwd: string, spooled = false): Promise<GitOutput> {
  const spool = spooled ? spoolFile() : undefined;
  return new Promise((done, fail) => {
    const child = spawn("git", [...SAFE_GIT_OPTIONS, ...args], {
      cwd,
      env: gitEnvironment(),
      stdio: ["ignore", spool ?? "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
    // Git that cannot be started says so with "error" (and may still "close"): the first of the two decides.
    let ended = false;
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (ended) return;
      ended = true;
      if (spool !== undefined) closeSync(spool);
      fail(startFailure(error));
    });
    child.on("close", (code) => {
      if (ended) return;
      ended = true;
      let stdout: Buffer = Buffer.concat(out);
      if (spool !== undefined) {
        try {
          stdout = readAll(spool);
        } catch (error) {
          return fail(error instanceof Error ? error : new Error(String(error)));
        } finally {
          closeSync(spool);
        }
      }
      done({ code: code ?? 1, stdout, stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

/** The whole content of an open file, from its start. */
function readAll(fd: number): Buffer {
  const content = Buffer.allocUnsafe(fstatSync(fd).size);
  for (let at = 0; at < content.length;) {
    const read = readSync(fd, content, at, content.length - at, at);
    if (read === 0) throw new Error("the file of git's answer ended early");
    at += read;
  }
  return content;
}

/**
 * Answers of git asked before the CLI loaded (see {@link askChangeEarly}), by question (the
 * directory and the arguments, word for word), each for one taker: a change-aware scan that asks
 * the very same question takes the answer instead of starting git (see {@link runGit}). What it
 * asks otherwise, git answers as always: an answer nobody asks for costs a process, never a result.
 */
export class EarlyGitAnswers {
  private readonly answers = new Map<string, Promise<GitOutput>>();
  private readonly questions: string[] = [];

  /** Asks git now, keeping the answer (its stdout spooled: see startGit). */
  readonly ask: AskGit = (args, cwd) => {
    const key = questionKey(args, cwd);
    // Asked already (ahead of the sequence that asks it again): one git process.
    const asked = this.answers.get(key);
    if (asked) return asked;
    const answer = startGit(args, cwd, true);
    // Asked for its taker: a failure to start git is the taker's to see (it asks again).
    answer.catch(() => undefined);
    this.questions.push(key);
    this.answers.set(key, answer);
    return answer;
  };

  /** The answer to this very question, if it was asked and not taken yet. */
  take(args: readonly string[], cwd: string): Promise<GitOutput> | undefined {
    const key = questionKey(args, cwd);
    const answer = this.answers.get(key);
    this.answers.delete(key);
    return answer;
  }

  /** The questions asked (git's arguments), in order. */
  asked(): string[][] {
    return this.questions.map((key) => key.split("\0").slice(1));
  }

  /** The questions asked and not taken (git's arguments), in order. */
  untaken(): string[][] {
    return this.questions.filter((key) => this.answers.has(key)).map((key) => key.split("\0").slice(1));
  }
}

function questionKey(args: readonly string[], cwd: string): string {
  return [cwd, ...args].join("\0");
}

/** The early answers the change-aware scan now running takes (see {@link takeEarlyAnswers}). */
let handed: EarlyGitAnswers | undefined;

/**
 * Has {@link runGit} take `answers` (what the bin asked before the CLI loaded, for this very run)
 * until it is called again (with undefined once the run is over: a later run in the same process
 * must ask git about the repository as it is then).
 */
export function takeEarlyAnswers(answers: EarlyGitAnswers | undefined): void {
  handed = answers;
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
  /**
   * Whether `refs/remotes/origin/HEAD` may be a symbolic ref (so `git symbolic-ref` is asked where
   * it points): false only when git's answer showed it cannot be (see {@link originHeadMayExist}).
   */
  mayHaveOriginHead: boolean;
}

/** Finds the repository that holds `cwd`, or says why there is none. */
export async function openRepository(cwd: string): Promise<Repository> {
  return (await openRepositoryAt(cwd)).repository;
}

/**
 * Finds the repository that holds `cwd` (or says why there is none) and, in the same git process,
 * the commit `revision` names (as {@link resolveCommit}: undefined when it names none). A revision
 * that git could take for an option (empty, or starting with `-`) is not asked about.
 * `withOriginHead`: git is also asked where it keeps the files that say whether the remote's
 * default branch is known (see {@link originHeadMayExist}), so that a repository without one is
 * not asked again (`git symbolic-ref`, see {@link stagedBase}).
 */
export async function openRepositoryAt(
  cwd: string,
  revision?: string,
  ask: AskGit = runGit,
  { withOriginHead = false }: { withOriginHead?: boolean } = {},
): Promise<{ repository: Repository; commit: string | undefined }> {
  const asked = revision !== undefined && revision !== "" && !revision.startsWith("-");
  const result = await ask(
    [
      "rev-parse",
      "--is-bare-repository",
      "--is-inside-work-tree",
      "--is-shallow-repository",
      "--show-cdup",
      ...(withOriginHead ? ORIGIN_HEAD_FILES.flatMap((path) => ["--git-path", path]) : []),
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
  const lines = result.stdout.toString("utf8").split("\n");
  const [bare, inside, shallow = "false", cdup = ""] = lines;
  if (bare === "true" || inside !== "true") {
    throw new GitError(
      `${cwd} is ${bare === "true" ? "a bare git repository" : "inside a git directory, not a working tree"}: --base and --staged compare a revision with the working tree, and there is none here. Run keygate in a checkout of the repository (git clone, or git worktree add).`,
    );
  }
  // Then the paths (--git-path), and last the commit (--verify prints it once every argument is read).
  const rest = lines.slice(4);
  if (rest.at(-1) === "") rest.pop();
  const commit = asked && !unknown ? (rest.pop() ?? "") : "";
  return {
    repository: {
      toplevel: resolve(cwd, cdup),
      shallow: shallow.trim() === "true",
      mayHaveOriginHead: !withOriginHead || originHeadMayExist(rest, cwd),
    },
    commit: commit.trim() !== "" ? commit.trim() : undefined,
  };
}

/** The remote's default branch, as `git clone` and `git remote set-head` set it. */
const ORIGIN_HEAD = "refs/remotes/origin/HEAD";
/** What {@link originHeadMayExist} looks at, where git keeps it (`git rev-parse --git-path`). */
const ORIGIN_HEAD_FILES = [ORIGIN_HEAD, "refs/heads", "reftable"] as const;

/**
 * Whether `refs/remotes/origin/HEAD` may be a symbolic ref, from where git says it keeps its files
 * (`paths`: as ORIGIN_HEAD_FILES, relative to `cwd`). Git's files backend keeps a symbolic ref in a
 * file of its own, never in `packed-refs`: where that backend is used (`refs/heads` a directory and
 * no `reftable`, which the other backend has, with a file `refs/heads`) and the file is absent,
 * `git symbolic-ref` would say there is no such symbolic ref. True whenever anything is otherwise
 * (an unexpected answer, an error other than "no such file"): then git is asked.
 */
function originHeadMayExist(paths: readonly string[], cwd: string): boolean {
  if (paths.length !== ORIGIN_HEAD_FILES.length) return true;
  const [originHead, heads, reftable] = paths.map((path) => resolve(cwd, path)) as [string, string, string];
  return !(kindOf(heads) === "dir" && kindOf(reftable) === "absent" && kindOf(originHead) === "absent");
}

function kindOf(path: string): "dir" | "absent" | "other" {
  try {
    return lstatSync(path).isDirectory() ? "dir" : "other";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : "other";
  }
}

/** The commit a revision names (`git rev-parse --verify REV^{commit}`), or undefined when there is none. */
export async function resolveCommit(
  repository: Repository,
  revision: string,
  ask: AskGit = runGit,
): Promise<string | undefined> {
  const result = await ask(["rev-parse", "--verify", "--quiet", `${revision}^{commit}`], repository.toplevel);
  return result.code === 0 ? result.stdout.toString("utf8").trim() : undefined;
}

/**
 * Resolves `--base REF` to a commit, with an error that says what to do when it cannot (`known`:
 * what {@link openRepositoryAt} found REF names, so that git is not asked again).
 */
export async function resolveBase(
  repository: Repository,
  ref: string,
  known?: string,
  ask: AskGit = runGit,
): Promise<string> {
  if (ref === "" || ref.startsWith("-"))
    throw new GitError(`--base needs a git revision (a branch, tag or commit), not "${ref}"`);
  const commit = known ?? (await resolveCommit(repository, ref, ask));
  if (commit) return commit;
  // A name (origin/mian) that is no branch or tag here is named as such, shallow clone or not; only a
  // commit id, or a revision whose name resolves (main~5), can be missing for want of history.
  const name = ref.replace(/([~^]\d*|@\{[^}]*\})+$/, "");
  const isCommitId = /^[0-9a-f]{7,64}$/i.test(name);
  const nameKnown = isCommitId || (name !== ref && (await resolveCommit(repository, name, ask)) !== undefined);
  if (repository.shallow && nameKnown) {
    throw new GitError(
      `--base ${ref}: not found in this shallow clone. Fetch more history: in GitHub Actions, actions/checkout with \`fetch-depth: 0\`; in GitLab CI, GIT_DEPTH: 0; elsewhere \`git fetch --unshallow\` or \`git fetch origin ${ref}\`.`,
    );
  }
  const suggestion = isCommitId ? undefined : closest(name, await refNames(repository, ask));
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
async function refNames(repository: Repository, ask: AskGit): Promise<string[]> {
  const result = await ask(
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

/**
 * The "before" side of `--staged` without `--base`: the point where the current branch left the
 * default branch, so that the pre-commit hook refuses what the pull-request gate (`--base` = the
 * base commit) would. The default branch is `baseBranch` (`.keygate.json`), else the remote's
 * (`refs/remotes/origin/HEAD`, set by `git clone` or `git remote set-head origin --auto`). On the
 * default branch itself, without one, or without a common commit, it is HEAD, as before.
 * Undefined in a repository without commits. `known`: HEAD's commit, when the caller asked git
 * for it already.
 */
export async function stagedBase(
  repository: Repository,
  baseBranch: string | undefined,
  known?: { head: string | undefined },
  ask: AskGit = runGit,
): Promise<{ commit: string; label: string; shown: string } | undefined> {
  const head = known ? known.head : await resolveCommit(repository, "HEAD", ask);
  if (!head) return undefined;
  const atHead = { commit: head, label: "HEAD", shown: `HEAD (${head.slice(0, 7)})` };
  // Where the remote's default branch points, and the current branch, asked together (two git
  // processes at once): the branch is wanted whenever there is a default branch, as in a clone.
  const remoteHead =
    baseBranch === undefined && repository.mayHaveOriginHead
      ? symbolicRef(repository.toplevel, ORIGIN_HEAD, ask)
      : undefined;
  const currentBranch =
    baseBranch !== undefined || remoteHead ? symbolicRef(repository.toplevel, "HEAD", ask) : undefined;
  void remoteHead?.catch(() => undefined);
  void currentBranch?.catch(() => undefined);
  const branch = baseBranch ?? (await remoteHead);
  if (!branch) return atHead;
  if (baseBranch !== undefined && !(await resolveCommit(repository, baseBranch, ask))) {
    throw new GitError(
      `baseBranch "${baseBranch}" (.keygate.json): unknown revision in this repository. Fetch it (git fetch origin), or fix the name (e.g. "origin/main")`,
    );
  }
  const current = await currentBranch;
  // On the default branch itself (main, or main tracking origin/main), the commit adds to HEAD.
  if (
    current !== undefined &&
    (current === branch || current === branch.replace(/^[^/]+\//, "") || `origin/${current}` === branch)
  )
    return atHead;
  const result = await ask(["merge-base", head, branch], repository.toplevel);
  const mergeBase = result.code === 0 ? result.stdout.toString("utf8").trim() : "";
  if (!mergeBase) return atHead;
  if (mergeBase === head) return atHead;
  return {
    commit: mergeBase,
    label: `the merge base with ${branch}`,
    shown: `the merge base of HEAD and ${branch} (${mergeBase.slice(0, 7)})`,
  };
}

/** The short name a symbolic ref points at (`origin/main`, `main`), or undefined (also outside a repository). */
export async function symbolicRef(cwd: string, ref: string, ask: AskGit = runGit): Promise<string | undefined> {
  const result = await ask(["symbolic-ref", "--quiet", "--short", ref], cwd);
  const name = result.code === 0 ? result.stdout.toString("utf8").trim() : "";
  return name || undefined;
}

/**
 * Asks git, before the CLI loads (see early.ts), what a change-aware scan in `cwd` asks first, so
 * that git answers on the other core while Node compiles the CLI: the questions of openChangeSet
 * (change-set.ts), word for word and by the same code, up to the listing of the "before" commit and
 * what differs from it. Only the first answers decide the later questions (which commit is
 * listed), each taken from git itself, so a run that takes them all decides as one that asked them
 * itself; the scan takes each answer only for the very same question (see {@link runGit}), and
 * asks git itself whatever was not asked here, or differently (`.keygate.json`'s baseBranch, a
 * question this sequence stopped before: an error, no commits yet), or could not be asked (git not
 * started). `--staged` is asked as without baseBranch.
 */
export function askChangeEarly(cwd: string, mode: ChangeMode): EarlyGitAnswers {
  const answers = new EarlyGitAnswers();
  const ask = answers.ask;
  const asking = async () => {
    const staged = mode.kind === "staged" && mode.base === undefined;
    // At the top level of a clone (the remote's default branch known: a pre-commit hook's run),
    // where it points and the current branch are asked at once with the repository, as the scan
    // asks them (from the top level) once git has said the repository may have them.
    if (staged && originHeadLikely(cwd)) {
      void ask(["symbolic-ref", "--quiet", "--short", ORIGIN_HEAD], cwd);
      void ask(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd);
    }
    const { repository, commit: named } = await openRepositoryAt(
      cwd,
      mode.kind === "base" ? mode.ref : (mode.base ?? "HEAD"),
      ask,
      { withOriginHead: staged },
    );
    const at = repository.toplevel;
    if (mode.kind === "base") {
      const commit = await resolveBase(repository, mode.ref, named, ask);
      // As workingTreeListing (diff.ts) and GitTree.ofCommit (git-tree.ts) ask.
      void ask(
        [
          ...["-c", "core.trustctime=true", "-c", "core.checkStat=default"],
          ...["diff-index", "-z", "--name-only", "--no-renames", "--ignore-submodules", commit, "--"],
        ],
        at,
      );
      void ask(["ls-files", "-z", "-v", "--cached", "--others", "--directory", "--full-name", "--", "."], at);
      void ask(["ls-tree", "-r", "-t", "-z", "--full-tree", commit], at);
      return;
    }
    const commit =
      mode.base !== undefined
        ? await resolveBase(repository, mode.base, named, ask)
        : (await stagedBase(repository, undefined, { head: named }, ask))?.commit;
    if (commit === undefined) return;
    // As GitTree.ofCommit (git-tree.ts) and openChangeSet (change-set.ts) ask.
    void ask(["ls-tree", "-r", "-t", "-z", "--full-tree", commit], at);
    void ask(["diff-index", "--cached", "--raw", "-z", "--no-renames", commit, "--"], at);
  };
  // What went wrong here, the scan finds again when it asks (an error it reports, or no answer to take).
  void asking().catch(() => undefined);
  return answers;
}

/**
 * Whether `cwd` looks like the top level of a clone whose remote's default branch is known: a
 * `.git` directory in it with the file of `refs/remotes/origin/HEAD`. A guess, to ask git early
 * (see askChangeEarly), never an answer: the scan decides by git's own.
 */
function originHeadLikely(cwd: string): boolean {
  if (process.env.GIT_DIR !== undefined || process.env.GIT_COMMON_DIR !== undefined) return false;
  try {
    return statSync(join(cwd, ".git")).isDirectory() && existsSync(join(cwd, ".git", ORIGIN_HEAD));
  } catch {
    return false;
  }
}
