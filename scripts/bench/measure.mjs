// Runs the built CLI in this process as bin.js does (from its bundle), with its output written to a
// temporary file (not kept in memory, where it would count in the peak RSS), then prints one JSON
// line: the process's CPU time and peak RSS (worker threads included), the exit code and the
// report summary.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// What the bin does before it loads the CLI (see src/bin.ts): its early file, whose reading of the
// command line the CLI takes.
const argv = process.argv.slice(2);
const early = (await import("../../dist/bundle/early.js")).startEarlyWork(argv, process.cwd());
const { run } = await import("../../dist/bundle/cli.js");

const scratch = mkdtempSync(join(tmpdir(), "keygate-measure-"));
const out = openSync(join(scratch, "stdout"), "w");
const code = await run(
  argv,
  {
    stdout: (text) => writeSync(out, text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    today: new Date().toISOString().slice(0, 10),
    readStdin: async () => new Uint8Array(),
  },
  early,
);
const usage = process.resourceUsage();
closeSync(out);
const stdout = readFileSync(join(scratch, "stdout"), "utf8");
rmSync(scratch, { recursive: true, force: true });
let summary = {};
let errors = [];
try {
  const report = JSON.parse(stdout);
  summary = report.summary ?? {};
  // The first few input errors, so that a run that could not complete says why.
  errors = (report.errors ?? []).slice(0, 5).map((e) => `${e.file}: ${e.message}`);
} catch {
  // not a JSON report
}
console.log(
  JSON.stringify({
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    peakRssMb: usage.maxRSS / 1024,
    exitCode: code,
    summary,
    errors,
  }),
);
