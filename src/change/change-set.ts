import { stat } from "node:fs/promises";
import { workingTree, type SourceTree } from "../load/tree.js";
import { BlobReader } from "./blob-reader.js";
import { indexDiffChanges, snapshotChanges, workingTreeChanges, workingTreeListing, type Changes } from "./diff.js";
import { git, openRepositoryAt, resolveBase, runGit, stagedBase, type ChangeMode, type Repository } from "./git.js";
import { GitTree, indexChanges } from "./git-tree.js";

export type { ChangeMode } from "./git.js";

/** The two sides of a change, each readable as a {@link SourceTree}. */
export interface ChangeSet {
  repository: Repository;
  /** The configuration before the change: REF, or HEAD (empty in a repository without commits). */
  before: GitTree;
  /** The configuration after it: the working tree, or the index. */
  after: SourceTree;
  /** How messages name the "after" side. */
  afterLabel: string;
  /** What differs between the two sides, by git object ids (computed once, when first asked). */
  changes(): Promise<Changes>;
  /** What the "before" side is, for the report: `origin/main (merge base 1a2b3c4)`, `HEAD (1a2b3c4)`. */
  comparedWith: string;
  /** The commit of the "before" side; undefined in a repository without commits. */
  baseCommit: string | undefined;
  /** Whether a path is a file, a directory or absent after the change. */
  afterKind(path: string): Promise<"file" | "dir" | undefined>;
  /** Ends the git processes. */
  close(): void;
}

/**
 * Opens both sides of a change; throws a GitError (exit 2) when git cannot give them. `meanwhile`
 * is called once git has been asked for the commit's listing and the differences, to work while git
 * does (the caller loads its cache, and may ask git more meanwhile).
 */
export async function openChangeSet(
  cwd: string,
  mode: ChangeMode,
  baseBranch?: string,
  meanwhile?: (repository: Repository) => void,
): Promise<ChangeSet> {
  // The repository, and the commit the base names (or HEAD), in one git process.
  const { repository, commit: named } = await openRepositoryAt(
    cwd,
    mode.kind === "base" ? mode.ref : (mode.base ?? "HEAD"),
    runGit,
    { withOriginHead: mode.kind === "staged" && mode.base === undefined },
  );
  const reader = new BlobReader(repository.toplevel);
  try {
    if (mode.kind === "base") {
      const commit = await resolveBase(repository, mode.ref, named);
      // What differs in the working tree is asked of git while the commit is listed (both only by object ids).
      const listing = workingTreeListing(repository, commit);
      void listing.catch(() => undefined);
      const listed = GitTree.ofCommit(repository, commit, mode.ref, reader);
      meanwhile?.(repository);
      const before = await listed;
      let changes: Promise<Changes> | undefined;
      return {
        repository,
        before,
        after: workingTree,
        afterLabel: "the working tree",
        comparedWith: `${mode.ref} (${commit.slice(0, 7)})`,
        baseCommit: commit,
        afterKind: diskKind,
        changes: () => (changes ??= listing.then((listed) => workingTreeChanges(repository, before, listed))),
        close: () => reader.close(),
      };
    }
    const explicit = mode.base !== undefined ? await resolveBase(repository, mode.base, named) : undefined;
    const base =
      explicit !== undefined
        ? { commit: explicit, label: mode.base!, shown: `${mode.base} (${explicit.slice(0, 7)})` }
        : await stagedBase(repository, baseBranch, { head: named });
    // The index is the commit's listing with what git says differs (diff-index, listed meanwhile on the other
    // core), not listed whole; it is when that cannot be (no commits yet, unmerged paths).
    const asked = base
      ? Promise.all([
          GitTree.ofCommit(repository, base.commit, base.label, reader),
          git(["diff-index", "--cached", "--raw", "-z", "--no-renames", base.commit, "--"], repository.toplevel),
        ])
      : undefined;
    meanwhile?.(repository);
    const [before, differences] = asked
      ? await asked
      : // Before the first commit everything staged is new.
        [GitTree.empty(repository, "HEAD (no commits yet)", reader), undefined];
    const comparedWith = base ? base.shown : "an empty tree (no commits yet)";
    const changed = differences && indexChanges(differences);
    const after = changed ? before.withChanges("the index", changed) : await GitTree.ofIndex(repository, reader);
    const changes = changed
      ? indexDiffChanges(repository, before, after, changed)
      : snapshotChanges(repository, before, after);
    return {
      repository,
      before,
      after,
      afterLabel: after.label,
      comparedWith,
      baseCommit: base?.commit,
      afterKind: async (path) => after.kind(path),
      changes: async () => changes,
      close: () => reader.close(),
    };
  } catch (error) {
    reader.close();
    throw error;
  }
}

async function diskKind(path: string): Promise<"file" | "dir" | undefined> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? "dir" : "file";
  } catch {
    return undefined;
  }
}
