import { readdirSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { linkTargetInside, readRegularFile, RefusedFile, repositoryRootOf } from "./file-kind.js";
import type { Discovery, ExcludeRules } from "./discover.js";
import { discoverFiles } from "./discover.js";

/**
 * Where source files are read from: the working tree, or (for change-aware scans) a git commit or
 * the index. Paths are absolute, as if the snapshot were checked out at the repository root.
 */
export interface SourceTree {
  /** The file's bytes; rejects with an error whose `code` is `ENOENT`, `EISDIR`, `EACCES`… like fs. */
  read(path: string): Promise<Uint8Array>;
  /** Names of the regular files directly in a directory; rejects if it is not one. */
  files(dir: string): Promise<string[]>;
  /**
   * What a directory holds, by name, for `fileset()`: rejects as fs does (ENOENT, ENOTDIR…) if it
   * is not a directory, or (ELINKOUT) if it is reached through a link out of the repository.
   */
  list(dir: string): Promise<DirectoryEntry[]>;
  /** Finds the Terraform files under the paths given on the command line. */
  discover(paths: readonly string[], cwd: string, exclude?: ExcludeRules): Promise<Discovery>;
  /**
   * For a snapshot whose content git vouches for (a commit, the index): each file's blob id, by
   * absolute path, so that the cache's facts and parses, filed by blob id, serve it unread.
   */
  readonly blobIds?: Map<string, string>;
  /** The file's bytes, synchronously (for a file known from the cache whose text turns out to be needed). */
  readNow?(path: string): Uint8Array;
  /** Reads files ahead, so that {@link readNow} finds them (for a tree whose synchronous reads are dear). */
  prefetch?(paths: readonly string[]): Promise<void>;
}

/**
 * One entry of a directory listing: a regular file, a directory (a symbolic link to either counts
 * as what it leads to, as Terraform's `fileset` follows links), something else a glob skips (a FIFO,
 * socket or device), or something keygate refuses to follow, with why: a link out of the
 * repository, a dangling link, a link or submodule in a git snapshot.
 */
export type DirectoryEntry =
  { name: string; kind: "file" | "dir" | "other" } | { name: string; kind: "refused"; reason: string };

/** The working tree's listing of a directory: links followed only inside the repository (see file-kind.ts). */
function listWorkingDir(dir: string): DirectoryEntry[] {
  // The directory itself may be reached through a link: its real place must be inside the repository too.
  const real = realpathSync(dir);
  const repository = real === dir ? null : repositoryRootOf(dir);
  if (repository) {
    const rel = relative(realpathSync(repository), real);
    if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      throw new RefusedFile(
        "ELINKOUT",
        `is reached through a symbolic link to ${real}, outside the repository: keygate follows links only inside it`,
      );
  }
  return readdirSync(dir, { withFileTypes: true })
    .map((e): DirectoryEntry => {
      if (e.isFile()) return { name: e.name, kind: "file" };
      if (e.isDirectory()) return { name: e.name, kind: "dir" };
      if (!e.isSymbolicLink()) return { name: e.name, kind: "other" };
      try {
        const target = linkTargetInside(join(dir, e.name));
        if (target === undefined) return { name: e.name, kind: "refused", reason: "is a dangling symbolic link" };
        const info = statSync(target);
        return { name: e.name, kind: info.isFile() ? "file" : info.isDirectory() ? "dir" : "other" };
      } catch (error) {
        if (error instanceof RefusedFile) return { name: e.name, kind: "refused", reason: error.message };
        throw error;
      }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The working tree on disk. Reads are synchronous on purpose: for thousands of small files one
 * after another, a blocking read is several times faster than a round trip through libuv's pool.
 */
export const workingTree: SourceTree = {
  read: async (path) => readRegularFile(path),
  // Everything but directories: links and special files are checked (and refused) when read, not skipped silently.
  files: async (dir) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.isDirectory())
      .map((e) => e.name),
  list: async (dir) => listWorkingDir(dir),
  discover: discoverFiles,
  readNow: (path) => readRegularFile(path),
};
