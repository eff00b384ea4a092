import { readdirSync } from "node:fs";
import { readRegularFile } from "./file-kind.js";
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
  discover: discoverFiles,
  readNow: (path) => readRegularFile(path),
};
