import { askGitEarly } from "./load/git.js";

/**
 * What a run starts before the CLI is loaded, so that it proceeds on another core meanwhile: for a
 * scan of the working directory, git's listing of its files, which also says which are unchanged
 * (see load/git.ts). It is used only by a scan of that very directory; a guess that turns out
 * wrong costs a git process, never a result.
 */
export function startEarlyWork(argv: readonly string[], cwd: string): void {
  if (
    ["live", "policies"].includes(argv[0] ?? "") ||
    argv.some((a) => /^(-h|--help|-v|--version|--base|--staged)$/.test(a) || a.startsWith("--base="))
  )
    return;
  // A command line that may be a usage error does nothing before it is checked.
  if (!onlyCommonOptions(argv)) return;
  // Paths named on the command line (a token after an option may be that option's value: never mind).
  const paths = argv.filter(
    (a, i) => !a.startsWith("-") && !/^(-[a-zA-Z]|--[\w-]+)$/.test(argv[i - 1] ?? "") && !(i === 0 && a === "scan"),
  );
  // The object ids are for the cache (see load/loader.ts), which the prefilter's facts are about.
  if (paths.length === 0 || paths.every((p) => p === "." || p === "./"))
    askGitEarly(cwd, { withIds: !argv.some((a) => /^(--no-cache|--no-prefilter)$/.test(a)) });
}

/** The report formats the early start accepts (a subset of the CLI's: a test holds them to it). */
export const EARLY_FORMATS: readonly string[] = [
  "text",
  "compact",
  "json",
  "sarif",
  "junit",
  "github",
  "gitlab",
  "markdown",
];

/** Options of a scan that take a value, and the values allowed where only some are. */
const VALUE_OPTIONS: Readonly<Record<string, readonly string[] | undefined>> = {
  "-f": EARLY_FORMATS,
  "--format": EARLY_FORMATS,
  "--fail-on": ["error", "warning", "info", "never"],
  "-o": undefined,
  "--output": undefined,
  "-c": undefined,
  "--config": undefined,
  "--baseline": undefined,
  "--write-baseline": undefined,
  "--cache-location": undefined,
  "--var": undefined,
  "--var-file": undefined,
  "--exclude": undefined,
};
const FLAGS = new Set(["--no-cache", "--no-prefilter", "--color", "--no-color", "--verbose", "--quiet", "-q"]);

/**
 * Whether every option on the command line is a common scan option with an acceptable value, so
 * that the command line is most likely valid. Anything else (a misspelt or rarer option) waits for
 * the CLI's checks: a usage error must not have started any work.
 */
export function onlyCommonOptions(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") return true;
    if (!token.startsWith("-") || token === "-") continue;
    if (FLAGS.has(token)) continue;
    const eq = token.indexOf("=");
    const name = token.startsWith("--") && eq > 0 ? token.slice(0, eq) : token;
    if (!(name in VALUE_OPTIONS)) return false;
    const value = eq > 0 && token.startsWith("--") ? token.slice(eq + 1) : argv[++i];
    if (value === undefined || value.startsWith("-")) return false;
    const allowed = VALUE_OPTIONS[name];
    if (allowed && !allowed.includes(value)) return false;
    // -o sarif names a format where a file belongs: a usage error.
    if ((name === "-o" || name === "--output") && EARLY_FORMATS.includes(value)) return false;
  }
  return true;
}
