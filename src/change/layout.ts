import { isTerraformFile } from "../load/discover.js";
import type { ParseCache } from "../load/parse-cache.js";
import { CallGraph, type DirectorySummary } from "../model/call-graph.js";
import type { TreeLayout } from "../scan.js";
import type { Changes } from "./diff.js";
import type { GitTree } from "./git-tree.js";

/** Directories whose files are never scanned (as discovery skips them). */
const SKIPPED_DIRS = new Set([".terraform", ".git", "node_modules"]);

/**
 * What a change-aware scan of the whole repository knows of its "after" side (a git snapshot)
 * before reading it: every directory the change left as it was in the commit it is compared with
 * has that commit's tree id there, and where the cache's call graph holds a summary for that id
 * (its calls, how many module files it has), the directory is known by it — neither listed nor
 * read, as a stub (see ModuleLoader) — until a configuration the change touches includes it. The
 * other directories' Terraform files are listed as discovery would list them (without `exclude`
 * rules: the caller makes sure there are none). A scan with this layout records the summaries of
 * the untouched directories it reads, for the next run.
 */
export function changeLayout(after: GitTree, before: GitTree, changes: Changes, cache: ParseCache): TreeLayout {
  const graph = new CallGraph(cache);
  const summaryKey = (dir: string) => {
    if (changes.touches(dir)) return undefined;
    const id = before.treeId(dir);
    return id === undefined ? undefined : CallGraph.treeKey(dir, id);
  };
  const summaries = new Map<string, DirectorySummary>();
  const files: string[] = [];
  for (const [rel, names] of after.directories()) {
    if (rel !== "" && rel.split("/").some((segment) => SKIPPED_DIRS.has(segment))) continue;
    const dir = after.absolute(rel);
    const key = summaryKey(dir);
    const summary = key === undefined ? undefined : graph.summary(key);
    if (summary) {
      summaries.set(dir, summary);
      continue;
    }
    for (const name of names)
      if (isTerraformFile(name)) files.push(after.absolute(rel === "" ? name : `${rel}/${name}`));
  }
  return { files: files.sort(), summaries, summaryKey };
}
