import { join, sep } from "node:path";
import { firstMessage, git, GitError, runGit, type Repository } from "./git.js";
import type { GitTree, IndexChange } from "./git-tree.js";

/** Terraform and OpenTofu sources, and variable files. */
const SOURCE_OR_VARIABLES = /\.(tf|tf\.json|tofu|tofu\.json|tfvars|tfvars\.json)$/;

/**
 * What a change touched, found by comparing git object ids (`git diff-index`, the two snapshots'
 * listings): nothing is read or parsed to find it. Directories are what it is about, since a
 * module is its directory: a root module's configuration can differ between the two sides only if
 * one of its directories holds a file that differs.
 */
export class Changes {
  /** Absolute paths of the files that differ (added, deleted, modified, changed in type). */
  readonly files = new Set<string>();
  /** Absolute directories holding such a file. */
  readonly dirs = new Set<string>();
  /** Absolute directories everything below which differs (untracked or ignored directories of the working tree). */
  readonly trees: string[] = [];
  /**
   * Whether something other than Terraform sources and variable files differs: a file a configuration
   * may read as data (file(), templatefile()), `.keygate.json`, a whole directory, a symbolic link
   * or a submodule. Such a change is not scoped by the module-call graph (see scan-change.ts).
   */
  others = false;
  /** Whether git could not list everything the working tree holds (an unreadable directory): what discovery will report. */
  unlisted = false;

  constructor(private readonly toplevel: string) {}

  /** Records a repository-relative path (`/` separators; a trailing `/` for a whole directory). */
  add(repoPath: string): void {
    // A root module's .terraform/ (downloaded modules, modules.json) belongs to the root: the snapshot lacks it.
    const terraform = repoPath.split("/").indexOf(".terraform");
    if (terraform !== -1) {
      this.dirs.add(this.absolute(repoPath.split("/").slice(0, terraform).join("/")));
      return;
    }
    if (repoPath.endsWith("/")) {
      this.others = true;
      const dir = this.absolute(repoPath.slice(0, -1));
      this.trees.push(dir);
      this.dirs.add(dir);
      return;
    }
    const slash = repoPath.lastIndexOf("/");
    if (!SOURCE_OR_VARIABLES.test(repoPath)) this.others = true;
    this.files.add(this.absolute(repoPath));
    this.dirs.add(this.absolute(slash === -1 ? "" : repoPath.slice(0, slash)));
  }

  /** Records a symbolic link or a submodule: its directory, and what lies below it when it stands for a directory. */
  addSpecial(repoPath: string): void {
    this.others = true;
    this.add(repoPath);
    this.add(`${repoPath}/`);
  }

  /** Whether a directory holds something that differs. */
  touches(dir: string): boolean {
    return this.dirs.has(dir) || this.trees.some((tree) => dir.startsWith(`${tree}${sep}`));
  }

  /** Whether a file's content differs between the two sides. */
  changed(file: string): boolean {
    return this.files.has(file) || this.trees.some((tree) => file.startsWith(`${tree}${sep}`));
  }

  private absolute(repoPath: string): string {
    return repoPath === "" ? this.toplevel : join(this.toplevel, ...repoPath.split("/"));
  }
}

/** The differences between two git snapshots (`--staged`: HEAD and the index), from their listings. */
export function snapshotChanges(repository: Repository, before: GitTree, after: GitTree): Changes {
  const changes = new Changes(repository.toplevel);
  const [was, is] = [before.entries, after.entries];
  for (const [path, oid] of is) if (was.get(path) !== oid) changes.add(path);
  for (const path of was.keys()) if (!is.has(path)) changes.add(path);
  for (const path of [...before.special, ...after.special]) changes.addSpecial(path);
  return changes;
}

/**
 * The differences between a commit and the index from git's diff of the two (see indexChanges):
 * the same as snapshotChanges finds by comparing their listings.
 */
export function indexDiffChanges(
  repository: Repository,
  before: GitTree,
  after: GitTree,
  changed: readonly IndexChange[],
): Changes {
  const changes = new Changes(repository.toplevel);
  for (const { path } of changed) changes.add(path);
  for (const path of [...before.special, ...after.special]) changes.addSpecial(path);
  return changes;
}

/**
 * Settings for git's diff of the working tree: a file counts as changed when any of its metadata
 * the index keeps (times, inode, size, owner) differs, whatever the repository's configuration
 * says. With `core.trustctime=false` or `core.checkStat=minimal`, a file rewritten in place with
 * its size and modification time as before would pass for the commit's content, while keygate
 * reads what is on disk (its own cache compares the change time too).
 */
const EVERY_STAT = ["-c", "core.trustctime=true", "-c", "core.checkStat=default"];

/** What git says of the working tree against a commit, by object ids and metadata (see workingTreeChanges). */
export interface WorkingTreeListing {
  /** `git diff-index --name-only`: the tracked files that differ. */
  tracked: Buffer;
  /** `git ls-files -v --cached --others --directory`: every path, with its tag (`?` untracked, see isUnwatched). */
  listing: string;
  /** Whether git could not list everything (an unreadable directory: its message on stderr). */
  unlisted: boolean;
}

/**
 * Asks git what differs in the working tree from `commit` (two processes at once): `git
 * diff-index` (by metadata against the index: see EVERY_STAT), and one `git ls-files -v` listing of
 * the index's files with their tags and of the untracked paths (ignored ones included).
 */
export async function workingTreeListing(repository: Repository, commit: string): Promise<WorkingTreeListing> {
  const [tracked, listed] = await Promise.all([
    git(
      [...EVERY_STAT, "diff-index", "-z", "--name-only", "--no-renames", "--ignore-submodules", commit, "--"],
      repository.toplevel,
    ),
    runGit(
      ["ls-files", "-z", "-v", "--cached", "--others", "--directory", "--full-name", "--", "."],
      repository.toplevel,
    ),
  ]);
  if (listed.code !== 0)
    throw new GitError(`git ls-files failed: ${firstMessage(listed.stderr) || `exit code ${listed.code}`}`);
  return { tracked, listing: listed.stdout.toString("utf8"), unlisted: listed.stderr.trim() !== "" };
}

/**
 * The differences between a commit and the working tree (`--base`), from git's answers (see
 * workingTreeListing): the tracked files git finds different, every untracked path, ignored ones
 * included (keygate reads some ignored files too, such as `*.auto.tfvars` and `.terraform/`), the
 * files git is told not to look at (see isUnwatched), and the commit's symbolic links and submodules
 * (read on one side only). A file whose metadata changed but whose content did not may be listed
 * too: that costs work, never a result.
 */
export function workingTreeChanges(repository: Repository, before: GitTree, listed: WorkingTreeListing): Changes {
  const changes = new Changes(repository.toplevel);
  changes.unlisted = listed.unlisted;
  for (const path of listed.tracked.toString("utf8").split("\0")) if (path) changes.add(path);
  // Untracked paths, and the files git is told not to look at (see isUnwatched), in one pass.
  for (const path of tagged(listed.listing, (tag) => tag === QUESTION_MARK || isUnwatched(tag))) changes.add(path);
  // A snapshot does not read symbolic links (nor submodules); the working tree follows them.
  for (const path of before.special) changes.addSpecial(path);
  return changes;
}

/**
 * Whether a tag of `git ls-files -v` (by char code) is that of a file git is told not to look at in
 * the working tree: assume-unchanged (a lower-case tag) and skip-worktree (`S`, as sparse
 * checkouts set it). Git's diff says nothing of their working-tree content, which keygate reads all
 * the same: they count as changed, so that neither scoping nor the call graph takes them for what
 * the commit holds.
 */
function isUnwatched(tag: number): boolean {
  return tag === 83 || (tag >= 97 && tag <= 122);
}

/** `?`: git's tag of an untracked path in `ls-files -v --others` output. */
const QUESTION_MARK = 63;

/** The paths of `git ls-files -v` output whose one-character tag passes `wanted` (by char code). */
function tagged(listing: string, wanted: (tag: number) => boolean): string[] {
  const paths: string[] = [];
  // Entry by entry without splitting (ten thousand entries, a few of interest): "<tag> SP <path>" NUL.
  for (let at = 0; at < listing.length;) {
    const nul = listing.indexOf("\0", at);
    const end = nul === -1 ? listing.length : nul;
    if (end - at > 2 && listing.charCodeAt(at + 1) === 32 && wanted(listing.charCodeAt(at)))
      paths.push(listing.slice(at + 2, end));
    at = end + 1;
  }
  return paths;
}
