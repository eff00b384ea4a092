// keygate's benchmark (`npm run bench`): speed and memory on generated inputs, against the targets
// of the issues. Each static case runs the built CLI in a child process (scripts/bench/measure.mjs),
// which reports its own CPU time and peak RSS (worker threads included); wall time is measured
// here. Inputs are generated deterministically into a temporary directory.
//
//   npm run bench               all cases
//   npm run bench -- --quick    smaller inputs (a smoke test of the benchmark itself)
//   npm run bench -- --live     only the live audit rows (an organization's take minutes)
//   npm run bench -- --live --baseline DIR --runs 3
//                               also the same live rows with another checkout's build (e.g. a
//                               `git worktree add DIR main` built with `npm run build`),
//                               alternating runs, for a side-by-side comparison on a loaded machine
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchLiveAudit } from "../../test/support/live-bench.js";
import { benchLiveOrganization, type OrgBenchOptions, type OrgBenchResult } from "../../test/support/live-org-bench.js";
import { generateMonorepo } from "./generate-monorepo.mjs";
import { generatePlan } from "./generate-plan.mjs";

const quick = process.argv.includes("--quick");
const liveOnly = process.argv.includes("--live");
const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const baseline = flag("--baseline");
const orgRuns = Number(flag("--runs") ?? (quick ? 1 : 3));

const MEASURE = join(import.meta.dirname, "measure.mjs");
const work = mkdtempSync(join(tmpdir(), "keygate-bench-"));

interface Measured {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  exitCode: number;
  summary: { files: number; findings: number; errors: number };
}

/** Runs `keygate ARGS` in a child process, the median of `runs` by wall time. */
function keygate(cwd: string, args: string[], runs = quick ? 1 : 3): Measured {
  const results: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const child = spawnSync(process.execPath, [MEASURE, ...args], { cwd, encoding: "utf8", maxBuffer: 1 << 28 });
    const wallMs = performance.now() - started;
    const lines = child.stdout.trim().split("\n");
    const usage = JSON.parse(lines.at(-1)!) as { cpuMs: number; peakRssMb: number; exitCode: number; summary: Measured["summary"] };
    if (usage.exitCode === 2) throw new Error(`keygate ${args.join(" ")} could not complete:\n${child.stderr}`);
    results.push({ wallMs, ...usage });
  }
  results.sort((a, b) => a.wallMs - b.wallMs);
  return results[Math.floor(results.length / 2)]!;
}

interface NativeParse {
  files: number;
  sequentialMs: number;
  parallelMs: number;
  cores: number;
}

/** Builds scripts/bench/native (Go, hashicorp/hcl v2 from Debian's packages); a function that times it on a tree, or undefined. */
function nativeParse(): ((dir: string) => NativeParse) | undefined {
  const binary = join(work, "native-parse");
  const env = { ...process.env, GO111MODULE: "off", GOPATH: process.env.GOPATH ?? "/usr/share/gocode", GOCACHE: join(work, "go-cache") };
  const built = spawnSync("go", ["build", "-o", binary, "."], { cwd: join(import.meta.dirname, "native"), env, encoding: "utf8" });
  if (built.status !== 0) return undefined;
  return (dir) => {
    const runs: NativeParse[] = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) runs.push(JSON.parse(execFileSync(binary, [dir], { encoding: "utf8" })) as NativeParse);
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    return { files: runs[0]!.files, cores: runs[0]!.cores, sequentialMs: median(runs.map((r) => r.sequentialMs)), parallelMs: median(runs.map((r) => r.parallelMs)) };
  };
}

function gitInit(dir: string): void {
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.com", ...args], { cwd: dir, stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "generated");
}

const rows: string[][] = [];
const verdicts: string[] = [];
function report(name: string, m: Measured, target: string, ok: boolean, extra = ""): void {
  rows.push([name, `${m.wallMs.toFixed(0)} ms`, `${m.cpuMs.toFixed(0)} ms`, `${m.peakRssMb.toFixed(0)} MB`, extra, target, ok ? "ok" : "MISSED"]);
  verdicts.push(`${ok ? "✔" : "✖"} ${name}: ${target}`);
}

if (!liveOnly) {
const files = quick ? 1000 : 10000;
console.log(`generating a ${files}-file monorepo and a worst case (every file IAM-related) in ${work} …`);
const mono = join(work, "monorepo");
const layout = generateMonorepo(mono, { files, violations: 20 });
gitInit(mono);
const worst = join(work, "worst-case");
const worstLayout = generateMonorepo(worst, { files: quick ? 300 : 2000, violations: 20, allIam: true });
gitInit(worst);
const mb = layout.bytes / 1e6;
console.log(`monorepo: ${layout.files} files, ${mb.toFixed(1)} MB, ${layout.stacks} root stacks, ${layout.violations} planted pairs`);

// The native reference: hashicorp/hcl's Go parser on the same files, when Go and hcl v2 are here.
const native = nativeParse();
const nativeMono = native?.(mono);
const nativeWorst = native?.(worst);
if (nativeMono) console.log(`native hcl parse (hashicorp/hcl v2, Go): ${nativeMono.sequentialMs.toFixed(0)} ms file by file, ${nativeMono.parallelMs.toFixed(0)} ms on ${nativeMono.cores} cores`);
else console.log("native hcl parse: not measured (needs `go` and hcl v2: apt-get install golang-go golang-github-hashicorp-hcl-v2-dev)");

const cache = join(work, "cache");
const cold = keygate(mono, [".", "-f", "json", "--no-cache"]);
report("cold full scan", cold, "≤ 1500 ms wall", cold.wallMs <= 1500, `${(mb / (cold.wallMs / 1000)).toFixed(1)} MB/s, ${(layout.files / (cold.wallMs / 1000)).toFixed(0)} files/s, ${cold.summary.findings} findings`);
keygate(mono, [".", "-f", "json", "--cache-location", cache], 1);
const warm = keygate(mono, [".", "-f", "json", "--cache-location", cache]);
report("warm full scan (cache)", warm, "≤ 800 ms wall", warm.wallMs <= 800, `${(layout.files / (warm.wallMs / 1000)).toFixed(0)} files/s`);
const stack = keygate(join(mono, "stacks", "team0", "env0"), [".", "-f", "json", "--no-cache"]);
report("single stack (pre-commit)", stack, "≤ 500 ms wall", stack.wallMs <= 500, `${stack.summary.files} files`);
const full = keygate(mono, [".", "-f", "json", "--no-cache", "--no-prefilter"], 1);
report("cold full scan, no prefilter", full, "(reference)", true, `${(mb / (full.wallMs / 1000)).toFixed(2)} MB/s`);
const worstRun = keygate(worst, [".", "-f", "json", "--no-cache"]);
const worstMb = worstLayout.bytes / 1e6;
const worstRate = worstMb / (worstRun.wallMs / 1000);
report("worst case (every file relevant)", worstRun, "≥ 1 MB/s", worstRate >= 1, `${worstRate.toFixed(2)} MB/s, ${worstLayout.files} files, ${worstMb.toFixed(1)} MB`);
if (nativeMono && nativeWorst) {
  const half = nativeMono.sequentialMs / 2;
  rows.push(["native parse of the monorepo (Go)", `${nativeMono.sequentialMs.toFixed(0)} ms`, "", "", `${nativeMono.parallelMs.toFixed(0)} ms on ${nativeMono.cores} cores`, "(reference)", ""]);
  rows.push(["native parse of the worst case (Go)", `${nativeWorst.sequentialMs.toFixed(0)} ms`, "", "", `${nativeWorst.parallelMs.toFixed(0)} ms on ${nativeWorst.cores} cores`, "(reference)", ""]);
  verdicts.push(`${cold.wallMs <= half ? "✔" : "✖"} cold full scan at most half a native parse: ${cold.wallMs.toFixed(0)} ms vs ${half.toFixed(0)} ms (a quarter: ${(half / 2).toFixed(0)} ms${cold.wallMs <= half / 2 ? ", met" : ""})`);
}
for (const m of [cold, warm, stack, worstRun]) if (m.peakRssMb >= 512) verdicts.push(`✖ peak RSS ${m.peakRssMb.toFixed(0)} MB ≥ 512 MB`);

const changes = quick ? 10000 : 100000;
const planFile = join(work, "plan.json");
writeFileSync(planFile, JSON.stringify(generatePlan(changes)));
const plan = keygate(work, ["plan.json", "-f", "json"]);
report(`plan with ${changes} resource changes`, plan, "≤ 3000 ms wall, < 1024 MB", plan.wallMs <= 3000 && plan.peakRssMb < 1024, `${plan.summary.findings} findings`);

}

const live = await benchLiveAudit({ users: quick ? 200 : 1000, latencyMs: 5 });
rows.push([`live audit, ${live.users} users, 5 ms/call`, `${live.wallMs.toFixed(0)} ms`, "", "", `${live.apiCallsPerUser.toFixed(2)} API calls/user`, "≤ 10000 ms wall", live.wallMs <= 10000 ? "ok" : "MISSED"]);
verdicts.push(`${live.wallMs <= 10000 ? "✔" : "✖"} live audit: ≤ 10000 ms wall`);

// An organization (the table): the CLI in a child process against the fake endpoint in
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
  return sorted.length > 1 ? `${median.toFixed(0)} ${unit} (${sorted[0]!.toFixed(0)}–${sorted.at(-1)!.toFixed(0)})` : `${median.toFixed(0)} ${unit}`;
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
    rows.push([label, spread(rs.map((x) => x.wallMs), "ms"), spread(rs.map((x) => x.cpuMs), "ms"), spread(rs.map((x) => x.peakRssMb), "MB"), detail, target, ok]);
    console.log(`  ${rows.at(-1)!.join(" | ")}`); // as it comes: the organization rows take minutes
  };
  const medianRun = [...mine].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(mine.length / 2)]!;
  const ok = c.ok(medianRun, theirs);
  if (baseline) row(`${c.name} [baseline]`, theirs, "(reference)", "");
  row(c.name, mine, c.target, ok ? "ok" : "MISSED");
  verdicts.push(`${ok ? "✔" : "✖"} ${c.name.trim()}: ${c.target}`);
}

const header = ["case", "wall", "cpu", "peak RSS", "", "target", ""];
const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? "").length)));
for (const row of [header, ...rows]) console.log(row.map((c, i) => (c ?? "").padEnd(widths[i]!)).join("  "));
const os = await import("node:os");
console.log(`\nmachine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, node ${process.version}; medians of ${quick ? 1 : 3} runs (organization rows: median (range) of ${orgRuns})`);
console.log(verdicts.join("\n"));
rmSync(work, { recursive: true, force: true });

