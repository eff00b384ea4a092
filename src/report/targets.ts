import { execFileSync } from "node:child_process";
import { SAFE_GIT_OPTIONS } from "../load/git.js";
import { realpathSync } from "node:fs";
import { resolve } from "node:path";

/** One report to produce: a format, and the file it goes to (undefined: standard output). */
export interface ReportTarget {
  format: string;
  file: string | undefined;
}

/** A `-f`/`-o` combination that cannot be carried out; the CLI reports it as a usage error (exit 2). */
export class TargetError extends Error {
  constructor(
    message: string,
    /** What to write instead, when there is more to say than the message does. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * Pairs the formats (`-f`, repeatable) with the outputs (`-o`, repeatable) in the manner of Spectral
 * and Checkov: `-o FORMAT=FILE` sends one format to a file (and asks for that format, if `-f` did
 * not); a plain `-o FILE` is allowed when exactly one format is asked for; every format without an
 * output goes to standard output, and at most one may. With no `-f` at all, text is shown on
 * standard output besides the files named with `-o FORMAT=FILE`.
 */
export function planReportTargets(
  formats: readonly string[],
  outputs: readonly string[],
  known: readonly string[],
  defaultFormat: string,
): ReportTarget[] {
  const asked = [...new Set(formats)];
  const toFiles: ReportTarget[] = [];
  const plain: string[] = [];
  for (const output of outputs) {
    const eq = output.indexOf("=");
    const format = eq > 0 ? output.slice(0, eq) : undefined;
    if (format !== undefined && known.includes(format)) {
      const file = output.slice(eq + 1);
      if (!file) throw new TargetError(`-o ${output}: no file after "="; write -o ${format}=FILE`);
      toFiles.push({ format, file });
    } else if (format !== undefined && /^[a-z][a-z0-9-]*$/i.test(format)) {
      // Most likely a misspelt format; a file whose name has "=" in it can be given as ./NAME.
      throw new TargetError(
        `-o ${output}: unknown format "${format}"; formats: ${known.join(", ")} (for a file named so, write -o ./${output})`,
      );
    } else if (known.includes(output)) {
      // Checkov's habit (-o sarif): a format, not a file named after it.
      throw new TargetError(
        `-o ${output}: "${output}" is a format, not a file`,
        `Write -f ${output} for ${output} on standard output, or -o ${output}=FILE to write it to a file (for a file named "${output}", write -o ./${output}).`,
      );
    } else plain.push(output);
  }
  if (plain.length) {
    const candidates = asked.length ? asked : [defaultFormat];
    if (plain.length > 1 || candidates.length > 1 || toFiles.length) {
      throw new TargetError(
        `-o ${plain[0]}: with several formats or outputs, say which format goes where: -o FORMAT=FILE (e.g. -o sarif=keygate.sarif); formats: ${known.join(", ")}`,
      );
    }
    return [{ format: candidates[0]!, file: plain[0] }];
  }
  const withFile = new Set(toFiles.map((t) => t.format));
  const toStdout = asked.length ? asked.filter((f) => !withFile.has(f)) : [defaultFormat];
  if (toStdout.length > 1) {
    throw new TargetError(
      `only one format can go to standard output, but ${toStdout.join(" and ")} would; send the others to files with -o FORMAT=FILE`,
    );
  }
  const files = new Map<string, ReportTarget>();
  for (const t of toFiles) {
    const path = resolve(t.file!);
    const other = files.get(path);
    if (other !== undefined && other.format !== t.format)
      throw new TargetError(
        `-o ${other.format}=${other.file} and -o ${t.format}=${t.file} write to the same file`,
        "Name a different file for each output.",
      );
    files.set(path, t);
  }
  return [...toStdout.map((format) => ({ format, file: undefined })), ...toFiles];
}

/**
 * The root of the git repository holding `cwd` (`git rev-parse --show-toplevel`), or `cwd` itself
 * when it is not in a repository or git is not installed. SARIF and GitHub annotations give paths
 * relative to it. Both are returned as real paths, so that relative paths between them are right
 * even where the working directory is reached through a symbolic link.
 */
export function repositoryRoot(cwd: string): { root: string; cwd: string } {
  const real = realPath(cwd);
  try {
    const top = execFileSync("git", [...SAFE_GIT_OPTIONS, "rev-parse", "--show-toplevel"], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 10_000,
    }).trim();
    if (top) return { root: realPath(top), cwd: real };
  } catch {
    // Not a repository, or no git: the working directory is the root.
  }
  return { root: real, cwd: real };
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
