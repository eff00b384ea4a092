import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { isTerraformFile } from "../load/discover.js";
import { gitFiles } from "../load/git.js";
import type { ParseCache } from "../load/parse-cache.js";
import { CallGraph, type DirectorySummary } from "../model/call-graph.js";
import type { TreeLayout } from "../scan.js";
import type { Changes } from "./diff.js";
import { BlobIdView, isSkippedDir, type GitTree } from "./git-tree.js";

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
 */
export async function changeLayout(
  before: GitTree,
  after: GitTree | undefined,
  changes: Changes,
  cache: ParseCache,
): Promise<TreeLayout | undefined> {
  if (!after && changes.unlisted) return undefined;
  // The working tree's touched directories are asked of git first, to be listed while the others are looked up.
  const touched = after
    ? []
    : [...changes.dirs].filter((dir) => !isSkippedDir(before.repoPath(dir) ?? "..") && existsSync(dir));
  const listings = touched.map((dir) => gitFiles(dir));
  const graph = new CallGraph(cache);
  const summaryKey = (dir: string) => {
    if (changes.touches(dir)) return undefined;
    const id = before.treeId(dir);
    return id === undefined ? undefined : CallGraph.treeKey(dir, id);
  };
  const summaries = new Map<string, DirectorySummary>();
  const files: string[] = [];
  const listed = after ?? before;
  for (const rel of listed.directoryPaths()) {
    if (isSkippedDir(rel)) continue;
    const dir = before.absolute(rel);
    const key = summaryKey(dir);
    const summary = key === undefined ? undefined : graph.summary(key);
    if (summary) {
      summaries.set(dir, summary);
      continue;
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
  return {
    files: [...new Set(files)].sort(),
    summaries,
    summaryKey,
    // The working tree's files have the commit's content where the change says so (read and checked all the same).
    ...(after ? {} : { blobIds: new BlobIdView((path) => (changes.changed(path) ? undefined : before.blobId(path))) }),
  };
}
