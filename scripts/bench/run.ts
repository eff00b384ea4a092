// keygate's benchmark (`npm run bench`): speed and memory on generated inputs, against the targets
// of the issues. Each static case runs the built CLI in a child process (scripts/bench/measure.mjs),
// which reports its own CPU time and peak RSS (worker threads included); wall time is measured
// here. Inputs are generated deterministically into a temporary directory.
//
//   npm run bench                          all cases
//   npm run bench -- --quick               smaller inputs (a smoke test of the benchmark itself)
//   npm run bench -- --against DIR         also times another built checkout of keygate (e.g. a
//                                          `git worktree add /tmp/main main` after `npm ci`), run for
//                                          run alternately with this one, so that a loaded machine
//                                          slows both alike: the table shows both, median and range
//   npm run bench -- --runs N              runs per case and build (default 3)
//   npm run bench -- --gate                only the monorepo's five rows (full scans, one root, --staged, --base),
//                                          with the native parser and Node.js alone (floor.mjs) as references
//   npm run bench -- --live                only the live audit rows (an organization's take minutes)
//   npm run bench -- --hostile             only the hostile input rows (deepest nesting accepted and
//                                          refused, 100,000 resources in one file, a 50 MB file), one run each
//   npm run bench -- --live --baseline DIR also the same live rows with another checkout's build,
//                                          alternating runs (--runs N of them)
//   npm run bench -- --keep-env            time the processes with NODE_EXTRA_CA_CERTS as set (see below)
//
// NODE_EXTRA_CA_CERTS: Node.js 20 reads and parses that file at every start, before any of keygate's
// code runs (a whole system CA bundle: ~50 ms per process on a 2-core machine). It is the machine's
// setting, not keygate's cost, and a scan opens no TLS connection: the timed processes (keygate and
// the Node.js floor) start without it unless --keep-env is given; the bench prints what it costs here.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { benchLiveAudit } from "../../test/support/live-bench.js";
import { benchLiveOrganization, type OrgBenchOptions, type OrgBenchResult } from "../../test/support/live-org-bench.js";
import { generateMonorepo } from "./generate-monorepo.mjs";
import { generatePlan } from "./generate-plan.mjs";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const against = option("--against") ? resolve(option("--against")!) : undefined;
const RUNS = Number(option("--runs") ?? (quick ? 1 : 3));
const gateOnly = argv.includes("--gate");
const liveOnly = argv.includes("--live");
const hostileOnly = argv.includes("--hostile");
const baseline = option("--baseline");
const orgRuns = RUNS;
const keepEnv = argv.includes("--keep-env");
/** The environment of every timed process (see NODE_EXTRA_CA_CERTS above). */
const timedEnv: NodeJS.ProcessEnv = { ...process.env };
if (!keepEnv) delete timedEnv.NODE_EXTRA_CA_CERTS;

const work = mkdtempSync(join(tmpdir(), "keygate-bench-"));

/** What NODE_EXTRA_CA_CERTS costs a Node.js start here (median of 5 alternating runs of `node -e 0` with and without), or undefined when it is not set. */
function extraCaCertsCost(): { with: number; without: number } | undefined {
  if (!process.env.NODE_EXTRA_CA_CERTS) return undefined;
  const without = { ...process.env };
  delete without.NODE_EXTRA_CA_CERTS;
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < 5; i++)
    [process.env, without].forEach((env, k) => {
      const started = performance.now();
      execFileSync(process.execPath, ["-e", "0"], { env, stdio: "ignore" });
      times[k]!.push(performance.now() - started);
    });
  const median = (values: number[]) => values.sort((a, b) => a - b)[2]!;
  return { with: median(times[0]), without: median(times[1]) };
}
const caCost = extraCaCertsCost();
const caNote = caCost
  ? `NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS} is set: a Node.js start takes ${caCost.with.toFixed(0)} ms with it, ${caCost.without.toFixed(0)} ms without; ` +
    (keepEnv
      ? "the timed processes keep it (--keep-env)"
      : "the timed processes start without it (--keep-env keeps it)")
  : undefined;
if (caNote) console.log(caNote);

/** A built keygate to time: this checkout, and with --against another one. */
interface Build {
  name: string;
  measure: string;
  /** Its own cache directory: two builds of the same version would otherwise share cache files. */
  cache: string;
}
const builds: Build[] = [
  { name: "this", measure: join(import.meta.dirname, "measure.mjs"), cache: join(work, "cache-this") },
];
if (against)
  builds.push({
    name: "against",
    measure: join(against, "scripts", "bench", "measure.mjs"),
    cache: join(work, "cache-against"),
  });

interface Measured {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  exitCode: number;
  summary: { files: number; findings: number; errors: number };
  /** Over the runs: the fastest and slowest wall time. */
  minMs: number;
  maxMs: number;
}

/** Runs one build's `keygate ARGS` once (`{cache}` in ARGS stands for the build's cache directory); exit 2 is a failure unless `incomplete` is expected. */
function runOnce(build: Build, cwd: string, args: string[], incomplete = false): Omit<Measured, "minMs" | "maxMs"> {
  const argv = args.map((a) => a.replace("{cache}", build.cache));
  const started = performance.now();
  const child = spawnSync(process.execPath, [build.measure, ...argv], {
    cwd,
    env: timedEnv,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const wallMs = performance.now() - started;
  const lines = child.stdout.trim().split("\n");
  const usage = JSON.parse(lines.at(-1)!) as {
    cpuMs: number;
    peakRssMb: number;
    exitCode: number;
    summary: Measured["summary"];
  };
  if (usage.exitCode === 2 && !incomplete)
    throw new Error(`keygate (${build.name}) ${argv.join(" ")} could not complete:\n${child.stderr}`);
  return { wallMs, ...usage };
}

/** How a row runs keygate: `warmUp` runs each build once first, unmeasured; `prepare` is called before every run (the warm-up's too), untimed. */
interface RunOptions {
  runs?: number;
  warmUp?: boolean;
  incomplete?: boolean;
  prepare?: () => void;
}

/**
 * Runs `keygate ARGS` `runs` times per build, the builds alternating run by run; for each build the
 * median by wall time, with the range.
 */
function keygateAll(
  cwd: string,
  args: string[],
  { runs = RUNS, warmUp = false, incomplete = false, prepare }: RunOptions = {},
): Measured[] {
  const results: Omit<Measured, "minMs" | "maxMs">[][] = builds.map(() => []);
  const once = (build: Build) => {
    prepare?.();
    return runOnce(build, cwd, args, incomplete);
  };
  if (warmUp) for (const build of builds) once(build);
  for (let i = 0; i < runs; i++) builds.forEach((build, b) => results[b]!.push(once(build)));
  return results.map((all) => {
    const sorted = [...all].sort((a, b) => a.wallMs - b.wallMs);
    return { ...sorted[Math.floor(sorted.length / 2)]!, minMs: sorted[0]!.wallMs, maxMs: sorted.at(-1)!.wallMs };
  });
}

/** This build's measurement only (the other's, when timed, goes to the table). */
function keygate(cwd: string, args: string[], options: RunOptions = {}): Measured {
  const all = keygateAll(cwd, args, options);
  lastAgainst = all[1];
  return all[0]!;
}
let lastAgainst: Measured | undefined;

interface NativeParse {
  files: number;
  sequentialMs: number;
  parallelMs: number;
  cores: number;
}

/** Builds scripts/bench/native (Go, hashicorp/hcl v2 from Debian's packages); a function that times it on a tree, or undefined. */
function nativeParse(): ((dir: string) => NativeParse) | undefined {
  const binary = join(work, "native-parse");
  const env = {
    ...process.env,
    GO111MODULE: "off",
    GOPATH: process.env.GOPATH ?? "/usr/share/gocode",
    GOCACHE: join(work, "go-cache"),
  };
  const built = spawnSync("go", ["build", "-o", binary, "."], {
    cwd: join(import.meta.dirname, "native"),
    env,
    encoding: "utf8",
  });
  if (built.status !== 0) return undefined;
  return (dir) => {
    const runs: NativeParse[] = [];
    for (let i = 0; i < (quick ? 1 : 3); i++)
      runs.push(JSON.parse(execFileSync(binary, [dir], { encoding: "utf8" })) as NativeParse);
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    return {
      files: runs[0]!.files,
      cores: runs[0]!.cores,
      sequentialMs: median(runs.map((r) => r.sequentialMs)),
      parallelMs: median(runs.map((r) => r.parallelMs)),
    };
  };
}

/** A user and an access key for it: one finding. */
const PAIR =
  'resource "aws_iam_user" "u" {\n  name = "u"\n}\n\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n';

const GIT_IDENTITY = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"];
function git(dir: string, ...args: string[]): void {
  execFileSync("git", [...GIT_IDENTITY, ...args], { cwd: dir, stdio: "ignore" });
}

function gitInit(dir: string): void {
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "generated");
}

/** Changes one line of a file (a tag value in the generated main.tf), as a developer's edit does. */
function editOneLine(file: string): void {
  const text = readFileSync(file, "utf8");
  const edited = text.replace(/Owner = "([^"]*)"/, 'Owner = "$1-edited"');
  if (edited === text) throw new Error(`nothing to edit in ${file}`);
  writeFileSync(file, edited);
}

const rows: string[][] = [];
const verdicts: string[] = [];
const ms = (m: Measured) =>
  `${m.wallMs.toFixed(0)} ms${RUNS > 1 ? ` (${m.minMs.toFixed(0)}–${m.maxMs.toFixed(0)})` : ""}`;
/** A row of the table; `ok` undefined: a row without a goal of its own (measured, not judged). */
function report(
  name: string,
  m: Measured,
  target: string,
  ok: boolean | undefined,
  extra = "",
  other = lastAgainst,
): void {
  rows.push([
    name,
    ms(m),
    other ? ms(other) : "",
    `${m.cpuMs.toFixed(0)} ms`,
    `${m.peakRssMb.toFixed(0)} MB`,
    extra,
    target,
    ok === undefined ? "" : ok ? "ok" : "MISSED",
  ]);
  if (ok !== undefined) verdicts.push(`${ok ? "✔" : "✖"} ${name}: ${target}`);
  console.log(`  ${name}: ${ms(m)}${other ? `; --against: ${ms(other)}` : ""}`);
  lastAgainst = undefined;
}

if (!liveOnly && !gateOnly) {
  // Hostile input (issue 18): what a pull request can throw at the gate, one run each (the machine is
  // shared; these take seconds to a minute). Generated into the work directory.
  const hostile = join(work, "hostile");
  // The locals block is one level: 255 brackets inside it make 256, the deepest accepted.
  const depth = 255;
  const deep = (n: number) => `locals {\n  nested = ${"[".repeat(n)}1${"]".repeat(n)}\n}\n\n${PAIR}`;
  mkdirSync(join(hostile, "deep"), { recursive: true });
  writeFileSync(join(hostile, "deep", "main.tf"), deep(depth));
  const accepted = keygate(join(hostile, "deep"), [".", "-f", "json", "--no-cache"], { runs: 1 });
  report(
    `hostile: nesting ${depth + 1} deep (the deepest accepted)`,
    accepted,
    "≤ 2000 ms wall, exit 1",
    accepted.wallMs <= 2000 && accepted.exitCode === 1,
    `exit ${accepted.exitCode}`,
  );
  mkdirSync(join(hostile, "deeper"), { recursive: true });
  writeFileSync(join(hostile, "deeper", "main.tf"), deep(10_000));
  const refused = keygate(join(hostile, "deeper"), [".", "-f", "json", "--no-cache"], { runs: 1, incomplete: true });
  report(
    "hostile: nesting 10,000 deep (refused)",
    refused,
    "≤ 2000 ms wall, exit 2",
    refused.wallMs <= 2000 && refused.exitCode === 2,
    `exit ${refused.exitCode}, ${refused.summary.errors} errors`,
  );
  const resources = quick ? 10_000 : 100_000;
  const blocks: string[] = [];
  for (let i = 0; i < resources / 2; i++)
    blocks.push(
      `resource "aws_iam_user" "u${i}" {\n  name = "user-${i}"\n}\n\nresource "aws_iam_access_key" "k${i}" {\n  user = aws_iam_user.u${i}.name\n}\n`,
    );
  mkdirSync(join(hostile, "many"), { recursive: true });
  writeFileSync(join(hostile, "many", "main.tf"), blocks.join("\n"));
  const many = keygate(join(hostile, "many"), [".", "-f", "json", "--no-cache"], { runs: 1 });
  const manyMb = Buffer.byteLength(blocks.join("\n")) / 1e6;
  report(
    `hostile: ${resources} resources in one file`,
    many,
    "≤ 30000 ms wall, < 1024 MB",
    many.wallMs <= 30_000 && many.peakRssMb < 1024,
    `${many.summary.findings} findings, ${manyMb.toFixed(1)} MB`,
  );
  const bigMb = quick ? 5 : 50;
  // A policy document of bigMb MB in a heredoc, in a file that also holds a pair.
  const line = '      {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bucket/prefix/*"},\n';
  const big = `${PAIR}\nresource "aws_iam_policy" "huge" {\n  name   = "huge"\n  policy = <<EOF\n{\n  "Statement": [\n${line.repeat(Math.ceil((bigMb * 1e6) / line.length))}  ]\n}\nEOF\n}\n`;
  mkdirSync(join(hostile, "big"), { recursive: true });
  writeFileSync(join(hostile, "big", "main.tf"), big);
  const bigRun = keygate(join(hostile, "big"), [".", "-f", "json", "--no-cache"], { runs: 1 });
  report(
    `hostile: a ${bigMb} MB file (one heredoc)`,
    bigRun,
    "≤ 10000 ms wall, < 1024 MB, exit 1",
    bigRun.wallMs <= 10_000 && bigRun.peakRssMb < 1024 && bigRun.exitCode === 1,
    `${(big.length / 1e6).toFixed(1)} MB, exit ${bigRun.exitCode}`,
  );
  rmSync(hostile, { recursive: true, force: true });
}

if (!liveOnly && !hostileOnly) {
  const roots = quick ? 100 : 1000;
  const files = quick ? 1060 : 10060;
  console.log(
    `generating a ${roots}-root, ${files}-file monorepo (a git repository) and a worst case (every file IAM-related) in ${work} …`,
  );
  const mono = join(work, "monorepo");
  const layout = generateMonorepo(mono, { files, violations: 20, roots });
  gitInit(mono);
  const worst = join(work, "worst-case");
  const worstLayout = generateMonorepo(worst, {
    files: gateOnly ? 0 : quick ? 300 : 2000,
    violations: 20,
    allIam: true,
  });
  gitInit(worst);
  const mb = layout.bytes / 1e6;
  console.log(
    `monorepo: ${layout.files} files, ${mb.toFixed(1)} MB, ${layout.stacks} root modules, ${layout.violations} planted pairs`,
  );
  if (against) console.log(`timing this checkout and ${against} alternately, ${RUNS} runs each`);

  // The native reference: hashicorp/hcl's Go parser on the same files, when Go and hcl v2 are here.
  const native = nativeParse();
  const nativeMono = native?.(mono);
  const nativeWorst = gateOnly ? undefined : native?.(worst);
  if (nativeMono)
    console.log(
      `native hcl parse (hashicorp/hcl v2, Go): ${nativeMono.sequentialMs.toFixed(0)} ms file by file, ${nativeMono.parallelMs.toFixed(0)} ms on ${nativeMono.cores} cores`,
    );
  else
    console.log(
      "native hcl parse: not measured (needs `go` and hcl v2: apt-get install golang-go golang-github-hashicorp-hcl-v2-dev)",
    );

  if (nativeMono)
    rows.push([
      "native parse of the monorepo (Go)",
      `${nativeMono.sequentialMs.toFixed(0)} ms`,
      "",
      "",
      "",
      `${nativeMono.parallelMs.toFixed(0)} ms on ${nativeMono.cores} cores`,
      "(reference)",
      "",
    ]);
  // The floor: Node.js alone on this machine, nothing of keygate loaded (scripts/bench/floor.mjs),
  // for the work no scan can skip; what bounds a row that misses its goal is read against these.
  for (const [mode, name] of [
    ["start", "Node.js alone: start-up (an empty module)"],
    ["list", "Node.js alone: + git's listing of the files"],
    ["lstat", "Node.js alone: + an lstat of every file"],
    ["read", "Node.js alone: + reading every file"],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      execFileSync(process.execPath, [join(import.meta.dirname, "floor.mjs"), mode], {
        cwd: mono,
        env: timedEnv,
        stdio: "ignore",
      });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`  ${name}: ${median.toFixed(0)} ms`);
    rows.push([name, `${median.toFixed(0)} ms`, "", "", "", "", "(floor)", ""]);
  }
  const cached = ["--cache-location", "{cache}"];
  const cold = keygate(mono, [".", "-f", "json", "--no-cache"]);
  const coldGoal = nativeMono ? Math.min(500, nativeMono.sequentialMs * 0.2) : 500;
  report(
    "full scan, cold (--no-cache)",
    cold,
    nativeMono ? `≤ 0.2 × native (${(nativeMono.sequentialMs * 0.2).toFixed(0)} ms) and ≤ 500 ms` : "≤ 500 ms",
    cold.wallMs <= coldGoal,
    `${(mb / (cold.wallMs / 1000)).toFixed(1)} MB/s, ${cold.summary.findings} findings${nativeMono ? `, ${(cold.wallMs / nativeMono.sequentialMs).toFixed(2)} × native` : ""}`,
  );
  const warm = keygate(mono, [".", "-f", "json", ...cached], { warmUp: true });
  report(
    "full scan, warm (cache)",
    warm,
    "≤ 300 ms",
    warm.wallMs <= 300,
    `${(layout.files / (warm.wallMs / 1000)).toFixed(0)} files/s`,
  );
  // A developer's tree while working: one line of one root's file edited, not staged (the cache
  // warm): the configurations the edit does not touch are taken from their verdicts.
  const editedDir = "envs/stack-0005";
  editOneLine(join(mono, editedDir, "main.tf"));
  const edited = keygate(mono, [".", "-f", "json", ...cached], { warmUp: true });
  report(
    "full scan, warm, one file edited (not staged)",
    edited,
    "≤ 500 ms",
    edited.wallMs <= 500,
    `${edited.summary.files} files`,
  );
  git(mono, "checkout", "-q", "--", `${editedDir}/main.tf`);
  const stackDir = "envs/stack-0000";
  const stack = keygate(mono, [stackDir, "-f", "json", "--no-cache"]);
  report(`one root module (${stackDir})`, stack, "≤ 200 ms", stack.wallMs <= 200, `${stack.summary.files} files`);

  // The pre-commit hook: one line of one root's main.tf changed and staged (the cache warm, as on a developer's machine).
  editOneLine(join(mono, stackDir, "main.tf"));
  git(mono, "add", `${stackDir}/main.tf`);
  const staged = keygate(mono, ["--staged", `${stackDir}/main.tf`, "-f", "json", ...cached], { warmUp: true });
  report("--staged, one line changed", staged, "≤ 300 ms", staged.wallMs <= 300, `${staged.summary.files} files`);
  // The hook on the next commit: what was staged is committed, and the line changed and staged again; every run
  // is the first on its base commit (the cache knows the files, not yet that commit's walk: see change/walk.ts).
  const before = execFileSync("git", ["rev-parse", "HEAD"], { cwd: mono, encoding: "utf8" }).trim();
  const stagedAfterCommit = keygate(mono, ["--staged", `${stackDir}/main.tf`, "-f", "json", ...cached], {
    prepare: () => {
      git(mono, "commit", "-qm", "the hook's commit");
      editOneLine(join(mono, stackDir, "main.tf"));
      git(mono, "add", `${stackDir}/main.tf`);
    },
  });
  report(
    "--staged, the first run after a commit",
    stagedAfterCommit,
    "(no goal of its own)",
    undefined,
    `${stagedAfterCommit.summary.files} files`,
  );
  // Back to one commit and one staged line (the same line, edited a few times) for the rows below.
  git(mono, "reset", "-q", "--soft", before);
  // The pull-request gate: that line committed, compared with the commit before.
  git(mono, "commit", "-qm", "one line");
  const baseWarm = keygate(mono, ["--base", "HEAD~1", "-f", "json", ...cached], { warmUp: true });
  report(
    "--base HEAD~1 after a one-line commit, warm",
    baseWarm,
    "≤ 500 ms",
    baseWarm.wallMs <= 500,
    `${baseWarm.summary.files} files`,
  );
  const baseCold = keygate(mono, ["--base", "HEAD~1", "-f", "json", "--no-cache"]);
  report(
    "--base HEAD~1 after a one-line commit, cold",
    baseCold,
    `≤ the cold full scan (${cold.wallMs.toFixed(0)} ms)`,
    baseCold.wallMs <= cold.wallMs,
    `${baseCold.summary.files} files`,
  );
  git(mono, "reset", "-q", "--hard", "HEAD~1");

  if (!gateOnly) {
    const full = keygate(mono, [".", "-f", "json", "--no-cache", "--no-prefilter"], { runs: 1 });
    report(
      "full scan, cold, no prefilter",
      full,
      "(reference)",
      true,
      `${(mb / (full.wallMs / 1000)).toFixed(2)} MB/s`,
    );
    const worstRun = keygate(worst, [".", "-f", "json", "--no-cache"]);
    const worstMb = worstLayout.bytes / 1e6;
    const worstRate = worstMb / (worstRun.wallMs / 1000);
    report(
      "worst case (every file relevant)",
      worstRun,
      "≥ 1 MB/s",
      worstRate >= 1,
      `${worstRate.toFixed(2)} MB/s, ${worstLayout.files} files, ${worstMb.toFixed(1)} MB`,
    );
    if (nativeWorst)
      rows.push([
        "native parse of the worst case (Go)",
        `${nativeWorst.sequentialMs.toFixed(0)} ms`,
        "",
        "",
        "",
        `${nativeWorst.parallelMs.toFixed(0)} ms on ${nativeWorst.cores} cores`,
        "(reference)",
        "",
      ]);
    for (const m of [cold, warm, edited, stack, staged, baseWarm, baseCold])
      if (m.peakRssMb >= 512) verdicts.push(`✖ peak RSS ${m.peakRssMb.toFixed(0)} MB ≥ 512 MB`);
    if (worstRun.peakRssMb >= 512) verdicts.push(`✖ peak RSS ${worstRun.peakRssMb.toFixed(0)} MB ≥ 512 MB`);

    const changes = quick ? 10000 : 100000;
    const planFile = join(work, "plan.json");
    writeFileSync(planFile, JSON.stringify(generatePlan(changes)));
    const plan = keygate(work, ["plan.json", "-f", "json"]);
    report(
      `plan with ${changes} resource changes`,
      plan,
      "≤ 3000 ms wall, < 1024 MB",
      plan.wallMs <= 3000 && plan.peakRssMb < 1024,
      `${plan.summary.findings} findings`,
    );
  }
}

if (!hostileOnly) {
  const live = await benchLiveAudit({ users: quick ? 200 : 1000, latencyMs: 5 });
  rows.push([
    `live audit, ${live.users} users, 5 ms/call`,
    `${live.wallMs.toFixed(0)} ms`,
    "",
    "",
    "",
    `${live.apiCallsPerUser.toFixed(2)} API calls/user`,
    "≤ 10000 ms wall",
    live.wallMs <= 10000 ? "ok" : "MISSED",
  ]);
  verdicts.push(`${live.wallMs <= 10000 ? "✔" : "✖"} live audit: ≤ 10000 ms wall`);
}

if (!gateOnly && !hostileOnly) {
  // An organization (the issue's table): the CLI in a child process against the fake endpoint in
  // this one, 5 ms per call, reports generated during the run (IAM answers STARTED, INPROGRESS,
  // COMPLETE), `keygate live`'s default poll interval and report timeout.
  const orgAccounts = quick ? 10 : 100;
  const orgUsers = quick ? 100 : 1000;
  const here = join(import.meta.dirname, "../..");
  interface OrgCase {
    name: string;
    options: Omit<OrgBenchOptions, "checkout">;
    target: string;
    ok: (r: OrgBenchResult, base: OrgBenchResult[]) => boolean;
  }
  const orgCases: OrgCase[] = [
    {
      name: `live org, ${orgAccounts} accounts × ${orgUsers} users, reports generated`,
      options: { accounts: orgAccounts, usersPerAccount: orgUsers, report: "generated" },
      target: "≤ 60000 ms wall, exit 1, ≤ 1024 MB",
      ok: (r) => r.wallMs <= 60_000 && r.exitCode === 1 && r.peakRssMb <= 1024,
    },
    {
      name: `  same, 1 AssumeRole denied, 1 report never ready`,
      options: { accounts: orgAccounts, usersPerAccount: orgUsers, report: "generated", faulty: true },
      target: "≤ 130000 ms wall, exit 2, 2 errors",
      ok: (r) => r.wallMs <= 130_000 && r.exitCode === 2 && r.errors === 2,
    },
    {
      name: `live, 1 account × 1000 users, 30 % throttled`,
      options: { accounts: 1, usersPerAccount: 1000, report: "existing", throttleRate: 0.3 },
      target: "≤ 10000 ms wall, exit 1, no error",
      ok: (r) => r.wallMs <= 10_000 && r.exitCode === 1 && r.errors === 0,
    },
  ];
  const spread = (values: number[], unit: string): string => {
    const sorted = [...values].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return sorted.length > 1
      ? `${median.toFixed(0)} ${unit} (${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)})`
      : `${median.toFixed(0)} ${unit}`;
  };
  for (const c of orgCases) {
    const mine: OrgBenchResult[] = [];
    const theirs: OrgBenchResult[] = [];
    for (let i = 0; i < orgRuns; i++) {
      if (baseline) theirs.push(await benchLiveOrganization({ ...c.options, checkout: baseline }));
      mine.push(await benchLiveOrganization({ ...c.options, checkout: here }));
    }
    const row = (label: string, rs: OrgBenchResult[], target: string, ok: string): void => {
      const r = rs[0]!;
      const detail = `${(r.totalApiCalls / r.users).toFixed(2)} calls/user, ≤ ${Math.max(...rs.map((x) => x.maxInFlight))} in flight, ${r.throttled} throttled, ${r.findings} findings, ${r.errors} errors, exit ${rs.map((x) => x.exitCode).join("/")}`;
      rows.push([
        label,
        spread(
          rs.map((x) => x.wallMs),
          "ms",
        ),
        spread(
          rs.map((x) => x.cpuMs),
          "ms",
        ),
        spread(
          rs.map((x) => x.peakRssMb),
          "MB",
        ),
        detail,
        target,
        ok,
      ]);
      console.log(`  ${rows.at(-1)!.join(" | ")}`); // as it comes: the organization rows take minutes
    };
    const medianRun = [...mine].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(mine.length / 2)]!;
    const ok = c.ok(medianRun, theirs);
    if (baseline) row(`${c.name} [baseline]`, theirs, "(reference)", "");
    row(c.name, mine, c.target, ok ? "ok" : "MISSED");
    verdicts.push(`${ok ? "✔" : "✖"} ${c.name.trim()}: ${c.target}`);
  }
}

const header = [
  "case",
  `wall, median${RUNS > 1 ? " (range)" : ""}`,
  against ? "wall, --against" : "",
  "cpu",
  "peak RSS",
  "",
  "target",
  "",
];
const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? "").length)));
// eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- rows may be shorter than the header
for (const row of [header, ...rows]) console.log(row.map((c, i) => (c ?? "").padEnd(widths[i]!)).join("  "));
console.log(
  `\nmachine: ${cpus().length} cores, node ${process.version}, load average ${(await import("node:os"))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(
      " ",
    )}; medians of ${RUNS} runs${against ? `, alternating with ${against}` : ""}${caNote ? `\n${caNote}` : ""}`,
);
console.log(verdicts.join("\n"));
rmSync(work, { recursive: true, force: true });
