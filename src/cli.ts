import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import yargs from "yargs";
import type { ChangeMode } from "./change/change-set.js";
import { GitError } from "./change/git.js";
import { scanChange } from "./change/scan-change.js";
import { atOrAbove, type Severity } from "./findings.js";
import { ConfigError, loadSettings, type FailOn } from "./load/config.js";
import { TOOL } from "./package.js";
import { loadPolicies, PolicyLoadError, type Policy } from "./policies/catalog.js";
import { DEFAULT_FORMAT, REPORTERS } from "./report/index.js";
import { planReportTargets, repositoryRoot } from "./report/targets.js";
import { scan, type ScanResult } from "./scan.js";
import { applyBaseline, baselineOf, BaselineError, formatBaseline, parseBaseline, readBaseline, type Baseline } from "./suppress/baseline.js";

/** Where the CLI reads and writes; injectable so that tests run it in-process. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal (colour is used only then). */
  stdoutIsTTY: boolean;
  /** Today's date, `YYYY-MM-DD` (suppressions with `until=`). */
  today: string;
  /** Reads standard input to its end (a plan given as "-"). */
  readStdin: () => Promise<Uint8Array>;
}

/** Exit codes, ESLint's convention. */
export const EXIT = { ok: 0, findings: 1, incomplete: 2 } as const;

const FAIL_ON = ["error", "warning", "info", "never"] as const;

const EPILOGUE = `Full scan or change-aware:
  keygate [PATH...]
      Every user declared together with a key for it. For audits, and for code that never had
      such pairs: CIS allows a key added later for an existing user, which only history shows.
  keygate --base REF [PATH...]
      Only pairs new since REF: user and key both absent there (read from git; nothing is
      checked out). A key for a user that existed at REF, or was renamed with a moved block,
      passes. For pull-request gates, REF being the base commit; a shallow clone needs that
      history (actions/checkout: fetch-depth: 0).
  keygate --staged [FILE...]
      The same between HEAD and the index: what the next commit adds. For pre-commit hooks;
      each file stands for the configurations it belongs to (root modules that contain or
      call its directory), scanned whole.

Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  the check could not be completed: bad usage or config, an unreadable or unparseable input

Suppress one finding with a comment on the line directly above the key's (or the user's) block:
  # keygate:ignore KG001 -- vendor sync needs a key at creation, approved in SEC-142
  # keygate:ignore KG001 until=2027-03-31 -- migration window

Docs: https://github.com/keygate-dev/keygate#readme`;

// yargs drops a lone "-" (the usual name for stdin); it travels through the parser under this name.
const STDIN_TOKEN = "keygate:stdin";
const fromToken = (values: string[] | undefined) => values?.map((v) => (v === STDIN_TOKEN ? "-" : v));

/** Runs the command line; resolves to the exit code (the bin sets process.exitCode from it). */
export async function run(rawArgv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const argv = rawArgv.map((a) => (a === "-" ? STDIN_TOKEN : a));
  let exitCode: number = EXIT.ok;
  let usageError: string | undefined;
  const formats = [...REPORTERS.keys()];
  const parser = yargs([...argv])
    .scriptName("keygate")
    .usage(
      "keygate [scan] [PATH...]\n\nFlags IAM users that get an access key during their initial setup (CIS AWS Foundations 1.11 / 1.10 / 2.10):\nan aws_iam_user and an aws_iam_access_key for it declared in the same Terraform/OpenTofu configuration.",
    )
    .command(
      ["scan [paths..]", "$0 [paths..]"],
      "Scan Terraform/OpenTofu directories and files (default: the current directory)",
      (y) =>
        y
          .positional("paths", { describe: "directories (searched recursively), Terraform files and plan .json files to scan; \"-\" reads a plan from stdin [default: . unless --plan is given]", type: "string", array: true })
          .option("format", {
            alias: "f",
            describe: `report format (see "Report formats" below); repeat it for several reports in one run [default: ${DEFAULT_FORMAT}]`,
            type: "string",
            choices: formats,
            requiresArg: true,
          })
          .option("output", {
            alias: "o",
            describe: "write a report to a file: FORMAT=FILE (repeatable), or just FILE when one format is asked for. A format without an output goes to stdout; at most one may",
            type: "string",
            requiresArg: true,
          })
          .option("baseline", { describe: "accept the findings recorded in FILE: they are reported as baselined and do not fail the run; new ones do", type: "string", requiresArg: true })
          .option("write-baseline", { describe: "record the current findings (all but those suppressed inline) in FILE, and use it for this run", type: "string", requiresArg: true })
          // A -f/-o combination that cannot be carried out is a usage error, found before scanning.
          .check((argv) => planReportTargets(asList(argv.format), asList(argv.output), formats, DEFAULT_FORMAT).length > 0)
          .option("config", { alias: "c", describe: "config file (default: .keygate.json found from the working directory upward)", type: "string", requiresArg: true })
          .option("fail-on", { describe: "lowest severity that makes the run exit 1 (default: error, or failOn from the config)", choices: FAIL_ON })
          .option("color", { describe: "force colours on or off (default: on for a terminal, off with NO_COLOR)", type: "boolean" })
          .option("plan", { describe: "a plan to check: the output of `terraform show -json tfplan` (repeatable; \"-\" reads stdin). A .json path among PATHS is read as a plan too", type: "string", array: true, requiresArg: true })
          .option("source", { describe: "the root module directory a plan was made from, so that plan findings also point at the .tf lines (and honour keygate:ignore comments there); default: the plan file's directory when it is a scanned root module", type: "string", requiresArg: true })
          .option("base", {
            describe: "change-aware: report only pairs new since git revision REF (the user and its key both absent there), comparing REF with the working tree. For pull requests: the base commit",
            type: "string",
            requiresArg: true,
          })
          .option("staged", { describe: "change-aware: report only pairs new in what is staged (HEAD compared with the index). For pre-commit hooks; named files stand for the configurations they belong to", type: "boolean" })
          .conflicts("base", ["staged", "plan"])
          .conflicts("staged", "plan")
          .example("keygate --base origin/main", "in CI: only the pairs this branch adds")
          .example("keygate --staged", "before a commit: only the pairs the commit would add")
          .example("terraform show -json tfplan > tfplan.json && keygate tfplan.json", "check what a plan will create")
          .example("keygate scan .", "scan the current directory")
          .example("keygate infra/ -f json -o keygate.json", "write the JSON report to a file")
          .example("keygate --fail-on warning stacks/prod", "also fail on warnings")
          .example("keygate -f text -f sarif -o sarif=keygate.sarif", "text on the terminal, SARIF for GitHub code scanning in a file")
          .example("keygate -f github -o markdown=$GITHUB_STEP_SUMMARY", "in GitHub Actions: annotations on the pull request, a table in the run's summary")
          .example("keygate --write-baseline .keygate-baseline.json", "accept today's findings; later runs with --baseline fail only on new ones"),
      async (args) => {
        exitCode = await runScan(
          {
            // The working directory is the default, unless only plans are to be checked.
            paths: fromToken(args.paths as string[] | undefined)?.length ? fromToken(args.paths as string[])! : (args.plan as string[] | undefined)?.length ? [] : ["."],
            formats: asList(args.format),
            outputs: asList(args.output),
            baseline: args.baseline as string | undefined,
            writeBaseline: args["write-baseline"] as string | undefined,
            config: args.config,
            failOn: args["fail-on"] as FailOn | undefined,
            color: args.color,
            plans: fromToken(args.plan as string[] | undefined) ?? [],
            source: args.source as string | undefined,
            change: args.base !== undefined ? { kind: "base", ref: args.base as string } : args.staged ? { kind: "staged" } : undefined,
          },
          io,
        );
      },
    )
    .command(
      "policies",
      "List the policies keygate enforces",
      (y) => y.option("format", { alias: "f", describe: "text or json", choices: ["text", "json"], default: "text" }),
      (args) => {
        exitCode = listPolicies(args.format as string, io);
      },
    )
    .epilogue(`${formatsHelp()}\n\n${EPILOGUE}`)
    .version(TOOL.version)
    .help()
    .alias("h", "help")
    .alias("v", "version")
    .strict()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      usageError = message || error?.message || "invalid usage";
    });
  let helpOrVersion = "";
  try {
    await parser.parseAsync([...argv], {}, (_err, _argv, output) => {
      helpOrVersion = output;
    });
  } catch (error) {
    if (!usageError) {
      io.stderr(`keygate: internal error: ${(error as Error).message}\n${io.env.KEYGATE_DEBUG ? `${(error as Error).stack}\n` : "Set KEYGATE_DEBUG=1 for the stack trace, and please report it.\n"}`);
      return EXIT.incomplete;
    }
  }
  if (usageError) {
    io.stderr(`keygate: ${usageError}\nRun \`keygate --help\` for usage.\n`);
    return EXIT.incomplete;
  }
  if (helpOrVersion) io.stdout(`${helpOrVersion}\n`);
  return exitCode;
}

/** The "Report formats" section of --help: each reporter's own description, and how to combine them. */
function formatsHelp(): string {
  const width = Math.max(...[...REPORTERS.keys()].map((name) => name.length));
  return [
    "Report formats (-f):",
    ...[...REPORTERS.values()].map((r) => `  ${r.name.padEnd(width)}  ${r.description}`),
    "Several reports in one run: repeat -f, and send all but one to files with -o FORMAT=FILE",
    "(-o sarif=keygate.sarif). A plain -o FILE works when one format is asked for.",
  ].join("\n");
}

/** A repeatable option's value(s) as a list (yargs gives a string for one, an array for several). */
function asList(value: unknown): string[] {
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

interface ScanArgs {
  paths: string[];
  formats: string[];
  outputs: string[];
  baseline: string | undefined;
  writeBaseline: string | undefined;
  config: string | undefined;
  failOn: FailOn | undefined;
  color: boolean | undefined;
  plans: string[];
  source: string | undefined;
  /** `--base REF` / `--staged`: only pairs new in that change. */
  change: ChangeMode | undefined;
}

async function runScan(args: ScanArgs, io: CliIO): Promise<number> {
  let policies: Policy[];
  let result: ScanResult;
  let failOn: FailOn;
  let baseline: Baseline | undefined;
  const targets = planReportTargets(args.formats, args.outputs, [...REPORTERS.keys()], DEFAULT_FORMAT);
  try {
    if (args.baseline !== undefined) baseline = await readBaseline(resolve(io.cwd, args.baseline), args.baseline);
    policies = loadPolicies();
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
  if (args.writeBaseline !== undefined) {
    const text = formatBaseline(baselineOf(result, baseline, inScope));
    if (!(await writeReport(resolve(io.cwd, args.writeBaseline), text, `the baseline to ${args.writeBaseline}`, io))) return EXIT.incomplete;
    baseline = parseBaseline(text, args.writeBaseline);
    io.stderr(`keygate: wrote ${baseline.entries.length} finding${baseline.entries.length === 1 ? "" : "s"} to the baseline ${args.writeBaseline}\n`);
  }
  if (baseline) result = applyBaseline(result, baseline, inScope);
  const paths = repositoryRoot(io.cwd);
  for (const target of targets) {
    const toFile = target.file !== undefined;
    const color = args.color ?? (!toFile && io.stdoutIsTTY && !("NO_COLOR" in io.env && io.env.NO_COLOR !== ""));
    const report = REPORTERS.get(target.format)!.render(result, { color, cwd: paths.cwd, repoRoot: paths.root });
    if (!toFile) io.stdout(report);
    else if (!(await writeReport(resolve(io.cwd, target.file!), report, `the ${target.format} report to ${target.file}`, io))) return EXIT.incomplete;
  }
  return exitCodeOf(result, failOn);
}

async function writeReport(path: string, text: string, what: string, io: CliIO): Promise<boolean> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    return true;
  } catch (error) {
    io.stderr(`keygate: cannot write ${what}: ${(error as Error).message}\n`);
    return false;
  }
}

/** Whether a file (relative to the working directory) lies within what was asked to be scanned. */
function scopeOf(scanned: readonly string[], cwd: string): (file: string) => boolean {
  const roots = scanned.filter((p) => p !== "-").map((p) => resolve(cwd, p));
  return (file) => {
    const path = resolve(cwd, file);
    return roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`));
  };
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

function listPolicies(format: string, io: CliIO): number {
  let policies: Policy[];
  try {
    policies = loadPolicies();
  } catch (error) {
    io.stderr(`keygate: ${(error as Error).message}\n`);
    return EXIT.incomplete;
  }
  if (format === "json") {
    io.stdout(`${JSON.stringify(policies, null, 2)}\n`);
    return EXIT.ok;
  }
  for (const p of policies) {
    io.stdout(`${p.id}  ${p.alias}  (${p.severity})\n  ${p.title}\n  CIS: ${p.cis.map((c) => `v${c.versions.map((v) => v.replace(/\.0$/, "")).join("/v")} ${c.control}`).join("; ")}\n  docs: ${p.docsUrl}\n\n`);
  }
  return EXIT.ok;
}

/** The real process's streams and environment. */
export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    today: new Date().toISOString().slice(0, 10),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}
