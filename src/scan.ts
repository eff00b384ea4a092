import { dirname } from "node:path";
import { compareDiagnostics, compareFindings, type Finding, type InputError, type Warning } from "./findings.js";
import type { Settings } from "./load/config.js";
import { displayPath, groupByDirectory, TERRAFORM_EXTENSIONS } from "./load/discover.js";
import { listModuleFiles, preferTofu, readAutoVariableFiles, readSourceFile, type SourceFile } from "./load/sources.js";
import { workingTree, type SourceTree } from "./load/tree.js";
import { assembleConfigurations, type ModuleSource } from "./model/configuration.js";
import { Evaluator } from "./model/expressions.js";
import { buildModule, type Module } from "./model/module.js";
import type { Policy } from "./policies/catalog.js";
import { CONFIGURATION_CHECKS } from "./policies/index.js";
import { applyInlineSuppressions, collectDirectives } from "./suppress/inline.js";

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
}

/** Everything a scan found; reporters render it and the CLI derives the exit code from it. */
export interface ScanResult {
  findings: Finding[];
  errors: InputError[];
  warnings: Warning[];
  /** How many input files were read (or tried). */
  files: number;
  policies: readonly Policy[];
}

/**
 * The static pipeline: discover → read and parse → model (modules, configurations) → evaluate
 * the enabled policies → apply inline suppressions → sort. Input errors are collected, never thrown,
 * so that one broken file does not hide the findings of the others.
 */
export async function scan(request: ScanRequest): Promise<ScanResult> {
  const { cwd, settings } = request;
  const policies = request.policies.filter((p) => settings.severities.has(p.id));
  const tree = request.tree ?? workingTree;
  const discovery = await tree.discover(request.paths, cwd, settings.exclude);
  const errors: InputError[] = [...discovery.errors];
  for (const other of discovery.otherFiles) {
    errors.push({ file: displayPath(other, cwd), message: `not a Terraform file: keygate reads ${TERRAFORM_EXTENSIONS.join(", ")}` });
  }
  if (discovery.files.length === 0 && errors.length === 0) {
    errors.push({ file: request.paths.join(" "), message: `no Terraform files (${TERRAFORM_EXTENSIONS.join(", ")}) found in ${request.paths.map((p) => `"${p}"`).join(", ")}` });
  }

  const loader = new ModuleLoader(cwd, tree, groupByDirectory(discovery.files), new Set(discovery.namedFiles.map(dirname)), errors);
  const { configurations, errors: assemblyErrors } = await assembleConfigurations([...loader.scannedDirs], loader);
  errors.push(...assemblyErrors);

  const byFingerprint = new Map<string, Finding>();
  for (const configuration of configurations) {
    const evaluator = new Evaluator();
    for (const policy of policies) {
      const check = CONFIGURATION_CHECKS[policy.id];
      if (!check) continue;
      for (const finding of await check(policy, settings.severities.get(policy.id)!, configuration, evaluator)) {
        // A module called from several roots yields the same finding once.
        if (!byFingerprint.has(finding.fingerprint)) byFingerprint.set(finding.fingerprint, finding);
      }
    }
  }

  const suppressible = new Set(policies.flatMap((p) => [p.subject.type, p.target.type]));
  const { directives, warnings: directiveWarnings } = collectDirectives(loader.sources, request.policies, suppressible);
  const suppressed = applyInlineSuppressions([...byFingerprint.values()], directives, { allowed: settings.allowInlineSuppressions, today: request.today });

  return {
    findings: suppressed.findings.sort(compareFindings),
    errors: dedupeErrors(errors).sort(compareDiagnostics),
    warnings: [...directiveWarnings, ...suppressed.warnings].sort(compareDiagnostics),
    files: loader.filesRead,
    policies,
  };
}

/** Reads module directories on demand, each file once, and remembers what it read. */
class ModuleLoader implements ModuleSource {
  readonly scannedDirs: Set<string>;
  private readonly modules = new Map<string, Promise<Module | null>>();
  private readonly read = new Map<string, SourceFile | null>();

  constructor(
    private readonly cwd: string,
    private readonly tree: SourceTree,
    private readonly discovered: Map<string, string[]>,
    /** Directories of files named on the command line: the whole module is read, since a module is its directory. */
    private readonly wholeDirs: Set<string>,
    private readonly errors: InputError[],
  ) {
    this.scannedDirs = new Set(discovered.keys());
  }

  /** Every source file that was read and parsed. */
  get sources(): SourceFile[] {
    return [...this.read.values()].filter((s): s is SourceFile => s !== null).sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  get filesRead(): number {
    return this.read.size;
  }

  load(dir: string): Promise<Module | null> {
    let module = this.modules.get(dir);
    if (!module) {
      module = this.loadNow(dir);
      this.modules.set(dir, module);
    }
    return module;
  }

  async variableValues(dir: string): Promise<Map<string, unknown>> {
    const { values, errors } = await readAutoVariableFiles(dir, this.cwd, this.tree);
    this.errors.push(...errors);
    return values;
  }

  private async loadNow(dir: string): Promise<Module | null> {
    let paths = this.discovered.get(dir);
    if (!paths || this.wholeDirs.has(dir)) {
      try {
        paths = [...new Set([...(await listModuleFiles(dir, this.tree)), ...(paths ?? [])])].sort();
      } catch {
        return null;
      }
    }
    paths = preferTofu(paths);
    if (paths.length === 0) return null;
    const sources: SourceFile[] = [];
    for (const path of paths) {
      const source = await this.readOnce(path);
      if (source) sources.push(source);
    }
    return buildModule(dir, sources);
  }

  private async readOnce(path: string): Promise<SourceFile | null> {
    if (this.read.has(path)) return this.read.get(path) ?? null;
    const result = await readSourceFile(path, this.cwd, this.tree);
    this.read.set(path, result.ok ? result.source : null);
    if (!result.ok) this.errors.push(...result.errors);
    return result.ok ? result.source : null;
  }
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
