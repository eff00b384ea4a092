// A scan's command line read without yargs, and the checks of where its reports go: what the bin
// needs before it loads the rest of keygate (see early.ts), and what the CLI runs the commonest
// scans with. This module imports nothing heavy (no model, no reporters, no yargs): the bin loads
// it on its own, before the CLI's bundle.
import type { FailOn } from "../load/config.js";
import { planReportTargets, TargetError } from "../report/targets.js";
import type { CliVariable } from "../model/variables.js";
import type { ScanArgs } from "./scan.js";
import { checkDistinctOutputs, checkOutputPath, UsageError } from "./usage.js";

/** The report formats, in the order `--help` lists them (a test holds them to report/index.ts's REPORTERS). */
export const REPORT_FORMATS: readonly string[] = [
  "text",
  "compact",
  "json",
  "sarif",
  "junit",
  "github",
  "gitlab",
  "markdown",
];
/** The format shown when none is asked for (a test holds it to report/index.ts's DEFAULT_FORMAT). */
export const DEFAULT_REPORT_FORMAT = "text";

export const FAIL_ON = ["error", "warning", "info", "never"] as const;

/** yargs drops a lone "-" (the usual name for stdin); it travels through the parser under this name. */
export const STDIN_TOKEN = "keygate:stdin";
export const fromToken = (values: string[] | undefined): string[] | undefined =>
  values?.map((v) => (v === STDIN_TOKEN ? "-" : v));

/** A repeatable option's value(s) as a list (yargs gives a string for one, an array for several). */
export function asList(value: unknown): string[] {
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

/** The report options as the command modules take them. */
export function reportArgs(args: {
  format?: unknown;
  output?: unknown;
  baseline?: unknown;
  "write-baseline"?: unknown;
  config?: string;
  "fail-on"?: unknown;
  color?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  "max-warnings"?: number;
  policy?: unknown;
}) {
  return {
    formats: asList(args.format),
    outputs: asList(args.output),
    baseline: args.baseline as string | undefined,
    writeBaseline: args["write-baseline"] as string | undefined,
    config: args.config,
    failOn: args["fail-on"] as FailOn | undefined,
    color: args.color,
    verbose: args.verbose === true,
    quiet: args.quiet === true,
    ...(args["max-warnings"] !== undefined ? { maxWarnings: args["max-warnings"] } : {}),
    policy: asList(args.policy),
  };
}

/** The scan command's arguments as yargs gives them to its handler (the subset scanArgsOf reads). */
type ReportCommandArgs = Parameters<typeof reportArgs>[0];
export interface ScanCommandArgs extends ReportCommandArgs {
  paths?: string[];
  plan?: string[];
  source?: string;
  base?: string;
  staged?: boolean;
  prefilter: boolean;
  cache: boolean;
  "cache-location"?: string;
  exclude?: unknown;
  "print-config"?: boolean;
  debug?: boolean;
}

/**
 * What the scan command runs with, from its arguments as yargs parsed them (or {@link quickScanArgs}
 * read them), and the `--var`/`--var-file` values in command-line order (see cli.ts).
 */
export function scanArgsOf(args: ScanCommandArgs, variables: CliVariable[]): ScanArgs {
  return {
    // The working directory is the default, unless only plans are to be checked.
    paths: fromToken(args.paths)?.length ? fromToken(args.paths)! : args.plan?.length ? [] : ["."],
    ...reportArgs(args),
    plans: fromToken(args.plan) ?? [],
    source: args.source,
    change: args.staged
      ? { kind: "staged", ...(args.base !== undefined ? { base: args.base } : {}) }
      : args.base !== undefined
        ? { kind: "base", ref: args.base }
        : undefined,
    prefilter: args.prefilter,
    cache: !args.cache ? false : args["cache-location"],
    variables,
    exclude: asList(args.exclude),
    printConfig: args["print-config"] === true,
    debug: args.debug === true,
  };
}

/** Options {@link quickScanArgs} reads that take a value (in the next token), by the name yargs knows them by. */
const QUICK_VALUES = new Map([
  ["-f", "format"],
  ["--format", "format"],
  ["-o", "output"],
  ["--output", "output"],
  ["-c", "config"],
  ["--config", "config"],
  ["--cache-location", "cache-location"],
  ["--fail-on", "fail-on"],
  ["--exclude", "exclude"],
  ["--baseline", "baseline"],
  ["--write-baseline", "write-baseline"],
  ["--base", "base"],
]);
const QUICK_REPEATABLE = new Set(["format", "output", "exclude"]);
/** Flags {@link quickScanArgs} reads: the option yargs sets, and to what. */
const QUICK_FLAGS = new Map<string, [string, boolean]>([
  ["--no-cache", ["cache", false]],
  ["--no-prefilter", ["prefilter", false]],
  ["--verbose", ["verbose", true]],
  ["-q", ["quiet", true]],
  ["--quiet", ["quiet", true]],
  ["--color", ["color", true]],
  ["--no-color", ["color", false]],
  ["--debug", ["debug", true]],
  ["--staged", ["staged", true]],
]);

/**
 * The scan a command line asks for when it is made only of the commonest scan options, each option
 * written out with its value in the next token (or, for a long option, after "=") and given once
 * (-f, -o and --exclude may repeat): paths, -f/--format, -o/--output, -c/--config,
 * --cache-location, --no-cache, --no-prefilter, --fail-on, --exclude, --baseline,
 * --write-baseline, --base, --staged, --verbose, -q/--quiet, --color/--no-color, --debug. It reads
 * them as yargs does (a test holds the two to each other on many command lines),
 * without loading yargs, which costs a small scan's start-up more than all the rest of the command
 * line's handling. Undefined for anything else, which yargs reads, and whose mistakes it names.
 */
export function quickScanArgs(argv: readonly string[]): ScanArgs | undefined {
  const values = new Map<string, string[]>();
  const flags = new Map<string, boolean>();
  const paths: string[] = [];
  // What yargs might read otherwise: a command's name, a number, an empty string, an option-like value.
  const plain = (token: string) =>
    token !== "" &&
    !token.startsWith("-") &&
    Number.isNaN(Number(token)) &&
    !["scan", "live", "policies", "help", "version"].includes(token);
  for (let i = argv[0] === "scan" ? 1 : 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (plain(token)) {
      paths.push(token);
      continue;
    }
    const flag = QUICK_FLAGS.get(token);
    if (flag) {
      if (flags.has(flag[0])) return undefined;
      flags.set(flag[0], flag[1]);
      continue;
    }
    // --format=json: the long options' other spelling (not the flags': --staged=true means something else).
    const eq = token.startsWith("--") ? token.indexOf("=") : -1;
    const name = QUICK_VALUES.get(eq > 0 ? token.slice(0, eq) : token);
    const value = eq > 0 ? token.slice(eq + 1) : argv[++i];
    if (name === undefined || value === undefined || !plain(value)) return undefined;
    const given = values.get(name) ?? [];
    if (given.length > 0 && !QUICK_REPEATABLE.has(name)) return undefined;
    values.set(name, [...given, value]);
  }
  const formats = values.get("format") ?? [];
  const failOn = values.get("fail-on")?.[0];
  if (
    !formats.every((f) => REPORT_FORMATS.includes(f)) ||
    (failOn !== undefined && !(FAIL_ON as readonly string[]).includes(failOn))
  )
    return undefined;
  const single = (name: string) => values.get(name)?.[0];
  return scanArgsOf(
    {
      ...(paths.length > 0 ? { paths } : {}),
      format: values.get("format"),
      output: values.get("output"),
      config: single("config"),
      "cache-location": single("cache-location"),
      "fail-on": failOn,
      exclude: values.get("exclude"),
      baseline: single("baseline"),
      "write-baseline": single("write-baseline"),
      base: single("base"),
      staged: flags.get("staged"),
      cache: flags.get("cache") ?? true,
      prefilter: flags.get("prefilter") ?? true,
      color: flags.get("color"),
      verbose: flags.get("verbose"),
      quiet: flags.get("quiet"),
      debug: flags.get("debug"),
    },
    // No --var or --var-file is read quickly.
    [],
  );
}

/**
 * Checks where the reports go before any work is done: a -f/-o combination that cannot be carried
 * out, or an output file that cannot be written (a directory, under a file), is a usage error.
 */
export function checkReportTargets(
  args: { formats: string[]; outputs: string[]; writeBaseline?: string | undefined },
  cwd: string,
): void {
  let targets;
  try {
    targets = planReportTargets(args.formats, args.outputs, REPORT_FORMATS, DEFAULT_REPORT_FORMAT);
  } catch (error) {
    if (error instanceof TargetError) throw new UsageError(error.message, error.hint);
    throw error;
  }
  const outputs = targets.flatMap((t) =>
    t.file !== undefined ? [{ option: `-o ${t.format}=${t.file}`, file: t.file, shown: `-o ${t.file}` }] : [],
  );
  for (const output of outputs) checkOutputPath(output.file, cwd, output.shown);
  if (args.writeBaseline !== undefined) checkOutputPath(args.writeBaseline, cwd, "--write-baseline");
  checkDistinctOutputs(
    [
      ...outputs,
      ...(args.writeBaseline !== undefined
        ? [{ option: `--write-baseline ${args.writeBaseline}`, file: args.writeBaseline }]
        : []),
    ],
    cwd,
  );
}
