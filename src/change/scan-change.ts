import { statSync } from "node:fs";
import { dirname, posix, resolve } from "node:path";
import { compareDiagnostics, type Finding, type InputError, type Warning } from "../findings.js";
import { displayPath } from "../load/discover.js";
import { askGitEarly, forgetAskedGit } from "../load/git.js";
import type { FileLogEntry } from "../load/file-log.js";
import { scan, type ScanRequest, type ScanResult } from "../scan.js";
import { openChangeSet, type ChangeMode, type ChangeSet } from "./change-set.js";
import type { Repository } from "./git.js";
import type { Changes } from "./diff.js";
import { focusOf, inFocus, isWithin, type Focus } from "./focus.js";
import { isNewFinding, takeInventory, type Inventory } from "./inventory.js";
import { GitTree } from "./git-tree.js";
import { changeLayout } from "./layout.js";
import { workingTree } from "../load/tree.js";
import { localCallDir, shapeOf, type Configuration, type ConfigurationShape } from "../model/configuration.js";
import { dataFilesRead, dataTreesRead } from "../model/functions/files.js";

/** A change-aware scan: the paths, and which change to judge them by. */
export interface ChangeScanRequest extends Pick<
  ScanRequest,
  "paths" | "cwd" | "settings" | "policies" | "today" | "prefilter" | "cache" | "onProgress" | "pool" | "onFiles"
> {
  change: ChangeMode;
  /**
   * "scoped" (default): the "before" side is read only for the configurations the change touches
   * (see compare); "full": for every configuration in focus, as the reference the scoped
   * evaluation is tested against (the results are the same).
   */
  evaluation?: "scoped" | "full";
}

/**
 * Scans the configuration after a change and keeps only the pairs that are new in it: a key and
 * its user both absent before (under their module-qualified addresses, in the same root module, with
 * `moved` blocks followed). Linking sees every file, changed or not. The result has the shape of a
 * full scan's, so reporting and exit codes work alike.
 * Throws a GitError when git cannot give the two sides.
 */
export async function scanChange(request: ChangeScanRequest): Promise<ScanResult> {
  // The cache is read while git lists the two sides, and without one, the working tree's Terraform files
  // are asked for as discovery will ask (see discoveredEarly).
  let early: string | undefined;
  try {
    const change = await openChangeSet(request.cwd, request.change, request.settings.baseBranch, (repository) => {
      void request.cache?.load().catch(() => undefined);
      early = discoveredEarly(request, repository);
      if (early !== undefined) askGitEarly(early, { withIds: false });
    });
    try {
      return await compare(request, change, await focusOf(request.paths, request.cwd, change));
    } finally {
      change.close();
    }
  } finally {
    // What was asked early is for this run only, taken or not (a later scan must see the tree as it is then).
    if (early !== undefined) forgetAskedGit(early);
  }
}

/**
 * The directory whose Terraform files the "after" side's discovery will ask git for, when it is
 * the working tree and no cache lets the run know its directories otherwise (see change/layout.ts),
 * so that git lists them while it lists the change: one directory named (or the working
 * directory), or the repository's top level when files are named (see focusOf). A wrong guess costs
 * a git process, never a result: the answer is taken only by a discovery of that very directory.
 */
function discoveredEarly(request: ChangeScanRequest, repository: Repository): string | undefined {
  if (request.change.kind !== "base" || request.cache) return undefined;
  const kinds = request.paths.map((path) => statSync(resolve(request.cwd, path), { throwIfNoEntry: false }));
  if (kinds.length === 1 && kinds[0]?.isDirectory()) return resolve(request.cwd, request.paths[0]!);
  if (kinds.length > 0 && kinds.every((kind) => kind?.isFile())) return repository.toplevel;
  return undefined;
}

/**
 * A configuration as a scan saw it, with the findings it yielded; its inventory is taken when a
 * finding asks for it. A configuration outside the scope may be known by its shape alone (see
 * ScanRequest.observeShape): it yielded no finding.
 */
class Observed {
  private inventory: Promise<Inventory> | undefined;
  readonly root: string;
  readonly dirs: ReadonlySet<string>;
  readonly fingerprints: Set<string>;
  constructor(
    readonly shape: ConfigurationShape,
    readonly findings: readonly Finding[] = [],
    readonly configuration?: Configuration,
  ) {
    this.root = shape.root;
    this.dirs = shape.dirs;
    this.fingerprints = new Set(findings.map((f) => f.fingerprint));
  }

  static of(configuration: Configuration, findings: readonly Finding[]): Observed {
    return new Observed(shapeOf(configuration), findings, configuration);
  }

  /**
   * The directories it was read from, and those its local module calls point at (a module that is
   * gone changes it too); `withData`: also those of the data files it read.
   */
  reads(withData = true): string[] {
    // Data files read by file() / fileexists(), wherever they are (a changed users.yaml changes the configuration).
    const data =
      withData && this.configuration
        ? this.configuration.instances.flatMap((i) => dataFilesRead(i.module).map((path) => dirname(path)))
        : [];
    return [...this.dirs, ...this.shape.calls, ...data];
  }

  /** The directories whatever changes below which changes it: those `fileset()` globbed (a file added in a new subdirectory too). */
  readsBelow(): string[] {
    return this.configuration?.instances.flatMap((i) => dataTreesRead(i.module)) ?? [];
  }

  /** Whether a change touches what it was read from (`withData`: its data files and what fileset globbed too). */
  touchedBy(changes: Changes, withData: boolean): boolean {
    if (this.reads(withData).some((dir) => changes.touches(dir))) return true;
    const below = withData ? this.readsBelow() : [];
    return below.length > 0 && [...changes.dirs].some((dir) => below.some((tree) => isWithin(dir, tree)));
  }

  take(): Promise<Inventory> {
    // Only a configuration that yielded a finding is asked for (a shape yielded none).
    if (!this.configuration) throw new Error(`the configuration at ${this.root} was not assembled`);
    return (this.inventory ??= takeInventory(this.configuration, this.findings));
  }
}

/**
 * The "after" side is scanned whole (its errors, warnings and findings are the report's), the
 * "before" side only where the change can make a difference. A root module's configuration is the
 * same on both sides, and yields no new pair, unless one of its directories holds a file that
 * differs — git says which, by object ids, without reading them (see diff.ts) — or its being a root
 * changed (a changed module calls it, or stops calling it). So the "before" side is read for the
 * roots whose configuration touches a changed directory, and for the changed directories
 * themselves; every other root is judged against itself. With the cache, unchanged files cost
 * nothing on either side: their facts and parses are filed by blob id.
 */
async function compare(request: ChangeScanRequest, change: ChangeSet, focus: Focus): Promise<ScanResult> {
  const { cwd, settings } = request;
  const { prefilter, cache, onProgress, pool } = request;
  const base = {
    cwd,
    settings,
    policies: request.policies,
    today: request.today,
    ...(prefilter !== undefined ? { prefilter } : {}),
    // Saved once, when both sides have said what they used of it.
    ...(cache ? { cache, saveCache: false } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(pool ? { pool } : {}),
  };
  // --debug: what was read of each side (the base revision's files are read from git's objects).
  const onFiles = (side: string) =>
    request.onFiles
      ? {
          onFiles: (entries: FileLogEntry[]) =>
            request.onFiles!(entries.map((e) => ({ ...e, why: `${side}: ${e.why}` }))),
        }
      : {};

  const changes = await change.changes();
  // Only Terraform sources and variable files changed: a configuration can differ between the two
  // sides only if one of its directories does, which the module-call graph says (no data file read by
  // file(), no .keygate.json, no whole directory: those are judged by the configurations' full reading).
  const byGraph = !changes.others;
  const touched = (observed: Observed) => observed.touchedBy(changes, !byGraph);
  const scoped = request.evaluation !== "full";
  // What git vouches for as the "after" side's content, by blob id: a snapshot's own ids (the index),
  // or, in the working tree, those of the files in directories the change left as they were (the
  // base's). The cache's module-call graph stands for those directories' files in configurations the
  // change does not touch (see model/call-graph.ts).
  const afterIds = change.after.blobIds;
  const untouched = new Map<string, boolean>();
  const vouchedIds = afterIds
    ? (path: string) => afterIds.get(path)
    : (path: string) => {
        const dir = dirname(path);
        let unchanged = untouched.get(dir);
        if (unchanged === undefined) untouched.set(dir, (unchanged = !changes.touches(dir)));
        return unchanged ? change.before.blobIds.get(path) : undefined;
      };

  let afterPaths = focus.kind === "directories" ? focus.paths : [change.repository.toplevel];
  // The whole repository's snapshot, scoped, with the cache and no exclude rules: what the change left as it
  // was is known by git tree id (see layout.ts), not listed.
  const layout =
    scoped &&
    byGraph &&
    cache &&
    prefilter !== false &&
    !settings.exclude &&
    (change.after instanceof GitTree || change.after === workingTree) &&
    afterPaths.length === 1 &&
    resolve(cwd, afterPaths[0]!) === change.repository.toplevel
      ? (await cache.load(),
        await changeLayout(change.before, change.after instanceof GitTree ? change.after : undefined, changes, cache))
      : undefined;
  if (layout?.summaries.size) cache!.retainAll();
  if (
    focus.kind === "files" &&
    !layout?.summaries.size &&
    (layout?.files ?? (await change.after.discover(afterPaths, cwd, settings.exclude)).files).length === 0
  ) {
    // Only deleted files, and nothing left to check in the repository.
    afterPaths = [];
  }
  /**
   * The "after" side: scoped, only the configurations in focus that the change touches (or that
   * `also` names) are read whole and checked; the others are assembled from their module calls.
   */
  const scanAfter = async (also: ReadonlySet<string>) => {
    const seen: Observed[] = [];
    const inScope = (shape: ConfigurationShape) => {
      const observed = new Observed(shape);
      return inFocus(observed.dirs, focus) && (touched(observed) || also.has(observed.root));
    };
    const result: ScanResult = afterPaths.length
      ? await scan({
          ...base,
          ...onFiles(change.afterLabel),
          paths: afterPaths,
          tree: change.after,
          observe: (c, f) => void seen.push(Observed.of(c, f)),
          ...(scoped && byGraph
            ? { scope: inScope, vouchedIds, observeShape: (shape) => void seen.push(new Observed(shape)) }
            : {}),
          // Configurations known as shapes from the commit's walk are those no root the change touches calls (as the
          // rerun with `also` asks of every one): there, and when a root the scan reads calls one, it assembles them all.
          ...(layout ? { layout: also.size || !passedOk ? layout.withoutPassed() : layout } : {}),
        })
      : {
          findings: [],
          errors: [],
          warnings: [],
          files: 0,
          policies: request.policies.filter((p) => settings.severities.has(p.id)),
          configurations: [],
        };
    return { result, seen, selected: seen.filter((observed) => inFocus(observed.dirs, focus)) };
  };
  let passedOk = true;
  let { result: after, seen: afterSeen, selected } = await scanAfter(new Set());
  // A root known as its shape from the commit's walk is a root unless a directory the scan read calls it: then
  // it is part of that configuration, whose instances show it, and every configuration is assembled again.
  const passedRoots = new Set(layout?.passed?.map((shape) => shape.root));
  if (passedRoots.size && afterSeen.some((o) => o.configuration && [...o.dirs].some((dir) => passedRoots.has(dir)))) {
    passedOk = false;
    ({ result: after, seen: afterSeen, selected } = await scanAfter(new Set()));
  }

  // What the "before" side is read for: the same paths (files: the roots of the configurations in focus), where they existed ...
  const scope = (
    focus.kind === "directories" ? focus.paths.map((p) => resolve(cwd, p)) : outermost(selected.map((o) => o.root))
  ).filter((path) => change.before.kind(path) !== undefined);
  // ... and, scoped, only the roots the change touches, and the changed directories in those paths.
  // The full evaluation reads both sides whole and judges every root against its "before" side.
  const affected = new Set(selected.filter(touched).map((o) => o.root));
  const changedDirs = [...changes.dirs].filter(
    (dir) => scope.some((path) => isWithin(dir, path)) && change.before.kind(dir) === "dir",
  );
  const beforePaths = scoped
    ? outermost([...affected, ...changedDirs]).filter((path) => change.before.kind(path) !== undefined)
    : scope;
  const beforeSeen = new Map<string, Observed>();
  let beforeWarnings: Warning[] = [];
  if (beforePaths.length && selected.length) {
    const before = await scan({
      ...base,
      ...onFiles(change.comparedWith),
      paths: beforePaths,
      tree: change.before,
      observe: (c, f) => void beforeSeen.set(c.root.module.dir, Observed.of(c, f)),
    });
    // Fail closed: what an unreadable file declared before is unknown, so it counts as new. (An unchanged one is the after side's error to report.)
    beforeWarnings = before.errors
      .filter((e) => changes.changed(resolve(cwd, e.file)))
      .map((e) => incompleteBefore(e, change.before.label));
    // A root that a changed module called before was no root then: everything in it is new.
    const roots = new Set(selected.map((o) => o.root));
    const wasCalled = new Set<string>();
    for (const observed of beforeSeen.values()) {
      // (The "before" side is scanned without a scope: every configuration there is assembled.)
      for (const instance of observed.configuration?.instances ?? []) {
        if (!changes.touches(instance.module.dir) || !scope.some((path) => isWithin(instance.module.dir, path)))
          continue;
        for (const call of instance.module.calls) {
          const target = localCallDir(instance.module, call);
          if (target && roots.has(target) && !affected.has(target)) wasCalled.add(target);
        }
      }
    }
    wasCalled.forEach((root) => affected.add(root));
    // Scoped, those roots were not read whole on the "after" side: read again, with them (rare).
    if (scoped && byGraph && wasCalled.size)
      ({ result: after, seen: afterSeen, selected } = await scanAfter(wasCalled));
  }

  // Scoped, a root the change does not touch is the same on both sides: judged against itself.
  const beforeOf = async (observed: Observed) =>
    scoped && !affected.has(observed.root) ? observed.take() : beforeSeen.get(observed.root)?.take();
  const findings: Finding[] = [];
  const policies = new Map(request.policies.map((p) => [p.id, p]));
  for (const finding of after.findings) {
    // Every finding comes from one of the run's policies; which one decides what "new" means for it.
    const policy = policies.get(finding.ruleId)!;
    for (const observed of selected) {
      if (!observed.fingerprints.has(finding.fingerprint)) continue;
      if (!isNewFinding(policy, finding, await beforeOf(observed), await observed.take())) continue;
      // Reported in the configuration where it is new (a module called from several roots yields it once).
      findings.push({ ...atTheChange(finding, changes, cwd), configuration: displayPath(observed.root, cwd) });
      break;
    }
  }
  layout?.remember();
  await cache?.save();
  const focusDirs = new Set(selected.flatMap((o) => [...o.dirs].map((dir) => displayPath(dir, cwd))));
  const warnings =
    focus.kind === "files" ? after.warnings.filter((w) => focusDirs.has(posix.dirname(w.file))) : after.warnings;
  // The report is about the configurations the change touches: an input error or a warning in a file
  // of an untouched one only (the same on both sides) is not the change's.
  // (Made only if there is a diagnostic to sort out: a thousand configurations' directories add up.)
  let outside: Set<string> | undefined;
  const isTheChanges = (d: { file: string }) =>
    !(
      SOURCE_FILE.test(d.file) &&
      (outside ??= byGraph ? untouchedDirs(afterSeen, affected) : new Set<string>()).has(dirname(resolve(cwd, d.file)))
    );
  return {
    ...after,
    comparedWith: change.comparedWith,
    ...(change.baseCommit !== undefined ? { baseCommit: change.baseCommit } : {}),
    findings,
    errors: [...after.errors.filter(isTheChanges), ...focus.errors].sort(compareDiagnostics),
    warnings: [...warnings.filter(isTheChanges), ...beforeWarnings].sort(compareDiagnostics),
    ...(focus.kind === "files"
      ? { configurations: [...new Set(selected.map((o) => displayPath(o.root, cwd)))].sort() }
      : {}),
  };
}

/** Terraform sources and variable files (the files whose diagnostics belong to a module directory). */
const SOURCE_FILE = /\.(tf|tf\.json|tofu|tofu\.json|tfvars|tfvars\.json)$/;

/** The module directories that belong only to configurations outside `affected` (by root directory). */
function untouchedDirs(seen: readonly Observed[], affected: ReadonlySet<string>): Set<string> {
  const inside = new Set(seen.filter((o) => affected.has(o.root)).flatMap((o) => [...o.dirs]));
  return new Set(seen.flatMap((o) => (affected.has(o.root) ? [] : [...o.dirs].filter((dir) => !inside.has(dir)))));
}

/**
 * A finding in a local module that the change did not touch is new because of a `module` block
 * that is: it is reported there (the outermost changed call on the way from the root), where the
 * author of the change can act, with the key's block kept as a related location.
 */
function atTheChange(finding: Finding, changes: Changes, cwd: string): Finding {
  const calls = finding.related.filter((r) => r.role === "module-call" && r.location);
  if (calls.length === 0 || changes.changed(resolve(cwd, finding.location.file))) return finding;
  const call = calls.find((c) => changes.changed(resolve(cwd, c.location!.file)));
  if (!call) return finding;
  return {
    ...finding,
    location: call.location!,
    related: [...finding.related, { role: "key", address: finding.resource, location: finding.location }],
  };
}

function incompleteBefore(error: InputError, label: string): Warning {
  return {
    file: error.file,
    line: error.line ?? 1,
    column: error.column ?? 1,
    message: `in ${label}: ${error.message} (what it declared there cannot be known, so it counts as new)`,
  };
}

/** The directories not below another one of them (directories are scanned recursively). */
function outermost(dirs: readonly string[]): string[] {
  const sorted = [...new Set(dirs)].sort();
  return sorted.filter((dir, i) => !sorted.slice(0, i).some((other) => isWithin(dir, other)));
}
