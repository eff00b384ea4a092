import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
  statSync,
  type Stats,
} from "node:fs";
import { dirname, join, sep } from "node:path";

/**
 * What keygate is willing to read: regular files, and symbolic links to regular files that stay
 * inside the repository that holds the link (outside git: inside the scanned directory), the same
 * way everywhere (discovery inside and outside git, module directories, named files). A FIFO, a
 * socket or a device would block or never end (`zero.tf -> /dev/zero`); a link out of the
 * repository would let a pull request make keygate read, and judge, files that are not its own.
 */

/** The largest file keygate reads: the longest string JavaScript can hold (a larger one cannot be decoded). */
export const MAX_FILE_BYTES = 0x1fffffe8;

/** A file refused for what it is, with an fs-like code for describeReadError. */
export class RefusedFile extends Error {
  constructor(
    readonly code: "ENOTREG" | "ELINKOUT" | "EFBIG",
    message: string,
  ) {
    super(message);
  }
}

/** Directories a scan was asked to search (real paths): outside git, links must stay inside one of them. */
const scannedRoots = new Set<string>();

/** Remembers a directory named for scanning (see checkLink). */
export function addScannedRoot(dir: string): void {
  try {
    scannedRoots.add(realpathSync(dir));
  } catch {
    // it does not exist: discovery reports that
  }
}

const repositoryRoots = new Map<string, string | null>();

/** The nearest directory at or above `dir` that holds a `.git` entry (a repository's work tree root), or null. */
export function repositoryRootOf(dir: string): string | null {
  const known = repositoryRoots.get(dir);
  if (known !== undefined) return known;
  const parent = dirname(dir);
  const root = existsSync(join(dir, ".git")) ? dir : parent === dir ? null : repositoryRootOf(parent);
  repositoryRoots.set(dir, root);
  return root;
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Where a symbolic link leads, if it stays inside the repository that holds the link, or, outside
 * git, inside a scanned directory that holds it: its real path; `undefined` for a dangling link.
 * A link out of there is refused (ELINKOUT).
 */
export function linkTargetInside(path: string): string | undefined {
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    // A dangling link: reading it says ENOENT.
    return undefined;
  }
  const linkDir = realpathSync(dirname(path));
  const repository = repositoryRootOf(linkDir);
  const roots = repository ? [repository] : [...scannedRoots].filter((root) => inside(linkDir, root));
  if (!roots.some((root) => inside(target, root))) {
    const where = repository ? "the repository" : "the scanned directory";
    throw new RefusedFile(
      "ELINKOUT",
      `is a symbolic link to ${target}, outside ${where}: keygate follows links only to files inside ${where}. Replace the link with the file, or scan the directory it points to`,
    );
  }
  return target;
}

/**
 * Checks a path that is a symbolic link (lstat says so): where it leads must be a regular file
 * inside the repository that holds the link, or, outside git, inside a scanned directory that holds it.
 */
function checkLink(path: string): void {
  const target = linkTargetInside(path);
  if (target === undefined) return;
  if (!statSync(target).isFile())
    throw new RefusedFile(
      "ENOTREG",
      `is a symbolic link to ${target}, which is not a regular file (a directory, FIFO, socket or device): keygate reads only regular files`,
    );
}

/**
 * Opens a file for reading; a symbolic link only once checkLink accepts it. Where the platform has
 * O_NOFOLLOW, the open itself says whether the path is a link (ELOOP), which saves an lstat per
 * file (thousands of them in a repository).
 */
function openNoFollow(path: string): number {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK;
  const noFollow = (constants as { O_NOFOLLOW?: number }).O_NOFOLLOW;
  if (noFollow === undefined) {
    if (lstatSync(path).isSymbolicLink()) checkLink(path);
    return openSync(path, flags);
  }
  try {
    return openSync(path, flags | noFollow);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ELOOP" || !lstatSync(path).isSymbolicLink()) throw error;
    checkLink(path);
    return openSync(path, flags);
  }
}

/** Reads a file from the working tree, refusing anything but a regular file (or a link that checkLink accepts) and files too large to decode. */
export function readRegularFile(path: string, scratch?: Buffer, opened?: (info: Stats) => void): Buffer {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then says what was opened.
  const fd = openNoFollow(path);
  try {
    const info = fstatSync(fd);
    opened?.(info);
    if (info.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    if (!info.isFile())
      throw new RefusedFile(
        "ENOTREG",
        "is not a regular file (a FIFO, socket or device): keygate reads only regular files",
      );
    if (info.size > MAX_FILE_BYTES)
      throw new RefusedFile(
        "EFBIG",
        `is ${Math.round(info.size / 1048576)} MB: keygate reads files up to ${Math.floor(MAX_FILE_BYTES / 1048576)} MB (the longest text JavaScript can hold); exclude it, or split it`,
      );
    const size = info.size;
    const buffer = scratch && size < scratch.length ? scratch : Buffer.allocUnsafe(size);
    let length = 0;
    // Read to the end as it is now (a file that grows meanwhile is read up to its size at open).
    while (length < size) {
      const n = readSync(fd, buffer, length, size - length, length);
      if (n === 0) break;
      length += n;
    }
    return buffer === scratch ? buffer.subarray(0, length) : buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
