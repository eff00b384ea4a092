import { statSync } from "node:fs";
import { resolve } from "node:path";
import { checkReportTargets, quickScanArgs } from "./commands/quick-args.js";
import { askGitEarly } from "./load/git.js";

/**
 * What a run starts before the CLI is loaded, so that it proceeds on another core meanwhile: for a
 * scan of one directory (the working directory, or the one named), git's listing of its files,
 * which also says which are unchanged (see load/git.ts). Only for a command line read without yargs
 * (see commands/quick-args.ts) whose reports can be written: a usage error starts nothing. The
 * listing is used only by a scan of that very directory; a guess that turns out wrong costs a git
 * process, never a result.
 */
export function startEarlyWork(argv: readonly string[], cwd: string): void {
  const scan = quickScanArgs(argv);
  // A change-aware scan lists what it needs itself (see change/layout.ts).
  if (!scan || scan.change) return;
  try {
    checkReportTargets(scan, cwd);
  } catch {
    return;
  }
  const dirs = new Set(scan.paths.map((p) => resolve(cwd, p)));
  if (dirs.size !== 1) return;
  const [dir] = dirs as unknown as [string];
  if (dir !== cwd && !isDirectory(dir)) return;
  // The object ids are for the cache (see load/loader.ts), which the prefilter's facts are about.
  askGitEarly(dir, { withIds: scan.cache !== false && scan.prefilter });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
