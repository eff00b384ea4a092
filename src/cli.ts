import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import yargs from "yargs";
import { atOrAbove, type Severity } from "./findings.js";
import { ConfigError, loadSettings, type FailOn } from "./load/config.js";
import { TOOL } from "./package.js";
import { loadPolicies, PolicyLoadError, type Policy } from "./policies/catalog.js";
import { DEFAULT_FORMAT, REPORTERS } from "./report/index.js";
import { scan, type ScanResult } from "./scan.js";

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
}

/** Exit codes, ESLint's convention. */
export const EXIT = { ok: 0, findings: 1, incomplete: 2 } as const;

const FAIL_ON = ["error", "warning", "info", "never"] as const;

const EPILOGUE = `Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  the check could not be completed: bad usage or config, an unreadable or unparseable input

Suppress one finding with a comment on the line directly above the key's (or the user's) block:
  # keygate:ignore KG001 -- vendor sync needs a key at creation, approved in SEC-142
  # keygate:ignore KG001 until=2027-03-31 -- migration window

Docs: https://github.com/keygate-dev/keygate#readme`;

/** Runs the command line; resolves to the exit code (the bin sets process.exitCode from it). */
export async function run(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
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
          .positional("paths", { describe: "directories (searched recursively) and files to scan", type: "string", array: true, default: ["."] })
          .option("format", { alias: "f", describe: "report format", choices: formats, default: DEFAULT_FORMAT })
          .option("output", { alias: "o", describe: "write the report to FILE instead of stdout", type: "string", requiresArg: true })
          .option("config", { alias: "c", describe: "config file (default: .keygate.json found from the working directory upward)", type: "string", requiresArg: true })
          .option("fail-on", { describe: "lowest severity that makes the run exit 1 (default: error, or failOn from the config)", choices: FAIL_ON })
          .option("color", { describe: "force colours on or off (default: on for a terminal, off with NO_COLOR)", type: "boolean" })
          .example("keygate scan .", "scan the current directory")
          .example("keygate infra/ -f json -o keygate.json", "write the JSON report to a file")
          .example("keygate --fail-on warning stacks/prod", "also fail on warnings"),
      async (args) => {
        exitCode = await runScan(
          {
            paths: args.paths as string[],
            format: args.format as string,
            output: args.output,
            config: args.config,
            failOn: args["fail-on"] as FailOn | undefined,
            color: args.color,
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
    .epilogue(EPILOGUE)
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

interface ScanArgs {
  paths: string[];
  format: string;
  output: string | undefined;
  config: string | undefined;
  failOn: FailOn | undefined;
  color: boolean | undefined;
}

async function runScan(args: ScanArgs, io: CliIO): Promise<number> {
  let policies: Policy[];
  let result: ScanResult;
  let failOn: FailOn;
  try {
    policies = loadPolicies();
    const settings = await loadSettings(policies, io.cwd, args.config);
    failOn = args.failOn ?? settings.failOn;
    result = await scan({ paths: args.paths, cwd: io.cwd, settings, policies, today: io.today });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PolicyLoadError) {
      io.stderr(`keygate: ${error.message}\n`);
      return EXIT.incomplete;
    }
    throw error;
  }
  const reporter = REPORTERS.get(args.format)!;
  const toFile = args.output !== undefined;
  const color = args.color ?? (!toFile && io.stdoutIsTTY && !("NO_COLOR" in io.env && io.env.NO_COLOR !== ""));
  const report = reporter.render(result, { color });
  if (toFile) {
    const path = resolve(io.cwd, args.output!);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, report);
    } catch (error) {
      io.stderr(`keygate: cannot write the report to ${args.output}: ${(error as Error).message}\n`);
      return EXIT.incomplete;
    }
  } else io.stdout(report);
  return exitCodeOf(result, failOn);
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
  };
}
