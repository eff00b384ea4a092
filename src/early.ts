import { askGitEarly } from "./load/git.js";

/**
 * What a run starts before the CLI is loaded, so that it proceeds on another core meanwhile: for a
 * scan of the working directory, git's listing of its files, which also says which are unchanged
 * (see load/git.ts). It is used only by a scan of that very directory; a guess that turns out
 * wrong costs a git process, never a result.
 */
export function startEarlyWork(argv: readonly string[], cwd: string): void {
  if (["live", "policies"].includes(argv[0] ?? "") || argv.some((a) => /^(-h|--help|-v|--version|--base|--staged)$/.test(a) || a.startsWith("--base="))) return;
  // Paths named on the command line (a token after an option may be that option's value: never mind).
  const paths = argv.filter((a, i) => !a.startsWith("-") && !/^(-[a-zA-Z]|--[\w-]+)$/.test(argv[i - 1] ?? "") && !(i === 0 && a === "scan"));
  // The object ids are for the cache (see load/loader.ts), which the prefilter's facts are about.
  if (paths.length === 0 || paths.every((p) => p === "." || p === "./")) askGitEarly(cwd, { withIds: !argv.some((a) => /^(--no-cache|--no-prefilter)$/.test(a)) });
}
