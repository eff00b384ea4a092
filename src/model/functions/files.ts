import { basename, dirname, isAbsolute, posix, relative, resolve, sep } from "node:path";
import type { InputError } from "../../findings.js";
import { displayPath } from "../../load/discover.js";
import { existsSync } from "node:fs";
import { LineIndex } from "../../load/positions.js";
import { readTextFile, type ReadResult } from "../../load/read.js";
import type { DirectoryEntry, SourceTree } from "../../load/tree.js";
import type { ModuleInstance } from "../configuration.js";
import type { Module } from "../module.js";
import { compareStrings, fail, failure, known, str, toStr, unknown, type Value } from "../values.js";
import type { Fn } from "./fn.js";
import { BadPattern, glob, GlobTooDeep } from "./glob.js";

/*
 * Files as data: `file`, `fileexists`, `fileset` and `templatefile` (which read; templates are
 * rendered by the evaluator, see functions/templates.ts), and `jsondecode`, `yamldecode`,
 * `csvdecode` (which decode), with `path.module` / `path.root` / `path.cwd`, as Terraform evaluates
 * them. Many repositories keep their IAM users in a YAML or JSON file beside the module:
 *   for_each = { for u in yamldecode(file("${path.module}/users.yaml")).users : u.name => u if u.key }
 * Files are read through the scan's source tree (the working tree, a commit or the index), only
 * inside the repository (or, outside git, the working directory); a path outside it, or a file
 * that cannot be read, is an input error naming the call.
 */

/** Where a module's data files are read from: the scan's tree, and the directory they must stay inside. */
export interface DataFiles {
  tree: SourceTree;
  /** The repository's top directory, or the working directory outside git. */
  boundary: string;
  cwd: string;
  /** Problems met while reading (reported as input errors by the scan). */
  errors: InputError[];
  /** Reads so far, by absolute path (an expression is evaluated for many blocks). */
  reads?: Map<string, Promise<ReadResult>>;
  /** Directories `fileset` globbed below (a file added anywhere below one changes what it returns). */
  trees?: Set<string>;
  /** Directory listings so far, by absolute path (undefined: not a directory). */
  listings?: Map<string, Promise<DirectoryEntry[] | undefined>>;
}

/** Where a call is written: the text its expression was parsed from (a module file's) and its offset in it. */
export interface CallSite {
  text: string;
  start: number;
}

const dataFiles = new WeakMap<Module, DataFiles>();

/** Lets a module's expressions read data files (set by the loader when it builds the module). */
export function readDataFilesWith(module: Module, files: DataFiles): void {
  dataFiles.set(module, files);
}

/** The files (absolute paths) the file functions of a module's expressions have read or looked for. */
export function dataFilesRead(module: Module): string[] {
  return [...(dataFiles.get(module)?.reads?.keys() ?? [])];
}

/** The directories `fileset` calls of a module's expressions globbed below (whatever changes below them matters). */
export function dataTreesRead(module: Module): string[] {
  return [...(dataFiles.get(module)?.trees ?? [])];
}

/** The input errors the file functions met in a module (a path outside the repository, a missing file). */
export function dataFileErrors(module: Module): InputError[] {
  return dataFiles.get(module)?.errors ?? [];
}

/** The decoding functions: pure, on known arguments, like every other family. */
export const DATA_DECODERS: Record<string, Fn> = {
  jsondecode: ([text]) => {
    try {
      return JSON.parse(str(text)) as unknown;
    } catch (error) {
      return fail(`jsondecode: ${(error as Error).message}`);
    }
  },
  yamldecode: ([text]) => yamlDecode(str(text)),
  csvdecode: ([text]) => csvDecode(str(text)),
};

/** The `yaml` package, loaded when a yamldecode call is first evaluated (see prepareDecoder). */
let yaml: typeof import("yaml") | undefined;

/**
 * Loads what a decoding function needs before the (synchronous) function is called: the YAML
 * parser for `yamldecode`, a quarter of a megabyte of JavaScript that only the few configurations
 * decoding YAML need, so that a scan does not load it at start-up.
 */
export async function prepareDecoder(name: string): Promise<void> {
  if (name !== "yamldecode" || yaml) return;
  // Bundled (dist/bundle/), the package's CommonJS build comes as the namespace's default export.
  const loaded = (await import("yaml")) as typeof import("yaml") & { default?: typeof import("yaml") };
  yaml = typeof loaded.parseDocument === "function" ? loaded : loaded.default;
}

/** The functions that read files (evaluated by {@link readFunction}, since reading is asynchronous). */
export const READING_FUNCTIONS = new Set(["file", "fileexists", "fileset"]);

/**
 * `file(path)` / `fileexists(path)` in a module instance: a relative path is taken from the root
 * module's directory (Terraform's working directory), as `path.module` values are written.
 */
export async function readFunction(
  name: string,
  args: Value[],
  instance: ModuleInstance,
  text: string,
  shown: string,
  site?: CallSite,
): Promise<Value> {
  const files = dataFiles.get(instance.module);
  if (!files) return unknown(text);
  if (name === "fileset") return fileset(args, instance, files, text, shown, site);
  const [arg] = args;
  if (arg?.kind !== "known" || args.length !== 1) return unknown(text);
  const written = toStr(arg.value);
  if (written === undefined) return failure(text);
  const read = await readDataFile(written, instance, shown, site);
  if (!read) return failure(text);
  if (name === "fileexists") {
    // Terraform: true for a file, false when there is none; a directory is an error.
    if (read.ok) return known(true);
    if (/no such file|not found|does not exist/i.test(read.message)) return known(false);
  }
  if (!read.ok) {
    report(files, instance, written, `${shown}: ${displayPath(read.path, files.cwd)}: ${read.message}`, site);
    return failure(text);
  }
  return known(read.text);
}

/**
 * Reads a data file named by `file()` / `templatefile()`, a relative path from the root module's
 * directory: its text, or why it cannot be read; `undefined` (reported) when it is outside the repository.
 */
export async function readDataFile(
  written: string,
  instance: ModuleInstance,
  shown: string,
  site: CallSite | undefined,
): Promise<(ReadResult & { path: string }) | undefined> {
  const files = dataFiles.get(instance.module);
  if (!files) return undefined;
  const path = resolve(rootOf(instance).module.dir, written);
  if (!isInside(path, files.boundary)) {
    report(files, instance, written, outsideMessage(shown, written, files), site);
    return undefined;
  }
  files.reads ??= new Map();
  let reading = files.reads.get(path);
  if (!reading) files.reads.set(path, (reading = readTextFile(path, files.tree)));
  return { ...(await reading), path };
}

/** Reports an input error at a call (see {@link report}). */
export function reportAtCall(instance: ModuleInstance, message: string, site: CallSite | undefined): void {
  const files = dataFiles.get(instance.module);
  if (files) report(files, instance, "", message, site);
}

const isInside = (path: string, dir: string) => {
  const inside = relative(dir, path);
  return !(inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside));
};

const outsideMessage = (shown: string, written: string, files: DataFiles) =>
  `${shown}: ${written} is outside the repository (${displayPath(files.boundary, files.cwd) || "."}); keygate reads data files only inside it`;

/** A path outside the repository met by a glob. */
class OutsideRepository extends Error {}

/**
 * `fileset(path, pattern)`: the regular files under `path` whose paths relative to it match
 * `pattern` (Terraform's doublestar globbing, see glob.ts), `/`-separated, as a sorted set; links
 * are followed inside the repository only. The glob lists directories through the scan's tree.
 */
async function fileset(
  args: Value[],
  instance: ModuleInstance,
  files: DataFiles,
  text: string,
  shown: string,
  site: CallSite | undefined,
): Promise<Value> {
  const [pathArg, patternArg] = args;
  if (args.length !== 2 || pathArg?.kind !== "known" || patternArg?.kind !== "known") return unknown(text);
  const path = toStr(pathArg.value);
  const pattern = toStr(patternArg.value);
  if (path === undefined || pattern === undefined) return failure(text);
  const root = rootOf(instance).module.dir;
  // Terraform: filepath.Join(path, pattern), cleaned, globbed from the root module's directory.
  const joined = posix.join(path, pattern).replace(/(.)\/+$/, "$1");
  const base = resolve(root, path);
  files.listings ??= new Map();
  const listings = files.listings;
  const list = (dir: string): Promise<DirectoryEntry[] | undefined> => {
    if (!isInside(dir, files.boundary)) throw new OutsideRepository();
    let listing = listings.get(dir);
    if (!listing) {
      listing = files.tree.list(dir).catch((error: unknown) => {
        // Nothing there, or not a directory: no match (doublestar ignores it); anything else cannot be judged.
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        throw error;
      });
      listings.set(dir, listing);
    }
    return listing;
  };
  const entryOf = async (target: string): Promise<DirectoryEntry | undefined> => {
    if (!isInside(target, files.boundary)) throw new OutsideRepository();
    if (target === files.boundary) return { name: basename(target), kind: "dir" };
    return (await list(dirname(target)))?.find((e) => e.name === basename(target));
  };
  let matches: string[];
  try {
    matches = await glob(joined, root, list, async (target) => (await entryOf(target))?.kind);
  } catch (error) {
    const message =
      error instanceof OutsideRepository
        ? outsideMessage(shown, joined, files)
        : error instanceof BadPattern
          ? `${shown}: failed to glob pattern ${joined}: syntax error in pattern`
          : error instanceof GlobTooDeep
            ? `${shown}: the pattern ${error.message}`
            : `${shown}: cannot list a directory: ${(error as Error).message}`;
    report(files, instance, pattern, message, site);
    return failure(text);
  }
  // Whatever changes below the glob's fixed part can change the result (see change/scan-change.ts).
  const fixed = joined.split("/").findIndex((c) => /[*?[{\\]/.test(c));
  files.trees ??= new Set();
  files.trees.add(
    fixed === -1 ? dirname(resolve(root, joined)) : resolve(root, joined.split("/").slice(0, fixed).join("/") || "."),
  );
  const found = new Set<string>();
  for (const match of matches) {
    const entry = await entryOf(match);
    if (entry?.kind === "refused") {
      report(files, instance, pattern, `${shown}: ${displayPath(match, files.cwd)} ${entry.reason}`, site);
      return failure(text);
    }
    if (entry?.kind === "file") found.add(relative(base, match).split(sep).join("/"));
  }
  return known([...found].sort(compareStrings));
}

/** `path.module`, `path.root`, `path.cwd` in a module instance, as Terraform gives them. */
export function pathValue(name: string, instance: ModuleInstance): Value | undefined {
  const root = rootOf(instance).module.dir;
  if (name === "root") return known(".");
  if (name === "cwd") return known(root.split(sep).join("/"));
  if (name === "module") return known(relative(root, instance.module.dir).split(sep).join("/") || ".");
  return undefined;
}

const boundaries = new Map<string, string>();

/**
 * The directory data files must stay inside, for a module directory: the repository holding it
 * (the nearest directory up with a `.git` entry), else the working directory when the module is
 * in it, else the module's own directory.
 */
export function dataBoundary(dir: string, cwd: string): string {
  let boundary = boundaries.get(dir);
  if (boundary === undefined) {
    const inCwd = relative(cwd, dir);
    boundary = repositoryOf(dir) ?? (!inCwd.startsWith("..") && !isAbsolute(inCwd) ? cwd : dir);
    boundaries.set(dir, boundary);
  }
  return boundary;
}

/** The nearest directory up from `dir` with a `.git` entry (null: none), asked once per directory on the way. */
function repositoryOf(dir: string): string | null {
  let found = repositories.get(dir);
  if (found === undefined) {
    const parent = dirname(dir);
    found = existsSync(resolve(dir, ".git")) ? dir : parent === dir ? null : repositoryOf(parent);
    repositories.set(dir, found);
  }
  return found;
}
const repositories = new Map<string, string | null>();

function rootOf(instance: ModuleInstance): ModuleInstance {
  let root = instance;
  while (root.parent) root = root.parent;
  return root;
}

/**
 * An error at the call: where the call is written when known (`site`), else in the module's files
 * (the first file naming the path); once per message and file.
 */
function report(files: DataFiles, instance: ModuleInstance, written: string, message: string, site?: CallSite): void {
  const needle = written.split("/").pop() ?? written;
  // Offsets into a JSON file's strings are the string's own: those calls are found by the path they name.
  const atSite = site && instance.module.files.find((f) => f.text === site.text && f.syntax === "hcl");
  const source = atSite || (instance.module.files.find((f) => f.text.includes(needle)) ?? instance.module.files[0]);
  let at: { line: number; column: number } = { line: 1, column: 1 };
  if (source) {
    const offset = atSite ? site.start : Math.max(0, source.text.indexOf(needle));
    at = new LineIndex(source.text).position(offset);
  }
  const file = source?.file ?? displayPath(dirname(instance.module.dir), files.cwd);
  if (!files.errors.some((e) => e.file === file && e.message === message)) files.errors.push({ file, ...at, message });
}

/**
 * yamldecode: YAML 1.2's core schema (`yes` / `on` stay strings, `0o17` is octal), one document,
 * merge keys, as Terraform's go-cty-yaml; tags it does not know are errors.
 */
function yamlDecode(text: string): unknown {
  // Loaded before the call is evaluated (see loadDecoder): never missing here.
  if (!yaml) throw new Error("yamldecode: the YAML parser was not loaded (prepareDecoder)");
  const document = yaml.parseDocument(text, {
    version: "1.2",
    schema: "core",
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
  });
  if (document.errors.length) fail(`yamldecode: ${document.errors[0]!.message}`);
  try {
    return document.toJS({ maxAliasCount: 1000 }) ?? null;
  } catch (error) {
    return fail(`yamldecode: ${(error as Error).message}`);
  }
}

/**
 * csvdecode: RFC 4180 with a header line; every row a map of strings, keyed by the header's fields.
 * A row with another number of fields is an error, as in Terraform.
 */
function csvDecode(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    row.push(field);
    field = "";
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") endField();
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endField();
      rows.push(row);
      row = [];
    } else field += c;
    i++;
  }
  if (quoted) fail("csvdecode: a quoted field is not closed");
  if (field !== "" || row.length) {
    endField();
    rows.push(row);
  }
  const [header, ...records] = rows;
  if (!header) fail("csvdecode: missing header line");
  return records.map((record, n) => {
    if (record.length !== header.length) fail(`csvdecode: line ${n + 2}: wrong number of fields`);
    return Object.fromEntries(header.map((name, j) => [name, record[j]!]));
  });
}
