import { join } from "node:path";
import type { DirectoryEntry } from "../../load/tree.js";

/*
 * Terraform's `fileset` globbing: a port of github.com/bmatcuk/doublestar v1.1.5 (the version
 * Terraform's go.mod pins for `fileset`), over a {@link DirectoryEntry} listing instead of the
 * disk, so that it works on the working tree, a commit and the index alike. Patterns:
 *   `*`   any sequence of characters but `/` (dot files included: there is no special case)
 *   `**`  as a whole path component: any number of directories, none included
 *   `?`   one character but `/`;  `[abc]`, `[a-z]`, `[^…]`: a class;  `{a,b}`: alternatives
 *   `\c`  the character c
 * A malformed pattern (an unclosed `[` or `{`, an empty class) is an error, as in Terraform.
 */

/** A malformed pattern (doublestar's ErrBadPattern: Terraform says "syntax error in pattern"). */
export class BadPattern extends Error {
  constructor() {
    super("syntax error in pattern");
  }
}

/** How many directories deep a glob goes before it gives up. */
const MAX_GLOB_DEPTH = 64;

/** A glob that went deeper than {@link MAX_GLOB_DEPTH} directories (a cycle of symbolic links). */
export class GlobTooDeep extends Error {
  constructor(readonly path: string) {
    super(`goes deeper than ${MAX_GLOB_DEPTH} directories at ${path} (a cycle of symbolic links?)`);
  }
}

/** What the glob needs of a tree: a directory's entries; undefined when the directory cannot be listed. */
export type Lister = (dir: string) => Promise<DirectoryEntry[] | undefined>;

/**
 * doublestar.Glob over a cleaned `/`-separated pattern (relative ones from `start`, an absolute
 * directory, as Terraform globs from its working directory): the matching paths, absolute (files
 * and directories, as doublestar returns them; `fileset` keeps the files). `kindOf` says what the
 * path the pattern's leading literal components name is (doublestar's Lstat, links followed).
 * Entries refused by the listing are returned as matches wherever the glob meets them, for the
 * caller to report: keygate cannot tell what they would match.
 */
export async function glob(
  pattern: string,
  start: string,
  list: Lister,
  kindOf: (path: string) => Promise<DirectoryEntry["kind"] | undefined>,
): Promise<string[]> {
  const components = splitOnSeparator(pattern, "/");
  const matches: string[] = [];
  if (components[0] === "") await doGlob("/", components.slice(1), matches, list, kindOf, 0);
  else await doGlob(start, components, matches, list, kindOf, 0);
  return matches;
}

async function doGlob(
  basedir: string,
  components: string[],
  matches: string[],
  list: Lister,
  kindOf: (path: string) => Promise<DirectoryEntry["kind"] | undefined>,
  depth: number,
): Promise<void> {
  // Directories linked in a cycle would be followed forever (Terraform stops where the OS refuses the path).
  if (depth > MAX_GLOB_DEPTH) throw new GlobTooDeep(basedir);
  // The components without pattern characters name a path to look up, not to match.
  let patIdx = 0;
  while (patIdx < components.length && !/[*?[{\\]/.test(components[patIdx]!)) patIdx++;
  if (patIdx > 0) basedir = join(basedir, ...components.slice(0, patIdx));
  const kind = await kindOf(basedir);
  if (kind === undefined) return;
  if (patIdx >= components.length || kind === "refused") {
    matches.push(basedir);
    return;
  }
  if (kind !== "dir") return;
  const entries = await list(basedir);
  if (!entries) return;
  let last = patIdx + 1 >= components.length;
  if (components[patIdx] === "**") {
    // Depth first: every directory below, and, when `**` ends the pattern, every file.
    for (const entry of entries) {
      const path = join(basedir, entry.name);
      if (entry.kind === "dir") {
        if (last) matches.push(path);
        await doGlob(path, components.slice(patIdx), matches, list, kindOf, depth + 1);
      } else if (last || entry.kind === "refused") matches.push(path);
    }
    if (last) return;
    patIdx++;
    last = patIdx + 1 >= components.length;
  }
  for (const entry of entries) {
    if (!matchComponent(components[patIdx]!, entry.name)) continue;
    const path = join(basedir, entry.name);
    if (last || entry.kind === "refused") matches.push(path);
    else await doGlob(path, components.slice(patIdx + 1), matches, list, kindOf, depth + 1);
  }
}

/** doublestar.Match for one path component (no separators in `name`). */
export function matchComponent(pattern: string, name: string): boolean {
  // Go's runes, as doublestar matches: code points (a character class takes one, `?` matches one).
  return matchRunes(runes(pattern), 0, runes(name), 0);
}

const runes = (text: string): string[] => Array.from(text);

function matchRunes(p: string[], pi: number, n: string[], ni: number): boolean {
  if (p.length - pi === 0 && n.length - ni === 0) return true;
  if (p.length - pi === 0) return false;
  if (n.length - ni === 0 && p.slice(pi).join("") !== "*") return false;
  while (pi < p.length && ni < n.length) {
    const c = p[pi]!;
    const r = n[ni]!;
    if (c === "\\") {
      pi++;
      if (pi >= p.length) throw new BadPattern();
      if (p[pi] !== r) return false;
      pi++;
      ni++;
    } else if (c === "*") {
      pi++;
      if (pi >= p.length) return true; // a star at the end matches the rest
      for (; ni < n.length; ni++) {
        try {
          if (matchRunes(p, pi, n, ni)) return true;
        } catch {
          // doublestar ignores the error of a failed attempt here
        }
      }
      return false;
    } else if (c === "[") {
      pi++;
      const end = indexWithEscaping(p, pi, "]");
      if (end === -1) throw new BadPattern();
      const cls = p.slice(pi, end);
      if (cls.length === 0) throw new BadPattern();
      let ci = cls[0] === "^" ? 1 : 0;
      let matched = false;
      while (ci < cls.length) {
        let low = cls[ci]!;
        if (low === "-") throw new BadPattern();
        ci++;
        if (low === "\\") {
          if (ci >= cls.length) throw new BadPattern();
          low = cls[ci++]!;
        }
        let high = low;
        if (ci < cls.length && cls[ci] === "-") {
          ci++;
          if (ci >= cls.length) throw new BadPattern();
          high = cls[ci]!;
          if (high === "-") throw new BadPattern();
          ci++;
          if (high === "\\") {
            if (ci >= cls.length) throw new BadPattern();
            high = cls[ci++]!;
          }
        }
        if (codeOf(low) <= codeOf(r) && codeOf(r) <= codeOf(high)) matched = true;
      }
      if (matched === (cls[0] === "^")) return false;
      pi = end + 1;
      ni++;
    } else if (c === "{") {
      pi++;
      const end = indexWithEscaping(p, pi, "}");
      if (end === -1) throw new BadPattern();
      const rest = p.slice(end + 1);
      for (const option of splitOnSeparator(p.slice(pi, end).join(""), ",")) {
        if (matchRunes([...runes(option), ...rest], 0, n, ni)) return true;
      }
      return false;
    } else if (c === "?" || c === r) {
      pi++;
      ni++;
    } else return false;
  }
  if (pi >= p.length && ni >= n.length) return true;
  const tail = p.slice(pi).join("");
  // As doublestar writes it: (name done && tail == "*") || tail == "**".
  return (ni >= n.length && tail === "*") || tail === "**";
}

const codeOf = (rune: string) => rune.codePointAt(0)!;

/** The index of `rune` in `p` from `from`, skipping a `\`-escaped one (doublestar's indexRuneWithEscaping). */
function indexWithEscaping(p: string[], from: number, rune: string): number {
  for (let i = from; i < p.length; i++) {
    if (p[i] === rune && !(i > from && p[i - 1] === "\\")) return i;
  }
  return -1;
}

/** Splits on a separator not escaped by `\` (doublestar's splitPathOnSeparator). */
function splitOnSeparator(text: string, separator: string): string[] {
  const out: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === separator && !(i > 0 && text[i - 1] === "\\")) {
      out.push(current);
      current = "";
    } else current += c;
  }
  out.push(current);
  return out;
}
