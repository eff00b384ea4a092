import { createHash } from "node:crypto";
import { basename, resolve, sep } from "node:path";
import type { SourceLocation } from "../findings.js";
import type { CacheRecord, ParseCache } from "../load/parse-cache.js";
import type { SourceFile } from "../load/sources.js";
import { isLocalSource } from "./configuration.js";
import type { Module, ModuleCall } from "./module.js";

/**
 * The module-call graph, kept in the cache by content: for a module directory whose files have
 * these exact blob ids, the module calls its model holds. A change-aware scan assembles the
 * configurations that the change does not touch from it, without reading their files (see
 * ModuleLoader's stubs): their shape (which roots call which modules) is all it needs of them.
 *
 * A directory's key is its path and the name and git blob id of each of its Terraform files (as
 * listed for its module): the calls are a function of exactly those contents, so an entry can only
 * be stale if the content is not what the ids say, which is the caller's to vouch for. Only
 * directories whose every call is local (`./`, `../`) with a literal source are kept: a registry
 * or git call brings the catalog and `.terraform/` into the shape.
 */
export class CallGraph {
  private readonly record: CacheRecord;

  constructor(cache: ParseCache) {
    this.record = cache.record(RECORD);
  }

  /** The key of a directory's content; undefined when the id of one of its files is not known. */
  static key(dir: string, paths: readonly string[], idOf: (path: string) => string | undefined): string | undefined {
    let content = `${VERSION}\u0000${dir}\u0000`;
    const prefix = dir.endsWith(sep) ? dir : `${dir}${sep}`;
    for (const path of paths) {
      const id = idOf(path);
      if (id === undefined) return undefined;
      // The files of a module are in its directory: their names follow it (a thousand directories add up).
      content += `${path.startsWith(prefix) ? path.slice(prefix.length) : basename(path)}\u0000${id}\u0000`;
    }
    return createHash("sha1").update(content).digest("base64url");
  }

  /** The calls recorded for a directory's content (see key), if any (and well formed). */
  calls(key: string): RecordedCall[] | undefined {
    const value = this.record.get(key);
    return Array.isArray(value) && value.every(isRecordedCall) ? value : undefined;
  }

  /** Records the calls of a module built from the content `key` names; not when one of them is not local. */
  remember(key: string, module: Module): void {
    // The key names the content: what is recorded for it already is what this module holds (kept, not rebuilt).
    if (this.calls(key)) return;
    const calls = recordedCalls(module);
    if (calls) this.record.set(key, calls);
  }

  /**
   * The key of a directory by its git tree id in a commit (see GitTree.treeId): the id names the
   * directory's whole content, so a directory with that id has those files and those calls,
   * without its files being listed (a summary, see {@link summary}).
   */
  static treeKey(dir: string, treeId: string): string {
    return `${TREE_VERSION}\u0000${dir}\u0000${treeId}`;
  }

  /**
   * What is recorded for a directory by its tree id (see treeKey): how many module files it has, and
   * its calls. `latest`: also what this run recorded (see CacheRecord.latest).
   */
  summary(treeKey: string, latest = false): DirectorySummary | undefined {
    const value = latest ? this.record.latest(treeKey) : this.record.get(treeKey);
    if (
      !Array.isArray(value) ||
      value.length !== 2 ||
      !Number.isSafeInteger(value[0]) ||
      (value[0] as number) < 1 ||
      !Array.isArray(value[1]) ||
      !value[1].every(isRecordedCall)
    )
      return undefined;
    return { files: value[0] as number, calls: value[1] };
  }

  /** Records a directory's summary by its tree id: its module files (how many) and its calls; not when a call is not local. */
  rememberSummary(treeKey: string, files: number, module: Module): void {
    if (files < 1 || this.summary(treeKey)) return;
    const calls = recordedCalls(module);
    if (calls) this.record.set(treeKey, [files, calls]);
  }
}

/** A module directory as a summary knows it (see CallGraph.summary): the number of its module files, and its calls. */
export interface DirectorySummary {
  files: number;
  calls: readonly RecordedCall[];
  /**
   * Worked out once for a commit's directories (see change/walk.ts), absent otherwise: the
   * directories its calls point at (resolveLocal, in order), and whether the commit tracks its
   * `.terraform/modules/modules.json`.
   */
  targets?: readonly string[];
  manifest?: boolean;
}

/** A module's calls as recorded; undefined when one of them is not local (its shape depends on more than the directory). */
function recordedCalls(module: Module): RecordedCall[] | undefined {
  const calls: RecordedCall[] = [];
  for (const call of module.calls) {
    if (call.source === undefined || !isLocalSource(call.source)) return undefined;
    const { file, line, column, endLine, endColumn } = call.location;
    calls.push([call.name, call.source, file, line, column, endLine, endColumn]);
  }
  return calls;
}

/** The cache record's name, and the version of its entries' shape (in every key). */
const RECORD = "calls";
const VERSION = "calls1";
const TREE_VERSION = "tree1";

/** A local module call as kept: name, source, and where it is written (file as shown, line, column, end). */
export type RecordedCall = [
  name: string,
  source: string,
  file: string,
  line: number,
  column: number,
  endLine: number,
  endColumn: number,
];

export function isRecordedCall(value: unknown): value is RecordedCall {
  return (
    Array.isArray(value) &&
    value.length === 7 &&
    typeof value[0] === "string" &&
    typeof value[1] === "string" &&
    isLocalSource(value[1]) &&
    typeof value[2] === "string" &&
    value.slice(3).every((n) => Number.isInteger(n))
  );
}

/**
 * A module known only by its calls (a stub): what assembling a configuration needs of a module
 * that is not checked. Nothing else of it is read; the loader replaces it with the module read
 * from its files before its configuration is checked (see ModuleLoader.materialize).
 */
export function stubModule(dir: string, calls: readonly RecordedCall[], cwd: string): Module {
  return {
    dir,
    files: [],
    resources: [],
    calls: calls.map(([name, source, file, line, column, endLine, endColumn]): ModuleCall => {
      const location: SourceLocation = { file, line, column, endLine, endColumn };
      let sourceFile: SourceFile | undefined;
      return {
        name,
        source,
        version: undefined,
        inputs: {},
        count: undefined,
        forEach: undefined,
        // Made only if asked for (it is not, outside a checked configuration): a thousand stubs add up.
        get sourceFile() {
          return (sourceFile ??= unreadSource(resolve(cwd, file), file));
        },
        location,
      };
    }),
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    moves: [],
  };
}

/** The file a stub's call is written in: not read (an empty text). */
function unreadSource(path: string, file: string): SourceFile {
  return {
    path,
    file,
    syntax: "hcl",
    text: "",
    body: { attributes: [], blocks: [] },
    outline: { blocks: [], comments: [] },
  };
}
