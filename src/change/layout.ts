import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { isTerraformFile } from "../load/discover.js";
import { gitFiles } from "../load/git.js";
import type { ParseCache } from "../load/parse-cache.js";
import { CallGraph, type DirectorySummary } from "../model/call-graph.js";
import type { TreeLayout } from "../scan.js";
import type { Changes } from "./diff.js";
import { BlobIdView, isSkippedDir, type GitTree } from "./git-tree.js";
import { readCommitWalk, untouchedWalk, writeCommitWalk } from "./walk.js";

/** A change's layout (see changeLayout), and what it learnt for the next run, kept in the cache when the run is done. */
export interface ChangeLayout extends TreeLayout {
  /** The same without the walk's shapes (see TreeLayout.passed): every summarized directory assembled. */
  withoutPassed(): TreeLayout;
  /** Keeps the commit's walk (see change/walk.ts) when it had none, or one that lacks a summary learnt meanwhile. */
  remember(): void;
}

/**
 * What a change-aware scan of the whole repository knows of its "after" side before reading it:
 * every directory the change left as it was in the commit it is compared with has that commit's
 * tree id there, and where the cache's call graph holds a summary for that id (its calls, how many
 * module files it has), the directory is known by it — neither listed nor read, as a stub (see
 * ModuleLoader) — until a configuration the change touches includes it. The other directories'
 * Terraform files are listed as discovery would list them (without `exclude` rules: the caller
 * makes sure there are none). A scan with this layout records the summaries of the untouched
 * directories it reads, for the next run.
 *
 * The "after" side is a git snapshot (`after`: the index), or the working tree (`after` absent):
 * there, a directory the change left as it was has the commit's files, and those of a touched
 * directory are listed by git as discovery lists them (tracked, or untracked and not ignored).
 * Undefined when git cannot list the working tree whole (an unreadable directory): discovery
 * reports it, as the scan will.
 *
 * When the cache holds the commit's walk (see change/walk.ts), the summaries are read from it as
 * one record rather than looked up directory by directory, and the configurations made only of
 * untouched directories come as their shapes (`passed`), their directories left out of those the
 * scan assembles (`scanned`).
 */
export async function changeLayout(
  before: GitTree,
  after: GitTree | undefined,
  changes: Changes,
  cache: ParseCache,
): Promise<ChangeLayout | undefined> {
  if (!after && changes.unlisted) return undefined;
  // The working tree's touched directories are asked of git first, to be listed while the others are looked up.
  const touched = after
    ? []
    : [...changes.dirs].filter((dir) => !isSkippedDir(before.repoPath(dir) ?? "..") && existsSync(dir));
  const listings = touched.map((dir) => gitFiles(dir));
  const graph = new CallGraph(cache);
  const tree = before.rootDigest;
  const stored = tree === undefined ? undefined : readCommitWalk(cache, before.absolute(""), tree);
  const walk = stored && untouchedWalk(stored, (dir) => changes.touches(dir));
  // Directories the record holds no summary for, that may get one in this run (they are read).
  const unsummarized: string[] = [];
  const summaryKey = (dir: string) => {
    if (changes.touches(dir)) return undefined;
    const id = before.treeId(dir);
    if (id === undefined) return undefined;
    const key = CallGraph.treeKey(dir, id);
    if (walk && !walk.summaries.has(dir)) unsummarized.push(key);
    return key;
  };
  const summaries = walk ? walk.summaries : new Map<string, DirectorySummary>();
  const files: string[] = [];
  const listed = after ?? before;
  for (const rel of listed.directoryPaths()) {
    if (isSkippedDir(rel)) continue;
    const dir = before.absolute(rel);
    if (walk) {
      if (summaries.has(dir)) continue;
    } else {
      const key = summaryKey(dir);
      const summary = key === undefined ? undefined : graph.summary(key);
      if (summary) {
        (summaries as Map<string, DirectorySummary>).set(dir, summary);
        continue;
      }
    }
    // The working tree's touched directories are listed below.
    if (!after && changes.touches(dir)) continue;
    // Only now are its files looked up in the listing (see GitTree.ofCommit).
    for (const name of listed.namesIn(rel)!)
      if (isTerraformFile(name)) files.push(before.absolute(rel === "" ? name : `${rel}/${name}`));
  }
  for (const listed of await Promise.all(listings)) {
    if (!listed || listed.unreadable.length) return undefined;
    files.push(...listed.files.filter((file) => touched.includes(dirname(file))));
  }
  const layout: TreeLayout = {
    files: [...new Set(files)].sort(),
    summaries,
    summaryKey,
    // The working tree's files have the commit's content where the change says so (read and checked all the same).
    ...(after ? {} : { blobIds: new BlobIdView((path) => (changes.changed(path) ? undefined : before.blobId(path))) }),
  };
  return {
    ...layout,
    ...(walk ? { passed: walk.shapes, scanned: walk.rest } : {}),
    withoutPassed: () => layout,
    remember: () => {
      if (tree === undefined) return;
      if (!walk || unsummarized.some((key) => graph.summary(key, true))) writeCommitWalk(cache, before, tree);
    },
  };
}
