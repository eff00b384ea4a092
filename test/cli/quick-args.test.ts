import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { quickScanArgs, run, yargsScanArgs, type CliIO } from "../../src/cli.js";

const io: CliIO = {
  stdout: () => undefined,
  stderr: () => undefined,
  cwd: tmpdir(),
  env: {},
  stdoutIsTTY: false,
  today: "2026-11-30",
  readStdin: async () => new Uint8Array(),
};

/** Command lines the quick reading must take, as yargs does. */
const COMMON = [
  [],
  ["."],
  ["scan"],
  ["scan", "."],
  ["envs/stack-0000", "-f", "json", "--no-cache"],
  ["scan", "infra/", "modules/x.tf", "-f", "sarif", "-o", "keygate.sarif"],
  ["-f", "text", "-f", "sarif", "-o", "sarif=keygate.sarif"],
  ["--format", "github", "--output", "markdown=summary.md", "--format", "markdown"],
  ["--fail-on", "warning", "stacks/prod"],
  ["--no-prefilter", "--no-cache", "--verbose", "-q", "--debug", "."],
  ["--cache-location", "/tmp/cache", "--no-cache", "a", "b"],
  ["--cache-location", "cache-dir"],
  ["-c", "ci/keygate.json", "--exclude", "**/test/**", "--exclude", "legacy/**"],
  ["--config", ".keygate.json", "--baseline", "base.json"],
  ["--write-baseline", "new-baseline.json", "--color"],
  ["--no-color", "-f", "compact", "dir with spaces/", "x=y"],
  ["-f", "json", "-f", "json"],
  ["-f", "junit", "-o", "sarif"],
  ["--staged"],
  ["--staged", "envs/a/main.tf", "-f", "json"],
  ["--base", "main"],
  ["--base", "HEAD~1", "-f", "json", "--cache-location", "c"],
  ["--base=origin/main", "--fail-on=warning", "stacks/prod"],
  ["--staged", "--base", "HEAD~1", "a.tf", "b.tf"],
  ["--format=json", "--output=out.json", "--cache-location=/tmp/c"],
  ["--format=text", "-f", "sarif", "--output=sarif=x.sarif", "--exclude=a/**", "--exclude", "b/**"],
  ["--config=k.json", "--baseline=b.json", "--write-baseline=n.json"],
  ["--base=a=b"],
];

/** Command lines it must leave to yargs (other options, other commands, odd forms). */
const LEFT_TO_YARGS = [
  ["live"],
  ["policies"],
  ["--help"],
  ["-v"],
  ["-"],
  ["--", "-odd"],
  ["--staged=true"],
  ["--no-staged"],
  ["--staged", "--staged"],
  ["--base"],
  ["--base", "-x"],
  ["--base", "1"],
  ["--base="],
  ["--base=1"],
  ["--base=-x"],
  ["--base", "a", "--base", "b"],
  ["--staged", "--plan", "p.json"],
  ["-f=json"],
  ["--format=xml"],
  ["--no-cache=true"],
  ["--format=json", "--format=sarif", "--format", "x"],
  ["-f", "xml"],
  ["-f"],
  ["-f", "--no-cache"],
  ["--fail-on", "critical"],
  ["--config", "a", "--config", "b"],
  ["--no-cache", "--no-cache"],
  ["--color", "--no-color"],
  ["--var", "a=1"],
  ["--max-warnings", "0"],
  ["-qf", "json"],
  ["scan", "scan"],
  ["help"],
  ["42"],
  [""],
  ["--verbos"],
];

/** Tokens from which random command lines are drawn, valid and not. */
const POOL = [
  ".",
  "scan",
  "live",
  "infra",
  "a.tf",
  "-f",
  "--format",
  "json",
  "sarif",
  "text",
  "xml",
  "-o",
  "--output",
  "out.json",
  "sarif=out.sarif",
  "--no-cache",
  "--cache",
  "--cache-location",
  "cache",
  "--no-prefilter",
  "--prefilter",
  "--fail-on",
  "warning",
  "never",
  "-c",
  "--config",
  "k.json",
  "--exclude",
  "x/**",
  "--baseline",
  "--write-baseline",
  "b.json",
  "--verbose",
  "-q",
  "--quiet",
  "--color",
  "--no-color",
  "--debug",
  "-",
  "--",
  "1",
  "--var",
  "a=1",
  "--staged",
  "--base",
  "HEAD~1",
  "--base=main",
  "--format=json",
  "--output=x.json",
  "--fail-on=never",
  "--cache-location=c",
  "--staged=true",
];

/** A seeded generator (mulberry32), so that a failure can be reproduced. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("the quick reading of a scan's command line", () => {
  it("gives the scan the arguments yargs gives it, for the commonest command lines", async () => {
    for (const argv of COMMON) {
      const quick = quickScanArgs(argv);
      expect(quick, argv.join(" ")).toBeDefined();
      expect(quick, argv.join(" ")).toStrictEqual(await yargsScanArgs(argv, io));
    }
  });

  it("leaves anything else to yargs", () => {
    for (const argv of LEFT_TO_YARGS) expect(quickScanArgs(argv), argv.join(" ")).toBeUndefined();
  });

  it("never reads a random command line otherwise than yargs", async () => {
    const next = random(14);
    let taken = 0;
    for (let n = 0; n < 1000; n++) {
      const argv = Array.from({ length: Math.floor(next() * 7) }, () => POOL[Math.floor(next() * POOL.length)]!);
      const quick = quickScanArgs(argv);
      if (quick === undefined) continue;
      taken++;
      expect(quick, argv.join(" ")).toStrictEqual(await yargsScanArgs(argv, io));
    }
    // Enough of them were read quickly for the comparison to mean something.
    expect(taken).toBeGreaterThan(40);
  });

  it("prints the version as yargs does, without it, for --version or -v alone", async () => {
    const printed = async (argv: string[]) => {
      let out = "";
      const code = await run(argv, { ...io, stdout: (text) => void (out += text) });
      return { code, out };
    };
    // With another option beside it, yargs reads the command line and prints the version.
    const byYargs = await printed(["--version", "--no-color"]);
    expect(byYargs.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await printed(["--version"])).toStrictEqual(byYargs);
    expect(await printed(["-v"])).toStrictEqual(byYargs);
  });
});
