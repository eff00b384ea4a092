// What keygate asks git, which knows a work tree best and fastest: the Terraform files to scan
// (discover.ts), and which of them are unchanged, by content hash (the cache, see loader.ts). Both
// can be asked before the CLI loads (see early.ts).
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { resolve, sep } from "node:path";

/** File name endings keygate reads as Terraform/OpenTofu configuration (discover.ts re-exports them). */
export const TERRAFORM_EXTENSIONS = [".tf", ".tf.json", ".tofu", ".tofu.json"] as const;

/** `git ls-files` as discovery runs it: tracked (H…), untracked (?) and deleted from the work tree (R), tagged by -t. */
const LISTING_ARGS = ["-c", "core.quotePath=false", "ls-files", "-z", "-t", "--cached", "--others", "--deleted", "--exclude-standard", "--", ...TERRAFORM_EXTENSIONS.map((ext) => `*${ext}`)];

/** Where the bin leaves the listing it asked git for before loading the CLI (shared by every copy of this module). */
const EARLY_LISTING = Symbol.for("keygate.gitListing");

/**
 * Asks git for the listing of `dir` now, for a scan of it that will want it: the bin calls this
 * before it loads the CLI, so that git runs on the other core meanwhile.
 */
export function listWithGitEarly(dir: string): void {
  const listing = new Promise<string | null>((done) => {
    execFile("git", LISTING_ARGS, { cwd: dir, encoding: "utf8", maxBuffer: 1 << 30 }, (error, stdout) => done(error ? null : stdout));
  });
  (globalThis as { [EARLY_LISTING]?: { dir: string; listing: Promise<string | null> } })[EARLY_LISTING] = { dir, listing };
}

/**
 * `git ls-files` of the Terraform files under `dir` (see discover.ts), raw: the answer asked for
 * early, if it was for this directory (used once: a later scan must see the tree as it is then),
 * else asked now. Null outside a work tree or without git.
 */
export async function gitListingOutput(dir: string): Promise<string | null> {
  const global = globalThis as { [EARLY_LISTING]?: { dir: string; listing: Promise<string | null> } };
  const early = global[EARLY_LISTING];
  if (early?.dir === dir) {
    delete global[EARLY_LISTING];
    return early.listing;
  }
  try {
    return execFileSync("git", LISTING_ARGS, { cwd: dir, encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
}

/**
 * Git's object id of a file's content (`git hash-object`): a content hash that git has already
 * computed for every tracked file. Computed here from the text as read, so that a file whose bytes
 * differ from its index entry (line-ending or other filters, a byte-order mark) never matches it.
 */
export function blobIdOf(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\u0000`).update(bytes).digest("hex");
}

/**
 * The object ids of the tracked files under `dir` (absolute paths) whose working-tree content is
 * what the index holds, as git sees it: `git ls-files -s` for the ids, `git diff` (index against
 * working tree, which rechecks files whose metadata changed) for the files that differ. Files
 * git is told not to look at (assume-unchanged, skip-worktree), symbolic links and submodules are
 * left out, like untracked ones. Undefined outside a work tree or without git.
 */
export function unchangedBlobIds(dir: string): Promise<Map<string, string> | undefined> {
  const global = globalThis as { [EARLY_KEY]?: { dir: string; ids: Promise<Map<string, string> | undefined> } };
  const early = global[EARLY_KEY];
  if (early?.dir !== dir) return askGit(dir);
  // Used once: a later scan in the same process must see the tree as it is then.
  delete global[EARLY_KEY];
  return early.ids;
}

/** Where the bin leaves the answer it asked for before loading the CLI (shared by every copy of this module). */
const EARLY_KEY = Symbol.for("keygate.unchangedBlobIds");

/**
 * Asks git now, for a scan of `dir` that will want the answer: the bin calls this before it loads
 * the CLI, so that git works on the other core meanwhile instead of beside discovery.
 */
export function askGitEarly(dir: string): void {
  (globalThis as { [EARLY_KEY]?: { dir: string; ids: Promise<Map<string, string> | undefined> } })[EARLY_KEY] = { dir, ids: askGit(dir) };
}

async function askGit(dir: string): Promise<Map<string, string> | undefined> {
  const git = (args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile("git", ["-c", "core.quotePath=false", ...args], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 30 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
  try {
    // Both at once: they are separate processes.
    const [changed, staged] = await Promise.all([git(["diff", "--no-ext-diff", "--name-only", "--relative", "-z"]), git(["ls-files", "-s", "-v", "-z"])]);
    const modified = new Set(changed.split("\0"));
    const ids = new Map<string, string>();
    const base = sep === "/" ? (dir.endsWith("/") ? dir : `${dir}/`) : undefined;
    // "H 100644 <id> 0\t<path>": a cached file (lowercase: assume-unchanged, S: skip-worktree), stage 0.
    for (const entry of staged.split("\0")) {
      const match = /^H 10(?:0644|0755) ([0-9a-f]{40,64}) 0\t(.+)$/s.exec(entry);
      if (!match || modified.has(match[2]!)) continue;
      ids.set(base ? base + match[2]! : resolve(dir, match[2]!), match[1]!);
    }
    return ids;
  } catch {
    return undefined;
  }
}
