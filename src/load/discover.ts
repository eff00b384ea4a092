import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { InputError } from "../findings.js";
import { addScannedRoot, repositoryRootOf } from "./file-kind.js";
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

/**
 * Builds a matcher for the config's `exclude` globs (none: never excludes). picomatch is loaded only
 * for globs to match: setting it up costs every run that has none a millisecond or two.
 */
export async function excludeMatcher(rules: ExcludeRules | undefined): Promise<(absolutePath: string) => boolean> {
  if (!rules || rules.patterns.length === 0) return () => false;
  const { default: picomatch } = await import("picomatch");
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
  const isExcluded = await excludeMatcher(exclude);
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
      errors.push({
        file: displayPath(absolute, cwd),
        message:
          code === "ENOENT" ? `path does not exist: ${given}` : `cannot access ${given}: ${(error as Error).message}`,
      });
      continue;
    }
    if (kind === "dir" && isTerraformFile(absolute)) {
      errors.push({
        file: displayPath(absolute, cwd),
        message: `is a directory, not a Terraform file: name the file, or the directory to scan without its ${TERRAFORM_EXTENSIONS.find((e) => absolute.endsWith(e))} ending`,
      });
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
    const found = await listTree(absolute, isExcluded, cwd, errors);
    for (const file of found) if (!isExcluded(file)) files.add(file);
  }
  return { files: [...files].sort(), namedFiles: [...namedFiles].sort(), otherFiles: [...otherFiles].sort(), errors };
}

/**
 * The Terraform files under a directory: git's listing in a work tree (and the files of its
 * checked-out submodules, which git lists as one entry), else a walk. A directory that cannot be
 * read, and a submodule that is not checked out, are input errors: their files are not scanned,
 * and the run must not pass as if they had been.
 */
async function listTree(
  dir: string,
  isExcluded: (path: string) => boolean,
  cwd: string,
  errors: InputError[],
): Promise<string[]> {
  const unreadable = (path: string) =>
    errors.push({
      file: displayPath(path, cwd),
      message:
        "this directory cannot be read (permission denied): its Terraform files are not scanned. Make it readable, or exclude it in .keygate.json",
    });
  const listed = await gitFiles(dir);
  if (listed) {
    listed.unreadable.forEach(unreadable);
    const found = [...listed.files];
    for (const submodule of submodulesUnder(dir)) {
      if (isExcluded(join(submodule, "main.tf"))) continue;
      if (!existsSync(join(submodule, ".git"))) {
        errors.push({
          file: displayPath(submodule, cwd),
          message:
            "a git submodule that is not checked out: its Terraform files are not scanned. Run `git submodule update --init`, or exclude it in .keygate.json",
        });
        continue;
      }
      found.push(...(await listTree(submodule, isExcluded, cwd, errors)));
    }
    return found;
  }
  // Outside git as inside: symbolic links to files are listed (and checked when read, see
  // file-kind.ts), links to directories are not followed, and special files are listed to be refused.
  const entries = await (
    await import("globby")
  ).globby([...TERRAFORM_EXTENSIONS.map((ext) => `**/*${ext}`), "**/"], {
    cwd: dir,
    absolute: true,
    gitignore: true,
    dot: true,
    followSymbolicLinks: false,
    ignore: ALWAYS_SKIPPED,
    onlyFiles: false,
    objectMode: true,
    // An unreadable directory is reported below, and the walk goes on without it.
    suppressErrors: true,
  });
  const files: string[] = [];
  for (const entry of entries) {
    const path = resolve(entry.path);
    if (!entry.dirent.isDirectory()) {
      if (isTerraformFile(path)) files.push(path);
      continue;
    }
    try {
      accessSync(path, constants.R_OK | constants.X_OK);
    } catch {
      if (!isExcluded(join(path, "main.tf"))) unreadable(path);
    }
  }
  return files;
}

/** The submodules under a directory, as the repository's .gitmodules lists them (absolute paths). */
export function submodulesUnder(dir: string): string[] {
  const root = repositoryRootOf(dir);
  if (!root) return [];
  let text: string;
  try {
    text = readFileSync(join(root, ".gitmodules"), "utf8");
  } catch {
    return [];
  }
  const paths = [...text.matchAll(/^\s*path\s*=\s*(.+?)\s*$/gm)].map((m) => resolve(root, m[1]!));
  return paths.filter((path) => path !== dir && path.startsWith(dir.endsWith(sep) ? dir : dir + sep));
}

/** A path segment that starts with a dot (`.terraform`, `..`): such paths take path.relative's way. */
const DOT_SEGMENT = `${sep}.`;

/** A path as reports show it: relative to the working directory, with `/` separators. */
export function displayPath(absolute: string, cwd: string): string {
  // The common case, a file below the working directory, without path.relative's normalising (and,
  // where the separator is already `/`, without splitting: every file of a repository comes here).
  if (absolute.startsWith(cwd) && absolute[cwd.length] === sep && !absolute.includes(DOT_SEGMENT)) {
    const below = absolute.slice(cwd.length + 1);
    return sep === "/" ? below : below.split(sep).join("/");
  }
  const rel = relative(cwd, absolute);
  const shown = rel === "" ? "." : rel;
  return shown.split(sep).join("/");
}

/** Groups files by the directory (module) they belong to. */
export function groupByDirectory(files: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    // dirname, for normalised absolute paths (discovery's), without its checks: a repository has tens of thousands of files.
    const cut = file.lastIndexOf(sep);
    const dir = cut > 0 ? file.slice(0, cut) : dirname(file);
    const group = groups.get(dir);
    if (group) group.push(file);
    else groups.set(dir, [file]);
  }
  return groups;
}
