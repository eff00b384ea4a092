import { createHash } from "node:crypto";
import { existsSync, lstatSync, type Stats } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join, sep } from "node:path";
import type { Finding, Warning } from "./findings.js";
import type { Settings } from "./load/config.js";
import { worktreeDifferences, type GitAnswer } from "./load/git.js";
import { readSignedFile, writeSignedFile, type ParseCache } from "./load/parse-cache.js";
import { readWorkingTreeText } from "./load/read.js";
import { TOOL } from "./package.js";
import type { VariableInputs } from "./model/variables.js";
import type { Policy } from "./policies/policy.js";
import type { Directive } from "./suppress/inline.js";

/*
 * Verdicts of unchanged configurations, kept beside the cache (a signed file of their own per scan:
 * see VerdictStore): a full scan whose every input is what it was when an earlier scan checked it
 * takes that scan's findings instead of assembling and checking the configurations again.
 *
 * A configuration's verdict is filed under a key made of everything that decides it (see
 * configurationKey): the scan's scope (keygate's version and build, the settings, the enabled
 * policies and their data, the variables given from outside: see verdictScope), the root's
 * directory, and each of its modules' directories with the name and git blob id of each of their
 * Terraform files (see directoryKey). The root's variable files are checked on use: the directory's
 * metadata vouches that its list of files is unchanged, and each `.tfvars` file's content hash is
 * compared. What a scan of a directory found, and which configurations its files form, is its
 * "shape" (filed under the scope and the directory): the files, as git listed them (the digest of
 * git's answer, compared with its answer now), with the metadata that vouched for each file's
 * content. When the shape and the verdict of each configuration it lists hold, the scan is done
 * without reading, parsing, assembling or checking anything.
 *
 * Only configurations whose verdict can be told from those ingredients are kept: every module
 * local (`./`, `../`) and scanned, no file function used (file(), fileexists(), fileset(),
 * templatefile() read other files), no input error in the run. Anything else, and any doubt on
 * use, is today's path.
 */

/** The version of the records' shape (in every key). */
const VERSION = "verdicts6";

/**
 * Where this code was loaded from: the bundle's chunks are named by their content's hash (and
 * that of the chunks they import), so that a rebuilt keygate of the same version does not take the
 * verdicts of another build.
 */
const BUILD = basename(import.meta.url);

/** A configuration's verdict as kept. */
export interface Verdict {
  /** The root module's directory (absolute), and as findings name it (`configuration`). */
  root: string;
  shown: string;
  /** The root directory's metadata when its files were listed (its variable files: see variableFiles). */
  rootMetadata: string;
  /** The root's automatic variable files (`terraform.tfvars`, `*.auto.tfvars`, …): name and content hash. */
  variableFiles: [string, string][];
  /** Its findings before suppression, in the order the policies gave them. */
  findings: Finding[];
  /** The warnings its check gave (module calls not followed). */
  warnings: Warning[];
  /** The files of its modules, as shown (those whose unused suppressions are reported), `\0`-separated: one string, not a dozen, to read back. */
  files: string;
  /** Its modules' directories (absolute), `\0`-separated. */
  dirs: string;
  /** The `keygate:ignore` directives of its files and the warnings about them, by file (absolute path). */
  directives: [string, Directive[], Warning[]][];
}

/**
 * What a scan of a directory found and formed: its files, as git listed them (the digest of git's
 * answer, see GitAnswer.digest), the keys of its configurations' verdicts, in order, and how many
 * files it read; with, for each scanned file (in the order of their paths), the metadata that
 * vouched for its content when the verdicts were taken (size, modification and change times,
 * inode, device: see ParseCache.vouched), five numbers a file; and the files for which git's index
 * does not keep that very metadata (`unindexed`: see unindexedFiles).
 */
interface Shape {
  /** The scanned directory (absolute), and the paths of its files below it, `\0`-separated, sorted. */
  dir: string;
  paths: string;
  listing: string;
  verdicts: string[];
  files: number;
  metadata: Float64Array;
  /** The files (their places in `paths`) whose metadata the index does not keep: a replay compares theirs itself. */
  unindexed: Uint32Array;
  /** Git's answer directory by directory (see GitAnswer.directoryDigests): where an answer differs from this one. */
  directories: Map<string, string>;
}

/** A verdicts file's content: one scan's shape (under its key) and its configurations' verdicts (packed: see packed). */
interface Stored {
  key: string;
  shape: Shape;
  verdicts: Map<string, unknown>;
}

/** How many verdicts files (scans of other directories, with other settings) a cache directory keeps for a working directory. */
const FILES_KEPT = 4;

/** The first bytes of a verdicts file (signed as the cache is: see readSignedFile). */
const MAGIC = Buffer.from("keygate-verdicts-v1\n");

/** The metadata a shape keeps of a file, as ParseCache keeps it (see metadataOf there): size, mtimeMs, ctimeMs, ino, dev. */
const METADATA = 5;

/**
 * The scope of a scan's verdicts: everything outside the scanned files that decides them.
 * Undefined when the scan's verdicts cannot be kept (`--var-file` names a file outside the scan).
 */
export function verdictScope(input: {
  version?: string;
  build?: string;
  cwd: string;
  settings: Settings;
  policies: readonly Policy[];
  variables: VariableInputs | undefined;
}): string | undefined {
  const { settings, variables } = input;
  if (variables?.cli?.some((v) => v.kind === "file")) return undefined;
  const environment = Object.entries(variables?.env ?? {})
    .filter(([name, value]) => name.startsWith("TF_VAR_") && value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return hash(
    JSON.stringify([
      VERSION,
      input.version ?? TOOL.version,
      input.build ?? BUILD,
      input.cwd,
      settings.configFile ?? null,
      [...settings.severities].sort(([a], [b]) => (a < b ? -1 : 1)),
      settings.exclude ? [settings.exclude.base, settings.exclude.patterns] : null,
      settings.allowInlineSuppressions,
      input.policies.map((p) => [p.id, p.data, p.reads]),
      environment,
      variables?.cli ?? [],
    ]),
  );
}

/** The key of a module directory's content: its path, and each Terraform file's name and blob id (undefined: one is not known). */
export function directoryKey(
  dir: string,
  paths: readonly string[],
  idOf: (path: string) => string | undefined,
): string | undefined {
  let content = `${dir}\u0000`;
  const prefix = dir.endsWith(sep) ? dir : `${dir}${sep}`;
  for (const path of paths) {
    const id = idOf(path);
    if (id === undefined) return undefined;
    content += `${path.startsWith(prefix) ? path.slice(prefix.length) : path}\u0000${id}\u0000`;
  }
  return hash(content);
}

/** The key of a configuration's verdict: the scope, its root, and the content of each of its modules' directories. */
export function configurationKey(scope: string, root: string, directoryKeys: readonly string[]): string {
  return hash([VERSION, scope, root, ...[...directoryKeys].sort()].join("\u0000"));
}

/** The key of a scan's shape: the scope, and the scanned directory. */
export function shapeKey(scope: string, dir: string): string {
  return hash([VERSION, "shape", scope, dir].join("\u0000"));
}

/** The metadata of a scan's files as the cache vouched for the content used (ParseCache.vouchedRecord); NaN where it did not. */
export function shapeMetadata(
  files: readonly string[],
  recordOf: (path: string) => string | undefined,
  idOf: (path: string) => string | undefined,
): Float64Array {
  const metadata = new Float64Array(files.length * METADATA);
  for (let i = 0; i < files.length; i++) {
    const path = files[i]!;
    const parts = recordOf(path)?.split(" ");
    const id = idOf(path);
    const values = parts?.slice(1).map(Number);
    const vouched =
      parts?.length === 1 + METADATA && id !== undefined && parts[0] === id && values!.every(Number.isFinite);
    for (let j = 0; j < METADATA; j++) metadata[i * METADATA + j] = vouched ? values![j]! : NaN;
  }
  return metadata;
}

/** Whether a shape's file (by its index) was not vouched for by its metadata when the verdicts were taken (see shapeMetadata). */
function isDirty(metadata: Float64Array, index: number): boolean {
  return Number.isNaN(metadata[index * METADATA]);
}

/** A directory's metadata as a string (see ParseCache.vouched): while it is unchanged, so is the list of its entries. */
export function directoryMetadata(info: Pick<Stats, "mtimeMs" | "ctimeMs" | "ino" | "dev">): string {
  return `${info.mtimeMs} ${info.ctimeMs} ${info.ino} ${info.dev}`;
}

/** How recent a change to a directory may be for its metadata to vouch for its entries later (as ParseCache.vouch). */
const RACY_MS = 3000;

/** The metadata of directories, taken before their files are listed (undefined: changed seconds ago, or not a directory). */
export function directoryMetadataNow(dirs: Iterable<string>, now = Date.now()): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const dir of dirs) {
    const info = lstatSync(dir, { throwIfNoEntry: false });
    found.set(
      dir,
      info?.isDirectory() && info.ctimeMs < now - RACY_MS && info.mtimeMs < now - RACY_MS
        ? directoryMetadata(info)
        : undefined,
    );
  }
  return found;
}

/** The content hash a variable file's text is compared by. */
export function variableFileHash(text: string): string {
  return hash(text);
}

/**
 * The verdicts of one scan (its shape's key: see shapeKey) in a file of their own beside the cache
 * (`verdicts-<cache>-<key>.v8`, signed as the cache is, with magic bytes of its own), so that a scan
 * that takes them reads and verifies only that, and a scan that has none (another directory, other
 * settings) finds no file. The newest few of a cache's are kept.
 */
export class VerdictStore {
  readonly file: string;
  private readonly prefix: string;

  constructor(
    private readonly cache: ParseCache,
    private readonly key: string,
  ) {
    this.prefix = basename(cache.file)
      .replace(/^parse-/, "verdicts-")
      .replace(/\.v8$/, "-");
    const name = createHash("sha1").update(key).digest("hex").slice(0, 16);
    this.file = join(dirname(cache.file), `${this.prefix}${name}.v8`);
  }

  private async load(): Promise<Stored | undefined> {
    const payload = await readSignedFile(this.file, this.cache.keyFile, MAGIC);
    if (payload === "forged")
      this.cache.notes.push(
        `the cache ${this.file} was not written by keygate under this account (its signature does not verify): ignored, and replaced`,
      );
    if (!payload || payload === "forged") return undefined;
    try {
      // node:v8 loaded only when a verdicts file is read or written (a scan without a cache never needs it).
      const value = process.getBuiltinModule("node:v8").deserialize(payload) as Partial<
        Record<keyof Stored | "version", unknown>
      >;
      if (value.version === VERSION && value.key === this.key && isShape(value.shape) && value.verdicts instanceof Map)
        return value as Stored;
    } catch {
      // unreadable: none
    }
    return undefined;
  }

  /** Keeps a scan's verdicts and its shape; without a shape, those kept stay (checked on use). */
  async remember(
    entries: { key: string; verdict: Verdict }[],
    shape: Omit<Shape, "verdicts"> | undefined,
  ): Promise<void> {
    if (!shape) return;
    const stored: Stored = {
      key: this.key,
      shape: { ...shape, verdicts: entries.map((e) => e.key) },
      verdicts: new Map(entries.map((e) => [e.key, packed(e.verdict)])),
    };
    await writeSignedFile(
      this.file,
      this.cache.keyFile,
      MAGIC,
      process.getBuiltinModule("node:v8").serialize({ version: VERSION, ...stored }),
    );
    await this.prune();
  }

  /** Removes all but the newest few verdicts files of the cache (other directories, other settings, older versions). */
  private async prune(): Promise<void> {
    try {
      const dir = dirname(this.file);
      const files = (await readdir(dir)).filter((name) => name.startsWith(this.prefix) && name.endsWith(".v8"));
      if (files.length <= FILES_KEPT) return;
      const dated = await Promise.all(
        files.map(async (name) => ({ path: join(dir, name), at: (await stat(join(dir, name))).mtimeMs })),
      );
      dated.sort((a, b) => b.at - a.at);
      for (const { path } of dated.slice(FILES_KEPT)) if (path !== this.file) await rm(path, { force: true });
    } catch {
      // the cache is an optimisation
    }
  }

  /**
   * The verdicts of a scan's configurations, its file count and its files, if its shape is known,
   * every file is as it was when the verdicts were taken, every verdict still holds (the root
   * directories' listings and variable files as they were), and git lists the same files (its
   * answer, awaited last: git works on the other core meanwhile); else, if it can, with the stale
   * ones marked (see PartlyReplayed).
   */
  async replay(answer: Promise<GitAnswer | null>, dir: string): Promise<Replayed | PartlyReplayed | undefined> {
    // Git compares the files with its index (see indexVouches) on the other core while the verdicts
    // are read and checked here: asked now if there are verdicts of this scan.
    const differences = existsSync(this.file) ? worktreeDifferences(dir) : undefined;
    const stored = await this.load();
    if (!stored) return undefined;
    try {
      const { shape } = stored;
      // Git's word is of use if the index keeps the metadata of some of the files.
      const some = shape.unindexed.length < shape.metadata.length / METADATA;
      return await this.holding(stored, answer, some && shape.dir === dir ? differences : undefined);
    } catch {
      // A path that is no longer what it was (a file where a directory was: ENOTDIR), an unreadable one: check.
      return undefined;
    }
  }

  private async holding(
    stored: Stored,
    answer: Promise<GitAnswer | null>,
    differences: Promise<string[] | undefined> | undefined,
  ): Promise<Replayed | PartlyReplayed | undefined> {
    const { shape } = stored;
    const prefix = shape.dir.endsWith(sep) ? shape.dir : `${shape.dir}${sep}`;
    let paths: string[] | undefined;
    const pathsOf = () => (paths ??= shape.paths.split("\u0000").map((path) => prefix + path));
    const verdicts: Verdict[] = [];
    const stale = new Set<Verdict>();
    for (const verdictKey of shape.verdicts) {
      const verdict = unpacked(stored.verdicts.get(verdictKey));
      if (!verdict) return undefined;
      // Its root's files, or one of its variable files, are not as they were: checked again.
      if (!stillHolds(verdict)) stale.add(verdict);
      verdicts.push(verdict);
    }
    // The same files, and no other, as git lists them now: its answer is the one it gave then
    // (the index's object ids, and its stat data, as they were), or differs only in directories
    // that list the same files (see relistedFiles).
    const now = await answer;
    if (!now) return undefined;
    const relisted = now.digest() === shape.listing ? [] : relistedFiles(now, shape);
    if (!relisted) return undefined;
    // Each file as it was (any write sets its change time): as git finds it where the index keeps
    // its metadata (see unindexedFiles), else by an lstat here; NaN is never the same.
    const named = differences && (await differences);
    let changed: string[];
    if (named) {
      const unindexed = new Set(shape.unindexed);
      changed = [];
      for (const i of shape.unindexed) if (!sameMetadata(pathsOf()[i]!, shape.metadata, i)) changed.push(pathsOf()[i]!);
      if (named.length) {
        const places = new Map(shape.paths.split("\u0000").map((path, i) => [path, i]));
        for (const path of named) {
          const i = places.get(sep === "/" ? path : path.split("/").join(sep));
          if (i !== undefined && !unindexed.has(i)) changed.push(pathsOf()[i]!);
        }
      }
    } else changed = changedFiles(pathsOf(), shape.metadata);
    if (relisted.length) changed = [...new Set([...changed, ...relisted.map((i) => pathsOf()[i]!)])];
    const byIndex = named !== undefined && shape.unindexed.length === 0;
    if (!changed.length && !stale.size)
      return {
        verdicts,
        files: shape.files,
        get paths() {
          return pathsOf();
        },
        why: `unchanged since an earlier run (${
          byIndex
            ? "git finds it as its index says, and the index keeps the size and times it had when keygate last checked its git blob id"
            : "its size and times as when keygate last checked its git blob id"
        }): not read; its configuration's findings taken from the cache (nothing it depends on changed)`,
      };
    // The configurations that include a changed file's directory are checked again.
    const dirs = new Set<string>();
    const seen = new Map<string, Seen>();
    for (const path of changed) {
      const at = Date.now();
      const info = lstatSync(path, { throwIfNoEntry: false });
      if (!info?.isFile()) return undefined;
      seen.set(path, { info, at });
      dirs.add(dirname(path));
    }
    const covered = new Set<string>();
    for (const verdict of verdicts) {
      for (const moduleDir of verdict.dirs.split("\u0000")) {
        if (!dirs.has(moduleDir)) continue;
        covered.add(moduleDir);
        stale.add(verdict);
      }
    }
    if (covered.size !== dirs.size) return undefined;
    // Most of them: all, by a full scan.
    if (stale.size * 2 > verdicts.length) return undefined;
    return {
      partly: true,
      verdicts,
      stale,
      changed,
      seen,
      keys: shape.verdicts,
      shape,
      answer: now,
      files: shape.files,
      get paths() {
        return pathsOf();
      },
      why: `unchanged since an earlier run (${
        byIndex ? "git finds it as its index says" : "its size and times as when keygate last checked its git blob id"
      }): not read; its configuration's findings taken from the cache (nothing it depends on changed; the configurations of the files that changed are checked again)`,
    };
  }

  /** After a replay in part: the verdicts kept anew (`fresh` for the stale; `rowOf`, a changed file's metadata), if any differ. */
  async rememberPart(
    replayed: PartlyReplayed,
    fresh: ReadonlyMap<Verdict, { key: string; verdict: Verdict }>,
    rowOf: (path: string) => readonly number[] | undefined,
    files: number,
  ): Promise<void> {
    const { shape, keys, answer } = replayed;
    const metadata = Float64Array.from(shape.metadata);
    const changed = new Set(replayed.changed);
    const paths = replayed.paths;
    let differs = files !== shape.files || answer.digest() !== shape.listing;
    for (let i = 0; i < paths.length; i++) {
      if (!changed.has(paths[i]!)) continue;
      const row = rowOf(paths[i]!);
      for (let j = 0; j < METADATA; j++) {
        const value = row ? row[j]! : NaN;
        if (Object.is(value, metadata[i * METADATA + j])) continue;
        metadata[i * METADATA + j] = value;
        differs = true;
      }
    }
    const entries = replayed.verdicts.map((verdict, i) => {
      const entry = fresh.get(verdict);
      if (
        entry &&
        (entry.key !== keys[i] ||
          entry.verdict.rootMetadata !== verdict.rootMetadata ||
          JSON.stringify(entry.verdict.variableFiles) !== JSON.stringify(verdict.variableFiles))
      )
        differs = true;
      return entry ?? { key: keys[i]!, verdict };
    });
    if (!differs) return;
    const { verdicts: _, ...kept } = shape;
    await this.remember(entries, {
      ...kept,
      files,
      metadata,
      unindexed: unindexedFiles(answer.indexMetadata(), shape.paths.split("\u0000"), metadata),
      listing: answer.digest(),
      directories: answer.directoryDigests(),
    });
  }
}

/** A changed file's metadata as a replay found it, and when (see vouchedRow). */
export interface Seen {
  info: Stats;
  at: number;
}

/** The metadata vouching for content `id`: the cache's record of it, or `seen` if the same after the read and 3 s old (as ParseCache.vouch). */
export function vouchedRow(
  path: string,
  id: string | undefined,
  record: string | undefined,
  seen: Seen | undefined,
): number[] | undefined {
  if (id === undefined) return undefined;
  const parts = record?.split(" ");
  if (parts?.length === 1 + METADATA && parts[0] === id) {
    const values = parts.slice(1).map(Number);
    if (values.every(Number.isFinite)) return values;
  }
  if (!seen) return undefined;
  const { info, at } = seen;
  if (!(info.ctimeMs < at - RACY_MS && info.mtimeMs < at - RACY_MS)) return undefined;
  const now = lstatSync(path, { throwIfNoEntry: false });
  const values = [info.size, info.mtimeMs, info.ctimeMs, info.ino, info.dev];
  if (!now?.isFile() || [now.size, now.mtimeMs, now.ctimeMs, now.ino, now.dev].some((v, j) => v !== values[j]))
    return undefined;
  return values;
}

/** Whether a file's metadata is what a shape keeps for it (its place `i`; NaN: never). */
function sameMetadata(path: string, metadata: Float64Array, i: number): boolean {
  const at = i * METADATA;
  const info = lstatSync(path, { throwIfNoEntry: false });
  return (
    info?.isFile() === true &&
    info.size === metadata[at] &&
    info.mtimeMs === metadata[at + 1] &&
    info.ctimeMs === metadata[at + 2] &&
    info.ino === metadata[at + 3] &&
    info.dev === metadata[at + 4]
  );
}

/** The files whose metadata is not the shape's (an lstat each). */
function changedFiles(files: readonly string[], metadata: Float64Array): string[] {
  if (metadata.length !== files.length * METADATA) return [...files];
  const changed: string[] = [];
  for (let i = 0; i < files.length; i++) if (!sameMetadata(files[i]!, metadata, i)) changed.push(files[i]!);
  return changed;
}

/** A scan replayed from its verdicts: their list, how many files it read, its files (made when first asked), and what --debug says of each. */
export interface Replayed {
  verdicts: Verdict[];
  files: number;
  readonly paths: string[];
  why: string;
}

/** A replay whose `changed` files make the `stale` verdicts' configurations to be checked again. */
export interface PartlyReplayed extends Replayed {
  partly: true;
  stale: ReadonlySet<Verdict>;
  changed: string[];
  /** The changed files' metadata as the replay found them (see vouchedRow). */
  seen: ReadonlyMap<string, Seen>;
  /** The keys of the verdicts, in their order; the shape they were kept with. */
  keys: readonly string[];
  shape: Readonly<Shape>;
  /** Git's answer now. */
  answer: GitAnswer;
}

/** Where git's answer differs only in directories that list the same files (a file staged): their files' places in the shape. */
function relistedFiles(answer: GitAnswer, shape: Shape): number[] | undefined {
  const now = answer.directoryDigests();
  const differing = new Set<string>();
  for (const [dir, digest] of now) if (shape.directories.get(dir) !== digest) differing.add(dir);
  for (const dir of shape.directories.keys()) if (!now.has(dir)) differing.add(dir);
  if (!differing.size || differing.has("\u0000")) return undefined;
  const prefix = shape.dir.endsWith(sep) ? shape.dir : `${shape.dir}${sep}`;
  const dirOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf("/")));
  const slashed = (path: string) => (sep === "/" ? path : path.split(sep).join("/"));
  const then = new Map<string, string[]>();
  const places: number[] = [];
  shape.paths.split("\u0000").forEach((path, i) => {
    const dir = dirOf(slashed(path));
    if (!differing.has(dir)) return;
    places.push(i);
    then.set(dir, [...(then.get(dir) ?? []), slashed(path)]);
  });
  const listed = new Map<string, string[]>();
  for (const file of answer.listing.files) {
    if (!file.startsWith(prefix)) return undefined;
    const path = slashed(file.slice(prefix.length));
    const dir = dirOf(path);
    if (differing.has(dir)) listed.set(dir, [...(listed.get(dir) ?? []), path]);
  }
  for (const dir of differing) {
    const before = then.get(dir)?.sort();
    const after = listed.get(dir)?.sort();
    if (!before || !after || before.length !== after.length || before.some((path, i) => path !== after[i]))
      return undefined;
  }
  return places;
}

/**
 * Whether git's index keeps, for each of a scan's files (paths relative to the scanned directory,
 * as git lists them), the very metadata keygate vouched for its content by (five numbers a file:
 * see Shape.metadata; size, inode and device compared as the index keeps them, their low 32 bits).
 * Then a later scan whose listing is the same (the digest covers the index's stat data) can leave
 * the comparison of each file with that metadata to git (`git diff-files`, worktreeMatchesIndex):
 * git compares the times to the second only, and not the device, but keygate vouches only for
 * files whose times are 3 s older than its check (see ParseCache.vouch), so any write since that
 * check sets a change time in a later second than the one the index keeps.
 */
export function indexVouches(
  index: ReadonlyMap<string, string>,
  paths: readonly string[],
  metadata: Float64Array,
): boolean {
  return (
    paths.length > 0 && metadata.length === paths.length * METADATA && !unindexedFiles(index, paths, metadata).length
  );
}

/** The files (places in `paths`) whose vouched metadata the index does not keep (see indexVouches), NaN ones included. */
export function unindexedFiles(
  index: ReadonlyMap<string, string>,
  paths: readonly string[],
  metadata: Float64Array,
): Uint32Array {
  const all = () => Uint32Array.from(paths.keys());
  if (metadata.length !== paths.length * METADATA) return all();
  const unindexed: number[] = [];
  const low = (value: number) => value % 2 ** 32;
  for (let i = 0, at = 0; i < paths.length; i++, at += METADATA) {
    if (isDirty(metadata, i)) {
      unindexed.push(i);
      continue;
    }
    const kept = `${low(metadata[at]!)} ${metadata[at + 1]} ${metadata[at + 2]} ${low(metadata[at + 3]!)} ${low(metadata[at + 4]!)}`;
    if (index.get(paths[i]!) !== kept) unindexed.push(i);
  }
  return Uint32Array.from(unindexed);
}

/** Whether a verdict's root still lists the same files and its variable files hold what they held. */
function stillHolds(verdict: Verdict): boolean {
  const info = lstatSync(verdict.root, { throwIfNoEntry: false });
  if (!info?.isDirectory() || directoryMetadata(info) !== verdict.rootMetadata) return false;
  for (const [name, contentHash] of verdict.variableFiles) {
    // Read and decoded as the variable reader reads it.
    const read = readWorkingTreeText(join(verdict.root, name));
    if (!read.ok || variableFileHash(read.text) !== contentHash) return false;
  }
  return true;
}

function hash(text: string): string {
  return createHash("sha1").update(text).digest("base64url");
}

function isShape(value: unknown): value is Shape {
  if (typeof value !== "object" || value === null) return false;
  const { dir, paths, listing, verdicts, files, metadata, unindexed, directories } = value as Partial<
    Record<keyof Shape, unknown>
  >;
  return (
    typeof dir === "string" &&
    typeof paths === "string" &&
    typeof listing === "string" &&
    metadata instanceof Float64Array &&
    unindexed instanceof Uint32Array &&
    directories instanceof Map &&
    unindexed.every((i) => i < metadata.length / METADATA) &&
    Array.isArray(verdicts) &&
    verdicts.length > 0 &&
    verdicts.every((k) => typeof k === "string") &&
    Number.isSafeInteger(files)
  );
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === "string");

/** The lists a verdict holds, most of them empty: kept only when not (fewer objects to read back). */
const LISTS = ["variableFiles", "findings", "warnings", "directives"] as const;

/** A verdict as the file keeps it: without its empty lists. */
function packed(verdict: Verdict): Partial<Verdict> {
  return Object.fromEntries(
    Object.entries(verdict).filter(
      ([name, value]) => !((LISTS as readonly string[]).includes(name) && (value as unknown[]).length === 0),
    ),
  );
}

/** A verdict as kept, with its lists (undefined: not a verdict). */
function unpacked(value: unknown): Verdict | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  // In place (the value was just read from the file), with one shared empty list (a replay only reads them).
  const verdict = value as Record<string, unknown>;
  for (const list of LISTS) verdict[list] ??= NONE;
  return isVerdict(verdict) ? verdict : undefined;
}

const NONE: never[] = [];

function isVerdict(value: unknown): value is Verdict {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<Record<keyof Verdict, unknown>>;
  return (
    typeof v.root === "string" &&
    typeof v.shown === "string" &&
    typeof v.rootMetadata === "string" &&
    Array.isArray(v.variableFiles) &&
    v.variableFiles.every((entry) => isStrings(entry) && entry.length === 2) &&
    Array.isArray(v.findings) &&
    v.findings.every((f) => typeof f === "object" && f !== null && typeof (f as Finding).fingerprint === "string") &&
    Array.isArray(v.warnings) &&
    typeof v.files === "string" &&
    typeof v.dirs === "string" &&
    Array.isArray(v.directives) &&
    v.directives.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length === 3 &&
        typeof entry[0] === "string" &&
        Array.isArray(entry[1]) &&
        Array.isArray(entry[2]),
    )
  );
}
