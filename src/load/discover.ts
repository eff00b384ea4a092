import { stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import type { InputError } from "../findings.js";
import { addScannedRoot } from "./file-kind.js";
import { gitFiles, TERRAFORM_EXTENSIONS } from "./git.js";

export { TERRAFORM_EXTENSIONS };

/** Directories that never hold configuration to scan. */
const ALWAYS_SKIPPED = ["**/.terraform/**", "**/.git/**", "**/node_modules/**"];

/** Config-file `exclude` globs, relative to the directory of the config file that declared them. */
export interface ExcludeRules {
  base: string;
  patterns: string[];
}

/** What discovery found: Terraform files to read and paths named explicitly. */
export interface Discovery {
  /** Absolute paths of Terraform files, sorted, without duplicates. */
  files: string[];
  /** Terraform files named explicitly on the command line (absolute). */
  namedFiles: string[];
  /** Explicitly named files (absolute) that are not Terraform sources, for other readers (plans). */
  otherFiles: string[];
  errors: InputError[];
}

/** Whether a file name ends like a Terraform or OpenTofu source file. */
export function isTerraformFile(path: string): boolean {
  return TERRAFORM_EXTENSIONS.some((ext) => path.endsWith(ext));
}

/** Builds a matcher for the config's `exclude` globs (none: never excludes). */
export function excludeMatcher(rules: ExcludeRules | undefined): (absolutePath: string) => boolean {
  if (!rules || rules.patterns.length === 0) return () => false;
  const match = picomatch(rules.patterns, { dot: true });
  return (path) => {
    const rel = relative(rules.base, path).split(sep).join("/");
    return !rel.startsWith("../") && match(rel);
  };
}

/**
 * Finds the Terraform files under the given paths. Directories are searched recursively,
 * honouring `.gitignore` (also parent ones up to the repository root) and skipping `.terraform/`,
 * `.git/` and `node_modules/`; named files are taken as given. A path that does not exist is an
 * error that names it.
 */
export async function discoverFiles(paths: readonly string[], cwd: string, exclude?: ExcludeRules): Promise<Discovery> {
  const isExcluded = excludeMatcher(exclude);
  const files = new Set<string>();
  const otherFiles = new Set<string>();
  const namedFiles = new Set<string>();
  const errors: InputError[] = [];
  for (const given of paths) {
    const absolute = isAbsolute(given) ? given : resolve(cwd, given);
    let kind: "file" | "dir";
    try {
      const info = await stat(absolute);
      kind = info.isDirectory() ? "dir" : "file";
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      errors.push({ file: displayPath(absolute, cwd), message: code === "ENOENT" ? `path does not exist: ${given}` : `cannot access ${given}: ${(error as Error).message}` });
      continue;
    }
    if (kind === "dir" && isTerraformFile(absolute)) {
      errors.push({ file: displayPath(absolute, cwd), message: `is a directory, not a Terraform file: name the file, or the directory to scan without its ${TERRAFORM_EXTENSIONS.find((e) => absolute.endsWith(e))} ending` });
      continue;
    }
    if (kind === "file") {
      if (isExcluded(absolute)) continue;
      addScannedRoot(dirname(absolute));
      if (isTerraformFile(absolute)) {
        files.add(absolute);
        namedFiles.add(absolute);
      } else otherFiles.add(absolute);
      continue;
    }
    addScannedRoot(absolute);
    // Git knows the files and .gitignore best (see git.ts); outside a work tree, globby walks the tree.
    const listed = await gitFiles(absolute);
    // Outside git as inside: symbolic links to files are listed (and checked when read, see
    // file-kind.ts), links to directories are not followed, and special files are listed to be refused.
    const found =
      listed ??
      (await (await import("globby")).globby(TERRAFORM_EXTENSIONS.map((ext) => `**/*${ext}`), {
        cwd: absolute,
        absolute: true,
        gitignore: true,
        dot: true,
        followSymbolicLinks: false,
        ignore: ALWAYS_SKIPPED,
        onlyFiles: false,
        objectMode: true,
      }))
        .filter((entry) => !entry.dirent.isDirectory())
        .map((entry) => resolve(entry.path));
    for (const file of found) if (!isExcluded(file)) files.add(file);
  }
  return { files: [...files].sort(), namedFiles: [...namedFiles].sort(), otherFiles: [...otherFiles].sort(), errors };
}

/** A path as reports show it: relative to the working directory, with `/` separators. */
export function displayPath(absolute: string, cwd: string): string {
  // The common case, a file below the working directory, without path.relative's normalising.
  if (absolute.startsWith(cwd) && absolute[cwd.length] === sep && !absolute.includes(`${sep}.`)) return absolute.slice(cwd.length + 1).split(sep).join("/");
  const rel = relative(cwd, absolute);
  const shown = rel === "" ? "." : rel;
  return shown.split(sep).join("/");
}

/** Groups files by the directory (module) they belong to. */
export function groupByDirectory(files: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    const dir = dirname(file);
    const group = groups.get(dir);
    if (group) group.push(file);
    else groups.set(dir, [file]);
  }
  return groups;
}
