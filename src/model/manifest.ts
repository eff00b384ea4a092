import { lstatSync } from "node:fs";
import { join, resolve } from "node:path";
import type { InputError } from "../findings.js";
import { displayPath } from "../load/discover.js";
import { readTextFile } from "../load/read.js";
import { workingTree, type SourceTree } from "../load/tree.js";
import { canonicalSource } from "./module-sources.js";

/** One module `terraform init` (or `tofu init`) installed. */
export interface InstalledModule {
  /** The call path from the root: `iam_user`, `team.iam_user` for a call inside module "team". */
  key: string;
  /** The source as installed (`registry.terraform.io/terraform-aws-modules/iam/aws//modules/iam-user`). */
  source: string;
  /** The exact version installed (registry modules). */
  version: string | undefined;
  /** Absolute directory of the installed module's code. */
  dir: string;
}

/** The modules installed for one root module, by key. */
export type ModuleManifest = Map<string, InstalledModule>;

/** Where Terraform records them, relative to the root module. */
export const MANIFEST_PATH = join(".terraform", "modules", "modules.json");

/**
 * Reads `.terraform/modules/modules.json` of a root module. Absent is normal (not initialised, or a
 * git snapshot): calls then fall back to the module catalog. Malformed JSON is an input error, as
 * for any file keygate cannot read (a gate fails closed).
 */
export async function readModuleManifest(
  rootDir: string,
  tree: SourceTree,
  cwd: string,
): Promise<{ manifest: ModuleManifest | undefined; errors: InputError[] }> {
  const path = join(rootDir, MANIFEST_PATH);
  // Absent in the working tree, as it is for most roots: known without a failed open (a thousand roots'
  // failures, each an exception with its stack, add up). Any other case is read as before.
  if (tree === workingTree && !existsNow(path)) return { manifest: undefined, errors: [] };
  const read = await readTextFile(path, tree);
  if (!read.ok) return { manifest: undefined, errors: [] };
  let data: unknown;
  try {
    data = JSON.parse(read.text);
  } catch (error) {
    return {
      manifest: undefined,
      errors: [
        {
          file: displayPath(path, cwd),
          message: `not valid JSON (${(error as Error).message}); run \`terraform init\` again, or delete .terraform/ to scan with the module catalog only`,
        },
      ],
    };
  }
  const manifest: ModuleManifest = new Map();
  const modules = data !== null && typeof data === "object" ? (data as { Modules?: unknown }).Modules : undefined;
  if (!Array.isArray(modules)) return { manifest, errors: [] };
  for (const item of modules as unknown[]) {
    if (item === null || typeof item !== "object") continue;
    const entry = item as Record<string, unknown>;
    const key = typeof entry.Key === "string" ? entry.Key : undefined;
    const dir = typeof entry.Dir === "string" ? entry.Dir : undefined;
    // The root itself has the empty key.
    if (!key || !dir) continue;
    manifest.set(key, {
      key,
      source: typeof entry.Source === "string" ? entry.Source : "",
      version: typeof entry.Version === "string" && entry.Version ? entry.Version : undefined,
      dir: resolve(rootDir, dir),
    });
  }
  return { manifest, errors: [] };
}

/**
 * The installed module for a call, when the manifest has one for its key and the same source:
 * a call whose source changed since `terraform init` is not what was installed (Terraform itself
 * would ask for `init` again).
 */
export function installedModule(
  manifest: ModuleManifest | undefined,
  key: string,
  source: string | undefined,
): InstalledModule | undefined {
  const installed = manifest?.get(key);
  if (!installed || source === undefined) return undefined;
  return canonicalSource(installed.source) === canonicalSource(source) ? installed : undefined;
}

/** Whether a path names anything (a link included) in the working tree: false only when it, or a directory on the way, is absent. */
function existsNow(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    // Not a directory on the way, or not readable: the read says what it says.
    return true;
  }
}
