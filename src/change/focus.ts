import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { InputError } from "../findings.js";
import { displayPath, isTerraformFile } from "../load/discover.js";
import type { ChangeSet } from "./change-set.js";

/**
 * What a change-aware scan reports on. Directories are scanned as in a full scan. Files — as
 * pre-commit passes the staged ones — stand for the configurations they belong to: the root modules
 * that contain or call their directory, found in the whole repository, so that a key in a changed
 * file is still linked to a user in an unchanged one.
 */
export type Focus =
  | { kind: "directories"; paths: string[]; errors: InputError[] }
  | {
      kind: "files";
      /** Directories of the files named. */
      dirs: Set<string>;
      /** Directories named beside them (everything below them is in focus). */
      trees: string[];
      errors: InputError[];
    };

const PLAN_REFUSED =
  "--base and --staged compare Terraform sources (.tf, .tf.json, .tofu, .tofu.json, .tfvars); a plan already says what is new: scan it without them";

/** Variable files change a configuration as much as its sources do. */
const VARIABLE_FILE = /\.tfvars(\.json)?$/;

/** Sorts the command line's paths into directories to scan, or files whose configurations to scan. */
export async function focusOf(paths: readonly string[], cwd: string, change: ChangeSet): Promise<Focus> {
  const errors: InputError[] = [];
  for (const stdin of paths.filter((p) => p === "-")) errors.push({ file: stdin, message: PLAN_REFUSED });
  const kinds = await Promise.all(
    paths
      .filter((p) => p !== "-")
      .map(async (given) => {
        const absolute = resolve(cwd, given);
        // A file deleted in the change still names the configuration it was part of.
        return { given, absolute, kind: (await change.afterKind(absolute)) ?? change.before.kind(absolute) };
      }),
  );
  if (!kinds.some((k) => k.kind === "file")) return { kind: "directories", paths: kinds.map((k) => k.given), errors };
  const dirs = new Set<string>();
  const trees: string[] = [];
  for (const { given, absolute, kind } of kinds) {
    const file = displayPath(absolute, cwd);
    if (kind === "dir") trees.push(absolute);
    else if (kind === undefined)
      errors.push({
        file,
        message: `path exists neither in ${change.afterLabel} nor in ${change.before.label}: ${given}`,
      });
    else if (isTerraformFile(absolute) || VARIABLE_FILE.test(absolute)) dirs.add(dirname(absolute));
    else errors.push({ file, message: `not a Terraform file: ${PLAN_REFUSED}` });
  }
  return { kind: "files", dirs, trees, errors };
}

/** Whether a configuration (the directories of its modules) is one the focus reports on. */
export function inFocus(dirs: ReadonlySet<string>, focus: Focus): boolean {
  if (focus.kind === "directories") return true;
  return [...dirs].some((dir) => focus.dirs.has(dir) || focus.trees.some((tree) => isWithin(dir, tree)));
}

/** Whether `path` is `dir` or below it. */
export function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}
