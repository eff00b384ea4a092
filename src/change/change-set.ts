import { stat } from "node:fs/promises";
import { workingTree, type SourceTree } from "../load/tree.js";
import { BlobReader } from "./blob-reader.js";
import { snapshotChanges, workingTreeChanges, type Changes } from "./diff.js";
import { openRepository, resolveBase, resolveCommit, type Repository } from "./git.js";
import { GitTree } from "./git-tree.js";

/** What a change-aware scan compares: `--base REF` (REF → working tree) or `--staged` (HEAD → index). */
export type ChangeMode = { kind: "base"; ref: string } | { kind: "staged" };

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
  /** Whether a path is a file, a directory or absent after the change. */
  afterKind(path: string): Promise<"file" | "dir" | undefined>;
  /** Ends the git processes. */
  close(): void;
}

/** Opens both sides of a change; throws a GitError (exit 2) when git cannot give them. */
export async function openChangeSet(cwd: string, mode: ChangeMode): Promise<ChangeSet> {
  const repository = await openRepository(cwd);
  const reader = new BlobReader(repository.toplevel);
  try {
    if (mode.kind === "base") {
      const commit = await resolveBase(repository, mode.ref);
      const before = await GitTree.ofCommit(repository, commit, mode.ref, reader);
      let changes: Promise<Changes> | undefined;
      return { repository, before, after: workingTree, afterLabel: "the working tree", afterKind: diskKind, changes: () => (changes ??= workingTreeChanges(repository, commit, before)), close: () => reader.close() };
    }
    const head = await resolveCommit(repository, "HEAD");
    // Before the first commit everything staged is new.
    const before = head ? await GitTree.ofCommit(repository, head, "HEAD", reader) : GitTree.empty(repository, "HEAD (no commits yet)", reader);
    const after = await GitTree.ofIndex(repository, reader);
    const changes = snapshotChanges(repository, before, after);
    return { repository, before, after, afterLabel: after.label, afterKind: async (path) => after.kind(path), changes: async () => changes, close: () => reader.close() };
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
