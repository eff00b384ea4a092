import type { ScanResult } from "../scan-result.js";

/** What a reporter may know about where its output goes. */
export interface ReportContext {
  /** Whether ANSI colours may be used (a TTY, and no NO_COLOR). */
  color: boolean;
  /** The absolute working directory, which the findings' paths are relative to (default: the process's). */
  cwd?: string;
  /**
   * The absolute root of the repository (`git rev-parse --show-toplevel`, else the working
   * directory), for formats whose paths must be relative to it: SARIF, GitHub annotations.
   */
  repoRoot?: string;
  /** The width to wrap human-readable text to: the terminal's, else 80. */
  width?: number;
  /** --verbose: details under every finding rather than once per policy. */
  verbose?: boolean;
}

/** One output format: `--format NAME`. */
export interface Reporter {
  name: string;
  /** One line for `--help`. */
  description: string;
  render(result: ScanResult, context: ReportContext): string;
  /**
   * The same text in pieces, for reports too large to hold as one string (an organization's live
   * audit): joined, they equal `render`'s result. Reporters without it are written whole.
   */
  pieces?(result: ScanResult, context: ReportContext): Iterable<string>;
  /** Whether the report names paths relative to the repository root (asking git for it costs a process). */
  usesRepositoryRoot?: boolean;
}

/** A reporter's text in pieces: its own `pieces`, else `render`'s one string. */
export function reportPieces(reporter: Reporter, result: ScanResult, context: ReportContext): Iterable<string> {
  return reporter.pieces ? reporter.pieces(result, context) : [reporter.render(result, context)];
}
