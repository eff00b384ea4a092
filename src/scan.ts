import { dirname, resolve, sep } from "node:path";
import {
  compareDiagnostics,
  compareFindings,
  compareStrings,
  type Finding,
  type InputError,
  type Warning,
} from "./findings.js";
import type { Settings } from "./load/config.js";
import {
  displayPath,
  groupByDirectory,
  isTerraformFile,
  submodulesUnder,
  TERRAFORM_EXTENSIONS,
} from "./load/discover.js";
import { addScannedRoot } from "./load/file-kind.js";
import {
  askGitAbout,
  askUnchangedBlobIds,
  blobIdOf,
  forgetAskedGit,
  gitAnswerFor,
  type GitAnswer,
} from "./load/git.js";
import { statSync } from "node:fs";
import type { ParseCache } from "./load/parse-cache.js";
import { ParserPool } from "./load/parse-pool.js";
import type { FileLogEntry } from "./load/file-log.js";
import { readPlanFile, STDIN_NAME } from "./load/plan.js";
import { prefilterFor } from "./load/prefilter.js";
import { readStandardInput, readTextFile, readWorkingTreeText } from "./load/read.js";
import { workingTree, type SourceTree } from "./load/tree.js";
import {
  assembleConfigurations,
  isLocalSource,
  qualify,
  shapeOf,
  type Configuration,
  type ConfigurationShape,
} from "./model/configuration.js";
import { importsOf } from "./model/imports.js";
import { ModuleLoader } from "./model/loader.js";
import type { DirectorySummary } from "./model/call-graph.js";
import { overrideErrors } from "./model/module.js";
import { dataFileErrors } from "./model/functions/files.js";
import { referenceErrors } from "./model/references.js";
import { unfollowedCallWarnings } from "./model/unfollowed.js";
import type { VariableInputs } from "./model/variables.js";
import { Evaluator } from "./model/expressions.js";
import type { Policy, SourceLocator } from "./policies/policy.js";
import type { ScanResult } from "./scan-result.js";
import {
  configurationKey,
  directoryKey,
  directoryMetadataNow,
  shapeKey,
  shapeMetadata,
  unindexedFiles,
  variableFileHash,
  verdictScope,
  vouchedRow,
  VerdictStore,
  type PartlyReplayed,
  type Replayed,
  type Verdict,
} from "./scan-verdicts.js";
import { applyInlineSuppressions, collectDirectives, type Directive } from "./suppress/inline.js";
import type { SourceFile } from "./load/sources.js";
import { dataFilesRead, dataTreesRead } from "./model/functions/files.js";

export type { ScanResult } from "./scan-result.js";

/** What a scan is asked to do. */
export interface ScanRequest {
  paths: string[];
  cwd: string;
  settings: Settings;
  policies: readonly Policy[];
  /** Today's date, `YYYY-MM-DD`, for suppressions with an `until` date. */
  today: string;
  /** Where files are read from (default: the working tree). */
  tree?: SourceTree;
  /** Shown each configuration with the findings it yielded, before suppression (change-aware scans take their inventory here). */
  observe?: (configuration: Configuration, findings: readonly Finding[]) => void | Promise<void>;
  /**
   * Which configurations to check (absent: all), by their shape. The others are assembled from
   * what shapes them (their module calls: see loadConfigurations) and observed, but neither read
   * whole nor checked: change-aware scans check only the configurations a change touches.
   */
  scope?: (shape: ConfigurationShape) => boolean;
  /**
   * With `scope` and a `layout`: shown the shape of each configuration outside the scope that was
   * known from summaries alone, and so not instantiated (not shown to `observe`).
   */
  observeShape?: (shape: ConfigurationShape) => void;
  /**
   * With `scope` and a cache: the blob ids the caller vouches for as the tree's content (a
   * change-aware scan: the files the change left as they were). Configurations outside the scope
   * are then assembled from the cache's module-call graph where it knows a directory's content by
   * them, without reading it (see model/call-graph.ts).
   */
  vouchedIds?: (path: string) => string | undefined;
  /**
   * With `scope` and a cache: what a change-aware scan already knows of the tree's directories
   * (see change/summary.ts), standing for discovery: the Terraform files of the directories to read,
   * and the directories known by a summary of the cache's call graph (their calls and how many files
   * they have, by git tree id), which are neither listed nor read; and under which key a directory's
   * summary is recorded (see ModuleLoader's options).
   */
  layout?: TreeLayout;
  /** Plans (`terraform show -json` output) to check, besides `.json` files among `paths`; "-" is stdin. */
  plans?: string[];
  /** The Terraform sources of the plans (their root module directory), to point findings at `.tf` lines too. */
  source?: string;
  /** Reads standard input (for the plan "-"). */
  readStdin?: () => Promise<Uint8Array>;
  /** false: parse every file, also those that cannot matter (default: skip them; see prefilter.ts). */
  prefilter?: boolean;
  /** Parse results kept between runs (absent: none). */
  cache?: ParseCache;
  /** false: the caller saves the cache (a change-aware scan, once for its two sides). */
  saveCache?: boolean;
  /** Told how many files have been parsed out of how many, during long batches. */
  onProgress?: (done: number, total: number) => void;
  /** The parser's workers, when the caller manages them (else the scan starts and stops its own). */
  pool?: ParserPool;
  /** Root variable values from the environment (`TF_VAR_*`) and `--var` / `--var-file`, beside the tfvars files. */
  variables?: VariableInputs;
  /** Told, at the end, what became of each input file (--debug). */
  onFiles?: (entries: FileLogEntry[]) => void;
}

/** What a change-aware scan knows of the tree before the scan (see ScanRequest.layout). */
export interface TreeLayout {
  /** The Terraform files of the directories to read (absolute, sorted), as discovery would find them. */
  files: string[];
  /** Directories to scan known by their summary (absolute). */
  summaries: ReadonlyMap<string, DirectorySummary>;
  /** The key a directory's summary is recorded under, for directories whose content is a commit's (see CallGraph.treeKey). */
  summaryKey: (dir: string) => string | undefined;
  /** In the working tree: the blob ids git gives for its files (see ModuleLoader.survey), instead of asking git for them again. */
  blobIds?: Map<string, string>;
  /**
   * Configurations outside the scope known as their shapes (see change/walk.ts), passed over as
   * assembling would pass them, unassembled: the scan assembles `scanned` instead of every
   * summarized directory. The caller checks that nothing the scan reads calls one of their roots.
   */
  passed?: readonly ConfigurationShape[];
  /** With `passed`: the summarized directories to assemble (those in none of the shapes). */
  scanned?: readonly string[];
}

/**
 * The static pipeline: discover → read and parse → model (modules, configurations) → evaluate
 * the enabled policies → apply inline suppressions → sort. Input errors are collected, never thrown,
 * so that one broken file does not hide the findings of the others.
 */
export async function scan(request: ScanRequest): Promise<ScanResult> {
  const { cwd, settings } = request;
  const policies = request.policies.filter((p) => settings.severities.has(p.id));
  // The parser's first worker starts now (if the caller has not started one), while files are discovered and read.
  const pool = request.pool ?? new ParserPool();
  const tree = request.tree ?? workingTree;
  const planPaths = [...(request.plans ?? []), ...request.paths.filter((p) => p === "-")];
  const paths = request.paths.filter((p) => p !== "-");
  // With a cache, git is asked which files are unchanged while discovery runs (see ModuleLoader.survey),
  // unless a change-aware scan's layout gives them: for a scan of one directory, about that directory
  // only, in the listing discovery takes too.
  // A full scan of one directory whose verdicts were kept: taken if nothing changed, before anything else (see scan-verdicts.ts).
  const quick = quickVerdicts(request, tree, planPaths);
  if (quick) {
    const replayed = await quick.store.replay(quick.answer, quick.dir);
    // Some files changed in place: the configurations they belong to checked again, the others' verdicts taken.
    const result = replayed
      ? "partly" in replayed
        ? await partlyReplayedResult(request, policies, replayed, quick, pool)
        : replayedResult(request, policies, replayed, [])
      : undefined;
    if (result) {
      forgetAskedGit(quick.dir);
      if (!request.pool) await pool.close();
      return result;
    }
  }
  const withIds = request.cache && tree === workingTree && request.prefilter !== false && paths.length > 0;
  const layout = request.scope && request.cache ? request.layout : undefined;
  const given = layout?.blobIds;
  const only = withIds && !layout && paths.length === 1 ? directoryOf(resolve(cwd, paths[0]!)) : undefined;
  if (only !== undefined && only !== cwd) askGitAbout(only);
  const idsLater = withIds
    ? given
      ? () => Promise.resolve(given)
      : quick?.dir === (only ?? cwd)
        ? quick.ids()
        : askUnchangedBlobIds(only ?? cwd)
    : undefined;
  const discovery = layout
    ? { files: layout.files, namedFiles: [], otherFiles: [], errors: [] }
    : paths.length
      ? await tree.discover(paths, cwd, settings.exclude)
      : { files: [], namedFiles: [], otherFiles: [], errors: [] };
  if (only !== undefined) forgetAskedGit(only);
  const errors: InputError[] = [...discovery.errors];
  for (const other of discovery.otherFiles) {
    if (other.endsWith(".json")) {
      planPaths.push(other);
      continue;
    }
    // A binary plan (a zip) deserves its own advice; any other file is simply not ours to read.
    const read = await readTextFile(other, tree);
    const message = read.ok
      ? `not a Terraform file or plan: keygate reads ${TERRAFORM_EXTENSIONS.join(", ")} and plans (\`terraform show -json tfplan\` output, .json)`
      : read.message;
    errors.push({ file: displayPath(other, cwd), message });
  }
  if (
    paths.length &&
    discovery.files.length === 0 &&
    !layout?.summaries.size &&
    planPaths.length === 0 &&
    errors.length === 0
  ) {
    const terragrunt = await terragruntConfiguration(paths, cwd);
    const why = terragrunt
      ? `; ${terragrunt} is a Terragrunt configuration, which keygate does not read: scan the Terraform modules it sources, or its plan (terragrunt plan -out tfplan && terragrunt show -json tfplan > tfplan.json)`
      : "";
    errors.push({
      file: request.paths.join(" "),
      message: `no Terraform files (${TERRAFORM_EXTENSIONS.join(", ")}) found in ${request.paths.map((p) => `"${p}"`).join(", ")}${why}`,
    });
  }

  // A full scan of one directory with a cache: its verdicts are kept (see scan-verdicts.ts).
  const verdicts = quick && verdictsFor(discovery, errors) ? quick : undefined;
  const discovered = groupByDirectory(discovery.files);
  if (verdicts) {
    // Before the files are listed: while a root directory's metadata stays so, so does its list of variable files.
    verdicts.rootMetadata = directoryMetadataNow(discovered.keys());
  }

  const blobIds = idsLater?.();
  const loader = new ModuleLoader({
    pool,
    cwd,
    tree,
    discovered,
    wholeDirs: new Set(discovery.namedFiles.map(dirname)),
    errors,
    ...(request.prefilter === false ? {} : { prefilter: prefilterFor(policies) }),
    ...(request.cache ? { cache: request.cache } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    ...(request.variables ? { variables: request.variables } : {}),
    ...(blobIds ? { blobIds } : {}),
    ...(request.scope && request.vouchedIds ? { vouchedIds: request.vouchedIds } : {}),
    ...(layout ? { summaries: layout.summaries, summaryKey: layout.summaryKey } : {}),
    ...(layout?.passed && layout.scanned ? { scanned: layout.scanned } : {}),
    ...(request.scope ? { deferSurveys: true } : {}),
  });
  await request.cache?.load();
  try {
    return await checkAll(
      request,
      loader,
      policies,
      planPaths,
      errors,
      verdicts && { ...verdicts, discovered, files: discovery.files },
    );
  } finally {
    if (!request.pool) await pool.close();
  }
}

/** A full scan's verdicts: where they are kept, their scope, and (once taken) the root directories' metadata. */
interface Verdicts {
  store: VerdictStore;
  scope: string;
  /** The scanned directory, and git's answer about it (see gitAnswerFor). */
  dir: string;
  answer: Promise<GitAnswer | null>;
  /** The index's object ids of the directory's files (see askUnchangedBlobIds), asked once, on first use. */
  ids: () => () => Promise<Map<string, string> | undefined>;
  rootMetadata?: Map<string, string | undefined>;
}

/**
 * Whether a scan's verdicts are taken and kept (see scan-verdicts.ts): a scan of one directory of
 * the working tree (not of files named one by one), with a cache and the prefilter, with no plan,
 * no scope (change-aware scans have their own reuse), nothing from outside the scanned files (a
 * --var-file), and no git submodule under it (its files are listed apart).
 */
function quickVerdicts(request: ScanRequest, tree: SourceTree, planPaths: readonly string[]): Verdicts | undefined {
  const { cache } = request;
  if (
    !cache ||
    tree !== workingTree ||
    request.prefilter === false ||
    request.scope ||
    request.observe ||
    request.vouchedIds ||
    request.source !== undefined ||
    planPaths.length > 0 ||
    request.paths.length !== 1
  )
    return undefined;
  const scope = verdictScope({
    cwd: request.cwd,
    settings: request.settings,
    policies: request.policies,
    variables: request.variables,
  });
  if (scope === undefined) return undefined;
  const dir = resolve(request.cwd, request.paths[0]!);
  if (isTerraformFile(dir) || !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  if (submodulesUnder(dir).length > 0) return undefined;
  const answer = gitAnswerFor(dir);
  if (!answer) return undefined;
  // As discovery does (links to files are followed only inside the scanned directory, outside a repository).
  addScannedRoot(dir);
  let ids: (() => Promise<Map<string, string> | undefined>) | undefined;
  return {
    store: new VerdictStore(cache, shapeKey(scope, dir)),
    scope,
    dir,
    answer,
    ids: () => (ids ??= askUnchangedBlobIds(dir)),
  };
}

/** Whether discovery found what verdicts can be kept of: directories' files only, no input error. */
function verdictsFor(
  discovery: { files: string[]; namedFiles: string[]; otherFiles: string[] },
  errors: readonly InputError[],
): boolean {
  return (
    discovery.files.length > 0 &&
    discovery.namedFiles.length === 0 &&
    discovery.otherFiles.length === 0 &&
    errors.length === 0
  );
}

/** A scan's result from the verdicts of its configurations, as checking them gave it (see checkAll). */
function replayedResult(
  request: ScanRequest,
  policies: readonly Policy[],
  replayed: Pick<Replayed, "verdicts" | "files" | "paths" | "why">,
  errors: InputError[],
  checkedLog: FileLogEntry[] = [],
): ScanResult {
  const byFingerprint = new Map<string, Finding>();
  const byFile = new Map<string, { directives: Directive[]; warnings: Warning[] }>();
  for (const verdict of replayed.verdicts) {
    for (const finding of verdict.findings)
      if (!byFingerprint.has(finding.fingerprint))
        byFingerprint.set(finding.fingerprint, { ...finding, configuration: verdict.shown });
    for (const [path, directives, warnings] of verdict.directives)
      if (!byFile.has(path)) byFile.set(path, { directives, warnings });
  }
  // In the order of the files' paths, as collectDirectives reads the loader's sources.
  const withDirectives = [...byFile.keys()].sort((a, b) => (a < b ? -1 : 1)).map((path) => byFile.get(path)!);
  const log = request.onFiles
    ? [
        ...replayed.paths.map((path): FileLogEntry => ({
          file: displayPath(path, request.cwd),
          status: "cached",
          why: replayed.why,
        })),
        ...checkedLog,
      ]
    : undefined;
  return finish(request, policies, {
    findings: [...byFingerprint.values()],
    errors,
    callWarnings: replayed.verdicts.flatMap((v) => v.warnings),
    directives: {
      directives: withDirectives.flatMap((f) => f.directives),
      warnings: withDirectives.flatMap((f) => f.warnings),
    },
    checkedFiles: lazySet(() => replayed.verdicts.flatMap((v) => v.files.split("\u0000"))),
    log,
    files: replayed.files,
    configurations: replayed.verdicts.map((v) => v.shown),
  });
}

/** A set of strings made when first asked (a replayed scan asks only when a file has a suppression comment). */
function lazySet(values: () => string[]): { has(value: string): boolean } {
  let set: Set<string> | undefined;
  return { has: (value) => (set ??= new Set(values())).has(value) };
}

/** Suppressions applied, the file log told, the result sorted: the end of a scan, checked or replayed. */
function finish(
  request: ScanRequest,
  policies: readonly Policy[],
  input: {
    findings: Finding[];
    errors: InputError[];
    callWarnings: Warning[];
    directives: { directives: Directive[]; warnings: Warning[] };
    checkedFiles: { has(file: string): boolean };
    log: FileLogEntry[] | undefined;
    files: number;
    configurations: string[];
  },
): ScanResult {
  const { errors, checkedFiles } = input;
  const suppressed = applyInlineSuppressions(input.findings, input.directives.directives, {
    allowed: request.settings.allowInlineSuppressions,
    today: request.today,
    reportUnused: (file) => checkedFiles.has(file),
  });
  if (request.onFiles && input.log) {
    const log = input.log;
    // Files refused before the loader saw them (discovery: unreadable directories, links out of the tree, other files).
    const logged = new Set(log.map((e) => e.file));
    for (const error of errors)
      if (!logged.has(error.file) && error.line === undefined)
        log.push({ file: error.file, status: "refused", why: error.message });
    request.onFiles(log.sort((a, b) => compareStrings(a.file, b.file)));
  }
  return {
    findings: suppressed.findings.sort(compareFindings),
    errors: dedupeErrors(errors).sort(compareDiagnostics),
    warnings: dedupeErrors([...input.directives.warnings, ...suppressed.warnings, ...input.callWarnings]).sort(
      compareDiagnostics,
    ) as Warning[],
    files: input.files,
    policies,
    configurations: [...new Set(input.configurations)].sort(compareStrings),
  };
}

/** Everything after discovery: configurations and plans checked, suppressions applied, results sorted. */
async function checkAll(
  request: ScanRequest,
  loader: ModuleLoader,
  policies: readonly Policy[],
  planPaths: string[],
  errors: InputError[],
  verdicts?: Verdicts & { discovered: ReadonlyMap<string, readonly string[]>; files: readonly string[] },
): Promise<ScanResult> {
  const { cwd, settings } = request;
  const layout = request.scope && request.cache ? request.layout : undefined;
  const { configurations, checked, passed } = await loadConfigurations(
    loader,
    errors,
    request.scope,
    layout?.passed && layout.scanned ? layout.passed : undefined,
  );
  for (const shape of passed) request.observeShape?.(shape);
  // With verdicts to keep, the cache is saved once they are known (below).
  if (request.saveCache !== false && !verdicts) await request.cache?.save();

  const byFingerprint = new Map<string, Finding>();
  const callWarnings: Warning[] = [];
  const check = checker(request, policies, errors);
  // What each configuration gave, for its verdict (see scan-verdicts.ts).
  const judged: Judged[] = [];
  for (const configuration of configurations) {
    if (!checked.has(configuration)) {
      // Nothing in it names a resource type the policies look at: no finding can come from it.
      const found: Finding[] = [];
      judged.push({ configuration, findings: found, warnings: [] });
      await request.observe?.(configuration, found);
      continue;
    }
    const { findings: found, warnings: warned } = await check(configuration);
    callWarnings.push(...warned);
    judged.push({ configuration, findings: found, warnings: warned });
    for (const finding of found) {
      // The same finding (fingerprint) once; a shared module yields one per calling root and call (see KG001).
      if (!byFingerprint.has(finding.fingerprint))
        byFingerprint.set(finding.fingerprint, {
          ...finding,
          configuration: displayPath(configuration.root.module.dir, cwd),
        });
    }
    await request.observe?.(configuration, found);
  }

  const sourceDir = request.source !== undefined ? resolve(cwd, request.source) : undefined;
  const sourceConfigurations = sourceDir ? await configurationsOf(sourceDir, request.source!, loader, errors) : [];
  const planLog: FileLogEntry[] = [];
  for (const planPath of planPaths) {
    const { plan, errors: planErrors } = await readPlanFile(
      planPath === "-" ? "-" : resolve(cwd, planPath),
      cwd,
      request.readStdin ?? readStandardInput,
    );
    errors.push(...planErrors);
    const file = planPath === "-" ? STDIN_NAME : displayPath(resolve(cwd, planPath), cwd);
    planLog.push(
      plan
        ? { file, status: "plan", why: "read as a plan (terraform show -json)" }
        : { file, status: "refused", why: planErrors[0]?.message ?? "not a plan" },
    );
    if (!plan) continue;
    const rootDir = sourceDir ?? (plan.path === "-" ? undefined : dirname(plan.path));
    const locate = sourceLocator(
      [...sourceConfigurations, ...configurations].find((c) => c.root.module.dir === rootDir),
    );
    for (const policy of policies) {
      for (const finding of policy.checkPlan?.(plan, settings.severities.get(policy.id)!, locate) ?? []) {
        if (!byFingerprint.has(finding.fingerprint)) byFingerprint.set(finding.fingerprint, finding);
      }
    }
  }

  const checkedFiles = new Set(
    configurations.flatMap((c) => c.instances.flatMap((i) => i.module.files.map((f) => f.file))),
  );
  const suppressible = new Set(policies.flatMap((p) => p.reads.reportedOn));
  const sources = loader.sources;
  const directives = collectDirectives(sources, request.policies, suppressible);
  if (verdicts) {
    await rememberVerdicts(request, loader, verdicts, judged, sources, suppressible, errors);
    if (request.saveCache !== false) await request.cache?.save();
  }
  return finish(request, policies, {
    findings: [...byFingerprint.values()],
    errors,
    callWarnings,
    directives,
    checkedFiles,
    log: request.onFiles ? [...(await loader.fileLog()), ...planLog] : undefined,
    files: loader.filesRead + planPaths.length,
    configurations: [...configurations.map((c) => c.root.module.dir), ...passed.map((shape) => shape.root)].map((dir) =>
      displayPath(dir, cwd),
    ),
  });
}

/** Checks a configuration that can matter; input errors go to `errors` (with those of reading: a module with an unread file is not checked for references). */
function checker(
  request: ScanRequest,
  policies: readonly Policy[],
  errors: InputError[],
): (configuration: Configuration) => Promise<{ findings: Finding[]; warnings: Warning[] }> {
  const { cwd, settings } = request;
  // What the policies evaluate, where an undeclared reference is an input error (see model/references.ts).
  const referenceScope = {
    types: [...new Set(policies.flatMap((p) => p.reads.types))],
    attributes: [...new Set(policies.flatMap((p) => p.reads.attributes))],
  };
  const unreadDirs = new Set(errors.map((e) => dirname(resolve(cwd, e.file))));
  return async (configuration) => {
    const found: Finding[] = [];
    const evaluator = new Evaluator();
    const whole = !configuration.instances.some((instance) => unreadDirs.has(instance.module.dir));
    errors.push(...configuration.instances.flatMap((instance) => overrideErrors(instance.module)));
    errors.push(
      ...(await importsOf(configuration, evaluator)).errors,
      ...(whole ? referenceErrors(configuration, referenceScope) : []),
    );
    const warned = await unfollowedCallWarnings(
      configuration,
      displayPath(configuration.root.module.dir, cwd) || ".",
      evaluator,
    );
    for (const policy of policies) {
      if (!policy.checkConfiguration) continue;
      found.push(...(await policy.checkConfiguration(configuration, evaluator, settings.severities.get(policy.id)!)));
    }
    // What file() met on the way: a data file outside the repository, or one that cannot be read.
    errors.push(...configuration.instances.flatMap((instance) => dataFileErrors(instance.module)));
    return { findings: found, warnings: warned };
  };
}

/** A replay in part: the stale configurations checked again, alone, in place; undefined if they are not the same ones (a module call moved). */
async function partlyReplayedResult(
  request: ScanRequest,
  policies: readonly Policy[],
  replayed: PartlyReplayed,
  quick: Verdicts,
  pool: ParserPool,
): Promise<ScanResult | undefined> {
  const { cwd } = request;
  const stale = replayed.verdicts.filter((verdict) => replayed.stale.has(verdict));
  const dirs = new Set(stale.flatMap((verdict) => verdict.dirs.split("\u0000")));
  const discovered = new Map<string, string[]>();
  const untouched: string[] = [];
  for (const path of replayed.paths) {
    const dir = dirname(path);
    if (!dirs.has(dir)) {
      untouched.push(path);
      continue;
    }
    const files = discovered.get(dir);
    if (files) files.push(path);
    else discovered.set(dir, [path]);
  }
  if (discovered.size !== dirs.size) return undefined;
  // Before their files are listed (see rememberVerdicts).
  const rootMetadata = directoryMetadataNow(stale.map((verdict) => verdict.root));
  const errors: InputError[] = [];
  const loader = new ModuleLoader({
    pool,
    cwd,
    tree: workingTree,
    discovered,
    wholeDirs: new Set(),
    errors,
    prefilter: prefilterFor(policies),
    ...(request.cache ? { cache: request.cache } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    ...(request.variables ? { variables: request.variables } : {}),
    blobIds: quick.ids()(),
  });
  await request.cache?.load();
  const { configurations, checked } = await loadConfigurations(loader, errors);
  // The same configurations, of the same directories: the change moved no module call.
  const byRoot = new Map(configurations.map((configuration) => [configuration.root.module.dir, configuration]));
  if (configurations.length !== stale.length || byRoot.size !== stale.length) return undefined;
  for (const verdict of stale) {
    const configuration = byRoot.get(verdict.root);
    if (!configuration) return undefined;
    const now = new Set(configuration.instances.map((instance) => instance.module.dir));
    const then = verdict.dirs.split("\u0000");
    if (now.size !== then.length || !then.every((dir) => now.has(dir))) return undefined;
  }
  const check = checker(request, policies, errors);
  const sourceOf = new Map(loader.sources.map((source) => [source.path, source]));
  const suppressible = new Set(policies.flatMap((p) => p.reads.reportedOn));
  const fresh = new Map<Verdict, Verdict>();
  const judged = new Map<Verdict, Judged>();
  for (const verdict of stale) {
    const configuration = byRoot.get(verdict.root)!;
    const { findings, warnings } = checked.has(configuration)
      ? await check(configuration)
      : { findings: [], warnings: [] };
    judged.set(verdict, { configuration, findings, warnings });
    fresh.set(verdict, {
      ...verdict,
      findings,
      warnings,
      files: filesOf(configuration)
        .map((f) => f.file)
        .join("\u0000"),
      directives: directivesOf(configuration, sourceOf, request.policies, suppressible),
    });
  }
  const files = replayed.files - (replayed.paths.length - untouched.length) + loader.filesRead;
  // Kept anew if every stale one has a verdict (see VerdictStore.rememberPart).
  const answer = await quick.answer;
  if (!errors.length && answer) {
    // Blob ids as the loader knew them, or read here (between the lstats of vouchedRow).
    const ids = new Map<string, string | undefined>();
    const idOf = (path: string) => {
      if (!ids.has(path)) {
        let id = loader.contentIdOf(path);
        if (id === undefined) {
          const read = readWorkingTreeText(path);
          if (read.ok) id = blobIdOf(read.text);
        }
        ids.set(path, id);
      }
      return ids.get(path);
    };
    const entryOf = verdictEntries(
      request,
      loader,
      quick.scope,
      rootMetadata,
      discovered,
      loader.sources,
      suppressible,
      idOf,
    );
    const entries = new Map<Verdict, { key: string; verdict: Verdict }>();
    for (const [verdict, judgement] of judged) {
      const entry = entryOf(judgement);
      if (entry) entries.set(verdict, entry);
    }
    if (entries.size === stale.length)
      await quick.store.rememberPart(
        replayed,
        entries,
        (path) => vouchedRow(path, idOf(path), request.cache?.vouchedRecord(path), replayed.seen.get(path)),
        files,
      );
  }
  return replayedResult(
    request,
    policies,
    {
      verdicts: replayed.verdicts.map((verdict) => fresh.get(verdict) ?? verdict),
      files,
      paths: untouched,
      why: replayed.why,
    },
    errors,
    request.onFiles ? await loader.fileLog() : [],
  );
}

/** The files of a configuration's modules. */
function filesOf(configuration: Configuration): Configuration["instances"][number]["module"]["files"] {
  return configuration.instances.flatMap((i) => i.module.files);
}

/** The `keygate:ignore` directives of a configuration's files, and the warnings about them, by file (see Verdict.directives). */
function directivesOf(
  configuration: Configuration,
  sourceOf: ReadonlyMap<string, SourceFile>,
  allPolicies: readonly Policy[],
  suppressible: ReadonlySet<string>,
): Verdict["directives"] {
  const directives: Verdict["directives"] = [];
  for (const path of [...new Set(filesOf(configuration).map((f) => f.path))].sort()) {
    const source = sourceOf.get(path);
    if (!source) continue;
    const found = collectDirectives([source], allPolicies, suppressible);
    if (found.directives.length || found.warnings.length) directives.push([path, found.directives, found.warnings]);
  }
  return directives;
}

/** A configuration as checked (or passed over): its findings before suppression, and the warnings its check gave. */
interface Judged {
  configuration: Configuration;
  findings: Finding[];
  warnings: Warning[];
}

/**
 * Keeps the verdicts of a full scan's configurations, and the shape of its files, in the cache
 * (see scan-verdicts.ts): only for a run without an input error, and only for configurations
 * whose verdict their keys fully decide (every module local and scanned, every file's blob id
 * known, no file read by a file function, the root's files listed when its directory's metadata
 * was taken).
 */
async function rememberVerdicts(
  request: ScanRequest,
  loader: ModuleLoader,
  verdicts: Verdicts & { discovered: ReadonlyMap<string, readonly string[]>; files: readonly string[] },
  judged: readonly Judged[],
  sources: readonly SourceFile[],
  suppressible: ReadonlySet<string>,
  errors: readonly InputError[],
): Promise<void> {
  if (errors.length > 0 || !verdicts.rootMetadata) return verdicts.store.remember([], undefined);
  const entryOf = verdictEntries(
    request,
    loader,
    verdicts.scope,
    verdicts.rootMetadata,
    verdicts.discovered,
    sources,
    suppressible,
  );
  const entries: { key: string; verdict: Verdict }[] = [];
  for (const judgement of judged) {
    const entry = entryOf(judgement);
    if (entry) entries.push(entry);
  }
  const files = verdicts.files;
  const metadata =
    entries.length === judged.length
      ? shapeMetadata(
          files,
          (path) => request.cache?.vouchedRecord(path),
          (path) => loader.contentIdOf(path),
        )
      : undefined;
  // The files discovery took from git's answer, the one whose digest the shape keeps (nothing else
  // was listed: one directory, no submodule), each below the directory.
  const answer = await verdicts.answer;
  const prefix = verdicts.dir.endsWith(sep) ? verdicts.dir : `${verdicts.dir}${sep}`;
  const listed =
    answer?.takenForFiles === true &&
    submodulesUnder(verdicts.dir).length === 0 &&
    files.every((file) => file.startsWith(prefix));
  const paths = listed ? files.map((file) => file.slice(prefix.length)) : undefined;
  await verdicts.store.remember(
    entries,
    metadata && answer && paths
      ? {
          dir: verdicts.dir,
          paths: paths.join("\u0000"),
          listing: answer.digest(),
          files: loader.filesRead,
          metadata,
          unindexed: unindexedFiles(answer.indexMetadata(), paths, metadata),
          directories: answer.directoryDigests(),
        }
      : undefined,
  );
}

/** A configuration's verdict under its key; undefined when the key does not decide it (a module not local, file(), an unknown blob id). */
function verdictEntries(
  request: ScanRequest,
  loader: ModuleLoader,
  scope: string,
  rootMetadata: ReadonlyMap<string, string | undefined>,
  discovered: ReadonlyMap<string, readonly string[]>,
  sources: readonly SourceFile[],
  suppressible: ReadonlySet<string>,
  idOf: (path: string) => string | undefined = (path) => loader.contentIdOf(path),
): (judged: Judged) => { key: string; verdict: Verdict } | undefined {
  const directoryKeys = new Map<string, string | undefined>();
  const keyOf = (dir: string) => {
    if (!directoryKeys.has(dir)) {
      const paths = discovered.get(dir);
      directoryKeys.set(dir, paths && directoryKey(dir, paths, idOf));
    }
    return directoryKeys.get(dir);
  };
  const sourceOf = new Map(sources.map((source) => [source.path, source]));
  return ({ configuration, findings, warnings }) => {
    const root = configuration.root.module.dir;
    const variableFiles = loader.variableFilesOf(root);
    // A root changed seconds ago, or with unknown variable files: "", never holds (checked again).
    const known = variableFiles !== undefined && variableFiles.every((f) => f.text !== undefined);
    const metadata = (known && rootMetadata.get(root)) || "";
    const dirs = [...new Set(configuration.instances.map((i) => i.module.dir))];
    const keys: string[] = [];
    for (const instance of configuration.instances) {
      const { module } = instance;
      if (instance.origin.kind !== "root" && instance.origin.kind !== "local") return undefined;
      if (module.calls.some((call) => !isLocalSource(call.source))) return undefined;
      if (dataFilesRead(module).length || dataTreesRead(module).length) return undefined;
    }
    for (const dir of dirs) {
      const key = keyOf(dir);
      if (key === undefined) return undefined;
      keys.push(key);
    }
    const files = filesOf(configuration);
    return {
      key: configurationKey(scope, root, keys),
      verdict: {
        root,
        shown: displayPath(root, request.cwd),
        rootMetadata: metadata,
        variableFiles: metadata ? variableFiles!.map((f) => [f.name, variableFileHash(f.text!)]) : [],
        findings,
        warnings,
        files: files.map((f) => f.file).join("\u0000"),
        dirs: dirs.join("\u0000"),
        directives: directivesOf(configuration, sourceOf, request.policies, suppressible),
      },
    };
  };
}

/** The configuration rooted in a `--source` directory, read but not checked (it only locates plan findings). */
async function configurationsOf(
  dir: string,
  shown: string,
  loader: ModuleLoader,
  errors: InputError[],
): Promise<Configuration[]> {
  if (!(await loader.load(dir))) {
    errors.push({
      file: shown,
      message: "--source must name the root module directory of the plan: no Terraform files there",
    });
    return [];
  }
  const { configurations, errors: assemblyErrors } = await assembleConfigurations([dir], loader);
  errors.push(...assemblyErrors);
  return configurations;
}

/** Where each resource of a configuration is declared, by configuration address (no instance keys). */
function sourceLocator(configuration: Configuration | undefined): SourceLocator | undefined {
  if (!configuration) return undefined;
  const locations = new Map(
    configuration.instances.flatMap((i) =>
      i.module.resources.map((r) => [qualify(i, r.localAddress), r.location] as const),
    ),
  );
  return (address) => locations.get(address);
}

/**
 * Assembles the configurations in two passes: first with every directory in "graph" mode (enough
 * to know which modules call which), then, for the configurations that can matter, again in "full"
 * mode (those in scope). Without a prefilter, the first pass is already complete. With a scope,
 * a configuration made only of directories known by their summary is not instantiated unless it
 * is in scope: it is `passed` over as its shape (see assembleConfigurations); so are those the
 * caller knows as shapes already (`known`, see TreeLayout.passed).
 */
async function loadConfigurations(
  loader: ModuleLoader,
  errors: InputError[],
  scope?: (shape: ConfigurationShape) => boolean,
  known?: readonly ConfigurationShape[],
): Promise<{ configurations: Configuration[]; checked: Set<Configuration>; passed: ConfigurationShape[] }> {
  // Asked once per configuration (a change-aware scan's scope looks at every directory of it).
  const inScope = new Map<Configuration, boolean>();
  const isInScope = (configuration: Configuration) => {
    let answer = inScope.get(configuration);
    if (answer === undefined) inScope.set(configuration, (answer = scope ? scope(shapeOf(configuration)) : true));
    return answer;
  };
  await loader.prepare(loader.scannedDirs);
  const first = await assembleConfigurations(
    [...loader.scannedDirs],
    loader,
    scope ? (dir) => loader.summarizedCalls(dir) : undefined,
  );
  errors.push(...first.errors);
  // Shapes in scope are assembled (from the stubs of their directories, read below).
  const passed: ConfigurationShape[] = [...(known ?? [])];
  // From the last, so that the places of the others stay as they were.
  for (const { shape, at } of [...first.shapes].reverse()) {
    if (!scope!(shape)) {
      passed.unshift(shape);
      continue;
    }
    const again = await assembleConfigurations([shape.root], loader);
    errors.push(...again.errors);
    first.configurations.splice(at, 0, ...again.configurations);
  }
  const finish = <T extends { configurations: Configuration[]; checked: Set<Configuration> }>(result: T) => {
    loader.passOver(passed.flatMap((shape) => [...shape.dirs]));
    return { ...result, passed };
  };
  if ([...loader.scannedDirs].every((dir) => loader.mode(dir) === "full"))
    return finish({
      configurations: first.configurations,
      checked: new Set(first.configurations.filter(isInScope)),
    });
  // Configurations in scope that were assembled (in part) from the call graph, unread: read them, and assemble them again.
  for (;;) {
    const stubbed = first.configurations
      .map((configuration, index) => ({ configuration, index }))
      .filter(
        ({ configuration }) => configuration.instances.some((i) => loader.isStub(i.module)) && isInScope(configuration),
      );
    if (!stubbed.length) break;
    await loader.materialize(stubbed.flatMap(({ configuration }) => configuration.instances.map((i) => i.module.dir)));
    // From the last, so that the indices of the others stay as they were.
    for (const { configuration, index } of stubbed.reverse()) {
      const again = await assembleConfigurations([configuration.root.module.dir], loader);
      errors.push(...again.errors);
      first.configurations.splice(index, 1, ...again.configurations);
    }
  }
  // Configurations in scope whose files' survey was deferred (see LoaderOptions.deferSurveys): surveyed now, and
  // assembled again where that reads a file anew.
  for (;;) {
    const unsettled = first.configurations
      .map((configuration, index) => ({ configuration, index }))
      .filter(
        ({ configuration }) =>
          isInScope(configuration) && loader.unsettled(configuration.instances.map((i) => i.module.dir)),
      );
    if (!unsettled.length) break;
    const again = await loader.settle(
      unsettled.flatMap(({ configuration }) => configuration.instances.map((i) => i.module.dir)),
    );
    for (const { configuration, index } of unsettled.reverse()) {
      if (!configuration.instances.some((i) => again.has(i.module.dir))) continue;
      const assembled = await assembleConfigurations([configuration.root.module.dir], loader);
      errors.push(...assembled.errors);
      first.configurations.splice(index, 1, ...assembled.configurations);
    }
  }
  const relevant = new Set<Configuration>();
  for (const configuration of first.configurations) {
    if (!isInScope(configuration)) {
      for (const instance of configuration.instances) loader.outOfScope.add(instance.module.dir);
      continue;
    }
    const dirs = configuration.instances.map((i) => i.module.dir);
    const callsElsewhere = configuration.instances.some((i) =>
      i.module.calls.some((call) => !isLocalSource(call.source)),
    );
    if (callsElsewhere || (await loader.canMatter(dirs))) relevant.add(configuration);
  }
  await loader.upgrade([...relevant].flatMap((c) => c.instances.map((i) => i.module.dir)));
  const configurations: Configuration[] = [];
  const checked = new Set<Configuration>();
  for (const configuration of first.configurations) {
    if (!relevant.has(configuration)) {
      configurations.push(configuration);
      continue;
    }
    const again = await assembleConfigurations([configuration.root.module.dir], loader);
    errors.push(...again.errors);
    configurations.push(...again.configurations);
    again.configurations.forEach((c) => checked.add(c));
  }
  return finish({ configurations, checked });
}

/** The path, if it names a directory (a scan of one directory asks git about it alone). */
function directoryOf(path: string): string | undefined {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ? path : undefined;
}

function dedupeErrors(errors: InputError[]): InputError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.file}\u0000${e.line ?? ""}\u0000${e.column ?? ""}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A `terragrunt.hcl` in (or under) the scanned directories, as shown to the user, when there are no
 * Terraform files: a Terragrunt repository deserves to hear why nothing was read.
 */
async function terragruntConfiguration(paths: readonly string[], cwd: string): Promise<string | undefined> {
  const { globby } = await import("globby");
  for (const path of paths) {
    const found = await globby("**/terragrunt.hcl", {
      cwd: resolve(cwd, path),
      deep: 8,
      ignore: ["**/.terragrunt-cache/**", "**/node_modules/**", "**/.git/**"],
      suppressErrors: true,
    }).catch(() => []);
    if (found.length) return displayPath(resolve(cwd, path, found.sort()[0]!), cwd);
  }
  return undefined;
}
