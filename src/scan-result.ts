import type { Finding, InputError, Warning } from "./findings.js";
import type { PolicyInfo } from "./policy-info.js";

// The result of a run, shared by every layer: the engine (scan.ts, change/, the live command)
// produces it, suppress/ and the commands complete it, report/ renders it.

/** Everything a scan found; reporters render it and the CLI derives the exit code from it. */
export interface ScanResult {
  findings: Finding[];
  errors: InputError[];
  warnings: Warning[];
  /** How many input files were read (or tried). */
  files: number;
  policies: readonly PolicyInfo[];
  /** The configurations scanned, by root module directory (relative, `/` separators), sorted. */
  configurations?: string[];
  /** In change mode: what the change was compared with (`the merge base of HEAD and origin/main (1a2b3c4)`). */
  comparedWith?: string;
  /** In change mode: the commit of the "before" side (undefined before the first commit). */
  baseCommit?: string;
  /** How the findings compared with a baseline, when one was given (set by the CLI after the scan). */
  baseline?: BaselineSummary;
  /** The config file used and the policies it turned off (set by the CLI, for the reports). */
  config?: ConfigUsed;
}

/** One accepted finding in a baseline file (`schemas/baseline.schema.json`). */
export interface BaselineEntry {
  /** The only field that is matched: the finding's fingerprint, which holds no line numbers. */
  fingerprint: string;
  ruleId: string;
  resource: string;
  /** Where the finding was when it was recorded, relative to the working directory. */
  file: string;
  /** Why it is accepted; becomes the suppression's reason. */
  reason?: string;
}

/** How the findings of a run compared with the baseline; reporters show it in their summaries. */
export interface BaselineSummary {
  file: string;
  /** Entries in the baseline. */
  entries: number;
  /** Fingerprints of the entries that matched a finding of this run. */
  matched: string[];
  /** Entries, within the scanned paths, that matched no finding: fixed, or renamed or moved. */
  stale: BaselineEntry[];
}

/** What reports say about the config a run used: its file, and the policies it turned off. */
export interface ConfigUsed {
  /** The config file (as shown in reports), or undefined for the defaults. */
  file: string | undefined;
  /** Policies the config turned off, with their aliases. */
  off: { id: string; alias: string }[];
}
