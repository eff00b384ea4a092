import { resolve, sep } from "node:path";
import type { ChangeMode } from "../change/change-set.js";
import { GitError } from "../change/git.js";
import { scanChange } from "../change/scan-change.js";
import { ConfigError, loadSettings, type FailOn } from "../load/config.js";
import { loadPolicies, PolicyLoadError } from "../policies/catalog.js";
import { scan, type ScanResult } from "../scan.js";
import { BaselineError, type Baseline } from "../suppress/baseline.js";
import { EXIT, type CliIO } from "./io.js";
import { deliverReports, readBaselineArg, type OutputArgs } from "./output.js";

/** `keygate [scan]`, as parsed. */
export interface ScanArgs extends OutputArgs {
  paths: string[];
  config: string | undefined;
  failOn: FailOn | undefined;
  plans: string[];
  source: string | undefined;
  /** `--base REF` / `--staged`: only pairs new in that change. */
  change: ChangeMode | undefined;
}

/** Runs a static scan (HCL, plans, or a git change) and delivers its reports; resolves to the exit code. */
export async function runScan(args: ScanArgs, io: CliIO): Promise<number> {
  let result: ScanResult;
  let failOn: FailOn;
  let baseline: Baseline | undefined;
  try {
    baseline = await readBaselineArg(args, io);
    const policies = loadPolicies();
    const settings = await loadSettings(policies, io.cwd, args.config);
    failOn = args.failOn ?? settings.failOn;
    result = args.change
      ? await scanChange({ paths: args.paths, change: args.change, cwd: io.cwd, settings, policies, today: io.today })
      : await scan({ paths: args.paths, plans: args.plans, source: args.source, cwd: io.cwd, settings, policies, today: io.today, readStdin: io.readStdin });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PolicyLoadError || error instanceof GitError) {
      io.stderr(`keygate: ${error.message}\n`);
      return EXIT.incomplete;
    }
    if (error instanceof BaselineError) {
      io.stderr(`keygate: baseline ${error.message}\n`);
      return EXIT.incomplete;
    }
    throw error;
  }
  // A change-aware scan sees only new pairs, so it cannot tell that a baselined finding is gone.
  const inScope = args.change ? () => false : scopeOf([...args.paths, ...args.plans], io.cwd);
  return deliverReports(result, args, baseline, failOn, inScope, io);
}

/** Whether a file (relative to the working directory) lies within what was asked to be scanned. */
function scopeOf(scanned: readonly string[], cwd: string): (file: string) => boolean {
  const roots = scanned.filter((p) => p !== "-").map((p) => resolve(cwd, p));
  return (file) => {
    const path = resolve(cwd, file);
    return roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`));
  };
}
