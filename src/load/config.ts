import { access } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Severity } from "../findings.js";
import { findPolicy, type PolicyInfo } from "../policy-info.js";
import type { ConfigUsed } from "../scan-result.js";
import { displayPath, type ExcludeRules } from "./discover.js";
import { readTextFile } from "./read.js";
import { parseJson } from "./terraform-syntax.js";
import { describeSchemaErrors, lazySchema } from "./validate.js";

export type { ConfigUsed } from "../scan-result.js";

/** The lowest severity that fails a run, or never. */
export type FailOn = Severity | "never";

/** `.keygate.json` as written. */
interface ConfigFile {
  policies?: Record<string, Severity | "off">;
  exclude?: string[];
  failOn?: FailOn;
  allowInlineSuppressions?: boolean;
  baseBranch?: string;
}

/** The settings of a run, after the config file is read and checked. */
export interface Settings {
  /** The config file used, if any (as shown in reports). */
  configFile: string | undefined;
  /** Severity per policy id; policies switched off are absent. */
  severities: Map<string, Severity>;
  exclude: ExcludeRules | undefined;
  failOn: FailOn;
  allowInlineSuppressions: boolean;
  /** `--staged` compares with where the branch left this branch (default: the remote's default branch, `origin/HEAD`). */
  baseBranch?: string;
}

/** A config that cannot be used: the run stops with exit 2. */
export class ConfigError extends Error {}

/** The file name looked for from the working directory upward. */
export const CONFIG_FILE_NAME = ".keygate.json";

const configSchema = lazySchema<ConfigFile>("config.schema.json");

/** Whether something exists at `path` (a file or a directory). */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds `.keygate.json` in `cwd` or the nearest parent directory up to the root of the repository
 * that holds `cwd` (the nearest directory with a `.git` entry); outside a repository, in `cwd`
 * only. A config above the repository (in a shared parent directory, a home directory) is never
 * used: it is nobody's decision for this repository.
 */
export async function findConfigFile(cwd: string): Promise<string | undefined> {
  const searched: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    searched.push(dir);
    if (await exists(join(dir, ".git"))) break;
    if (dirname(dir) === dir) {
      searched.splice(1);
      break;
    }
  }
  for (const dir of searched) if (await exists(join(dir, CONFIG_FILE_NAME))) return join(dir, CONFIG_FILE_NAME);
  return undefined;
}

/** The config a run used, for the reports (see ConfigUsed). */
export function configUsed(settings: Settings, policies: readonly PolicyInfo[]): ConfigUsed {
  return {
    file: settings.configFile,
    off: policies.filter((p) => !settings.severities.has(p.id)).map((p) => ({ id: p.id, alias: p.alias })),
  };
}

/** Reads and validates the config (explicit `--config`, else the nearest `.keygate.json`); none at all gives the defaults. */
export async function loadSettings(
  policies: readonly PolicyInfo[],
  cwd: string,
  explicitPath?: string,
): Promise<Settings> {
  const path = explicitPath ? resolve(cwd, explicitPath) : await findConfigFile(cwd);
  const defaults: Settings = {
    configFile: undefined,
    severities: new Map(policies.map((p) => [p.id, p.severity])),
    exclude: undefined,
    failOn: "error",
    allowInlineSuppressions: true,
  };
  if (!path) return defaults;
  const shown = displayPath(path, cwd);
  const read = await readTextFile(path);
  if (!read.ok)
    throw new ConfigError(`${shown}: ${read.message === "no such file" ? "config file not found" : read.message}`);
  // Comments are allowed, as in tsconfig.json and ESLint's JSON configs (keygate --init writes some).
  const parsed = parseJson(read.text, { comments: true });
  if (!parsed.ok) {
    const p = parsed.problems[0]!;
    throw new ConfigError(`${shown}:${p.line}:${p.column}: ${p.message}`);
  }
  const validate = configSchema();
  if (!validate(parsed.value)) throw new ConfigError(`${shown}: ${describeSchemaErrors(validate.errors).join("\n  ")}`);
  const config = parsed.value;
  const severities = new Map(defaults.severities);
  for (const [name, level] of Object.entries(config.policies ?? {})) {
    const policy = findPolicy(policies, name);
    if (!policy) {
      throw new ConfigError(
        `${shown}: Key "policies": Key "${name}": Unknown policy. Known policies: ${policies.map((p) => `${p.id} (${p.alias})`).join(", ")}.`,
      );
    }
    if (level === "off") severities.delete(policy.id);
    else severities.set(policy.id, level);
  }
  return {
    configFile: shown,
    severities,
    exclude: config.exclude?.length ? { base: dirname(path), patterns: config.exclude } : undefined,
    failOn: config.failOn ?? "error",
    allowInlineSuppressions: config.allowInlineSuppressions ?? true,
    ...(config.baseBranch !== undefined ? { baseBranch: config.baseBranch } : {}),
  };
}
