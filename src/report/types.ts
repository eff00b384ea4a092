import type { ScanResult } from "../scan.js";

/** What a reporter may know about where its output goes. */
export interface ReportContext {
  /** Whether ANSI colours may be used (a TTY, and no NO_COLOR). */
  color: boolean;
}

/** One output format: `--format NAME`. */
export interface Reporter {
  name: string;
  /** One line for `--help`. */
  description: string;
  render(result: ScanResult, context: ReportContext): string;
}
