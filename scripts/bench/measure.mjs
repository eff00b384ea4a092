// Runs the built CLI in this process as bin.js does (from its bundle), with its output discarded,
// then prints one JSON line: the process's CPU time and peak RSS (worker threads included), the
// exit code and the report summary.
import { startEarlyWork } from "../../dist/early.js";

// What the bin does before it loads the CLI (see src/bin.ts).
const argv = process.argv.slice(2);
startEarlyWork(argv, process.cwd());
const { run } = await import("../../dist/bundle/cli.js");

let stdout = "";
const code = await run(argv, {
  stdout: (text) => (stdout += text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
  stdoutIsTTY: false,
  stderrIsTTY: false,
  today: new Date().toISOString().slice(0, 10),
  readStdin: async () => new Uint8Array(),
});
const usage = process.resourceUsage();
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
console.log(JSON.stringify({ cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, peakRssMb: usage.maxRSS / 1024, exitCode: code, summary, errors }));
