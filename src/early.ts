import { statSync } from "node:fs";
import { resolve } from "node:path";
import { checkReportTargets, quickScanArgs } from "./commands/quick-args.js";
import type { ScanArgs } from "./commands/scan.js";
import { askChangeEarly, type EarlyGitAnswers } from "./change/git.js";
import { askGitEarly, mayHaveRepository } from "./load/git.js";

/**
 * What {@link startEarlyWork} made of a command line, for the CLI to take rather than do again (see
 * cli.ts's `run`): the scan's arguments as read without yargs, their report targets checked.
 */
export interface EarlyWork {
  /** The very array the CLI is run with (compared by identity). */
  argv: readonly string[];
  cwd: string;
  scan: ScanArgs;
  /** For a change-aware scan in a git repository: git's answers to its first questions (see askChangeEarly). */
  git?: EarlyGitAnswers;
}

/**
 * What a run starts before the CLI is loaded, so that it proceeds on another core meanwhile: for a
 * scan of one directory (the working directory, or the one named), git's listing of its files,
 * which also says which are unchanged (see load/git.ts); for a change-aware scan (`--staged`,
 * `--base`), what it asks git first, up to the listing of the commit it compares with (see
 * change/git.ts's askChangeEarly), where git could find a repository. Only for a command line read without yargs
 * (see commands/quick-args.ts) whose reports can be written: a usage error starts nothing. The
 * listing is used only by a scan of that very directory; a guess that turns out wrong costs a git
 * process, never a result. Returns the command line's reading when its report targets passed their
 * check, for the CLI to take.
 */
export function startEarlyWork(argv: readonly string[], cwd: string): EarlyWork | undefined {
  const scan = quickScanArgs(argv);
  if (!scan) return undefined;
  try {
    checkReportTargets(scan, cwd);
  } catch {
    // The CLI checks again, and says what is wrong.
    return undefined;
  }
  const early: EarlyWork = { argv, cwd, scan };
  if (scan.change) {
    // Outside a repository nothing is started: the scan says there is none, as always.
    if (mayHaveRepository(cwd)) early.git = askChangeEarly(cwd, scan.change);
    return early;
  }
  const dirs = new Set(scan.paths.map((p) => resolve(cwd, p)));
  if (dirs.size !== 1) return early;
  const [dir] = dirs as unknown as [string];
  if (dir !== cwd && !isDirectory(dir)) return early;
  // The object ids are for the cache (see load/loader.ts), which the prefilter's facts are about.
  askGitEarly(dir, { withIds: scan.cache !== false && scan.prefilter });
  return early;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
