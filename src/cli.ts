import type { Argv } from "yargs";
import { EXIT, processIO, type CliIO } from "./commands/io.js";
import { closeSharedParserPool } from "./load/parse-pool.js";
import { DEFAULT_WINDOW_SECONDS } from "./policies/KG001/live-classify.js";
import { REQUIRED_IAM_PERMISSIONS } from "./live/errors.js";
import { docsUrl, TOOL } from "./package.js";
import { DEFAULT_FORMAT, REPORTERS } from "./report/index.js";
import { parseCliVariable, type CliVariable } from "./model/variables.js";
import type { LiveArgs } from "./commands/live.js";
import type { OutputArgs } from "./commands/output.js";
// The scan command is what nearly every run does: part of the CLI's own bundle file rather than a
// chunk of its own (see scripts/bundle.mjs); so are the two small commands. live (the AWS SDK)
// and the change-aware scan's code stay lazy.
import { init } from "./commands/init.js";
import { listPolicies } from "./commands/policies.js";
import { runScan, type ScanArgs } from "./commands/scan.js";
import type { EarlyWork } from "./early.js";
import { explainFailure, helpHint, UsageError, type CommandOptions } from "./commands/usage.js";
import {
  asList,
  checkReportTargets,
  FAIL_ON,
  fromToken,
  quickScanArgs,
  reportArgs,
  scanArgsOf,
  STDIN_TOKEN,
} from "./commands/quick-args.js";
import { checkExcludeArg, parsePolicyArg, type SettingsArgs } from "./commands/settings.js";

export { EXIT, finalExitCode, processIO, type CliIO } from "./commands/io.js";
export { exitCodeOf } from "./commands/output.js";
export { quickScanArgs } from "./commands/quick-args.js";

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
      The same between the index and where the branch left the default branch (the merge base of
      HEAD and origin/HEAD, or .keygate.json's baseBranch; HEAD on the default branch itself), so
      the hook refuses what the pull-request gate would; --staged --base REF names it. For pre-commit hooks;
      each file stands for the configurations it belongs to (root modules that contain or
      call its directory), scanned whole.

Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  the check could not be completed: bad usage or config, an unreadable or unparseable input

How files are read:
  .tf, .tofu and .tfvars files are parsed once, by keygate's own HCL parser, into one syntax tree
  that every check reads (expressions are compared on it); @cdktf/hcl2json is asked only for the
  exact message of a syntax error. .tf.json files (Terraform's JSON syntax) are read into the same
  tree. A file that cannot matter is only checked for broken structure (--no-prefilter parses it).

Suppress one finding with a comment on the line directly above the key's (or the user's) block:
  # keygate:ignore KG001 -- vendor sync needs a key at creation, approved in SEC-142
  # keygate:ignore KG001 until=2027-03-31 -- migration window

Docs, for this version (${docsUrl("")}):
  usage.md          every option, .keygate.json, exit codes
  change-aware.md   how --base and --staged decide what is new
  ci.md             pre-commit, GitHub Actions and GitLab CI setups
  reports.md        every format, the JSON and SARIF contracts
  suppressing.md    keygate:ignore comments and baselines
  checks.md         what KG001 flags, and what keygate cannot judge`;

/**
 * Runs the command line; resolves to the exit code (the bin sets process.exitCode from it). `early`
 * is what the bin's {@link startEarlyWork} made of this very command line before the CLI loaded
 * (its quick reading, its report targets checked), taken instead of doing that again.
 */
export async function run(rawArgv: readonly string[], io: CliIO = processIO(), early?: EarlyWork): Promise<number> {
  try {
    return await runCommand(rawArgv, io, early);
  } catch (error) {
    // What no command expected: one line and exit 2 (a gate fails closed), never a stack trace.
    return internalError(error, io);
  } finally {
    await closeSharedParserPool();
  }
}

/** Says that keygate itself failed, in one line (the stack trace with KEYGATE_DEBUG=1); the run is incomplete. */
function internalError(error: unknown, io: CliIO): number {
  io.stderr(
    `keygate: internal error: ${(error as Error).message}\n${io.env.KEYGATE_DEBUG ? `${(error as Error).stack}\n` : "Set KEYGATE_DEBUG=1 for the stack trace, and please report it.\n"}`,
  );
  return EXIT.incomplete;
}

async function runCommand(rawArgv: readonly string[], io: CliIO, early: EarlyWork | undefined): Promise<number> {
  // What yargs prints for `--version` / `-v` alone, without loading it (a third of `--version`'s time).
  if (rawArgv.length === 1 && (rawArgv[0] === "--version" || rawArgv[0] === "-v")) {
    io.stdout(`${TOOL.version}\n`);
    return EXIT.ok;
  }
  // The commonest scans' command lines are read without yargs (see quickScanArgs), and checked as its handler checks them.
  const handed = early?.argv === rawArgv && early.cwd === io.cwd ? early.scan : undefined;
  const quick = handed ?? quickScanArgs(rawArgv);
  if (quick) {
    let problem: unknown;
    try {
      checkReportArgs(quick, io, { targetsChecked: handed !== undefined });
    } catch (error) {
      problem = error;
    }
    if (problem instanceof UsageError) {
      io.stderr(`keygate: ${problem.message}\n${problem.hint ?? helpHint(commandOf(rawArgv))}\n`);
      return EXIT.incomplete;
    }
    // Anything else that went wrong, yargs' reading reports as it always has.
    if (problem === undefined) return runScan(quick, io, handed !== undefined ? early?.git : undefined);
  }
  yargsFactory ??= (await import("yargs")).default;
  const argv = rawArgv.map((a) => (a === "-" ? STDIN_TOKEN : a));
  // The command chosen, with its arguments: carried out only once the whole command line is known good.
  let invocation: (() => Promise<number>) | undefined;
  let failure: UsageError | undefined;
  const parser = commandLine(argv, io, (run) => (invocation = run)).fail((message, error) => {
    // yargs' own validation (unknown options, choices, conflicts) comes as a message; keygate's
    // checks (in .check() and the handlers) throw UsageError.
    // yargs passes no error with its own messages, whatever its type says.
    const said = message || (error as Error | undefined)?.message || "invalid usage";
    failure ??= error instanceof UsageError ? error : usageFailure(said, argv, io);
  });
  let helpOrVersion = "";
  try {
    await parser.parseAsync([...argv], {}, (_err, _argv, output) => {
      helpOrVersion = output;
    });
  } catch (error) {
    if (error instanceof UsageError) failure ??= error;
    else if (!failure) return internalError(error, io);
  }
  if (failure) {
    io.stderr(`keygate: ${failure.message}\n${failure.hint ?? helpHint(commandOf(argv))}\n`);
    return EXIT.incomplete;
  }
  if (helpOrVersion) {
    io.stdout(`${helpOrVersion}\n`);
    return EXIT.ok;
  }
  // Only now, the whole command line known good, is anything read, written or asked of AWS.
  return invocation ? invocation() : EXIT.ok;
}

/**
 * keygate's command line. Each command's handler only checks its arguments and hands `onRun` the
 * work to do: nothing runs before yargs has validated all of the command line.
 */
function commandLine(argv: readonly string[], io: CliIO, onRun: (run: () => Promise<number>, scan?: ScanArgs) => void) {
  return yargsFactory!([...argv])
    .scriptName("keygate")
    .parserConfiguration({ "camel-case-expansion": false })
    .usage(
      "keygate [scan] [PATH...]\n\nFlags IAM users that get an access key during their initial setup (CIS AWS Foundations 1.11 / 1.10 / 2.10):\nan aws_iam_user and an aws_iam_access_key for it declared in the same Terraform/OpenTofu configuration.",
    )
    .command(
      ["scan [paths..]", "$0 [paths..]"],
      "Scan Terraform/OpenTofu directories and files (default: the current directory)",
      (y) =>
        known(
          "scan",
          withReportOptions(y)
            .positional("paths", {
              describe:
                'directories (searched recursively), Terraform files and plan .json files to scan; "-" reads a plan from stdin [default: . unless --plan is given]',
              type: "string",
              array: true,
            })
            .option("plan", {
              describe:
                'a plan to check: the output of `terraform show -json tfplan` (repeatable; "-" reads stdin). A .json path among PATHS is read as a plan too',
              type: "string",
              array: true,
              requiresArg: true,
            })
            .option("source", {
              describe:
                "the root module directory a plan was made from, so that plan findings also point at the .tf lines (and honour keygate:ignore comments there); default: the plan file's directory when it is a scanned root module",
              type: "string",
              requiresArg: true,
            })
            .option("base", {
              describe:
                "change-aware: report only pairs new since git revision REF (the user and its key both absent there), comparing REF with the working tree. For pull requests: the base commit",
              type: "string",
              requiresArg: true,
            })
            .option("staged", {
              describe:
                "change-aware: report only pairs new in what is staged, compared with where the branch left the default branch (merge base with origin/HEAD or .keygate.json baseBranch; HEAD on the default branch), as the pull-request gate judges it; --staged --base REF compares with REF. For pre-commit hooks; named files stand for the configurations they belong to",
              type: "boolean",
            })
            .option("prefilter", {
              describe:
                "skip parsing files that cannot matter (no IAM resource, module call, variable, local or output in them); --no-prefilter parses every file, to report syntax errors in those too",
              type: "boolean",
              default: true,
            })
            .option("cache", {
              describe:
                "remember between runs what only hcl2json could parse and, in a git work tree, what each unchanged file holds (--no-cache: read and parse afresh)",
              type: "boolean",
              default: true,
            })
            .option("cache-location", {
              describe: "directory for the cache [default: $XDG_CACHE_HOME/keygate or ~/.cache/keygate]",
              type: "string",
              requiresArg: true,
            })
            .option("var", {
              describe:
                "set a root module variable, NAME=VALUE, as terraform -var does (repeatable; later values win, also over --var-file, tfvars files and TF_VAR_NAME)",
              type: "string",
              requiresArg: true,
            })
            .option("exclude", {
              describe:
                "a glob of files not to scan, relative to the working directory, on top of the config's exclude (repeatable)",
              type: "string",
              requiresArg: true,
            })
            .option("print-config", {
              describe:
                "print the configuration in effect (config file, --policy, --exclude, --fail-on) as JSON, and scan nothing",
              type: "boolean",
            })
            .option("init", {
              describe:
                "write a commented .keygate.json in the working directory (never over an existing one), and scan nothing",
              type: "boolean",
            })
            .option("pre-commit", {
              describe:
                "with --init: also write .pre-commit-config.yaml running keygate's hook (or print the lines to add to an existing one)",
              type: "boolean",
              implies: "init",
            })
            .option("list-policies", { describe: "list the policies, as `keygate policies` does", type: "boolean" })
            .option("debug", {
              describe:
                "say on stderr what became of each file, and why: read (parsed, and by which parser), skipped by the prefilter, taken from the cache, or refused; then what --verbose says",
              type: "boolean",
            })
            .option("var-file", {
              describe:
                "read root module variables from a .tfvars or .tfvars.json file, as terraform -var-file does (repeatable; applied in command-line order with --var)",
              type: "string",
              requiresArg: true,
            })
            .conflicts("base", "plan")
            .conflicts("staged", "plan")
            .example("keygate --base origin/main", "in CI: only the pairs this branch adds")
            .example("keygate --staged", "before a commit: only the pairs the commit would add")
            .example(
              "terraform show -json tfplan > tfplan.json && keygate tfplan.json",
              "check what a plan will create",
            )
            .example("keygate scan .", "scan the current directory")
            .example("keygate infra/ -f json -o keygate.json", "write the JSON report to a file")
            .example("keygate --fail-on warning stacks/prod", "also fail on warnings")
            .example(
              "keygate -f text -f sarif -o sarif=keygate.sarif",
              "text on the terminal, SARIF for GitHub code scanning in a file",
            )
            .example(
              "keygate -f github -o markdown=$GITHUB_STEP_SUMMARY",
              "in GitHub Actions: annotations on the pull request, a table in the run's summary",
            )
            .example(
              "keygate --write-baseline .keygate-baseline.json",
              "accept today's findings; later runs with --baseline fail only on new ones",
            ),
        ),
      (args) => {
        const badVar = asList(args.var).find((v) => !parseCliVariable(v));
        if (badVar !== undefined)
          throw new UsageError(
            `--var takes NAME=VALUE, got "${badVar}"`,
            'Set a variable as terraform -var does: --var region=eu-west-1, --var \'names=["a","b"]\'.',
          );
        if (args.init) {
          onRun(() => init(args["pre-commit"] === true, io));
          return;
        }
        if (args["list-policies"]) {
          onRun(async () => listPolicies(asList(args.format).includes("json") ? "json" : "text", io));
          return;
        }
        const scanArgs = scanArgsOf(args, cliVariables(argv));
        // Nothing runs (nor is git or the AWS SDK loaded) if anything is wrong with the command line (a usage error below wins).
        onRun(() => runScan(scanArgs, io), scanArgs);
        checkReportArgs(scanArgs, io);
      },
    )
    .command(
      "live",
      "Audit an AWS account (or organization, or a saved credential report) for access keys created with their user",
      (y) =>
        known(
          "live",
          withReportOptions(y)
            .option("credential-report", {
              describe:
                'audit a saved credential report instead of the account: CSV, its base64 text or the AWS CLI\'s JSON ("-" reads stdin). Makes no AWS calls',
              type: "string",
              requiresArg: true,
            })
            .option("profile", {
              describe:
                "a profile of the shared AWS config and credentials files (default: the SDK's credential chain, AWS_PROFILE…)",
              type: "string",
              requiresArg: true,
            })
            .option("region", {
              describe:
                "region for STS (IAM is global and signs for its partition's region) [default: the SDK's, else us-east-1]",
              type: "string",
              requiresArg: true,
            })
            .option("endpoint-url", {
              describe:
                "an IAM-compatible endpoint (also used for STS and Organizations); AWS_ENDPOINT_URL_IAM works too",
              type: "string",
              requiresArg: true,
            })
            .option("window", {
              describe: "seconds after a user's creation within which a key counts as created with the user",
              type: "number",
              default: DEFAULT_WINDOW_SECONDS,
              requiresArg: true,
            })
            .option("all-users", {
              describe: "also audit users without a console password (CIS names users with one)",
              type: "boolean",
            })
            .option("org", {
              describe:
                "audit every ACTIVE account of the organization (from the management account or a delegated administrator), assuming --role-name in each",
              type: "boolean",
            })
            .option("accounts", {
              describe: "audit these account ids (comma-separated), assuming --role-name in each",
              type: "string",
              requiresArg: true,
            })
            .option("role-name", {
              describe: "the read-only audit role to assume in each account [default: KeygateAudit]",
              type: "string",
              requiresArg: true,
            })
            .option("external-id", {
              describe: "external id for AssumeRole, when the audit role's trust policy requires one",
              type: "string",
              requiresArg: true,
            })
            .option("concurrency", {
              describe: "concurrent IAM calls per account; throttling lowers it for that account [default: 8]",
              type: "number",
              requiresArg: true,
            })
            .option("account-concurrency", {
              describe:
                "accounts whose users are audited at once (waiting for a credential report takes no slot) [default: 4]",
              type: "number",
              requiresArg: true,
            })
            .option("max-calls-in-flight", {
              describe: "concurrent AWS calls over all accounts [default: 32]",
              type: "number",
              requiresArg: true,
            })
            .option("report-timeout", {
              describe:
                "seconds an account's credential report may take after it is requested; then that account fails (exit 2) and the others go on [default: 120]",
              type: "number",
              requiresArg: true,
            })
            .option("progress", {
              describe: "progress on stderr: auto (a line redrawn on a terminal, else one line every 10 s) or none",
              choices: ["auto", "none"],
              default: "auto",
              requiresArg: true,
            })
            .conflicts("credential-report", ["org", "accounts", "profile", "endpoint-url"])
            .conflicts("org", "accounts")
            .check((argv) => {
              if (!(argv.window >= 0)) throw new Error("--window takes a number of seconds (0 or more)");
              for (const name of ["concurrency", "account-concurrency", "max-calls-in-flight"]) {
                const value = argv[name];
                if (value !== undefined && !(Number.isInteger(Number(value)) && Number(value) >= 1))
                  throw new Error(`--${name} takes a whole number of 1 or more`);
              }
              if (argv["report-timeout"] !== undefined && !(argv["report-timeout"] > 0))
                throw new Error("--report-timeout takes a number of seconds greater than 0");
              return true;
            })
            .example("keygate live", "audit the account of the current credentials")
            .example(
              "keygate live --org --role-name KeygateAudit -f sarif -o live.sarif",
              "audit every account of the organization",
            )
            .example(
              "aws iam get-credential-report --query Content --output text | base64 -d > report.csv && keygate live --credential-report report.csv",
              "audit a saved credential report offline",
            )
            .epilogue(
              `Read-only: the calls need ${REQUIRED_IAM_PERMISSIONS.join(", ")} (the AWS-managed SecurityAudit policy has them all).\n\nFindings by key (a user with a console password; --window, default 60 s):\n  created within the window, never used, active   error    the exact CIS case: delete it\n  created within the window, in use, active       warning  replace it with a separately issued key\n  created within the window, inactive             info     delete it\n  created later, never used, active               warning  the CIS command-line audit\n\nExit codes: 0 nothing at or above --fail-on, 1 findings, 2 the audit could not be completed (credentials, permissions, an unreachable endpoint, a malformed report; the other accounts are still audited).\n\nDocs: ${docsUrl("live.md")}`,
            ),
        ),
      (args) => {
        const liveArgs: LiveArgs = {
          ...reportArgs(args),
          credentialReport: fromToken(asList(args["credential-report"]))?.[0],
          profile: args.profile,
          region: args.region,
          endpointUrl: args["endpoint-url"],
          windowSeconds: args.window,
          allUsers: Boolean(args["all-users"]),
          org: Boolean(args.org),
          accounts: asList(args.accounts)
            .flatMap((a) => a.split(","))
            .map((a) => a.trim())
            .filter(Boolean),
          roleName: args["role-name"],
          externalId: args["external-id"],
          concurrency: args.concurrency,
          accountConcurrency: args["account-concurrency"],
          maxCallsInFlight: args["max-calls-in-flight"],
          reportTimeoutSeconds: args["report-timeout"],
          progress: args.progress as "auto" | "none",
        };
        checkReportArgs(liveArgs, io);
        onRun(async () => (await import("./commands/live.js")).runLive(liveArgs, io));
      },
    )
    .command(
      "policies",
      "List the policies keygate enforces",
      (y) =>
        known(
          "policies",
          y.option("format", { alias: "f", describe: "text or json", choices: ["text", "json"], default: "text" }),
        ),
      (args) => {
        onRun(async () => listPolicies(args.format, io));
      },
    )
    .epilogue(`${formatsHelp()}\n\n${EPILOGUE}`)
    .version(TOOL.version)
    .help()
    .alias("h", "help")
    .alias("v", "version")
    .strict()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false);
}

/** yargs, loaded only for a command line that {@link quickScanArgs} does not read. */
let yargsFactory: typeof import("yargs").default | undefined;

/** The arguments yargs gives the scan command for a command line, checked or not (for the test of quickScanArgs); undefined when it runs no scan. */
export async function yargsScanArgs(argv: readonly string[], io: CliIO): Promise<ScanArgs | undefined> {
  yargsFactory ??= (await import("yargs")).default;
  const tokens = argv.map((a) => (a === "-" ? STDIN_TOKEN : a));
  let scan: ScanArgs | undefined;
  try {
    await commandLine(tokens, io, (_run, args) => (scan = args))
      .fail(() => undefined)
      .parseAsync([...tokens], {}, () => undefined);
  } catch {
    // a usage error: the arguments were taken before it was found
  }
  return scan;
}

/** The options each command's builder declared, by command, as it ran (see usageFailure). */
const declared = new Map<string, CommandOptions>();

/** Records what a command's builder declared, for the messages of usage errors. */
function known<T>(command: "scan" | "live" | "policies", y: Argv<T>): Argv<T> {
  // yargs' getOptions() is public but missing from its type definitions.
  const options = (
    y as unknown as {
      getOptions(): {
        key: Record<string, unknown>;
        alias: Record<string, string[]>;
        boolean: string[];
        choices: Record<string, string[]>;
      };
    }
  ).getOptions();
  const names = new Map<string, string>();
  for (const key of Object.keys(options.key)) {
    if (key === "help" || key === "version" || key === "paths") continue;
    names.set(key, key);
    for (const alias of options.alias[key] ?? []) names.set(alias, key);
  }
  const display = command === "scan" ? "keygate" : `keygate ${command}`;
  declared.set(display, {
    command: display,
    names,
    booleans: new Set(options.boolean),
    choices: new Map(Object.entries(options.choices)),
  });
  return y;
}

/** The command a command line runs (before yargs says so: for messages). */
function commandOf(argv: readonly string[]): string {
  const first = argv.find((a) => !a.startsWith("-"));
  return first === "live" || first === "policies" ? `keygate ${first}` : "keygate";
}

/** A yargs validation message in keygate's words, with a suggestion drawn from every command's options. */
function usageFailure(message: string, argv: readonly string[], io: CliIO): UsageError {
  const name = commandOf(argv);
  const own = declared.get(name);
  // The other commands' builders have not run: a throwaway parse of `COMMAND --help` runs each one
  // (and no handler), so that a message can say which command an option belongs to.
  for (const other of ["scan", "live", "policies"]) {
    if (declared.has(other === "scan" ? "keygate" : `keygate ${other}`)) continue;
    void commandLine([other, "--help"], io, () => undefined)
      .fail(() => undefined)
      .parse([other, "--help"], {}, () => undefined);
  }
  const options = own ?? { command: name, names: new Map(), booleans: new Set(), choices: new Map() };
  return explainFailure(
    message,
    argv,
    options,
    [...declared.values()].filter((o) => o.command !== name),
  );
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

/** The options of every checking command: report formats and files, baseline, config, threshold, colour. */
function withReportOptions<T>(y: Argv<T>) {
  const formats = [...REPORTERS.keys()];
  return y
    .option("format", {
      alias: "f",
      describe: `report format (see "Report formats" below); repeat it for several reports in one run [default: ${DEFAULT_FORMAT}]`,
      type: "string",
      choices: formats,
      requiresArg: true,
    })
    .option("output", {
      alias: "o",
      describe:
        "write a report to a file: FORMAT=FILE (repeatable), or just FILE when one format is asked for. A format without an output goes to stdout; at most one may",
      type: "string",
      requiresArg: true,
    })
    .option("baseline", {
      describe:
        "accept the findings recorded in FILE: they are reported as baselined and do not fail the run; new ones do",
      type: "string",
      requiresArg: true,
    })
    .option("write-baseline", {
      describe: "record the current findings (all but those suppressed inline) in FILE, and use it for this run",
      type: "string",
      requiresArg: true,
    })
    .option("config", {
      alias: "c",
      describe: "config file (default: .keygate.json from the working directory up to the repository root)",
      type: "string",
      requiresArg: true,
    })
    .option("fail-on", {
      describe: "lowest severity that makes the run exit 1 (default: error, or failOn from the config)",
      choices: FAIL_ON,
    })
    .option("color", {
      describe: "force colours on or off (default: on for a terminal; FORCE_COLOR turns them on, NO_COLOR off)",
      type: "boolean",
    })
    .option("quiet", {
      alias: "q",
      describe: "report only error-severity findings and input errors (the exit code still judges them all)",
      type: "boolean",
    })
    .option("max-warnings", {
      describe:
        "exit 1 when there are more than N warnings (warning-severity findings, suppression warnings, and warnings such as a module call not checked)",
      type: "number",
      requiresArg: true,
    })
    .option("policy", {
      describe: "ID=LEVEL: a policy's severity (error, warning, info) or off, over the config's (repeatable)",
      type: "string",
      requiresArg: true,
    })
    .option("verbose", {
      describe:
        "text report: the fix, how to suppress and the docs link under every finding (default: once per policy); a scan also says on stderr what it read (config, policies, files, configurations, cache) and how long it took",
      type: "boolean",
    });
}

/**
 * Checks where the reports go before any work is done: a -f/-o combination that cannot be carried
 * out, or an output file that cannot be written (a directory, under a file), is a usage error.
 */
function checkReportArgs(args: OutputArgs & SettingsArgs, io: CliIO, { targetsChecked = false } = {}): void {
  if (args.maxWarnings !== undefined && !(Number.isInteger(args.maxWarnings) && args.maxWarnings >= 0)) {
    throw new UsageError(
      `--max-warnings ${args.maxWarnings}: not a whole number of 0 or more`,
      "Write --max-warnings 0 to fail on any warning.",
    );
  }
  for (const value of args.policy ?? []) parsePolicyArg(value);
  for (const glob of args.exclude ?? []) checkExcludeArg(glob);
  // The bin checked them before the CLI loaded (see early.ts).
  if (!targetsChecked) checkReportTargets(args, io.cwd);
}

/**
 * `--var` and `--var-file` in the order they were given (yargs keeps each option's values apart,
 * but Terraform applies them in command-line order, later ones winning).
 */
function cliVariables(argv: readonly string[]): CliVariable[] {
  const out: CliVariable[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") break;
    const [flag, inline] =
      token.startsWith("--") && token.includes("=")
        ? [token.slice(0, token.indexOf("=")), token.slice(token.indexOf("=") + 1)]
        : [token, undefined];
    if (flag !== "--var" && flag !== "--var-file" && flag !== "--varFile") continue;
    const value = inline ?? argv[++i];
    if (value === undefined) continue;
    if (flag === "--var") {
      const parsed = parseCliVariable(value);
      if (parsed) out.push(parsed);
    } else out.push({ kind: "file", path: value });
  }
  return out;
}
