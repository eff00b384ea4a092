import { spawnSync } from "node:child_process";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { InputError } from "../findings.js";
import {
  displayPath,
  excludeMatcher,
  isTerraformFile,
  TERRAFORM_EXTENSIONS,
  type Discovery,
  type ExcludeRules,
} from "../load/discover.js";
import type { DirectoryEntry, SourceTree } from "../load/tree.js";
import type { BlobReader } from "./blob-reader.js";
import { git, gitEnvironment, GitError, startFailure, type Repository } from "./git.js";

/** Directories that never hold configuration to scan (as for the working tree). */
const SKIPPED_DIRS = new Set([".terraform", ".git", "node_modules"]);

/**
 * A git snapshot — a commit's tree or the index — as a {@link SourceTree}: paths are absolute, as
 * if the snapshot were checked out at the repository root; content comes from git's objects, so
 * nothing is checked out and the working tree is never touched. Discovery lists the tracked
 * Terraform files (regular files; symbolic links and submodules are not read).
 */
export class GitTree implements SourceTree {
  /** Repository-relative directory ("" for the root) → names of the regular files directly in it. */
  private readonly dirs = new Map<string, string[]>();

  private constructor(
    /** How messages name the snapshot: `HEAD`, `the index`, `origin/main`. */
    readonly label: string,
    private readonly toplevel: string,
    /** Repository-relative path (`/` separators) → blob id. */
    private readonly blobs: Map<string, string>,
    private readonly reader: BlobReader,
    /** Paths of symbolic links and submodules, which a snapshot does not read (the working tree may). */
    readonly special: readonly string[] = [],
    /** Repository-relative directory ("" for the root) → its git tree id, for a commit's tree (see treeId). */
    private readonly trees = new Map<string, string>(),
    /** The directories, when they are known already (see withChanges). */
    dirs?: Map<string, string[]>,
  ) {
    if (dirs) {
      this.dirs = dirs;
      return;
    }
    this.dirs.set("", []);
    for (const path of blobs.keys()) {
      const slash = path.lastIndexOf("/");
      const dir = slash === -1 ? "" : path.slice(0, slash);
      const names = this.dirs.get(dir) ?? [];
      names.push(path.slice(slash + 1));
      this.dirs.set(dir, names);
      // Directories with only subdirectories exist too (a directory listed already has its parents listed).
      for (let up = dir; up !== "";) {
        const cut = up.lastIndexOf("/");
        up = cut === -1 ? "" : up.slice(0, cut);
        if (this.dirs.has(up)) break;
        this.dirs.set(up, []);
      }
    }
  }

  /** The tree of a commit (`git ls-tree -r -t -z --full-tree`: its files, and its directories' tree ids). */
  static async ofCommit(repository: Repository, commit: string, label: string, reader: BlobReader): Promise<GitTree> {
    const out = await git(["ls-tree", "-r", "-t", "-z", "--full-tree", commit], repository.toplevel);
    const blobs = new Map<string, string>();
    const special: string[] = [];
    const trees = new Map<string, string>();
    // "<mode> SP <type> SP <oid> TAB <path>" NUL, the mode in six digits: read by position (eleven thousand records add up).
    const text = out.toString("utf8");
    for (let at = 0; at < text.length;) {
      const nul = text.indexOf("\0", at);
      const end = nul === -1 ? text.length : nul;
      const tab = text.indexOf("\t", at);
      if (tab === -1 || tab > end) break;
      const type = text.slice(at + 7, text.indexOf(" ", at + 7));
      const oid = text.slice(at + 8 + type.length, tab);
      const path = text.slice(tab + 1, end);
      if (type === "blob" && isRegularFile(text.slice(at, at + 6))) blobs.set(path, oid);
      else if (type === "tree") trees.set(path, oid);
      else special.push(path);
      at = end + 1;
    }
    return new GitTree(label, repository.toplevel, blobs, reader, special, trees);
  }

  /** What is staged: the index (`git ls-files -s -z`); conflicted paths are read as "ours". */
  static async ofIndex(repository: Repository, reader: BlobReader): Promise<GitTree> {
    const out = await git(["ls-files", "-s", "-z", "--full-name"], repository.toplevel);
    const blobs = new Map<string, string>();
    const special: string[] = [];
    // "<mode> SP <oid> SP <stage> TAB <path>"
    for (const record of records(out)) {
      const tab = record.indexOf("\t");
      const [mode, oid, stage] = record.slice(0, tab).split(" ");
      const path = record.slice(tab + 1);
      if (!isRegularFile(mode) || !oid) {
        special.push(path);
        continue;
      }
      if (stage === "0" || stage === "2" || !blobs.has(path)) blobs.set(path, oid);
    }
    return new GitTree("the index", repository.toplevel, blobs, reader, special);
  }

  /** A snapshot with no files: the "before" of a repository without commits. */
  static empty(repository: Repository, label: string, reader: BlobReader): GitTree {
    return new GitTree(label, repository.toplevel, new Map(), reader);
  }

  private ids: Map<string, string> | undefined;

  /**
   * Every file's blob id, by absolute path: the cache knows a content by its id (see
   * SourceTree.blobIds). Looked up in the listing as asked (get, has), not built for every file.
   */
  get blobIds(): Map<string, string> {
    return (this.ids ??= new BlobIdView((path) => this.blobId(path)));
  }

  /** A file's blob id, by absolute path. */
  blobId(path: string): string | undefined {
    const rel = this.repoPath(path);
    return rel === undefined ? undefined : this.blobs.get(rel);
  }

  /**
   * A directory's git tree id in a commit's tree (undefined in the index, for the repository's root,
   * which `ls-tree` does not list, or where the directory is absent): it names the directory's whole content, so what was learnt of a directory with this id
   * holds wherever it has it (see model/call-graph.ts's summaries).
   */
  treeId(dir: string): string | undefined {
    const rel = this.repoPath(dir);
    return rel === undefined ? undefined : this.trees.get(rel);
  }

  /**
   * This snapshot with the differences `git diff-index --cached --raw` reports between it and the
   * index (see indexChanges): the index, without listing it whole. Directories and names are
   * shared with this snapshot where the differences leave them as they are.
   */
  withChanges(label: string, changes: readonly IndexChange[]): GitTree {
    const blobs = new Map(this.blobs);
    const special = new Set(this.special);
    const dirs = new Map(this.dirs);
    const copied = new Set<string>();
    const namesOf = (dir: string): string[] => {
      let names = dirs.get(dir);
      if (!names) {
        dirs.set(dir, (names = []));
        copied.add(dir);
        // Directories with only subdirectories exist too.
        for (let up = dir; up !== "";) {
          const cut = up.lastIndexOf("/");
          up = cut === -1 ? "" : up.slice(0, cut);
          if (!dirs.has(up)) dirs.set(up, []);
        }
      } else if (!copied.has(dir)) {
        dirs.set(dir, (names = [...names]));
        copied.add(dir);
      }
      return names;
    };
    const emptied: string[] = [];
    for (const { path, oid, kind } of changes) {
      const slash = path.lastIndexOf("/");
      const dir = slash === -1 ? "" : path.slice(0, slash);
      const name = path.slice(slash + 1);
      special.delete(path);
      if (blobs.delete(path)) {
        const names = namesOf(dir);
        names.splice(names.indexOf(name), 1);
        if (!names.length) emptied.push(dir);
      }
      if (kind === "file") {
        blobs.set(path, oid);
        namesOf(dir).push(name);
      } else if (kind === "special") special.add(path);
    }
    // A directory left with nothing below it is gone, and so are its parents left empty.
    for (let dir of emptied) {
      while (dir !== "" && !dirs.get(dir)?.length && ![...blobs.keys()].some((path) => path.startsWith(`${dir}/`))) {
        dirs.delete(dir);
        const cut = dir.lastIndexOf("/");
        dir = cut === -1 ? "" : dir.slice(0, cut);
      }
    }
    return new GitTree(label, this.toplevel, blobs, this.reader, [...special], new Map(), dirs);
  }

  /** Every directory of the snapshot (repository-relative, "" for the root) with the names of the files directly in it. */
  directories(): IterableIterator<[string, readonly string[]]> {
    return this.dirs.entries();
  }

  /** The repository-relative path (`/` separators) → blob id of every file (to compare snapshots by ids). */
  get entries(): ReadonlyMap<string, string> {
    return this.blobs;
  }

  /** Contents read synchronously (see readNow), by blob id. */
  private readonly readNowCache = new Map<string, Buffer>();

  /**
   * A file's bytes, synchronously: a file known from the cache whose text turns out to be needed
   * (rarely: its configuration matters). Its directory's files are read with it, in one
   * `git cat-file --batch`, since its neighbours are usually asked for next.
   */
  readNow(path: string): Uint8Array {
    const rel = this.repoPath(path);
    const oid = rel === undefined ? undefined : this.blobs.get(rel);
    if (oid === undefined) throw this.fsError("ENOENT", path);
    let bytes = this.readNowCache.get(oid);
    if (!bytes) {
      const slash = rel!.lastIndexOf("/");
      const dir = slash === -1 ? "" : rel!.slice(0, slash);
      const oids = [
        ...new Set([
          oid,
          ...(this.dirs.get(dir) ?? []).map((name) => this.blobs.get(dir === "" ? name : `${dir}/${name}`)!),
        ]),
      ].filter((o) => !this.readNowCache.has(o));
      for (const [read, content] of readBlobsNow(oids, this.toplevel)) this.readNowCache.set(read, content);
      bytes = this.readNowCache.get(oid);
      if (!bytes) throw new GitError(`git object ${oid} is missing from the repository`);
    }
    return bytes;
  }

  /** Reads files through the cat-file pipe, all at once, for {@link readNow} to find. */
  async prefetch(paths: readonly string[]): Promise<void> {
    const oids = new Set<string>();
    for (const path of paths) {
      const rel = this.repoPath(path);
      const oid = rel === undefined ? undefined : this.blobs.get(rel);
      if (oid !== undefined && !this.readNowCache.has(oid)) oids.add(oid);
    }
    await Promise.all(
      [...oids].map(async (oid) => this.readNowCache.set(oid, Buffer.from(await this.reader.read(oid)))),
    );
  }

  /** Whether an absolute path is a file, a directory, or absent in this snapshot. */
  kind(path: string): "file" | "dir" | undefined {
    const rel = this.repoPath(path);
    if (rel === undefined) return undefined;
    if (this.blobs.has(rel)) return "file";
    return this.dirs.has(rel) ? "dir" : undefined;
  }

  async read(path: string): Promise<Uint8Array> {
    const rel = this.repoPath(path);
    const oid = rel === undefined ? undefined : this.blobs.get(rel);
    if (oid === undefined) throw this.fsError(rel !== undefined && this.dirs.has(rel) ? "EISDIR" : "ENOENT", path);
    return this.reader.read(oid);
  }

  async files(dir: string): Promise<string[]> {
    const rel = this.repoPath(dir);
    const names = rel === undefined ? undefined : this.dirs.get(rel);
    if (!names) throw this.fsError(rel !== undefined && this.blobs.has(rel) ? "ENOTDIR" : "ENOENT", dir);
    return [...names].sort();
  }

  /** Repository-relative directory → the entries of its listing other than files (built on first listing). */
  private subEntries: Map<string, DirectoryEntry[]> | undefined;

  /**
   * A directory's listing (`fileset()`): its files and subdirectories as the snapshot has them; a
   * symbolic link or submodule is refused, since a snapshot does not say what it would lead to.
   */
  async list(dir: string): Promise<DirectoryEntry[]> {
    const rel = this.repoPath(dir);
    const names = rel === undefined ? undefined : this.dirs.get(rel);
    if (!names) throw this.fsError(rel !== undefined && this.blobs.has(rel) ? "ENOTDIR" : "ENOENT", dir);
    if (!this.subEntries) {
      const sub = new Map<string, DirectoryEntry[]>();
      const add = (path: string, entry: (name: string) => DirectoryEntry) => {
        const slash = path.lastIndexOf("/");
        const parent = slash === -1 ? "" : path.slice(0, slash);
        const listed = sub.get(parent);
        if (listed) listed.push(entry(path.slice(slash + 1)));
        else sub.set(parent, [entry(path.slice(slash + 1))]);
      };
      for (const path of this.dirs.keys()) if (path !== "") add(path, (name) => ({ name, kind: "dir" }));
      for (const path of this.special)
        add(path, (name) => ({
          name,
          kind: "refused",
          reason: `is a symbolic link or a submodule in ${this.label}: keygate does not follow them in a git snapshot`,
        }));
      this.subEntries = sub;
    }
    const entries: DirectoryEntry[] = [
      ...names.map((name) => ({ name, kind: "file" as const })),
      ...(this.subEntries.get(rel!) ?? []),
    ];
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async discover(paths: readonly string[], cwd: string, exclude?: ExcludeRules): Promise<Discovery> {
    const isExcluded = excludeMatcher(exclude);
    const files = new Set<string>();
    const namedFiles = new Set<string>();
    const otherFiles = new Set<string>();
    const errors: InputError[] = [];
    for (const given of paths) {
      const absolute = isAbsolute(given) ? resolve(given) : resolve(cwd, given);
      const rel = this.repoPath(absolute);
      const shown = displayPath(absolute, cwd);
      if (rel === undefined) {
        errors.push({ file: shown, message: `outside the git repository (${this.toplevel}): ${given}` });
        continue;
      }
      if (this.blobs.has(rel)) {
        if (isExcluded(absolute)) continue;
        if (isTerraformFile(absolute)) {
          files.add(absolute);
          namedFiles.add(absolute);
        } else otherFiles.add(absolute);
        continue;
      }
      if (!this.dirs.has(rel)) {
        errors.push({ file: shown, message: `path does not exist in ${this.label}: ${given}` });
        continue;
      }
      if (isTerraformFile(absolute)) {
        errors.push({
          file: shown,
          message: `is a directory, not a Terraform file: name the file, or the directory to scan without its ${TERRAFORM_EXTENSIONS.find((e) => absolute.endsWith(e))} ending`,
        });
        continue;
      }
      const prefix = rel === "" ? "" : `${rel}/`;
      for (const path of this.blobs.keys()) {
        if (!path.startsWith(prefix) || !isTerraformFile(path)) continue;
        if (mayBeSkipped(path) && isSkippedDir(path.slice(prefix.length, path.lastIndexOf("/") + 1))) continue;
        const file = this.absolute(path);
        if (!isExcluded(file)) files.add(file);
      }
    }
    return { files: [...files].sort(), namedFiles: [...namedFiles].sort(), otherFiles: [...otherFiles].sort(), errors };
  }

  /** The top level with a trailing separator. */
  private get prefix(): string {
    return this.toplevel.endsWith(sep) ? this.toplevel : `${this.toplevel}${sep}`;
  }

  /** The absolute path of a repository-relative one. */
  absolute(repoPath: string): string {
    if (repoPath === "") return this.toplevel;
    // Git's paths have no empty, "." or ".." segments: on POSIX, joining is concatenating (10,000 paths add up).
    return sep === "/"
      ? `${this.toplevel.endsWith("/") ? this.toplevel : `${this.toplevel}/`}${repoPath}`
      : join(this.toplevel, ...repoPath.split("/"));
  }

  /** The repository-relative path (`/` separators, "" for the root) of an absolute path, or undefined outside the repository. */
  repoPath(path: string): string | undefined {
    // The common case, a normalised path below the top level, without path.relative's normalising (as discovery spells them).
    if (sep === "/" && path.startsWith(this.prefix) && !/\/\.{0,2}(\/|$)|\/\//.test(path.slice(this.prefix.length - 1)))
      return path.slice(this.prefix.length);
    const rel = relative(this.toplevel, resolve(path));
    if (rel === "") return "";
    if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
    return rel.split(sep).join("/");
  }

  private fsError(code: string, path: string): NodeJS.ErrnoException {
    // Without a stack: these are expected (a root without .terraform/modules/modules.json, a thousand times), and
    // only their code and message are ever used.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const error: NodeJS.ErrnoException = new Error(`${code}: ${path} in ${this.label}`);
    Error.stackTraceLimit = limit;
    error.code = code;
    return error;
  }
}

/**
 * Blob ids by absolute path, looked up (in a snapshot's listing) when asked (get, has): ten thousand
 * absolute paths made for a run that asks for a few dozen add up. Not to be iterated.
 */
export class BlobIdView extends Map<string, string> {
  constructor(private readonly idOf: (path: string) => string | undefined) {
    super();
  }

  override get(path: string): string | undefined {
    return this.idOf(path);
  }

  override has(path: string): boolean {
    return this.idOf(path) !== undefined;
  }

  override [Symbol.iterator](): MapIterator<[string, string]> {
    throw new Error("a snapshot's blob ids are looked up, not listed");
  }
}

/** A path that differs between a commit and the index: what the index holds there (a regular file and its blob id, a link or submodule, or nothing). */
export interface IndexChange {
  path: string;
  kind: "file" | "special" | "deleted";
  oid: string;
}

/**
 * What differs between a commit and the index, from `git diff-index --cached --raw -z --no-renames`
 * (`:<old mode> <new mode> <old id> <new id> <status>` NUL `<path>` NUL); undefined when the index
 * has unmerged paths (their content is chosen by stage, which the diff does not give: the index is
 * then listed whole). A path whose content and kind are the same on both sides (a mode change
 * only) is not a change, as when the two listings are compared.
 */
export function indexChanges(out: Buffer): IndexChange[] | undefined {
  const fields = out.toString("utf8").split("\0");
  const changes: IndexChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [oldMode, newMode, oldId, newId, status] = fields[i]!.slice(1).split(" ");
    const path = fields[i + 1]!;
    if (status === undefined || status.startsWith("U") || newId === undefined) return undefined;
    const kind = newMode === "000000" ? "deleted" : isRegularFile(newMode) ? "file" : "special";
    if (kind === "file" && isRegularFile(oldMode) && oldId === newId) continue;
    changes.push({ path, kind, oid: newId });
  }
  return changes;
}

/** Blobs read synchronously through one `git cat-file --batch`: id → content (missing ones left out). */
function readBlobsNow(oids: readonly string[], cwd: string): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const result = spawnSync("git", ["cat-file", "--batch"], {
    cwd,
    env: gitEnvironment(),
    input: oids.map((o) => `${o}\n`).join(""),
    maxBuffer: 1 << 30,
  });
  if (result.error) throw startFailure(result.error);
  const out = result.stdout;
  let at = 0;
  for (const oid of oids) {
    const newline = out.indexOf(0x0a, at);
    if (newline === -1) break;
    // "<oid> <type> <size>" or "<oid> missing"
    const [, type, size] = out.subarray(at, newline).toString("utf8").split(" ");
    at = newline + 1;
    if (type === "missing" || size === undefined) continue;
    found.set(oid, out.subarray(at, at + Number(size)));
    at += Number(size) + 1;
  }
  return found;
}

/** Whether a directory (repository-relative, `/`-separated) is or lies in one of the SKIPPED_DIRS, as discovery skips them. */
export function isSkippedDir(rel: string): boolean {
  return rel !== "" && rel.split("/").some((segment) => SKIPPED_DIRS.has(segment));
}

/** Whether a path may lie below one of the SKIPPED_DIRS (a quick test before the exact one). */
function mayBeSkipped(path: string): boolean {
  return path.includes(".terraform/") || path.includes(".git/") || path.includes("node_modules/");
}

function isRegularFile(mode: string | undefined): boolean {
  return mode === "100644" || mode === "100755";
}

/** The NUL-terminated records of git's `-z` output (decoded at once: ten thousand small decodes add up). */
function records(out: Buffer): string[] {
  return out
    .toString("utf8")
    .split("\0")
    .filter((record) => record !== "");
}
