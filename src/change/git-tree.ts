import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
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
import { SAFE_GIT_OPTIONS } from "../load/git.js";
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
  private constructor(
    /** How messages name the snapshot: `HEAD`, `the index`, `origin/main`. */
    readonly label: string,
    private readonly toplevel: string,
    /** What the snapshot holds, by repository-relative path (`/` separators, "" for the root). */
    private readonly listing: Listing,
    private readonly reader: BlobReader,
  ) {}

  /**
   * The tree of a commit (`git ls-tree -r -t -z --full-tree`: its files, and its directories' tree
   * ids). The listing is kept as git gave it and a directory's files are looked up in it when first
   * asked for (see CommitListing): a run that reads a few directories of a large repository does not
   * make a path, an id and a map entry of every file.
   */
  static async ofCommit(repository: Repository, commit: string, label: string, reader: BlobReader): Promise<GitTree> {
    const out = await git(["ls-tree", "-r", "-t", "-z", "--full-tree", commit], repository.toplevel);
    return new GitTree(label, repository.toplevel, new CommitListing(out.toString("utf8")), reader);
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
    return new GitTree("the index", repository.toplevel, new FileListing(blobs, special), reader);
  }

  /** A snapshot with no files: the "before" of a repository without commits. */
  static empty(repository: Repository, label: string, reader: BlobReader): GitTree {
    return new GitTree(label, repository.toplevel, new FileListing(new Map(), []), reader);
  }

  /** Paths of symbolic links and submodules, which a snapshot does not read (the working tree may). */
  get special(): readonly string[] {
    return this.listing.special;
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
    return rel === undefined ? undefined : this.listing.blob(rel);
  }

  /**
   * A directory's git tree id in a commit's tree (undefined in the index, for the repository's root,
   * which `ls-tree` does not list, or where the directory is absent): it names the directory's whole content, so what was learnt of a directory with this id
   * holds wherever it has it (see model/call-graph.ts's summaries).
   */
  treeId(dir: string): string | undefined {
    const rel = this.repoPath(dir);
    return rel === undefined ? undefined : this.listing.treeId(rel);
  }

  /**
   * What names this snapshot's whole content, as its root tree's id does (a commit's listing only):
   * a digest of the records git lists at the top (each file's and link's mode, id and name, each
   * directory's tree id and name). Taken from the listing itself, it holds whatever made it (a
   * replaced object, a graft): two listings with the same digest list the same tree.
   */
  get rootDigest(): string | undefined {
    return this.listing.rootDigest();
  }

  /**
   * This snapshot with the differences `git diff-index --cached --raw` reports between it and the
   * index (see indexChanges): the index, without listing it whole. What the differences leave as
   * it is is looked up in this snapshot (see ChangedListing).
   */
  withChanges(label: string, changes: readonly IndexChange[]): GitTree {
    return new GitTree(label, this.toplevel, new ChangedListing(this.listing, changes), this.reader);
  }

  /** Every directory of the snapshot (repository-relative, "" for the root): those with a regular file below them. */
  directoryPaths(): Iterable<string> {
    return this.listing.dirs();
  }

  /** The names of the regular files directly in a directory (repository-relative), or undefined when there is no such directory. */
  namesIn(rel: string): readonly string[] | undefined {
    return this.listing.names(rel);
  }

  /** Every directory of the snapshot (repository-relative, "" for the root) with the names of the files directly in it. */
  *directories(): IterableIterator<[string, readonly string[]]> {
    for (const rel of this.listing.dirs()) yield [rel, this.listing.names(rel)!];
  }

  private allEntries: Map<string, string> | undefined;

  /**
   * The repository-relative path (`/` separators) → blob id of every file (to compare snapshots by
   * ids), made from the listing on first use: it lists every directory.
   */
  get entries(): ReadonlyMap<string, string> {
    if (this.allEntries) return this.allEntries;
    const entries = new Map<string, string>();
    for (const rel of this.listing.dirs())
      for (const name of this.listing.names(rel)!) {
        const path = rel === "" ? name : `${rel}/${name}`;
        entries.set(path, this.listing.blob(path)!);
      }
    return (this.allEntries = entries);
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
    const oid = rel === undefined ? undefined : this.listing.blob(rel);
    if (oid === undefined) throw this.fsError("ENOENT", path);
    let bytes = this.readNowCache.get(oid);
    if (!bytes) {
      const slash = rel!.lastIndexOf("/");
      const dir = slash === -1 ? "" : rel!.slice(0, slash);
      const oids = [
        ...new Set([
          oid,
          ...(this.listing.names(dir) ?? []).map((name) => this.listing.blob(dir === "" ? name : `${dir}/${name}`)!),
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
      const oid = rel === undefined ? undefined : this.listing.blob(rel);
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
    if (this.listing.blob(rel) !== undefined) return "file";
    return this.listing.hasDir(rel) ? "dir" : undefined;
  }

  async read(path: string): Promise<Uint8Array> {
    const rel = this.repoPath(path);
    const oid = rel === undefined ? undefined : this.listing.blob(rel);
    if (oid === undefined)
      throw this.fsError(rel !== undefined && this.listing.hasDir(rel) ? "EISDIR" : "ENOENT", path);
    return this.reader.read(oid);
  }

  async files(dir: string): Promise<string[]> {
    const rel = this.repoPath(dir);
    const names = rel === undefined ? undefined : this.listing.names(rel);
    if (!names)
      throw this.fsError(rel !== undefined && this.listing.blob(rel) !== undefined ? "ENOTDIR" : "ENOENT", dir);
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
    const names = rel === undefined ? undefined : this.listing.names(rel);
    if (!names)
      throw this.fsError(rel !== undefined && this.listing.blob(rel) !== undefined ? "ENOTDIR" : "ENOENT", dir);
    if (!this.subEntries) {
      const sub = new Map<string, DirectoryEntry[]>();
      const add = (path: string, entry: (name: string) => DirectoryEntry) => {
        const slash = path.lastIndexOf("/");
        const parent = slash === -1 ? "" : path.slice(0, slash);
        const listed = sub.get(parent);
        if (listed) listed.push(entry(path.slice(slash + 1)));
        else sub.set(parent, [entry(path.slice(slash + 1))]);
      };
      for (const path of this.listing.dirs()) if (path !== "") add(path, (name) => ({ name, kind: "dir" }));
      for (const path of this.listing.special)
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
    const isExcluded = await excludeMatcher(exclude);
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
      if (this.listing.blob(rel) !== undefined) {
        if (isExcluded(absolute)) continue;
        if (isTerraformFile(absolute)) {
          files.add(absolute);
          namedFiles.add(absolute);
        } else otherFiles.add(absolute);
        continue;
      }
      if (!this.listing.hasDir(rel)) {
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
      // Directory by directory: only those below the path are listed (see CommitListing).
      const prefix = rel === "" ? "" : `${rel}/`;
      for (const dir of this.listing.dirs()) {
        if (dir !== rel && !dir.startsWith(prefix)) continue;
        if (isSkippedDir(dir === rel ? "" : dir.slice(prefix.length))) continue;
        for (const name of this.listing.names(dir)!) {
          if (!isTerraformFile(name)) continue;
          const file = this.absolute(dir === "" ? name : `${dir}/${name}`);
          if (!isExcluded(file)) files.add(file);
        }
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
 * What a snapshot holds, by repository-relative path (`/` separators, "" for the root): its
 * regular files and their blob ids, its directories (those with a regular file below them, and the
 * root), and its symbolic links and submodules.
 */
interface Listing {
  /** Paths of symbolic links and submodules (and files of any other mode), which a snapshot does not read. */
  readonly special: readonly string[];
  /** The blob id of a regular file; undefined for anything else. */
  blob(path: string): string | undefined;
  /** The names of the regular files directly in a directory; undefined when there is no such directory. */
  names(dir: string): readonly string[] | undefined;
  hasDir(dir: string): boolean;
  /** Every directory, the root's "" first. */
  dirs(): Iterable<string>;
  /** A directory's git tree id (a commit's listing only; not the root's). */
  treeId(dir: string): string | undefined;
  /** A digest of the root's own records (a commit's listing only; see GitTree.rootDigest). */
  rootDigest(): string | undefined;
}

/** The directory part of a repository-relative path ("" for a file at the root). */
function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

/** A listing made from every file's path and blob id (the index, an empty tree). */
class FileListing implements Listing {
  private readonly directories = new Map<string, string[]>([["", []]]);

  constructor(
    private readonly blobs: ReadonlyMap<string, string>,
    readonly special: readonly string[],
  ) {
    for (const path of blobs.keys()) {
      const slash = path.lastIndexOf("/");
      const dir = slash === -1 ? "" : path.slice(0, slash);
      const names = this.directories.get(dir);
      if (names) names.push(path.slice(slash + 1));
      else this.directories.set(dir, [path.slice(slash + 1)]);
      // Directories with only subdirectories exist too (a directory listed already has its parents listed).
      for (let up = dir; up !== "";) {
        up = dirOf(up);
        if (this.directories.has(up)) break;
        this.directories.set(up, []);
      }
    }
  }

  blob(path: string): string | undefined {
    return this.blobs.get(path);
  }

  names(dir: string): readonly string[] | undefined {
    return this.directories.get(dir);
  }

  hasDir(dir: string): boolean {
    return this.directories.has(dir);
  }

  dirs(): Iterable<string> {
    return this.directories.keys();
  }

  treeId(): string | undefined {
    return undefined;
  }

  rootDigest(): string | undefined {
    return undefined;
  }
}

/**
 * A commit's listing (`git ls-tree -r -t -z` output) kept as git gave it. Only its directories are
 * taken at once (their tree ids, and where their records lie); a directory's files are read from
 * its records when first asked for, skipping its subdirectories' records. Git lists a tree's
 * entries in its order, each subtree's records right after the subtree's own, so that what lies
 * below a directory is one run of records.
 */
class CommitListing implements Listing {
  readonly special: string[] = [];
  /** Directory → its tree id, where its records start (after its own) and end, and whether a regular file lies below it. */
  private readonly trees = new Map<string, { id: string; first: number; end: number; files: boolean }>();
  /** Where the records of the subtree whose own record starts at an offset end. */
  private readonly ends = new Map<number, number>();
  /** The directories listed so far: their files' names; and those files' blob ids, by path. */
  private readonly listed = new Map<string, string[]>();
  private readonly blobs = new Map<string, string>();

  constructor(private readonly text: string) {
    const open: { path: string; prefix: string; at: number; first: number; id: string; files: boolean }[] = [];
    const close = (end: number) => {
      const tree = open.pop()!;
      this.ends.set(tree.at, end);
      this.trees.set(tree.path, { id: tree.id, first: tree.first, end, files: tree.files });
      if (tree.files && open.length) open[open.length - 1]!.files = true;
    };
    // "<mode> SP <type> SP <oid> TAB <path>" NUL, the mode in six digits: read by position, and only the
    // directories' paths made into strings (eleven thousand records add up).
    for (let at = 0; at < text.length;) {
      const nul = text.indexOf("\0", at);
      const end = nul === -1 ? text.length : nul;
      const tab = text.indexOf("\t", at);
      if (tab === -1 || tab > end) break;
      while (open.length && !text.startsWith(open[open.length - 1]!.prefix, tab + 1)) close(at);
      if (text.startsWith("tree ", at + 7)) {
        const path = text.slice(tab + 1, end);
        open.push({ path, prefix: `${path}/`, at, first: end + 1, id: text.slice(at + 12, tab), files: false });
      } else if (text.startsWith("blob ", at + 7) && isRegularMode(text, at)) {
        if (open.length) open[open.length - 1]!.files = true;
      } else this.special.push(text.slice(tab + 1, end));
      at = end + 1;
    }
    while (open.length) close(text.length);
  }

  blob(path: string): string | undefined {
    const names = this.names(dirOf(path));
    return names && this.blobs.get(path);
  }

  names(dir: string): readonly string[] | undefined {
    const listed = this.listed.get(dir);
    if (listed) return listed;
    const tree = dir === "" ? { first: 0, end: this.text.length } : this.trees.get(dir);
    if (!tree || (dir !== "" && !this.trees.get(dir)!.files)) return undefined;
    const names: string[] = [];
    const text = this.text;
    const skip = dir === "" ? 0 : dir.length + 1;
    for (let at = tree.first; at < tree.end;) {
      const nul = text.indexOf("\0", at);
      const end = nul === -1 ? text.length : nul;
      const tab = text.indexOf("\t", at);
      if (tab === -1 || tab > end) break;
      if (text.startsWith("tree ", at + 7)) {
        // A subdirectory: its records are skipped.
        at = this.ends.get(at)!;
        continue;
      }
      if (text.startsWith("blob ", at + 7) && isRegularMode(text, at)) {
        const path = text.slice(tab + 1, end);
        names.push(path.slice(skip));
        this.blobs.set(path, text.slice(at + 12, tab));
      }
      at = end + 1;
    }
    this.listed.set(dir, names);
    return names;
  }

  hasDir(dir: string): boolean {
    return dir === "" || this.trees.get(dir)?.files === true;
  }

  private dirList: string[] | undefined;

  dirs(): Iterable<string> {
    if (!this.dirList) {
      this.dirList = [""];
      for (const [dir, tree] of this.trees) if (tree.files) this.dirList.push(dir);
    }
    return this.dirList;
  }

  treeId(dir: string): string | undefined {
    return this.trees.get(dir)?.id;
  }

  private digest: string | undefined;

  rootDigest(): string {
    if (this.digest === undefined) {
      // The records at the top, whole (mode, type, id, name), each subtree's own records skipped.
      const hash = createHash("sha1");
      const text = this.text;
      for (let at = 0; at < text.length;) {
        const nul = text.indexOf("\0", at);
        const end = nul === -1 ? text.length : nul;
        hash.update(text.slice(at, end + 1));
        at = text.startsWith("tree ", at + 7) ? (this.ends.get(at) ?? end + 1) : end + 1;
      }
      this.digest = hash.digest("hex");
    }
    return this.digest;
  }
}

/**
 * A listing with the differences between it and the index applied (see GitTree.withChanges): the
 * directories the differences touch are listed anew, the others looked up in the listing underneath.
 * No tree ids: the index has none.
 */
class ChangedListing implements Listing {
  readonly special: readonly string[];
  /** Files added, changed (their new blob id) or deleted (null). */
  private readonly changed = new Map<string, string | null>();
  /** The directories whose names changed, with their names now. */
  private readonly renamed = new Map<string, string[]>();
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  constructor(
    private readonly base: Listing,
    changes: readonly IndexChange[],
  ) {
    const special = new Set(base.special);
    const namesOf = (dir: string): string[] => {
      let names = this.renamed.get(dir);
      if (!names) {
        const before = base.names(dir);
        this.renamed.set(dir, (names = before ? [...before] : []));
        // Directories with only subdirectories exist too.
        for (let up = dir; !this.hasDir(up); up = dirOf(up)) this.added.add(up);
      }
      return names;
    };
    const emptied: string[] = [];
    for (const { path, oid, kind } of changes) {
      const dir = dirOf(path);
      const name = path.slice(path.lastIndexOf("/") + 1);
      special.delete(path);
      if (this.blob(path) !== undefined) {
        this.changed.set(path, null);
        const names = namesOf(dir);
        names.splice(names.indexOf(name), 1);
        if (!names.length) emptied.push(dir);
      }
      if (kind === "file") {
        this.changed.set(path, oid);
        namesOf(dir).push(name);
      } else if (kind === "special") special.add(path);
    }
    // A directory left with nothing below it is gone, and so are its parents left empty.
    for (let dir of emptied) {
      while (dir !== "" && this.hasDir(dir) && !this.names(dir)!.length && !this.filesBelow(dir)) {
        this.removed.add(dir);
        this.added.delete(dir);
        dir = dirOf(dir);
      }
    }
    this.special = [...special];
  }

  /** Whether a regular file lies in a subdirectory of a directory. */
  private filesBelow(dir: string): boolean {
    const prefix = `${dir}/`;
    for (const sub of this.dirs()) if (sub.startsWith(prefix) && this.names(sub)!.length) return true;
    return false;
  }

  blob(path: string): string | undefined {
    const changed = this.changed.get(path);
    return changed !== undefined ? (changed ?? undefined) : this.base.blob(path);
  }

  names(dir: string): readonly string[] | undefined {
    if (this.removed.has(dir)) return undefined;
    // A directory added with only subdirectories has no files of its own.
    return this.renamed.get(dir) ?? this.base.names(dir) ?? (this.added.has(dir) ? [] : undefined);
  }

  hasDir(dir: string): boolean {
    return !this.removed.has(dir) && (this.added.has(dir) || this.base.hasDir(dir));
  }

  *dirs(): Iterable<string> {
    for (const dir of this.base.dirs()) if (!this.removed.has(dir)) yield dir;
    for (const dir of this.added) if (!this.base.hasDir(dir)) yield dir;
  }

  treeId(): string | undefined {
    return undefined;
  }

  rootDigest(): string | undefined {
    return undefined;
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
  const result = spawnSync("git", [...SAFE_GIT_OPTIONS, "cat-file", "--batch"], {
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
  // (Most paths name none of them: a thousand directories' segments add up.)
  if (!rel.includes(".terraform") && !rel.includes(".git") && !rel.includes("node_modules")) return false;
  return rel !== "" && rel.split("/").some((segment) => SKIPPED_DIRS.has(segment));
}

function isRegularFile(mode: string | undefined): boolean {
  return mode === "100644" || mode === "100755";
}

/** Whether the six-digit mode at an offset of a listing is a regular file's. */
function isRegularMode(text: string, at: number): boolean {
  return text.startsWith("100644", at) || text.startsWith("100755", at);
}

/** The NUL-terminated records of git's `-z` output (decoded at once: ten thousand small decodes add up). */
function records(out: Buffer): string[] {
  return out
    .toString("utf8")
    .split("\0")
    .filter((record) => record !== "");
}
