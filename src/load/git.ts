// What keygate asks git, which knows a work tree best and fastest: the Terraform files to scan
// (discover.ts), and which of them are unchanged, by content hash (the cache, see loader.ts). One
// `git ls-files` answers both, and it can be asked before the CLI loads (see early.ts).
import { execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";

/**
 * Settings every git command keygate runs starts with: nothing a scanned repository's configuration
 * names is run. `core.fsmonitor` (a program git runs to learn what changed) and hooks are switched
 * off; an empty value disables fsmonitor in old and new git alike. No `--filters`, `--textconv` or
 * patch output is asked for, so diff drivers are never invoked; the one diff of the work tree
 * (`--base`'s `git diff-index`, change/diff.ts) may hash a file git finds racily clean through a
 * clean filter, which only the user's own git configuration can define. The caller's own settings
 * (GIT_DIR, GIT_INDEX_FILE, safe.directory, excludes) still apply.
 */
export const SAFE_GIT_OPTIONS: readonly string[] = [
  "-c",
  "core.fsmonitor=",
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.quotePath=false",
];

/** File name endings keygate reads as Terraform/OpenTofu configuration (discover.ts re-exports them). */
export const TERRAFORM_EXTENSIONS = [".tf", ".tf.json", ".tofu", ".tofu.json"] as const;

/**
 * The one question: every Terraform file git sees under the directory, tagged (-v) — tracked (H,
 * h when assume-unchanged, S skip-worktree, M unmerged), untracked and not ignored (?), deleted
 * from the work tree (R) — with, for tracked ones and when the object ids are wanted, mode, object
 * id and stage (-s), and the stat data the index keeps of the entry (--debug: five lines after
 * each, see indexMetadataOf), so that an answer the same as an earlier one also says the index's
 * stat data is unchanged (see scan-verdicts.ts). Not `--modified`: to tell a stat-dirty file's
 * content git would run the repository's clean filter on it; what the index says is only a hint
 * anyway (see unchangedBlobIds).
 */
function listingArgs(withIds: boolean): string[] {
  return [
    ...SAFE_GIT_OPTIONS,
    "ls-files",
    "-z",
    "-v",
    ...(withIds ? ["-s", "--debug"] : []),
    "--cached",
    "--others",
    "--deleted",
    "--exclude-standard",
    "--",
    ...TERRAFORM_EXTENSIONS.map((ext) => `*${ext}`),
  ];
}

/** What git says of the Terraform files under a directory. */
export interface GitListing {
  /** Files present in the work tree, tracked or not, outside .terraform/, .git/ and node_modules/ (absolute paths). */
  files: string[];
  /** The object ids the index holds for the tracked regular files (see unchangedBlobIds): a claim about their content, to be verified. */
  unchanged: Map<string, string>;
  /** Directories git could not read (absolute paths): their untracked files are unknown. */
  unreadable: string[];
}

/** Directories whose files are never scanned, even when git does not ignore them. */
const NEVER_SCANNED = /(^|\/)(\.terraform|\.git|node_modules)\//;

function neverScanned(path: string): boolean {
  // The expression only where one of the names is there at all (tens of thousands of paths).
  return (
    (path.includes(".terraform/") || path.includes(".git/") || path.includes("node_modules/")) &&
    NEVER_SCANNED.test(path)
  );
}

/** Where an entry's stat data (`--debug`, starting "  ctime: " at `at`) ends: after its last line ("  size: …\tflags: …\n"). */
function statDataEnd(out: string, at: number): number {
  const last = out.indexOf("\tflags: ", at);
  const line = last === -1 ? -1 : out.indexOf("\n", last);
  return line === -1 ? out.length : line + 1;
}

/**
 * The tab before the path of the entry from `start` to `end` (its NUL) in a listing ("T mode id
 * stage\tpath"), or -1: untracked entries ("? path") and every entry of a listing without ids
 * ("H path") have none.
 */
function pathTab(out: string, start: number, end: number, withIds: boolean): number {
  if (out[start] === "?" || !withIds) return -1;
  const tab = out.indexOf("\t", start);
  return tab < end ? tab : -1;
}

/** The path of a listing's entry (see pathTab). */
function listedPath(out: string, start: number, end: number, tab: number): string {
  return tab === -1 ? out.slice(start + 2, end) : out.slice(tab + 1, end);
}

function parseListing(out: string, dir: string, stderr: string, withIds: boolean): GitListing {
  const present: string[] = [];
  const gone = new Set<string>();
  const staged: [string, string][] = [];
  // A repository's listing has tens of thousands of entries: read with indexOf and slices, no regular expression per entry.
  for (let at = 0; at < out.length;) {
    if (out.startsWith("  ctime: ", at)) {
      // An entry's stat data (--debug), after the entry: no entry starts so (each starts with its tag).
      at = statDataEnd(out, at);
      continue;
    }
    let end = out.indexOf("\0", at);
    if (end === -1) end = out.length;
    const start = at;
    at = end + 1;
    if (end - start < 3) continue;
    const tag = out[start]!;
    const tab = pathTab(out, start, end, withIds);
    const path = listedPath(out, start, end, tab);
    if (tag === "R") {
      gone.add(path);
      continue;
    }
    present.push(path);
    // A regular file at stage 0 that git looks at (not assume-unchanged, not skip-worktree, not a link or a submodule).
    if (tag === "H" && tab !== -1 && isStagedRegularFile(out, start, tab))
      staged.push([path, out.slice(start + 9, tab - 2)]);
  }
  // Git's paths are relative, `/`-separated and normalised: joining them needs no path.resolve.
  const base = sep === "/" ? (dir.endsWith("/") ? dir : `${dir}/`) : undefined;
  const absolute = (path: string) => (base ? base + path : resolve(dir, path));
  const files: string[] = [];
  // A path is listed once per stage (unmerged files): once is enough.
  const seen = new Set<string>();
  for (const path of present)
    if ((gone.size === 0 || !gone.has(path)) && !neverScanned(path) && !seen.has(path)) {
      seen.add(path);
      files.push(absolute(path));
    }
  let unchanged: Map<string, string> | undefined;
  // "warning: could not open directory 'x/': Permission denied": git goes on without that directory.
  const unreadable = [...stderr.matchAll(/could not open directory '(.*?)\/?': /g)].map((m) => absolute(m[1]!));
  return {
    files,
    unreadable,
    get unchanged() {
      if (!unchanged) {
        unchanged = new Map();
        for (const [path, id] of staged) if (!gone.has(path)) unchanged.set(absolute(path), id);
      }
      return unchanged;
    },
  };
}

/** Whether a tracked entry (from `start` in the listing: "H 100644 <id> 0\t…") is a regular file at stage 0 with an object id (40 or 64 hex digits). */
function isStagedRegularFile(out: string, start: number, tab: number): boolean {
  if (!(out.startsWith("H 100644 ", start) || out.startsWith("H 100755 ", start))) return false;
  if (out[tab - 1] !== "0" || out[tab - 2] !== " ") return false;
  const length = tab - 2 - (start + 9);
  if (length !== 40 && length !== 64) return false;
  for (let i = start + 9; i < tab - 2; i++) {
    const c = out.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * The stat data the index keeps of each tracked regular file at stage 0 that git looks at (as
 * unchangedBlobIds: tag H), by its path as listed (relative to the directory asked about), from a
 * listing with `--debug`: `size mtimeMs ctimeMs ino dev`, in milliseconds as Node gives them and
 * with the size, inode and device as the index keeps them (their low 32 bits). Entries without
 * their five lines of stat data are left out.
 */
function indexMetadataOf(out: string): Map<string, string> {
  const found = new Map<string, string>();
  const stat =
    / {2}ctime: (\d+):(\d+)\n {2}mtime: (\d+):(\d+)\n {2}dev: (\d+)\tino: (\d+)\n {2}uid: \d+\tgid: \d+\n {2}size: (\d+)\tflags: [0-9a-f]+\n/y;
  for (let at = 0; at < out.length;) {
    let end = out.indexOf("\0", at);
    if (end === -1) end = out.length;
    const start = at;
    at = end + 1;
    stat.lastIndex = at;
    const data = out[start] === "?" ? null : stat.exec(out);
    if (!data) continue;
    at = stat.lastIndex;
    const tab = pathTab(out, start, end, true);
    if (tab === -1 || !isStagedRegularFile(out, start, tab)) continue;
    const [, ctime, ctimeNs, mtime, mtimeNs, dev, ino, size] = data;
    // As Node computes mtimeMs and ctimeMs from seconds and nanoseconds (lib/internal/fs/utils.js).
    const ms = (seconds: string, nanoseconds: string) => Number(seconds) * 1e3 + Number(nanoseconds) / 1e6;
    found.set(out.slice(tab + 1, end), `${size} ${ms(mtime!, mtimeNs!)} ${ms(ctime!, ctimeNs!)} ${ino} ${dev}`);
  }
  return found;
}

/**
 * The tracked Terraform files under `dir` that git looks at and finds not as the index's stat data
 * says (`git diff-files --name-only`: an lstat of each, in C; paths relative to `dir`, as git
 * writes them): its size, its modification and change times (to the second), inode, owner and
 * type. Every other such file is as the index says. Git's own settings that would make it look at
 * less (`core.trustctime`, `core.checkStat`) are set back to their defaults; fsmonitor is off (see
 * SAFE_GIT_OPTIONS). Files the index says were written in the same second as the index itself
 * ("racily clean") git compares by content, which it would read through the repository's clean
 * filter: every filter the configuration defines is set to none for this command (see
 * filterCommands), so that no program is run. Files git is told not to look at (assume-unchanged,
 * skip-worktree) are not checked: the caller must not rely on this for them. Undefined when git fails.
 */
export async function worktreeDifferences(dir: string): Promise<string[] | undefined> {
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: "0" };
  const filters = await filterCommands(dir, env);
  if (!filters) return undefined;
  return new Promise((done) => {
    execFile(
      "git",
      [
        ...SAFE_GIT_OPTIONS,
        ...filters.flatMap((name) => ["-c", `${name}=`]),
        "-c",
        "core.trustctime=true",
        "-c",
        "core.checkStat=default",
        "diff-files",
        "--name-only",
        "-z",
        "--relative",
        "--ignore-submodules=all",
        "--",
        ...TERRAFORM_EXTENSIONS.map((ext) => `*${ext}`),
      ],
      { cwd: dir, encoding: "buffer", env, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout) =>
        done(
          error
            ? undefined
            : stdout
                .toString("utf8")
                .split("\0")
                .filter((path) => path !== ""),
        ),
    );
  });
}

/**
 * The settings of every filter driver git's configuration defines for `dir` (`filter.<driver>.clean`,
 * `.smudge`, `.process`), to be set to an empty value, which git takes as no command (`-c name=`).
 * Undefined when git cannot say, or when a name holds `=` (which `-c` would take as the end of the
 * name).
 */
function filterCommands(dir: string, env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  return new Promise((done) => {
    execFile(
      "git",
      [...SAFE_GIT_OPTIONS, "config", "-z", "--name-only", "--get-regexp", "^filter\\..*\\.(clean|smudge|process)$"],
      { cwd: dir, encoding: "buffer", env },
      (error, stdout) => {
        // Exit code 1: no such setting.
        if (error && error.code !== 1) return done(undefined);
        const names = [
          ...new Set(
            stdout
              .toString("utf8")
              .split("\0")
              .filter((name) => name !== ""),
          ),
        ];
        done(names.some((name) => name.includes("=")) ? undefined : names);
      },
    );
  });
}

/**
 * Whether git could find a repository for `dir`: a `.git` (directory, or file of a linked work
 * tree or submodule) in it or in a directory above, or one named by GIT_DIR / GIT_WORK_TREE. Git
 * finds a repository no other way that `ls-files` could use, so elsewhere it is not asked: a scan
 * outside any repository starts no process.
 */
export function mayHaveRepository(dir: string): boolean {
  if (process.env.GIT_DIR !== undefined || process.env.GIT_WORK_TREE !== undefined) return true;
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, ".git"))) return true;
    if (dirname(at) === at) return false;
  }
}

/**
 * Git's answer about a directory as it came (its bytes), read into a {@link GitListing} when first
 * asked: a scan that recognises the answer by its digest (see {@link gitListingDigest}) never reads it.
 */
export class GitAnswer {
  private parsed: GitListing | undefined;
  private digested: string | undefined;
  /** Whether discovery took this answer for the directory's files (see gitFiles). */
  takenForFiles = false;

  constructor(
    private readonly stdout: Buffer,
    private readonly stderr: Buffer,
    private readonly dir: string,
    private readonly withIds: boolean,
  ) {}

  get listing(): GitListing {
    return (this.parsed ??= parseListing(
      this.stdout.toString("utf8"),
      this.dir,
      this.stderr.toString("utf8"),
      this.withIds,
    ));
  }

  /**
   * The index's stat data of the tracked regular files (see indexMetadataOf), by path relative to
   * the directory; empty for an answer without ids.
   */
  indexMetadata(): Map<string, string> {
    return this.withIds ? indexMetadataOf(this.stdout.toString("utf8")) : new Map<string, string>();
  }

  private directories: Map<string, string> | undefined;

  /** A hash of each directory's entries (all git said of its files), by its path as listed; stderr's under "\0". */
  directoryDigests(): Map<string, string> {
    if (this.directories) return this.directories;
    const out = this.stdout.toString("utf8");
    const parts = new Map<string, string[]>();
    for (let at = 0; at < out.length;) {
      let end = out.indexOf("\0", at);
      if (end === -1) end = out.length;
      const start = at;
      at = end + 1;
      // An entry's stat data (--debug) follows it.
      if (out.startsWith("  ctime: ", at)) at = statDataEnd(out, at);
      const path = listedPath(out, start, end, pathTab(out, start, end, this.withIds));
      const dir = path.slice(0, Math.max(0, path.lastIndexOf("/")));
      const entry = out.slice(start, at);
      const list = parts.get(dir);
      if (list) list.push(entry);
      else parts.set(dir, [entry]);
    }
    const digests = new Map<string, string>();
    for (const [dir, entries] of parts)
      digests.set(dir, createHash("sha1").update(entries.join("")).digest("base64url"));
    digests.set("\0", createHash("sha1").update(this.stderr).digest("base64url"));
    return (this.directories = digests);
  }

  /** A hash of the question (the directory, with or without ids) and of the whole answer: equal digests, equal listings. */
  digest(): string {
    return (this.digested ??= createHash("sha256")
      .update(`${this.dir}\u0000${this.withIds ? "ids" : "names"}\u0000${this.stdout.length}\u0000`)
      .update(this.stdout)
      .update("\u0000")
      .update(this.stderr)
      .digest("base64url"));
  }
}

/** Asks git now, without waiting (null: not a work tree, or no git). */
function askGit(dir: string, withIds: boolean): Promise<GitAnswer | null> {
  if (!mayHaveRepository(dir)) return Promise.resolve(null);
  const options = { cwd: dir, env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" } };
  const piped = () =>
    new Promise<GitAnswer | null>((done) => {
      execFile(
        "git",
        listingArgs(withIds),
        { ...options, encoding: "buffer", maxBuffer: 1 << 30 },
        (error, stdout, stderr) => done(error ? null : new GitAnswer(stdout, stderr, dir, withIds)),
      );
    });
  const spool = spoolFile();
  if (spool === undefined) return piped();
  // Git's answer (megabytes for a large repository) goes to a file rather than a pipe: a pipe holds
  // 64 kB, and git would wait for Node to read it, which it does not while it compiles the CLI (the
  // answer is asked for before: see askGitEarly) or replays a scan; the file is read once git is
  // done. Should that fail (a full temporary directory), git is asked again through a pipe.
  return new Promise<GitAnswer | undefined>((done) => {
    const stderr: Buffer[] = [];
    let settled = false;
    const finish = (answer: GitAnswer | undefined) => {
      if (settled) return;
      settled = true;
      try {
        closeSync(spool);
      } catch {
        // closed already
      }
      done(answer);
    };
    const child = spawn("git", listingArgs(withIds), { ...options, stdio: ["ignore", spool, "pipe"] });
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", () => finish(undefined));
    child.on("close", (code) => {
      if (code !== 0) return finish(undefined);
      try {
        const stdout = Buffer.allocUnsafe(fstatSync(spool).size);
        for (let at = 0; at < stdout.length;) {
          const read = readSync(spool, stdout, at, stdout.length - at, at);
          if (read === 0) return finish(undefined);
          at += read;
        }
        finish(new GitAnswer(stdout, Buffer.concat(stderr), dir, withIds));
      } catch {
        finish(undefined);
      }
    });
  }).then((answer) => answer ?? piped());
}

/**
 * A new file of this user's alone, already unlinked, open for reading and writing (its descriptor),
 * for a child's output; undefined where a file cannot be removed while open (Windows) or made.
 */
export function spoolFile(): number | undefined {
  if (process.platform === "win32") return undefined;
  const path = join(tmpdir(), `keygate-git-${randomBytes(9).toString("base64url")}`);
  try {
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      unlinkSync(path);
    } catch {
      closeSync(fd);
      return undefined;
    }
    return fd;
  } catch {
    return undefined;
  }
}

/** Where the bin leaves the answer it asked for before loading the CLI (shared by every copy of this module). */
const EARLY = Symbol.for("keygate.gitListing");
interface Early {
  dir: string;
  listing: Promise<GitAnswer | null>;
  /** Each use once: a later scan in the same process must see the tree as it is then. */
  unused: Set<"files" | "ids">;
}

/**
 * Asks git about `dir` now, for a scan of it that will want the answer: the bin calls this before it
 * loads the CLI, so that git works on the other core meanwhile.
 */
export function askGitEarly(dir: string, { withIds }: { withIds: boolean }): void {
  (globalThis as { [EARLY]?: Early })[EARLY] = {
    dir,
    listing: askGit(dir, withIds),
    unused: new Set(withIds ? ["files", "ids"] : ["files"]),
  };
}

/**
 * For a scan of one directory (not the working directory, which the bin asks about before the CLI
 * loads): git's listing of that directory, with object ids, asked once for both discovery and the
 * cache (see gitFiles, askUnchangedBlobIds) instead of a listing of it and one of the whole
 * repository. Nothing when an answer was asked for already. Undo with {@link forgetAskedGit}.
 */
export function askGitAbout(dir: string): void {
  if ((globalThis as { [EARLY]?: Early })[EARLY]) return;
  askGitEarly(dir, { withIds: true });
}

/** Drops what was asked about `dir` and not used (a later scan must see the tree as it is then). */
export function forgetAskedGit(dir: string): void {
  const global = globalThis as { [EARLY]?: Early };
  if (global[EARLY]?.dir === dir) global[EARLY] = undefined;
}

function early(dir: string, use: "files" | "ids"): Promise<GitAnswer | null> | undefined {
  const global = globalThis as { [EARLY]?: Early };
  const asked = global[EARLY];
  if (asked?.dir !== dir || !asked.unused.delete(use)) return undefined;
  if (asked.unused.size === 0) global[EARLY] = undefined;
  return asked.listing;
}

/**
 * The Terraform files under a directory inside a git work tree, as git sees them: tracked or
 * untracked, minus what .gitignore (at any level), .git/info/exclude and the global excludes file
 * ignore, minus files deleted from the work tree. Git answers in milliseconds where walking the
 * tree and matching every .gitignore takes most of a second on a large repository. Null when the
 * directory is not in a work tree or git cannot be run.
 */
export async function gitFiles(dir: string): Promise<{ files: string[]; unreadable: string[] } | null> {
  const asked = early(dir, "files");
  if (asked) {
    const answer = await asked;
    if (!answer) return null;
    answer.takenForFiles = true;
    return answer.listing;
  }
  return (await askGit(dir, false))?.listing ?? null;
}

/**
 * For a full scan of `dir` that may take its verdicts (see scan-verdicts.ts): git's answer about the
 * directory that discovery takes — asked now, with object ids, unless it was asked already — without
 * taking it, for its digest (see GitAnswer.digest). Undefined when the answer pending is about
 * another directory, or taken already. Undo with {@link forgetAskedGit} when discovery does not follow.
 */
export function gitAnswerFor(dir: string): Promise<GitAnswer | null> | undefined {
  const global = globalThis as { [EARLY]?: Early };
  if (!global[EARLY]) askGitEarly(dir, { withIds: true });
  const asked = global[EARLY]!;
  return asked.dir === dir && asked.unused.has("files") ? asked.listing : undefined;
}

/**
 * The object ids the index records for the tracked Terraform files under `dir` (absolute paths).
 * They are what the file held when it was staged, not necessarily what it holds now: a user of an
 * id reads the file and checks its blob id (see loader.ts) before it trusts anything filed under
 * it. Files git is told not to look at (assume-unchanged, skip-worktree), unmerged ones, symbolic
 * links and submodules are left out, like untracked ones. Undefined outside a work tree or without git.
 */
export async function unchangedBlobIds(dir: string): Promise<Map<string, string> | undefined> {
  return (await (early(dir, "ids") ?? askGit(dir, true)))?.listing.unchanged;
}

/**
 * As {@link unchangedBlobIds}, git asked now (or its early answer taken), the map made only when
 * the returned function is called: a scan that takes its verdicts from the cache never needs it.
 */
export function askUnchangedBlobIds(dir: string): () => Promise<Map<string, string> | undefined> {
  const listing = early(dir, "ids") ?? askGit(dir, true);
  return async () => (await listing)?.listing.unchanged;
}

/**
 * Git's object id of a file's content (`git hash-object`, SHA-1 repositories): a content hash that
 * git has already computed for every tracked file. Computed here from the text as read, so that a
 * file whose bytes differ from its index entry (line-ending or other filters, a byte-order mark)
 * never matches it.
 */
export function blobIdOf(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\u0000`).update(bytes).digest("hex");
}
