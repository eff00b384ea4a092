import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run, type CliIO } from "../../src/cli.js";
import { startEarlyWork } from "../../src/early.js";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import { scan, type ScanResult } from "../../src/scan.js";
import { checkPrintedReport } from "./report-schemas.js";

/** A fixed "today" so that suppressions with `until=` behave the same every day. */
export const TODAY = "2026-11-23";

/** Writes files (path → content) into a fresh temporary directory and returns it. */
export async function writeTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "keygate-test-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** Scans a tree of files with the default settings (or a config file among them). */
export async function scanTree(
  files: Record<string, string>,
  paths: string[] = ["."],
): Promise<ScanResult & { root: string }> {
  const root = await writeTree(files);
  const policies = loadPolicies();
  const settings = await loadSettings(policies, root);
  return { ...(await scan({ paths, cwd: root, settings, policies, today: TODAY })), root };
}

/**
 * Runs the CLI in-process and captures what it prints; `asBin`: as the bin runs it, with what its
 * early file starts before the CLI loads (see src/early.ts and src/bin.ts).
 */
export async function runCli(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  stdin: Uint8Array = new Uint8Array(),
  { asBin = false }: { asBin?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd,
    // The parse cache goes to a directory of the test run's own, never the user's.
    env: {
      XDG_CACHE_HOME: join(tmpdir(), `keygate-test-cache-${process.pid}`),
      XDG_STATE_HOME: join(tmpdir(), `keygate-test-state-${process.pid}`),
      ...env,
    },
    stdoutIsTTY: false,
    today: TODAY,
    readStdin: async () => new Uint8Array(stdin),
  };
  const code = await run(argv, io, asBin ? startEarlyWork(argv, cwd) : undefined);
  // Every JSON report a test sees is checked against its published schema.
  checkPrintedReport(stdout);
  return { code, stdout, stderr };
}

/** The addresses of the unsuppressed findings, sorted. */
export function flagged(result: ScanResult): string[] {
  return result.findings
    .filter((f) => !f.suppressed)
    .map((f) => f.resource)
    .sort();
}
