import { open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { atOrAbove, type Severity } from "../findings.js";
import { ConfigError, type FailOn } from "../load/config.js";
import { makeDirectory } from "../load/make-directory.js";
import { PolicyLoadError } from "../policies/catalog.js";
import { DEFAULT_FORMAT, REPORTERS, reportPieces } from "../report/index.js";
import { planReportTargets, repositoryRoot } from "../report/targets.js";
import type { ScanResult } from "../scan.js";
import {
  applyBaseline,
  baselineOf,
  BaselineError,
  formatBaseline,
  parseBaseline,
  readBaseline,
  type Baseline,
} from "../suppress/baseline.js";
import { EXIT, type CliIO } from "./io.js";
import { UsageError } from "./usage.js";

/** The options every checking command shares: which reports go where, the baseline, the threshold. */
export interface OutputArgs {
  formats: string[];
  outputs: string[];
  baseline: string | undefined;
  writeBaseline: string | undefined;
  color: boolean | undefined;
  /** --verbose: the text report's details under every finding. */
  verbose?: boolean;
  /** --quiet: only error-severity findings and input errors are reported (the exit code is unchanged). */
  quiet?: boolean;
  /** --max-warnings N: more warnings than N (warning findings and suppression warnings) fail the run. */
  maxWarnings?: number;
}

/** Reads `--baseline FILE` before any work is done, so that a bad baseline stops the run early (throws BaselineError). */
export async function readBaselineArg(args: OutputArgs, io: CliIO): Promise<Baseline | undefined> {
  return args.baseline === undefined ? undefined : readBaseline(resolve(io.cwd, args.baseline), args.baseline);
}

/**
 * Applies the baseline (writing it first with `--write-baseline`), renders every requested report to
 * stdout or its file, and returns the exit code. `inScope` tells which files the run covered, so that
 * baseline entries elsewhere are neither stale nor dropped.
 */
export async function deliverReports(
  result: ScanResult,
  args: OutputArgs,
  baseline: Baseline | undefined,
  failOn: FailOn,
  inScope: (file: string) => boolean,
  io: CliIO,
): Promise<number> {
  const targets = planReportTargets(args.formats, args.outputs, [...REPORTERS.keys()], DEFAULT_FORMAT);
  if (args.writeBaseline !== undefined) {
    const text = formatBaseline(baselineOf(result, baseline, inScope));
    if (!(await writePieces(resolve(io.cwd, args.writeBaseline), [text], `the baseline to ${args.writeBaseline}`, io)))
      return EXIT.incomplete;
    baseline = parseBaseline(text, args.writeBaseline);
    io.stderr(
      `keygate: wrote ${baseline.entries.length} finding${baseline.entries.length === 1 ? "" : "s"} to the baseline ${args.writeBaseline}\n`,
    );
  }
  if (baseline) result = applyBaseline(result, baseline, inScope);
  const judged = result;
  // --quiet shows errors only; the verdict is still the whole result's (a gate does not pass by hiding).
  if (args.quiet) result = { ...result, findings: result.findings.filter((f) => f.severity === "error"), warnings: [] };
  const paths = targets.some((t) => REPORTERS.get(t.format)!.usesRepositoryRoot)
    ? repositoryRoot(io.cwd)
    : { cwd: io.cwd, root: io.cwd };
  for (const target of targets) {
    const toFile = target.file !== undefined;
    const color = args.color ?? (!toFile && colorWanted(io));
    const width = !toFile && io.stdoutColumns ? io.stdoutColumns : undefined;
    // In pieces: an organization's report is never one string in memory (see report/json-stream.ts).
    const pieces = reportPieces(REPORTERS.get(target.format)!, result, {
      color,
      cwd: paths.cwd,
      repoRoot: paths.root,
      ...(width ? { width } : {}),
      ...(args.verbose ? { verbose: true } : {}),
    });
    if (!toFile) for (const piece of pieces) io.stdout(piece);
    else if (
      !(await writePieces(resolve(io.cwd, target.file!), pieces, `the ${target.format} report to ${target.file}`, io))
    )
      return EXIT.incomplete;
  }
  const code = exitCodeOf(judged, failOn);
  if (args.maxWarnings !== undefined && code !== EXIT.incomplete) {
    const warnings =
      judged.findings.filter((f) => !f.suppressed && f.severity === "warning").length + judged.warnings.length;
    if (warnings > args.maxWarnings) {
      io.stderr(
        `keygate: ${warnings} warning${warnings === 1 ? "" : "s"}, more than --max-warnings ${args.maxWarnings} allows\n`,
      );
      return EXIT.findings;
    }
  }
  return code;
}

/**
 * Whether standard output gets colours when --color / --no-color do not say: FORCE_COLOR (set and
 * not "0" or "false") turns them on and wins, as in Node and supports-color; then a non-empty
 * NO_COLOR or TERM=dumb turns them off; else a terminal has them.
 */
export function colorWanted(io: CliIO): boolean {
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) return !["0", "false"].includes(force.toLowerCase());
  if (io.env.NO_COLOR || io.env.TERM === "dumb") return false;
  return io.stdoutIsTTY;
}

/** Writes a report (or the baseline) piece by piece; a failure is said once, and the caller ends the run incomplete. */
async function writePieces(path: string, pieces: Iterable<string>, what: string, io: CliIO): Promise<boolean> {
  try {
    await makeDirectory(dirname(path));
    const file = await open(path, "w");
    try {
      for (const piece of pieces) await file.write(piece);
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    io.stderr(`keygate: cannot write ${what}: ${(error as Error).message}\n`);
    return false;
  }
}

/**
 * For an error that stopped a command before it could report (a bad config, baseline, usage of
 * git or AWS options): its one-line message on stderr and exit 2. Anything else is a bug: rethrown.
 */
export function stoppedBy(
  error: unknown,
  expected: readonly (abstract new (...args: never[]) => Error)[],
  io: CliIO,
): number {
  if (error instanceof BaselineError) {
    io.stderr(`keygate: baseline ${error.message}\n`);
    return EXIT.incomplete;
  }
  if (error instanceof UsageError) {
    io.stderr(`keygate: ${error.message}\n${error.hint ? `${error.hint}\n` : ""}`);
    return EXIT.incomplete;
  }
  if ([ConfigError, PolicyLoadError, ...expected].some((kind) => error instanceof kind)) {
    io.stderr(`keygate: ${(error as Error).message}\n`);
    return EXIT.incomplete;
  }
  throw error;
}

/** 2 if the check is incomplete, else 1 if an unsuppressed finding (or a warning) reaches the threshold, else 0. */
export function exitCodeOf(result: ScanResult, failOn: FailOn): number {
  if (result.errors.length) return EXIT.incomplete;
  if (failOn === "never") return EXIT.ok;
  const threshold: Severity = failOn;
  if (result.findings.some((f) => !f.suppressed && atOrAbove(f.severity, threshold))) return EXIT.findings;
  if (result.warnings.length && atOrAbove("warning", threshold)) return EXIT.findings;
  return EXIT.ok;
}
