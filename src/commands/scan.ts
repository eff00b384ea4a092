import { resolve, sep } from "node:path";
import type { ChangeMode } from "../change/change-set.js";
import type { ChangeScanRequest } from "../change/scan-change.js";
import { GitError, takeEarlyAnswers, type EarlyGitAnswers } from "../change/git.js";
import { configUsed, loadSettings, type FailOn } from "../load/config.js";
import { fileLogLines, type FileLogEntry } from "../load/file-log.js";
import { defaultCacheDir, defaultCacheKeyFile, ParseCache } from "../load/parse-cache.js";
import { sharedParserPool } from "../load/parse-pool.js";
import { ModuleCatalogError } from "../model/module-catalog.js";
import type { CliVariable } from "../model/variables.js";
import { loadPolicies } from "../policies/catalog.js";
import { scan, type ScanResult } from "../scan.js";
import type { Baseline } from "../suppress/baseline.js";
import { progressLine, type CliIO } from "./io.js";
import { deliverReports, readBaselineArg, stoppedBy, type OutputArgs } from "./output.js";
import { printableConfig, withCommandLine, type SettingsArgs } from "./settings.js";

/** `keygate [scan]`, as parsed. */
export interface ScanArgs extends OutputArgs, SettingsArgs {
  /** --print-config: print the resolved configuration as JSON instead of scanning. */
  printConfig?: boolean;
  paths: string[];
  config: string | undefined;
  failOn: FailOn | undefined;
  plans: string[];
  source: string | undefined;
  /** `--base REF` / `--staged`: only pairs new in that change. */
  change: ChangeMode | undefined;
  /** `--no-prefilter`: parse every file. */
  prefilter: boolean;
  /** `--cache-location DIR`, or undefined for the default; `--no-cache`: false. */
  cache: string | false | undefined;
  /** `--var` and `--var-file`, in command-line order. */
  variables?: CliVariable[];
  /** --debug: what became of each file, on stderr. */
  debug?: boolean;
}

/**
 * Runs a static scan (HCL, plans, or a git change) and delivers its reports; resolves to the exit
 * code. `earlyGit`: what the bin asked git for this very command line before the CLI loaded (see
 * early.ts), for a change-aware scan to take.
 */
export async function runScan(args: ScanArgs, io: CliIO, earlyGit?: EarlyGitAnswers): Promise<number> {
  let result: ScanResult;
  let failOn: FailOn;
  let baseline: Baseline | undefined;
  // The change-aware scan's own part of the bundle (see scripts/bundle.mjs), read and compiled
  // while the settings are read rather than after.
  const changeScan = args.change ? import("../change/scan-change.js") : undefined;
  void changeScan?.catch(() => undefined);
  try {
    baseline = await readBaselineArg(args, io);
    const policies = loadPolicies();
    const settings = withCommandLine(await loadSettings(policies, io.cwd, args.config), policies, args, io.cwd);
    failOn = args.failOn ?? settings.failOn;
    if (args.printConfig) {
      io.stdout(`${JSON.stringify(printableConfig(settings, policies, failOn, io.cwd), null, 2)}\n`);
      return 0;
    }
    const progress = progressLine(io);
    const common = {
      cwd: io.cwd,
      settings,
      policies,
      today: io.today,
      prefilter: args.prefilter,
      pool: sharedParserPool(),
      ...(args.cache === false
        ? {}
        : {
            cache: new ParseCache(args.cache === undefined ? defaultCacheDir(io.env) : resolve(io.cwd, args.cache), {
              cwd: io.cwd,
              policies: policies.map((p) => p.id),
              keyFile: defaultCacheKeyFile(io.env),
            }),
          }),
      onProgress: (done: number, total: number) =>
        total >= 200 && progress.draw(`keygate: parsed ${done}/${total} files`, done === total),
      ...(args.debug ? { onFiles: (entries: FileLogEntry[]) => void fileLog.push(...entries) } : {}),
    };
    const fileLog: FileLogEntry[] = [];
    // Not performance.now(): the global loads perf_hooks on first use, a few milliseconds of every run.
    const started = process.hrtime.bigint();
    try {
      result = args.change
        ? await scanChangeTaking(changeScan ?? import("../change/scan-change.js"), earlyGit, {
            ...common,
            paths: args.paths,
            change: args.change,
            ...(io.env.KEYGATE_CHANGE_EVALUATION === "full" ? { evaluation: "full" as const } : {}),
          })
        : await scan({
            ...common,
            paths: args.paths,
            plans: args.plans,
            source: args.source,
            readStdin: io.readStdin,
            variables: { env: io.env, cli: args.variables ?? [] },
          });
      result.config = configUsed(settings, policies);
    } finally {
      progress.clear();
      for (const note of common.cache?.notes ?? []) io.stderr(`keygate: note: ${note}\n`);
    }
    if (args.debug) for (const line of fileLogLines(fileLog)) io.stderr(`${line}\n`);
    if (args.verbose || args.debug) {
      // What was read and how, on stderr (the report on stdout stays as it is).
      const cache =
        args.cache === false ? "off" : args.cache === undefined ? defaultCacheDir(io.env) : resolve(io.cwd, args.cache);
      io.stderr(
        `keygate: config ${settings.configFile ?? "none (defaults)"}; policies ${[...settings.severities].map(([id, s]) => `${id}=${s}`).join(", ") || "all off"}; ` +
          `${result.files} file${result.files === 1 ? "" : "s"} read, ${result.configurations?.length ?? 0} configuration${result.configurations?.length === 1 ? "" : "s"}; ` +
          `prefilter ${args.prefilter ? "on" : "off"}; cache ${cache}; scanned in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)} s\n`,
      );
    }
  } catch (error) {
    return stoppedBy(error, [GitError, ModuleCatalogError], io);
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

/** A change-aware scan that takes git's early answers (see askChangeEarly), for its run only. */
async function scanChangeTaking(
  module: Promise<typeof import("../change/scan-change.js")>,
  earlyGit: EarlyGitAnswers | undefined,
  request: ChangeScanRequest,
): Promise<ScanResult> {
  const { scanChange } = await module;
  takeEarlyAnswers(earlyGit);
  try {
    return await scanChange(request);
  } finally {
    takeEarlyAnswers(undefined);
  }
}
