import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";

/**
 * The built bin as users run it. Under the test runner the parser runs in-thread; the bin parses on
 * worker threads (and skips files through the prefilter): both must give the very same report.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);

async function bin(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, "dist", "bin.js"), ...args], { cwd, env: { PATH: process.env.PATH, NO_COLOR: "1" }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("the bin", () => {
  it("reports on the examples exactly as the in-process CLI does, exit 1", async () => {
    const spawned = await bin(["scan", "examples", "-f", "json", "--no-cache"], ROOT);
    const inProcess = await runCli(["scan", "examples", "-f", "json", "--no-cache", "--no-prefilter"], ROOT);
    expect(spawned.stderr).toBe("");
    expect(spawned.code).toBe(1);
    expect(JSON.parse(spawned.stdout)).toEqual(JSON.parse(inProcess.stdout));
  });

  it("sets the exit code 2 for an input error and prints no stack trace", async () => {
    const { code, stdout, stderr } = await bin(["scan", "test/cli/cases/parse-error/input"], ROOT);
    expect(code).toBe(2);
    expect(stdout).toContain("Invalid expression");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("prints its version and help", async () => {
    expect((await bin(["--version"], ROOT)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await bin(["--help"], ROOT);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Full scan or change-aware");
  });
});
