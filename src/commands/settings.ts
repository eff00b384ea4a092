import { isAbsolute, posix, relative, sep } from "node:path";
import type { Severity } from "../findings.js";
import type { Settings } from "../load/config.js";
import { findPolicy, type Policy } from "../policies/catalog.js";
import { UsageError } from "./usage.js";

/** What the command line adds to the config: `--exclude GLOB` and `--policy ID=LEVEL`, repeatable. */
export interface SettingsArgs {
  exclude?: string[];
  policy?: string[];
}

const LEVELS = ["error", "warning", "info", "off"] as const;

/** `--policy ID=LEVEL` split, or a usage error. Checked by the CLI before any work (the id against the policies later). */
export function parsePolicyArg(value: string): { name: string; level: Severity | "off" } {
  const eq = value.indexOf("=");
  const level = value.slice(eq + 1);
  if (eq <= 0 || !(LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(
      `--policy ${value}: not ID=LEVEL`,
      `Write --policy KG001=off, or a severity: --policy KG001=warning (levels: ${LEVELS.join(", ")}).`,
    );
  }
  return { name: value.slice(0, eq), level: level as Severity | "off" };
}

/** Checks an `--exclude` glob: an empty one names no file (the config's schema refuses it too). */
export function checkExcludeArg(glob: string): void {
  if (glob === "")
    throw new UsageError(
      "--exclude '': an empty glob, which names no file",
      "Give a glob of files not to scan, relative to the working directory: --exclude 'modules/legacy/**'.",
    );
}

/**
 * The config's settings with the command line's on top: `--policy` sets a policy's severity (or
 * switches it off) over the config's; `--exclude` adds globs, relative to the working directory, to
 * the config's (relative to its own directory).
 */
export function withCommandLine(
  settings: Settings,
  policies: readonly Policy[],
  args: SettingsArgs,
  cwd: string,
): Settings {
  const severities = new Map(settings.severities);
  for (const value of args.policy ?? []) {
    const { name, level } = parsePolicyArg(value);
    const policy = findPolicy(policies, name);
    if (!policy)
      throw new UsageError(
        `--policy ${value}: unknown policy "${name}"`,
        `Known policies: ${policies.map((p) => `${p.id} (${p.alias})`).join(", ")}.`,
      );
    if (level === "off") severities.delete(policy.id);
    else severities.set(policy.id, level);
  }
  let exclude = settings.exclude;
  const globs = args.exclude ?? [];
  if (globs.length) {
    if (!exclude) exclude = { base: cwd, patterns: globs };
    else {
      // One base for all patterns: the command line's are rebased onto the config's directory.
      const from = relative(exclude.base, cwd);
      if (from.startsWith("..") || isAbsolute(from)) {
        throw new UsageError(
          `--exclude: the working directory lies outside ${exclude.base}, the directory of the config's exclude patterns`,
          "Run keygate from the config's directory or below it, or put the patterns in the config.",
        );
      }
      const prefix = from.split(sep).join("/");
      const rebased = globs.map((g) =>
        g.startsWith("!") ? `!${posix.join(prefix, g.slice(1))}` : posix.join(prefix, g),
      );
      exclude = { base: exclude.base, patterns: [...exclude.patterns, ...rebased] };
    }
  }
  return { ...settings, severities, exclude };
}

/** The resolved configuration, as `--print-config` shows it: the config file's keys, with the command line applied. */
export function printableConfig(settings: Settings, policies: readonly Policy[], failOn: string, cwd: string): object {
  return {
    configFile: settings.configFile ?? null,
    policies: Object.fromEntries(policies.map((p) => [p.id, settings.severities.get(p.id) ?? "off"])),
    exclude: settings.exclude?.patterns ?? [],
    excludeRelativeTo: settings.exclude ? relative(cwd, settings.exclude.base).split(sep).join("/") || "." : ".",
    failOn,
    allowInlineSuppressions: settings.allowInlineSuppressions,
  };
}
