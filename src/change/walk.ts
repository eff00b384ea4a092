import { join, sep } from "node:path";
import type { ParseCache } from "../load/parse-cache.js";
import { CallGraph, isRecordedCall, type DirectorySummary, type RecordedCall } from "../model/call-graph.js";
import { resolveLocal, summarizedShape, type ConfigurationShape } from "../model/configuration.js";
import { MANIFEST_PATH } from "../model/manifest.js";
import { isSkippedDir, type GitTree } from "./git-tree.js";

/**
 * A commit's walk, kept in the cache: the summaries of its directories (see CallGraph.summary) and
 * the shapes assembling makes of them (see summarizedShape) rooted at each one no other calls. All
 * of it follows from the commit's tree, named by GitTree.rootDigest. A run takes only untouched
 * directories and shapes from it (see untouchedWalk); a directory it lacks is read as one without a
 * summary, and the record is made again when a run learns one. Malformed: ignored, made again. One
 * record per commit (`walk:` and the digest); the last RECENT are kept, listed in another record.
 */
export interface CommitWalk {
  /** The directories (absolute), each with how many module files it has and whether the commit tracks its module manifest. */
  readonly dirs: readonly string[];
  readonly files: readonly number[];
  readonly manifests: readonly boolean[];
  /** A directory's calls (parsed when first asked for). */
  calls(index: number): readonly RecordedCall[];
  /** Each directory no other one of them calls whose configuration is made of them alone: its index, and its shape's directories and calls' targets, as indices (in assembling's order). */
  readonly shapes: readonly { root: number; dirs: readonly number[]; calls: readonly number[] }[];
}

/** A JSON string (as JSON.stringify writes it), a local module source (see isLocalSource), an integer. */
const STRING = String.raw`"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"`;
const SOURCE = String.raw`"\.\.?/(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"`;
const INTEGER = String.raw`-?(?:0|[1-9]\d*)`;
const CALL = String.raw`\[${STRING},${SOURCE},${STRING},${INTEGER},${INTEGER},${INTEGER},${INTEGER}\]`;
/** A directory's calls as stored: a JSON list of RecordedCall. */
const CALLS = new RegExp(String.raw`^\[(?:${CALL}(?:,${CALL})*)?\]$`);

const RECORD = "walk:";
const VERSION = "walk2";
const RECENT_RECORD = "walks";
const RECENT = 4;

function walkKey(toplevel: string): string {
  return `${VERSION}\u0000${toplevel}`;
}

/**
 * As stored (JSON): directories relative to the top level, joined by NUL; their module files;
 * manifests ("0"/"1" each); their calls, each a JSON text, one after the other, with their ends
 * (parsed only where a run assembles); shapes as indices: root, dirs count, dirs, calls count, calls.
 */
interface Stored {
  dirs: string;
  files: number[];
  manifests: string;
  calls: string;
  ends: number[];
  shapes: number[];
}

/** The record of a commit, read from the cache; undefined when there is none, or it cannot be trusted. */
export function readCommitWalk(cache: ParseCache, toplevel: string, tree: string): CommitWalk | undefined {
  const value = cache.record(`${RECORD}${tree}`).get(walkKey(toplevel));
  // (The list of the newest records is kept with it: see writeCommitWalk.)
  cache.record(RECENT_RECORD).get(VERSION);
  if (typeof value !== "object" || value === null) return undefined;
  const stored = value as Partial<Record<keyof Stored, unknown>>;
  const { dirs: joined, manifests, calls } = stored;
  if (
    typeof joined !== "string" ||
    typeof manifests !== "string" ||
    typeof calls !== "string" ||
    !Array.isArray(stored.files) ||
    !Array.isArray(stored.ends) ||
    !Array.isArray(stored.shapes)
  )
    return undefined;
  const files = stored.files as unknown[];
  const ends = stored.ends as unknown[];
  const flat = stored.shapes as unknown[];
  const rels = joined === "" ? [] : joined.split("\u0000");
  const count = rels.length;
  if (files.length !== count || manifests.length !== count || ends.length !== count) return undefined;
  for (let i = 0; i < count; i++) {
    const end = ends[i];
    const start = i ? (ends[i - 1] as number) : 0;
    if (
      !Number.isSafeInteger(files[i]) ||
      (files[i] as number) < 1 ||
      (manifests[i] !== "0" && manifests[i] !== "1") ||
      !Number.isSafeInteger(end) ||
      (end as number) < start ||
      (end as number) > calls.length ||
      // Checked whole without being parsed (see CALLS): parsing it when asked for gives well-formed calls.
      !CALLS.test(calls.slice(start, end as number))
    )
      return undefined;
  }
  const prefix = toplevel.endsWith(sep) ? toplevel : `${toplevel}${sep}`;
  const dirs = rels.map((rel) => (rel === "" ? toplevel : `${prefix}${rel}`));
  const shapes: { root: number; dirs: number[]; calls: number[] }[] = [];
  const isIndex = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) < count;
  for (let at = 0; at < flat.length;) {
    const root = flat[at];
    const dirCount = flat[at + 1];
    if (!isIndex(root) || !Number.isInteger(dirCount) || (dirCount as number) < 1) return undefined;
    const shapeDirs = flat.slice(at + 2, at + 2 + (dirCount as number));
    const callCount = flat[at + 2 + (dirCount as number)];
    if (!Number.isInteger(callCount) || (callCount as number) < 0) return undefined;
    const from = at + 3 + (dirCount as number);
    const shapeCalls = flat.slice(from, from + (callCount as number));
    if (
      shapeDirs.length !== dirCount ||
      shapeDirs[0] !== root ||
      !shapeDirs.every(isIndex) ||
      shapeCalls.length !== callCount ||
      !shapeCalls.every(isIndex)
    )
      return undefined;
    shapes.push({ root, dirs: shapeDirs, calls: shapeCalls });
    at = from + callCount;
  }
  const parsed = new Map<number, readonly RecordedCall[]>();
  return {
    dirs,
    files: files as number[],
    manifests: Array.from({ length: count }, (_, i) => manifests[i] === "1"),
    calls: (index) => {
      let list = parsed.get(index);
      if (!list) {
        list = JSON.parse(
          calls.slice(index ? (ends[index - 1] as number) : 0, ends[index] as number),
        ) as RecordedCall[];
        // (CALLS allows nothing else: a failure here is keygate's own.)
        if (!list.every(isRecordedCall)) throw new Error("keygate: a checked call graph record reads otherwise");
        parsed.set(index, list);
      }
      return list;
    },
    shapes,
  };
}

/** Makes and keeps a commit's record from the summaries of all its directories by tree id (this run's included). */
export function writeCommitWalk(cache: ParseCache, before: GitTree, tree: string): void {
  const graph = new CallGraph(cache);
  const stored: Stored = { dirs: "", files: [], manifests: "", calls: "", ends: [], shapes: [] };
  const rels: string[] = [];
  const dirs: string[] = [];
  // Assembling's view of them (see ModuleLoader.summarizedCalls): a directory whose manifest the commit tracks is read.
  const known = new Map<string, readonly string[]>();
  for (const rel of before.directoryPaths()) {
    if (isSkippedDir(rel)) continue;
    const dir = before.absolute(rel);
    const id = before.treeId(dir);
    const summary = id === undefined ? undefined : graph.summary(CallGraph.treeKey(dir, id), true);
    if (!summary) continue;
    const manifest = before.blobId(join(dir, MANIFEST_PATH)) !== undefined;
    rels.push(rel);
    dirs.push(dir);
    stored.files.push(summary.files);
    stored.manifests += manifest ? "1" : "0";
    stored.calls += JSON.stringify(summary.calls);
    stored.ends.push(stored.calls.length);
    if (!manifest)
      known.set(
        dir,
        summary.calls.map(([, source]) => resolveLocal(dir, source)),
      );
  }
  stored.dirs = rels.join("\u0000");
  const index = new Map(dirs.map((dir, i) => [dir, i]));
  const called = new Set<string>();
  for (const [dir, targets] of known) for (const target of targets) if (target !== dir) called.add(target);
  for (const [dir] of known) {
    if (called.has(dir)) continue;
    const shape = summarizedShape(dir, known);
    // (Every directory of a shape is among the known ones: the walk fails at any other.)
    if (shape)
      stored.shapes.push(
        index.get(dir)!,
        shape.dirs.size,
        ...[...shape.dirs].map((d) => index.get(d)!),
        shape.calls.length,
        ...shape.calls.map((d) => index.get(d)!),
      );
  }
  cache.record(`${RECORD}${tree}`).set(walkKey(before.absolute("")), stored);
  // The newest few are kept, the others dropped (a record for each commit compared with would add up).
  const recent = cache.record(RECENT_RECORD);
  const listed = recent.get(VERSION);
  const trees = [
    tree,
    ...(Array.isArray(listed)
      ? listed.filter((other): other is string => typeof other === "string" && other !== tree)
      : []),
  ];
  for (const old of trees.slice(RECENT)) cache.dropRecord(`${RECORD}${old}`);
  recent.set(VERSION, trees.slice(0, RECENT));
}

/** For a change (`touches`): the untouched summaries, the shapes of untouched directories only, and the other untouched directories (`rest`). */
export function untouchedWalk(
  walk: CommitWalk,
  touches: (dir: string) => boolean,
): { summaries: ReadonlyMap<string, DirectorySummary>; shapes: ConfigurationShape[]; rest: string[] } {
  const touched = walk.dirs.map(touches);
  const summaries = new WalkSummaries(walk, touched);
  const inShapes = new Uint8Array(walk.dirs.length);
  const shapes: ConfigurationShape[] = [];
  for (const shape of walk.shapes) {
    // A shape's calls point at its directories: untouched directories, untouched calls.
    if (shape.dirs.some((i) => touched[i])) continue;
    for (const i of shape.dirs) inShapes[i] = 1;
    shapes.push({
      root: walk.dirs[shape.root]!,
      dirs: new Set(shape.dirs.map((i) => walk.dirs[i]!)),
      calls: shape.calls.map((i) => walk.dirs[i]!),
    });
  }
  const rest = walk.dirs.filter((_, i) => !touched[i] && !inShapes[i]);
  return { summaries, shapes, rest };
}

/** The untouched directories' summaries, made when asked for (a run asks for a few). Not to be changed or listed whole. */
class WalkSummaries extends Map<string, DirectorySummary> {
  private readonly index = new Map<string, number>();
  private readonly made = new Map<number, DirectorySummary>();

  constructor(
    private readonly walk: CommitWalk,
    touched: readonly boolean[],
  ) {
    super();
    walk.dirs.forEach((dir, i) => {
      if (!touched[i]) this.index.set(dir, i);
    });
  }

  private summary(dir: string): DirectorySummary | undefined {
    const i = this.index.get(dir);
    if (i === undefined) return undefined;
    let made = this.made.get(i);
    if (!made) {
      // Its calls are parsed when asked for (a run counts every untouched directory's files, and assembles a few).
      const walk = this.walk;
      let calls: readonly RecordedCall[] | undefined;
      let targets: readonly string[] | undefined;
      made = {
        files: walk.files[i]!,
        get calls() {
          return (calls ??= walk.calls(i));
        },
        get targets() {
          return (targets ??= this.calls.map(([, source]) => resolveLocal(dir, source)));
        },
        manifest: walk.manifests[i]!,
      };
      this.made.set(i, made);
    }
    return made;
  }

  override get(dir: string): DirectorySummary | undefined {
    return this.summary(dir);
  }

  override has(dir: string): boolean {
    return this.index.has(dir);
  }

  override get size(): number {
    return this.index.size;
  }

  override keys(): MapIterator<string> {
    return this.index.keys();
  }

  override *entries(): MapIterator<[string, DirectorySummary]> {
    for (const dir of this.index.keys()) yield [dir, this.summary(dir)!];
  }

  override [Symbol.iterator](): MapIterator<[string, DirectorySummary]> {
    return this.entries();
  }

  override values(): MapIterator<DirectorySummary> {
    throw new Error("a walk's summaries are looked up, not listed");
  }

  override forEach(): void {
    throw new Error("a walk's summaries are looked up, not listed");
  }
}
