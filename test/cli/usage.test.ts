import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTree } from "../support/scan-fixture.js";

/**
 * Usage errors, through the built bin as users run it: one line and a hint on stderr, exit 2, and
 * nothing done before. The bin runs with test/support/io-spy.mjs loaded, which logs every read,
 * listing or write under the fixture and every process started; AWS is a 127.0.0.1 listener that
 * counts the connections made to it.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "dist", "bin.js");
const SPY = join(ROOT, "test", "support", "io-spy.mjs");
const run = promisify(execFile);

const PAIR =
  'resource "aws_iam_user" "u" {\n  name = "u"\n}\n\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n';

let aws: Server;
let connections = 0;
let endpoint = "";
beforeAll(async () => {
  aws = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((done) => aws.listen(0, "127.0.0.1", done));
  endpoint = `http://127.0.0.1:${(aws.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((done) => aws.close(done));
});

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  /** What the run did under the fixture directory, and the processes it started. */
  touched: string[];
  dir: string;
}

async function keygate(args: string[], files: Record<string, string> = {}): Promise<Outcome> {
  const dir = await writeTree({ "tf/clean/main.tf": PAIR, ".keygate.json": "{}\n", "tf/main.tf": PAIR, ...files });
  await mkdir(join(dir, "reports"));
  const log = join(`${dir}.spy.log`);
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    NO_COLOR: "1",
    KEYGATE_SPY_ROOT: dir,
    KEYGATE_SPY_LOG: log,
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    AWS_ENDPOINT_URL: endpoint,
    AWS_EC2_METADATA_DISABLED: "true",
  };
  let outcome: Omit<Outcome, "touched" | "dir">;
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", SPY, BIN, ...args], {
      cwd: dir,
      env,
      timeout: 60_000,
    });
    outcome = { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    outcome = { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
  const touched = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  return { ...outcome, touched, dir };
}

/** Each case: the arguments and the exact stderr. */
const CASES: [string, string[], string][] = [
  [
    "a misspelt option",
    ["--formt", "json", "tf"],
    "keygate: unknown option --formt\nDid you mean --format? Run `keygate --help` for usage.\n",
  ],
  [
    "an invalid --fail-on, with a report to write",
    ["--fail-on", "critical", "-o", "sarif=x.sarif", "tf"],
    "keygate: --fail-on critical: not a valid value\nValid values: error, warning, info, never.\n",
  ],
  [
    "an option that does not exist, before a path (the path is not its value)",
    ["--colour", "tf/clean"],
    "keygate: unknown option --colour\nDid you mean --color? Run `keygate --help` for usage.\n",
  ],
  [
    "a format where a file belongs (Checkov's -o sarif)",
    ["-o", "sarif", "tf"],
    'keygate: -o sarif: "sarif" is a format, not a file\nWrite -f sarif for sarif on standard output, or -o sarif=FILE to write it to a file (for a file named "sarif", write -o ./sarif).\n',
  ],
  [
    "an unknown format, with the valid ones",
    ["-f", "jsno", "tf"],
    "keygate: --format jsno: not a valid value\nDid you mean json? Valid values: text, compact, json, sarif, junit, github, gitlab, markdown.\n",
  ],
  [
    "an option named once, as typed",
    ["--write-baselin", "b.json", "tf"],
    "keygate: unknown option --write-baselin\nDid you mean --write-baseline? Run `keygate --help` for usage.\n",
  ],
  ["an option without its value", ["tf", "-o"], "keygate: -o needs a value\nRun `keygate --help` for usage.\n"],
  [
    "two formats for standard output",
    ["-f", "json", "-f", "sarif", "tf"],
    "keygate: only one format can go to standard output, but json and sarif would; send the others to files with -o FORMAT=FILE\nRun `keygate --help` for usage.\n",
  ],
  [
    "a report to write to a directory",
    ["-o", "reports", "tf"],
    "keygate: -o reports: reports is a directory\nName a file to write the report to.\n",
  ],
  [
    "a report to write under a file",
    ["-o", "json=tf/main.tf/out.json", "tf"],
    `keygate: -o tf/main.tf/out.json: cannot create tf/main.tf/out.json: DIR/tf/main.tf is not a directory\nName a file in a directory.\n`,
  ],
  // --base and --staged combine since issue 13 (--staged --base REF); --staged and --plan still exclude each other.
  [
    "options that exclude each other",
    ["--staged", "--plan", "p.json"],
    "keygate: --staged and --plan cannot be used together\nRun `keygate --help` for usage.\n",
  ],
  [
    "a --var without NAME=",
    ["--var", "region", "tf"],
    'keygate: --var takes NAME=VALUE, got "region"\nSet a variable as terraform -var does: --var region=eu-west-1, --var \'names=["a","b"]\'.\n',
  ],
  [
    "an unknown option of live",
    ["live", "--bogus", "--endpoint-url", "ENDPOINT"],
    "keygate: unknown option --bogus for keygate live\nRun `keygate live --help` for usage.\n",
  ],
  [
    "a scan option given to live",
    ["live", "--no-cache", "--endpoint-url", "ENDPOINT"],
    "keygate: unknown option --no-cache for keygate live\n--no-cache is an option of `keygate scan`, not of `keygate live`. Run `keygate live --help` for usage.\n",
  ],
  [
    "live options that exclude each other",
    ["live", "--org", "--accounts", "111111111111", "--endpoint-url", "ENDPOINT"],
    "keygate: --org and --accounts cannot be used together\nRun `keygate live --help` for usage.\n",
  ],
  [
    "a negative live window",
    ["live", "--window", "-5", "--endpoint-url", "ENDPOINT"],
    "keygate: --window takes a number of seconds (0 or more)\nRun `keygate live --help` for usage.\n",
  ],
  [
    "a path given to live",
    ["live", "tf", "--endpoint-url", "ENDPOINT"],
    'keygate: keygate live takes no paths, but was given "tf"\nRun `keygate live --help` for usage.\n',
  ],
  [
    "an unknown format of policies",
    ["policies", "-f", "yaml"],
    "keygate: --format yaml: not a valid value\nValid values: text, json.\n",
  ],
];

describe("usage errors (the built bin)", () => {
  it.each(CASES)("%s: one line and a hint, exit 2, nothing read, written or called", async (_name, args, expected) => {
    const before = connections;
    const outcome = await keygate(args.map((a) => (a === "ENDPOINT" ? endpoint : a)));
    expect(outcome.stderr).toBe(expected.replace("DIR", outcome.dir));
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe("");
    expect(outcome.touched).toEqual([]);
    expect(connections - before).toBe(0);
    for (const file of ["x.sarif", "sarif", "b.json", "reports/out.json"])
      expect(existsSync(join(outcome.dir, file)), file).toBe(false);
  });

  it("the spy sees what a valid run reads, and the listener what a live run calls", async () => {
    const scanned = await keygate(["-f", "json", "-o", "json=x.json", "tf"]);
    expect(scanned.code).toBe(1);
    expect(scanned.touched.some((t) => t.includes("tf/main.tf"))).toBe(true);
    expect(existsSync(join(scanned.dir, "x.json"))).toBe(true);
    const before = connections;
    const live = await keygate(["live", "--endpoint-url", endpoint]);
    expect(live.code).toBe(2);
    expect(connections - before).toBeGreaterThan(0);
  });
});

describe("live --profile NAME that names no profile: said before any AWS call", () => {
  it("lists the profiles the shared files declare", async () => {
    const before = connections;
    const outcome = await keygate(["live", "--profile", "nope", "--endpoint-url", endpoint], {
      ".aws/config":
        "[default]\nregion = eu-west-1\n\n[profile dev]\nregion = eu-west-1\n\n[sso-session corp]\nsso_region = eu-west-1\n",
      ".aws/credentials":
        "[prod] ; the production account\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n",
    });
    expect(outcome.stderr).toBe(
      "keygate: --profile nope: the profile does not exist in ~/.aws/config or ~/.aws/credentials (profiles there: default, dev, prod). Name one of them, or create it with `aws configure --profile nope` (or `aws configure sso --profile nope`)\n",
    );
    expect(outcome.stdout).toBe("");
    expect(outcome.code).toBe(2);
    expect(connections - before).toBe(0);
  });

  it("says when there are no shared files at all", async () => {
    const before = connections;
    const outcome = await keygate(["live", "--profile", "nope", "--endpoint-url", endpoint]);
    expect(outcome.stderr).toBe(
      "keygate: --profile nope: the profile does not exist: there is no ~/.aws/config or ~/.aws/credentials, so no profile does; create it with `aws configure --profile nope` (or `aws configure sso --profile nope`)\n",
    );
    expect(outcome.code).toBe(2);
    expect(connections - before).toBe(0);
  });

  it("a profile that exists is used (the run reaches the endpoint)", async () => {
    const before = connections;
    const outcome = await keygate(["live", "--profile", "dev", "--endpoint-url", endpoint], {
      ".aws/config": "[profile dev]\nregion = eu-west-1\n",
      ".aws/credentials":
        "[dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    });
    expect(outcome.stderr).not.toContain("does not exist");
    expect(outcome.code).toBe(2);
    expect(connections - before).toBeGreaterThan(0);
  });
});

describe("the bin's early start", () => {
  it("knows the CLI's report formats, and its default", async () => {
    const { REPORT_FORMATS, DEFAULT_REPORT_FORMAT } = await import("../../src/commands/quick-args.js");
    const { REPORTERS, DEFAULT_FORMAT } = await import("../../src/report/index.js");
    expect(REPORT_FORMATS).toEqual([...REPORTERS.keys()]);
    expect(DEFAULT_REPORT_FORMAT).toBe(DEFAULT_FORMAT);
  });

  it("asks git about the scanned directory before the CLI loads, only for a command line known good", async () => {
    const { startEarlyWork } = await import("../../src/early.js");
    const dir = await writeTree({ "tf/main.tf": PAIR, "reports/.keep": "", "one.tf": PAIR });
    const EARLY = Symbol.for("keygate.gitListing");
    const global = globalThis as { [EARLY]?: { dir: string; unused: Set<string> } };
    const take = () => {
      const early = global[EARLY];
      global[EARLY] = undefined;
      return early;
    };
    const asked = (argv: string[]): { dir: string; ids: boolean } | undefined => {
      take();
      startEarlyWork(argv, dir);
      const early = take();
      return early && { dir: early.dir, ids: early.unused.has("ids") };
    };
    expect(asked([])).toEqual({ dir, ids: true });
    expect(asked(["scan", ".", "-f", "json", "-o", "out.json"])).toEqual({ dir, ids: true });
    expect(asked(["tf", "-f", "json", "--no-cache"])).toEqual({ dir: join(dir, "tf"), ids: false });
    expect(asked(["tf/", "--no-prefilter"])).toEqual({ dir: join(dir, "tf"), ids: false });
    expect(asked(["./tf", "tf"])).toEqual({ dir: join(dir, "tf"), ids: true });
    // Not one directory: a file, two directories, a path that does not exist.
    for (const argv of [["one.tf"], ["tf", "."], ["nowhere"]]) expect(asked(argv), argv.join(" ")).toBeUndefined();
    // Usage errors, and what the quick reading leaves to yargs.
    for (const argv of [
      ["-o", "reports", "tf"],
      ["-f", "json", "-f", "sarif", "tf"],
      ["-o", "json=one.tf/x.json", "tf"],
      ["--write-baseline", "reports", "tf"],
      ["--formt", "json", "tf"],
      ["--var", "region", "tf"],
      ["-f", "xml", "tf"],
      ["--help"],
      ["live"],
      // Change-aware scans list what they need themselves.
      ["--staged"],
      ["--base", "main", "tf"],
    ])
      expect(asked(argv), argv.join(" ")).toBeUndefined();
  });

  it("hands its reading of the command line to the CLI, which takes it for that very command line only", async () => {
    const { startEarlyWork } = await import("../../src/early.js");
    const { run: runCommandLine, quickScanArgs } = await import("../../src/cli.js");
    const dir = await writeTree({ "tf/main.tf": PAIR, "one.tf": PAIR });
    const inProcess = async (argv: readonly string[], early?: Parameters<typeof runCommandLine>[2]) => {
      let stdout = "";
      let stderr = "";
      const code = await runCommandLine(
        argv,
        {
          stdout: (t) => (stdout += t),
          stderr: (t) => (stderr += t),
          cwd: dir,
          env: {},
          stdoutIsTTY: false,
          today: "2026-01-01",
          readStdin: async () => new Uint8Array(),
        },
        early,
      );
      return { code, stdout, stderr };
    };
    const argv = ["tf", "-f", "json", "--no-cache"];
    const early = startEarlyWork(argv, dir);
    // Git's early answer about tf/ is not for the runs below.
    (globalThis as { [key: symbol]: unknown })[Symbol.for("keygate.gitListing")] = undefined;
    expect(early).toEqual({ argv, cwd: dir, scan: quickScanArgs(argv) });
    expect(JSON.parse((await inProcess(argv, early)).stdout)).toEqual(JSON.parse((await inProcess(argv)).stdout));
    // Taken: a reading that says SARIF gives SARIF, whatever the command line says.
    const sarif = { ...early!, scan: { ...early!.scan, formats: ["sarif"] } };
    const taken = await inProcess(argv, sarif);
    expect(taken.code).toBe(1);
    expect(JSON.parse(taken.stdout)).toHaveProperty("runs");
    // Not for another command line (another array, even with the same tokens), nor another directory.
    for (const other of [
      { ...sarif, argv: [...argv] },
      { ...sarif, cwd: join(dir, "tf") },
    ])
      expect(JSON.parse((await inProcess(argv, other)).stdout)).toHaveProperty("findings");
    // A report that cannot be written: nothing handed over, and the CLI says why.
    const badTarget = ["tf", "-o", "one.tf/report.txt"];
    expect(startEarlyWork(badTarget, dir)).toBeUndefined();
    expect((await inProcess(badTarget)).code).toBe(2);
    // Anything yargs must read, and usage errors, hand nothing over.
    for (const other of [["--help"], ["live"], ["-f", "xml", "tf"]]) expect(startEarlyWork(other, dir)).toBeUndefined();
    // A change-aware scan's reading is handed over too (it asks git nothing early).
    expect(startEarlyWork(["--staged"], dir)?.scan.change).toBeDefined();
  });
});
