import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** keygate's repository: the root of this working tree. */
export const PACKAGE_ROOT = join(import.meta.dirname, "..", "..");

/**
 * A copy of the repository as a clone of it would be, with the working tree's changes: every file
 * git lists (tracked, and untracked but not ignored), so no node_modules/ and no dist/. What the
 * GitHub runner checks out for an action, and what pre-commit clones for a hook.
 */
export function snapshotRepository(into: string = mkdtempSync(join(tmpdir(), "keygate-repo-"))): string {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: PACKAGE_ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    // A file deleted in the working tree is still listed as cached.
    if (!existsSync(join(PACKAGE_ROOT, file))) continue;
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(PACKAGE_ROOT, file), join(into, file));
  }
  return into;
}
