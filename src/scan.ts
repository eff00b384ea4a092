import { dirname, resolve } from "node:path";
import {
  compareDiagnostics,
  compareFindings,
  compareStrings,
  type Finding,
  type InputError,
  type Warning,
} from "./findings.js";
import type { Settings } from "./load/config.js";
import { displayPath, groupByDirectory, TERRAFORM_EXTENSIONS } from "./load/discover.js";
import { unchangedBlobIds } from "./load/git.js";
import type { ParseCache } from "./load/parse-cache.js";
import { ParserPool } from "./load/parse-pool.js";
import type { FileLogEntry } from "./load/file-log.js";
import { readPlanFile, STDIN_NAME } from "./load/plan.js";
import { prefilterFor } from "./load/prefilter.js";
import { readStandardInput, readTextFile } from "./load/read.js";
import { workingTree, type SourceTree } from "./load/tree.js";
import { assembleConfigurations, isLocalSource, qualify, type Configuration } from "./model/configuration.js";
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
import { applyInlineSuppressions, collectDirectives } from "./suppress/inline.js";

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
   * Which configurations to check (absent: all). The others are assembled from what shapes them
   * (their module calls: see loadConfigurations) and observed, but neither read whole nor checked:
   * change-aware scans check only the configurations a change touches.
   */
  scope?: (configuration: Configuration) => boolean;
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
  const layout = request.scope && request.cache ? request.layout : undefined;
  // With a cache, git is asked which files are unchanged while discovery runs (see ModuleLoader.survey).
  const blobIds =
    request.cache && tree === workingTree && request.prefilter !== false && paths.length
      ? layout?.blobIds
        ? Promise.resolve(layout.blobIds)
        : unchangedBlobIds(cwd)
      : undefined;
  const discovery = layout
    ? { files: layout.files, namedFiles: [], otherFiles: [], errors: [] }
    : paths.length
      ? await tree.discover(paths, cwd, settings.exclude)
      : { files: [], namedFiles: [], otherFiles: [], errors: [] };
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

  const loader = new ModuleLoader({
    pool,
    cwd,
    tree,
    discovered: groupByDirectory(discovery.files),
    wholeDirs: new Set(discovery.namedFiles.map(dirname)),
    errors,
    ...(request.prefilter === false ? {} : { prefilter: prefilterFor(policies) }),
    ...(request.cache ? { cache: request.cache } : {}),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    ...(request.variables ? { variables: request.variables } : {}),
    ...(blobIds ? { blobIds } : {}),
    ...(request.scope && request.vouchedIds ? { vouchedIds: request.vouchedIds } : {}),
    ...(layout ? { summaries: layout.summaries, summaryKey: layout.summaryKey } : {}),
  });
  await request.cache?.load();
  try {
    return await checkAll(request, loader, policies, planPaths, errors);
  } finally {
    if (!request.pool) await pool.close();
  }
}

/** Everything after discovery: configurations and plans checked, suppressions applied, results sorted. */
async function checkAll(
  request: ScanRequest,
  loader: ModuleLoader,
  policies: readonly Policy[],
  planPaths: string[],
  errors: InputError[],
): Promise<ScanResult> {
  const { cwd, settings } = request;
  const { configurations, checked } = await loadConfigurations(loader, errors, request.scope);
  if (request.saveCache !== false) await request.cache?.save();

  const byFingerprint = new Map<string, Finding>();
  const callWarnings: Warning[] = [];
  // What the policies evaluate, where an undeclared reference is an input error (see model/references.ts).
  const referenceScope = {
    types: [...new Set(policies.flatMap((p) => p.reads.types))],
    attributes: [...new Set(policies.flatMap((p) => p.reads.attributes))],
  };
  // A module with a file that could not be read is judged on part of its text: a name declared in the
  // missing file would be reported as undeclared, an error that only repeats the one already given.
  const unreadDirs = new Set(errors.map((e) => dirname(resolve(cwd, e.file))));
  for (const configuration of configurations) {
    const found: Finding[] = [];
    if (!checked.has(configuration)) {
      // Nothing in it names a resource type the policies look at: no finding can come from it.
      await request.observe?.(configuration, found);
      continue;
    }
    const evaluator = new Evaluator();
    const whole = !configuration.instances.some((instance) => unreadDirs.has(instance.module.dir));
    errors.push(...configuration.instances.flatMap((instance) => overrideErrors(instance.module)));
    errors.push(
      ...(await importsOf(configuration, evaluator)).errors,
      ...(whole ? referenceErrors(configuration, referenceScope) : []),
    );
    callWarnings.push(
      ...(await unfollowedCallWarnings(
        configuration,
        displayPath(configuration.root.module.dir, cwd) || ".",
        evaluator,
      )),
    );
    for (const policy of policies) {
      if (!policy.checkConfiguration) continue;
      for (const finding of await policy.checkConfiguration(
        configuration,
        evaluator,
        settings.severities.get(policy.id)!,
      )) {
        found.push(finding);
        // The same finding (fingerprint) once; a shared module yields one per calling root and call (see KG001).
        if (!byFingerprint.has(finding.fingerprint))
          byFingerprint.set(finding.fingerprint, {
            ...finding,
            configuration: displayPath(configuration.root.module.dir, cwd),
          });
      }
    }
    // What file() met on the way: a data file outside the repository, or one that cannot be read.
    errors.push(...configuration.instances.flatMap((instance) => dataFileErrors(instance.module)));
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
  const { directives, warnings: directiveWarnings } = collectDirectives(loader.sources, request.policies, suppressible);
  const suppressed = applyInlineSuppressions([...byFingerprint.values()], directives, {
    allowed: settings.allowInlineSuppressions,
    today: request.today,
    reportUnused: (file) => checkedFiles.has(file),
  });

  if (request.onFiles) {
    const log = [...(await loader.fileLog()), ...planLog];
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
    warnings: dedupeErrors([...directiveWarnings, ...suppressed.warnings, ...callWarnings]).sort(
      compareDiagnostics,
    ) as Warning[],
    files: loader.filesRead + planPaths.length,
    policies,
    configurations: [...new Set(configurations.map((c) => displayPath(c.root.module.dir, cwd)))].sort(compareStrings),
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
 * mode (those in scope). Without a prefilter, the first pass is already complete.
 */
async function loadConfigurations(
  loader: ModuleLoader,
  errors: InputError[],
  scope: (configuration: Configuration) => boolean = () => true,
): Promise<{ configurations: Configuration[]; checked: Set<Configuration> }> {
  // Asked once per configuration (a change-aware scan's scope looks at every directory of it).
  const inScope = new Map<Configuration, boolean>();
  const given = scope;
  scope = (configuration) => {
    let answer = inScope.get(configuration);
    if (answer === undefined) inScope.set(configuration, (answer = given(configuration)));
    return answer;
  };
  await loader.prepare(loader.scannedDirs);
  const first = await assembleConfigurations([...loader.scannedDirs], loader);
  errors.push(...first.errors);
  if ([...loader.scannedDirs].every((dir) => loader.mode(dir) === "full"))
    return { configurations: first.configurations, checked: new Set(first.configurations.filter(scope)) };
  // Configurations in scope that were assembled (in part) from the call graph, unread: read them, and assemble them again.
  for (;;) {
    const stubbed = first.configurations
      .map((configuration, index) => ({ configuration, index }))
      .filter(
        ({ configuration }) => configuration.instances.some((i) => loader.isStub(i.module)) && scope(configuration),
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
  const relevant = new Set<Configuration>();
  for (const configuration of first.configurations) {
    if (!scope(configuration)) {
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
  return { configurations, checked };
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
