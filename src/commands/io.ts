import { readStandardInput } from "../load/read.js";

/** Where a command reads and writes; injectable so that tests run the CLI in-process. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal (colour is used only then). */
  stdoutIsTTY: boolean;
  /** The terminal's width, when stdout is a terminal (the text report is wrapped to it, else to 80). */
  stdoutColumns?: number;
  /** Whether stderr is a terminal (progress is drawn only then). */
  stderrIsTTY?: boolean;
  /** Today's date, `YYYY-MM-DD` (suppressions with `until=`). */
  today: string;
  /** Reads standard input to its end (a plan given as "-"). */
  readStdin: () => Promise<Uint8Array>;
}

/** Exit codes, ESLint's convention. */
export const EXIT = { ok: 0, findings: 1, incomplete: 2 } as const;

/**
 * A one-line progress display on a terminal's stderr, redrawn at most ten times a second and
 * cleared at the end; on anything but a terminal it draws nothing.
 */
export function progressLine(io: CliIO): { draw: (text: string, final?: boolean) => void; clear: () => void } {
  let last = 0;
  let drawn = false;
  return {
    draw(text, final = false) {
      if (!io.stderrIsTTY) return;
      const now = Date.now();
      if (now - last < 100 && !final) return;
      last = now;
      drawn = true;
      io.stderr(`\r\x1b[2K${text}`);
    },
    clear() {
      if (drawn) io.stderr("\r\x1b[2K");
    },
  };
}

/**
 * A process stream written so that a failed write is a message, never a stack trace: a closed
 * pipe (`keygate … | head -1`, EPIPE) ends the output quietly and leaves the exit code as the run
 * decides it; any other error (a full disk, ENOSPC) is one line on stderr and exit code 2.
 */
function guardedWrite(stream: NodeJS.WriteStream, name: string): (text: string) => void {
  let failed = false;
  const fail = (error: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    if (error.code === "EPIPE" || name === "stderr") return;
    process.exitCode = EXIT.incomplete;
    writeFailure = true;
    try {
      process.stderr.write(
        `keygate: cannot write the report to ${name}: ${error.code ? `${error.code} ` : ""}${error.message.replace(/^\w+: /, "")}\n`,
      );
    } catch {
      // stderr is gone too: the exit code says it
    }
  };
  stream.on("error", fail);
  return (text) => {
    if (failed) return;
    try {
      stream.write(text);
    } catch (error) {
      fail(error as NodeJS.ErrnoException);
    }
  };
}

/** Whether writing stdout failed for another reason than a closed pipe (the bin then exits 2). */
let writeFailure = false;

/** The exit code once the output is written: the run's, unless writing it failed (see guardedWrite). */
export function finalExitCode(code: number): number {
  return writeFailure ? EXIT.incomplete : code;
}

/** The real process's streams and environment. */
export function processIO(): CliIO {
  return {
    stdout: guardedWrite(process.stdout, "stdout"),
    stderr: guardedWrite(process.stderr, "stderr"),
    cwd: process.cwd(),
    env: process.env,
    // isTTY is undefined, not false, on a pipe or a file, whatever its type says.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    ...(process.stdout.isTTY && process.stdout.columns ? { stdoutColumns: process.stdout.columns } : {}),
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion
    stderrIsTTY: Boolean(process.stderr.isTTY),
    today: new Date().toISOString().slice(0, 10),
    readStdin: readStandardInput,
  };
}
