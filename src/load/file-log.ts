/**
 * What became of one input file in a scan, for `--debug`: read (parsed, and how), skipped by the
 * prefilter, taken from the cache, or refused, and why.
 */
export interface FileLogEntry {
  /** The file as reports show it (relative to the working directory). */
  file: string;
  status: "read" | "skipped" | "cached" | "refused" | "plan";
  why: string;
}

/** `keygate: debug: read     main.tf: parsed by keygate's parser`, one line per file, aligned. */
export function fileLogLines(entries: readonly FileLogEntry[], label = ""): string[] {
  return entries.map((e) => `keygate: debug: ${label}${e.status.padEnd(8)} ${e.file}: ${e.why}`);
}
