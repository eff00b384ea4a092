import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";

/** The repository's root, where the built bin lives. */
export const ROOT = join(import.meta.dirname, "..", "..");

/** What a run of the built bin gave. */
export interface BinRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the built bin as users do (dist/bin.js, its own process), killed after `timeoutMs`: a hang is
 * a failure the test sees (signal SIGKILL), not a test that never ends.
 */
export function bin(
  args: string[],
  cwd: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; execArgv?: string[]; wrap?: string[] } = {},
): Promise<BinRun> {
  const started = Date.now();
  return new Promise((done) => {
    const command = [process.execPath, ...(options.execArgv ?? []), join(ROOT, "dist", "bin.js"), ...args];
    const [file, ...rest] = [...(options.wrap ?? []), ...command];
    execFile(
      file!,
      rest,
      {
        cwd,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        killSignal: "SIGKILL",
        maxBuffer: 1 << 28,
      },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        done({
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          ms: Date.now() - started,
        });
      },
    );
  });
}

/** A stack trace in a process's output: a line that starts with "at " after some indentation. */
export const STACK_TRACE = /\n\s+at [\w<.[]/;

/** Runs git in a directory with a fixed identity; nothing from a global config decides. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync(
    "git",
    [
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@example.com",
      "-c",
      "init.defaultBranch=main",
      "-c",
      "core.hooksPath=/dev/null",
      ...args,
    ],
    { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
}

/** A user and an access key for it: one KG001 finding. */
export const PAIR =
  'resource "aws_iam_user" "u" {\n  name = "u"\n}\n\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n';
