import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { parseDocument } from "yaml";
import type { InputError } from "../../findings.js";
import { displayPath } from "../../load/discover.js";
import { existsSync } from "node:fs";
import { readTextFile, type ReadResult } from "../../load/read.js";
import type { SourceTree } from "../../load/tree.js";
import type { ModuleInstance } from "../configuration.js";
import type { Module } from "../module.js";
import { fail, failure, known, str, toStr, unknown, type Value } from "../values.js";
import type { Fn } from "./fn.js";

/*
 * Files as data: `file`, `fileexists` (which read), and `jsondecode`, `yamldecode`, `csvdecode`
 * (which decode), with `path.module` / `path.root` / `path.cwd`, as Terraform evaluates them.
 * Many repositories keep their IAM users in a YAML or JSON file beside the module:
 *   for_each = { for u in yamldecode(file("${path.module}/users.yaml")).users : u.name => u if u.key }
 * Files are read through the scan's source tree (the working tree, a commit or the index), only
 * inside the repository (or, outside git, the working directory); a path outside it, or a file
 * that cannot be read, is an input error naming the call. Nothing is executed: `templatefile`
 * (which renders templates) is not evaluated, and stays undecided.
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

/** The functions that read files (evaluated by {@link readFunction}, since reading is asynchronous). */
export const READING_FUNCTIONS = new Set(["file", "fileexists"]);

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
): Promise<Value> {
  const [arg] = args;
  const files = dataFiles.get(instance.module);
  if (!files || arg?.kind !== "known" || args.length !== 1) return unknown(text);
  const written = toStr(arg.value);
  if (written === undefined) return failure(text);
  const path = resolve(rootOf(instance).module.dir, written);
  const inside = relative(files.boundary, path);
  if (inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    report(
      files,
      instance,
      written,
      `${shown}: ${written} is outside the repository (${displayPath(files.boundary, files.cwd) || "."}); keygate reads data files only inside it`,
    );
    return failure(text);
  }
  files.reads ??= new Map();
  let reading = files.reads.get(path);
  if (!reading) files.reads.set(path, (reading = readTextFile(path, files.tree)));
  const read = await reading;
  if (name === "fileexists") {
    // Terraform: true for a file, false when there is none; a directory is an error.
    if (read.ok) return known(true);
    if (/no such file|not found|does not exist/i.test(read.message)) return known(false);
    report(files, instance, written, `${shown}: ${displayPath(path, files.cwd)}: ${read.message}`);
    return failure(text);
  }
  if (!read.ok) {
    report(files, instance, written, `${shown}: ${displayPath(path, files.cwd)}: ${read.message}`);
    return failure(text);
  }
  return known(read.text);
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
    boundary = dir;
    for (let d = dir; ; d = dirname(d)) {
      if (existsSync(resolve(d, ".git"))) {
        boundary = d;
        break;
      }
      if (dirname(d) === d) {
        const inCwd = relative(cwd, dir);
        if (!inCwd.startsWith("..") && !isAbsolute(inCwd)) boundary = cwd;
        break;
      }
    }
    boundaries.set(dir, boundary);
  }
  return boundary;
}

function rootOf(instance: ModuleInstance): ModuleInstance {
  let root = instance;
  while (root.parent) root = root.parent;
  return root;
}

/** An error at the call in the module's files (the first file naming the path), once per call and module. */
function report(files: DataFiles, instance: ModuleInstance, written: string, message: string): void {
  const needle = written.split("/").pop() ?? written;
  const source = instance.module.files.find((f) => f.text.includes(needle)) ?? instance.module.files[0];
  let at: { line: number; column: number } = { line: 1, column: 1 };
  if (source) {
    const offset = Math.max(0, source.text.indexOf(needle));
    const before = source.text.slice(0, offset);
    at = { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
  }
  const file = source?.file ?? displayPath(dirname(instance.module.dir), files.cwd);
  if (!files.errors.some((e) => e.file === file && e.message === message)) files.errors.push({ file, ...at, message });
}

/**
 * yamldecode: YAML 1.2's core schema (`yes` / `on` stay strings, `0o17` is octal), one document,
 * merge keys, as Terraform's go-cty-yaml; tags it does not know are errors.
 */
function yamlDecode(text: string): unknown {
  const document = parseDocument(text, {
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
