import { lstatSync, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import type { InputError } from "../findings.js";
import { contentKey, type FileFacts, type ParseCache } from "../load/parse-cache.js";
import type { ParsedHcl, ParserPool } from "../load/parse-pool.js";
import { displayPath } from "../load/discover.js";
import type { FileLogEntry } from "../load/file-log.js";
import { outlineHcl, outlineTfJson, type FileOutline } from "../load/outline.js";
import type { Body } from "../load/hcl-syntax.js";
import { blobIdOf, unchangedBlobIds } from "../load/git.js";
import {
  isDeferred,
  mentionsIn,
  surveyHcl,
  type Mentions,
  type Prefilter,
  type Skeleton,
  type Survey,
} from "../load/prefilter.js";
import { decodeText, readTextFile, readWorkingTreeText, type ReadResult } from "../load/read.js";
import { surveyFiles } from "../load/survey.js";
import {
  listModuleFiles,
  preferTofu,
  provisionalSkeletonSource,
  readError,
  skeletonSource,
  sourceFromParse,
  type SourceFile,
} from "../load/sources.js";
import { parseTerraformJson } from "../load/terraform-syntax.js";
import { workingTree, type SourceTree } from "../load/tree.js";
import { resolveLocal, type ModuleSource, type VariableValue } from "./configuration.js";
import { MANIFEST_PATH, readModuleManifest, type ModuleManifest } from "./manifest.js";
import { dataBoundary, readDataFilesWith } from "./functions/files.js";
import { CallGraph, stubModule, type DirectorySummary } from "./call-graph.js";
import { buildModule, type Module } from "./module.js";
import { VariableReader, type VariableInputs } from "./variables.js";

/** How a module directory is read: only what shapes the configuration, or everything the policies may need. */
export type LoadMode = "graph" | "full";

/** What the loader works with. */
export interface LoaderOptions {
  cwd: string;
  tree: SourceTree;
  /** Discovered Terraform files by directory. */
  discovered: Map<string, string[]>;
  /** Directories of files named on the command line: the whole module is read, since a module is its directory. */
  wholeDirs: Set<string>;
  errors: InputError[];
  /** The parser's workers. */
  pool: ParserPool;
  /** Skip parsing files that cannot matter (absent: parse every file). */
  prefilter?: Prefilter;
  cache?: ParseCache;
  /** Told how many files have been parsed out of how many, during long batches. */
  onProgress?: (done: number, total: number) => void;
  /** Root variable values from the environment (`TF_VAR_*`) and the command line (`--var`, `--var-file`). */
  variables?: VariableInputs;
  /** Git's object ids of the unchanged files of the working directory, when the caller asked early (see git.ts). */
  blobIds?: Promise<Map<string, string> | undefined>;
  /**
   * The blob ids the caller vouches for as this tree's content (a change-aware scan: the files git
   * says the change left as they were). A directory in graph mode whose content the cached call
   * graph knows by them is assembled from it, unread (a stub), until its configuration is to be
   * checked (see materialize).
   */
  vouchedIds?: (path: string) => string | undefined;
  /**
   * Directories known by a summary of the cache's call graph (see CallGraph.summary): their calls
   * and how many module files they have, found by their git tree id, without their files being
   * listed. They are stubs as above until their configuration is to be checked.
   */
  summaries?: ReadonlyMap<string, DirectorySummary>;
  /**
   * The key under which a directory's summary is recorded (see CallGraph.treeKey), for the
   * directories whose content the caller vouches is that of a commit's tree; undefined for others.
   */
  summaryKey?: (dir: string) => string | undefined;
  /**
   * With `summaries`: those to scan (absent: all of them). A change-aware scan leaves out the
   * directories of configurations it knows as shapes already (see TreeLayout.passed): they are
   * loaded only if a configuration the scan assembles calls them.
   */
  scanned?: Iterable<string>;
  /**
   * A change-aware scan without a cache: a file that can declare no module call (its text does not
   * contain `module`) nor suppression comment is read but not skimmed while its directory is only
   * assembled; it is surveyed when a configuration in the scan's scope includes it (see settle),
   * as every file of a configuration that is checked or reported on is. A configuration outside the
   * scope needs nothing of it (its shape is its module calls), and its input errors are not the
   * change's (see change/scan-change.ts).
   */
  deferSurveys?: boolean;
}

/**
 * Reads module directories, each file once, and builds their models. With a prefilter, a directory
 * starts in "graph" mode (only files with module calls or suppression comments are parsed; the
 * others become skeletons) and is upgraded to "full" when its configuration can matter. Files are
 * parsed in batches, through the cache and a worker pool.
 */
export class ModuleLoader implements ModuleSource {
  readonly scannedDirs: Set<string>;
  /** Directories of configurations outside the scan's scope (see ScanRequest.scope): not checked. */
  readonly outOfScope = new Set<string>();
  private readonly modules = new Map<string, Promise<Module | null>>();
  /** The files of each module directory, listed once. */
  private readonly listings = new Map<string, Promise<string[] | null>>();
  private readonly full = new Set<string>();
  private readonly texts = new Map<string, Promise<ReadResult>>();
  /** The same, once read: taken without an await (a microtask per file adds up over a repository). */
  private readonly settled = new Map<string, ReadResult>();
  /** Whether a module directory names one of the policies' resource types (see canMatter), once asked: shared modules are asked once per caller. */
  private readonly directoryMatters = new Map<string, boolean>();
  private readonly parsed = new Map<string, SourceFile | null>();
  private readonly skeletons = new Map<string, SourceFile | null>();
  private readonly surveys = new Map<string, Survey>();
  /** Files whose skeleton is a provisional one, their survey deferred (see LoaderOptions.deferSurveys). */
  private readonly provisional = new Set<string>();
  /** Roots assembled without their variable values, their variable files not read (see LoaderOptions.deferSurveys). */
  private readonly unreadRoots = new Set<string>();
  private readonly settledRoots = new Set<string>();
  /** Files not surveyed: what the cache remembered of their content still holds (see survey). */
  private readonly known = new Map<string, FileFacts>();
  /** Working-tree files known from the cache by their metadata alone (see ParseCache.vouched), not read. */
  private readonly byMetadata = new Set<string>();
  /** The text of those files, read to verify that it is the content the cache's facts are about. */
  private readonly verified = new Map<string, string>();
  /** Object ids of the files git sees unchanged, asked once (undefined: not in a work tree). */
  private blobIds: Promise<Map<string, string> | undefined> | undefined;
  /** The same, once known (undefined: no cache, or not in a work tree). */
  private ids: Map<string, string> | undefined;
  /** Working-tree files whose content turned out not to have the id git gave (see survey). */
  private readonly mismatched = new Set<string>();

  /** The blob id git gave for a file's content, unless its content turned out to be another. */
  private idOf(path: string): string | undefined {
    return this.mismatched.has(path) ? undefined : this.ids?.get(path);
  }
  private readonly variableReader: VariableReader;
  private readonly manifests = new Map<string, Promise<ModuleManifest | undefined>>();
  /** How each parsed file was parsed, for --debug (see fileLog). */
  private readonly parsedHow = new Map<string, string>();
  /** The module-call graph kept in the cache (absent without a cache). */
  private readonly callGraph: CallGraph | undefined;
  /** Blob ids of working-tree files computed when they were surveyed (the call graph files modules by them). */
  private readonly contentIds = new Map<string, string>();
  /**
   * Directories assembled from the call graph, unread (see stubOf), with their files (or, known from
   * a summary, how many they are); null: read them.
   */
  private readonly stubs = new Map<string, { module: Module; paths: string[]; files?: number } | null>();
  /** Files that could not be read (or decoded). */
  private readonly unreadable = new Set<string>();
  /** Roots among them whose variable files were not read (read if they are materialized: their errors are the run's). */
  private readonly stubRoots = new Set<string>();

  constructor(private readonly options: LoaderOptions) {
    this.scannedDirs = new Set([...options.discovered.keys(), ...(options.scanned ?? options.summaries?.keys() ?? [])]);
    this.callGraph = options.cache && options.prefilter ? new CallGraph(options.cache) : undefined;
    this.variableReader = new VariableReader(
      options.variables ?? {},
      options.cwd,
      async (text) => (await this.options.pool.parse([text]))[0]!.result,
    );
  }

  /** Every source file read (parsed, or its skeleton, which keeps its comments for suppressions). */
  get sources(): SourceFile[] {
    const byPath = new Map<string, SourceFile>();
    // Only suppression comments matter in a file that was not parsed (they make its skeleton an outlined one).
    for (const [path, skeleton] of this.skeletons) {
      if (
        skeleton?.skeleton === "outlined" &&
        skeleton.mentions?.("keygate:ignore") !== false &&
        skeleton.text.includes("keygate:ignore")
      )
        byPath.set(path, skeleton);
    }
    for (const [path, source] of this.parsed) {
      if (source) byPath.set(path, source);
      else byPath.delete(path);
    }
    return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** How many files were read or known from the cache (parsed or not, or their directory known from the call graph). */
  get filesRead(): number {
    let known = 0;
    for (const dir of this.passed) known += this.options.summaries!.get(dir)!.files;
    for (const path of this.known.keys()) if (!this.texts.has(path)) known++;
    for (const stub of this.stubs.values()) {
      if (stub?.files !== undefined) known += stub.files;
      else for (const path of stub?.paths ?? []) if (!this.texts.has(path) && !this.known.has(path)) known++;
    }
    return this.texts.size + known;
  }

  /** Whether directories may be stubs (see stubOf). */
  private get stubbing(): boolean {
    return this.options.vouchedIds !== undefined || this.options.summaries !== undefined;
  }

  /**
   * The blob id of a working-tree file's content as this run knew it: known unchanged (its id
   * checked, see survey) or read and hashed, and read or parsed without error. Undefined otherwise
   * (the scan's verdicts are kept only for configurations whose every file has one: see scan-verdicts.ts).
   */
  contentIdOf(path: string): string | undefined {
    if (this.options.tree !== workingTree || this.parsed.get(path) === null || this.unreadable.has(path))
      return undefined;
    if (this.known.has(path)) return this.ids?.get(path);
    return this.texts.has(path) ? this.contentIds.get(path) : undefined;
  }

  /** The automatic variable files read for a root module (name, and text when it could be read), once its values were asked for. */
  variableFilesOf(dir: string): { name: string; text: string | undefined }[] | undefined {
    return this.variableReader.automaticFiles.get(dir);
  }

  /**
   * The directories a directory's calls point at, when it is known by its summary alone (see
   * LoaderOptions.summaries) and nothing else of it is needed yet: assembling may then take its
   * configuration's shape without instantiating it (see assembleConfigurations). Not for a
   * directory whose `.terraform/modules/modules.json` the caller vouches for (a root reads it).
   */
  summarizedCalls(dir: string): readonly string[] | undefined {
    if (!this.summarized(dir)) return undefined;
    const summary = this.options.summaries!.get(dir)!;
    // A commit's summary says whether the commit tracks the manifest, which an unchanged directory keeps (see diff.ts).
    if (summary.manifest !== false && this.options.vouchedIds?.(join(dir, MANIFEST_PATH)) !== undefined)
      return undefined;
    return summary.targets ?? summary.calls.map(([, source]) => resolveLocal(dir, source));
  }

  /** Whether a directory is known by its summary, and has been neither read nor materialized. */
  private summarized(dir: string): boolean {
    return this.options.summaries?.has(dir) === true && this.mode(dir) === "graph" && this.stubs.get(dir) !== null;
  }

  /** Directories known by their summary that no assembled configuration includes (see passOver). */
  private readonly passed = new Set<string>();

  /**
   * Directories of configurations left as their shapes (see summarizedCalls): the files of those no
   * assembled configuration loaded count by their summary (filesRead) and are listed as such (fileLog).
   */
  passOver(dirs: Iterable<string>): void {
    for (const dir of dirs)
      if (this.summarized(dir) && !this.stubs.has(dir) && !this.modules.has(dir)) this.passed.add(dir);
  }

  /** Whether a module is a stub (see stubOf): known by its calls only. */
  isStub(module: Module): boolean {
    return this.stubs.get(module.dir)?.module === module;
  }

  /**
   * Reads the directories assembled from the call graph (stubs) among these, for their
   * configuration to be assembled again and checked: from now on they are loaded from their files.
   */
  async materialize(dirs: Iterable<string>): Promise<void> {
    const fresh = [...new Set(dirs)].filter((dir) => this.stubs.get(dir));
    for (const dir of fresh) {
      this.stubs.set(dir, null);
      this.modules.delete(dir);
    }
    await this.prepare(fresh);
    // A root's variable files were skipped: what reading them says (an error) is the run's too.
    for (const dir of fresh) if (this.stubRoots.delete(dir)) await this.variableValues(dir);
  }

  /**
   * A directory in graph mode whose content the cached call graph knows (every file's blob id
   * vouched for by the caller, see LoaderOptions.vouchedIds): a stub module with its calls, its
   * files not read. What the cache keeps of those files is kept for the next run.
   */
  private async stubOf(dir: string): Promise<Module | undefined> {
    if (this.mode(dir) === "full") return undefined;
    const known = this.stubs.get(dir);
    if (known !== undefined) return known?.module;
    // Known by its tree id: neither listed nor read.
    const summary = this.options.summaries?.get(dir);
    if (summary) {
      const module = stubModule(dir, summary.calls, this.options.cwd);
      this.stubs.set(dir, { module, paths: [], files: summary.files });
      return module;
    }
    const ids = this.options.vouchedIds;
    if (!ids || !this.callGraph) return undefined;
    const paths = (await this.moduleFiles(dir)) ?? [];
    // Decided meanwhile (by another caller that awaited the same listing).
    if (this.stubs.has(dir)) return this.stubs.get(dir)?.module;
    const key = paths.length ? CallGraph.key(dir, paths, ids) : undefined;
    const calls = key === undefined ? undefined : this.callGraph.calls(key);
    if (!calls) {
      this.stubs.set(dir, null);
      return undefined;
    }
    const module = stubModule(dir, calls, this.options.cwd);
    this.stubs.set(dir, { module, paths });
    const summaryKey = this.options.summaryKey?.(dir);
    if (summaryKey) this.callGraph.rememberSummary(summaryKey, paths.length, module);
    const { cache, tree } = this.options;
    for (const path of paths) {
      cache!.keep(ids(path)!);
      if (tree === workingTree) cache!.keepVouched(path);
    }
    return module;
  }

  /**
   * Records a module's calls in the call graph, by its files' content, when each of them was read
   * (or known from the cache by its blob id) and parsed without error.
   */
  private rememberCalls(dir: string, paths: readonly string[], module: Module): void {
    if (!this.callGraph) return;
    const { tree } = this.options;
    const idOf = (path: string) =>
      tree.blobIds
        ? tree.blobIds.get(path)
        : (this.contentIds.get(path) ?? (this.known.has(path) ? this.idOf(path) : undefined));
    const clean = paths.every(
      (path) =>
        this.parsed.get(path) !== null && !this.unreadable.has(path) && (this.known.has(path) || this.texts.has(path)),
    );
    if (!clean) return;
    const key = CallGraph.key(dir, paths, idOf);
    if (key !== undefined) this.callGraph.remember(key, module);
    const summaryKey = this.options.summaryKey?.(dir);
    if (summaryKey) this.callGraph.rememberSummary(summaryKey, paths.length, module);
  }

  mode(dir: string): LoadMode {
    return !this.options.prefilter || this.full.has(dir) ? "full" : "graph";
  }

  load(dir: string): Promise<Module | null> {
    let module = this.modules.get(dir);
    if (!module) {
      module = this.loadNow(dir);
      this.modules.set(dir, module);
    }
    return module;
  }

  async variableValues(dir: string): Promise<Map<string, VariableValue>> {
    // A stub's configuration is not checked: its values are not needed (read if it is materialized).
    if (this.stubs.get(dir)) {
      this.stubRoots.add(dir);
      return new Map();
    }
    // Nor, while it is only assembled, the configuration of a scan that defers surveys: read when it is settled.
    if (
      this.options.deferSurveys &&
      this.options.prefilter &&
      this.mode(dir) === "graph" &&
      !this.settledRoots.has(dir)
    ) {
      this.unreadRoots.add(dir);
      return new Map();
    }
    const { values, errors } = await this.variableReader.rootValues(dir, this.options.tree);
    this.options.errors.push(...errors);
    return values;
  }

  /** `.terraform/modules/modules.json` of a root module, read once. */
  moduleManifest(rootDir: string): Promise<ModuleManifest | undefined> {
    // A stub root is unchanged, .terraform/ included (see diff.ts): its manifest is there only if the vouched ids list it.
    if (this.stubs.get(rootDir) && this.options.vouchedIds?.(join(rootDir, MANIFEST_PATH)) === undefined)
      return Promise.resolve(undefined);
    let manifest = this.manifests.get(rootDir);
    if (!manifest) {
      manifest = readModuleManifest(rootDir, this.options.tree, this.options.cwd).then(
        ({ manifest: found, errors }) => {
          this.options.errors.push(...errors);
          return found;
        },
      );
      this.manifests.set(rootDir, manifest);
    }
    return manifest;
  }

  /** Reads the directories' files and parses, in one batch, those their current mode needs. */
  async prepare(dirs: Iterable<string>): Promise<void> {
    const files: { dir: string; path: string }[] = [];
    for (const dir of dirs) {
      // Known by its summary: made a stub when it is loaded, if it is.
      if (this.stubbing && (this.summarized(dir) || (await this.stubOf(dir)))) continue;
      for (const path of (await this.moduleFiles(dir)) ?? []) if (!this.parsed.has(path)) files.push({ dir, path });
    }
    await this.survey(files.map((f) => f.path).filter((path) => !this.texts.has(path) && !this.known.has(path)));
    // Files known from the cache are read when their text is needed, synchronously: a git snapshot fetches those of
    // the modules that matter now, all at once.
    await this.options.tree.prefetch?.(
      files
        .filter(({ dir, path }) => this.mode(dir) === "full" && this.known.has(path) && !this.texts.has(path))
        .map((f) => f.path),
    );
    const jobs: { path: string; text: string }[] = [];
    for (const { dir, path } of files) {
      // A file known from the cache is read only if it must be parsed or cannot be a plain skeleton.
      const known = this.known.get(path);
      if (known && !this.texts.has(path)) {
        if (!this.knownNeedsText(known, this.mode(dir))) continue;
        // A skeleton from the outline (module calls, comments), taken before: the cache keeps it.
        if (
          known.wellFormed &&
          known.skeleton === "outlined" &&
          !this.options.prefilter!.mustParse(this.knownMentions(known), this.mode(dir))
        ) {
          const kept = this.cachedEntry(path, "skeleton");
          if (kept?.result.ok && kept.outline) {
            const { cwd, errors, prefilter } = this.options;
            this.skeletons.set(
              path,
              this.unread(
                new KnownSkeleton(
                  path,
                  displayPath(path, cwd),
                  known,
                  prefilter!.words,
                  errors,
                  cwd,
                  this.verified.get(path),
                  { body: kept.result.body, outline: kept.outline },
                ),
              ),
            );
            continue;
          }
        }
        // To be parsed, and parsed before: the body the cache keeps for its content.
        const body = known.wellFormed && !path.endsWith(".json") ? this.cachedBody(path) : undefined;
        if (body) {
          this.parsedHow.set(
            path,
            `unchanged since an earlier run (${this.checkedHow(path)}): its parse taken from the cache`,
          );
          this.parsed.set(
            path,
            this.unread(
              new KnownParsedSource(
                path,
                displayPath(path, this.options.cwd),
                body,
                known,
                this.options.prefilter!.words,
                this.options.errors,
                this.options.cwd,
                this.verified.get(path),
              ),
            ),
          );
          continue;
        }
      }
      const read = this.settled.get(path) ?? (await this.readText(path));
      if (read.ok && this.needsParse(path, read.text, this.mode(dir))) jobs.push({ path, text: read.text });
    }
    await this.parseAll(jobs);
  }

  /** Switches directories to "full" mode; their modules are rebuilt on the next `load`. */
  async upgrade(dirs: Iterable<string>): Promise<void> {
    const fresh = [...dirs].filter((d) => !this.full.has(d));
    await this.materialize(fresh);
    for (const dir of fresh) {
      this.full.add(dir);
      this.modules.delete(dir);
    }
    await this.prepare(fresh);
  }

  /** Whether any file of these directories names one of the policies' resource types (see Prefilter.canMatter). */
  async canMatter(dirs: Iterable<string>): Promise<boolean> {
    const prefilter = this.options.prefilter;
    if (!prefilter) return true;
    for (const dir of dirs) {
      let matters = this.directoryMatters.get(dir);
      if (matters === undefined)
        this.directoryMatters.set(dir, (matters = await this.directoryCanMatter(dir, prefilter)));
      if (matters) return true;
    }
    return false;
  }

  private async directoryCanMatter(dir: string, prefilter: Prefilter): Promise<boolean> {
    for (const path of (await this.moduleFiles(dir)) ?? []) {
      const known = this.known.get(path);
      if (known && !this.texts.has(path)) {
        if (prefilter.canMatter(this.knownMentions(known))) return true;
        continue;
      }
      const read = this.settled.get(path) ?? (await this.readText(path));
      if (read.ok && prefilter.canMatter(mentionsIn(read.text))) return true;
    }
    return false;
  }

  private needsParse(path: string, text: string, mode: LoadMode): boolean {
    const prefilter = this.options.prefilter;
    // JSON parses natively and fast; a file whose structure is broken is parsed to report the error.
    return (
      !prefilter ||
      path.endsWith(".json") ||
      prefilter.mustParse(mentionsIn(text), mode) ||
      !this.skeleton(path, text, mode)
    );
  }

  /** Whether a file known from the cache must be read after all: to be parsed, or for a skeleton that needs its outline. */
  private knownNeedsText(facts: FileFacts, mode: LoadMode): boolean {
    return (
      !facts.wellFormed ||
      facts.skeleton !== "plain" ||
      this.options.prefilter!.mustParse(this.knownMentions(facts), mode)
    );
  }

  /** The mentions of a file known from the cache; a word it did not remember counts as mentioned. */
  private knownMentions(facts: FileFacts): Mentions {
    const words = this.options.prefilter!.words;
    return (word) => mentionedIn(facts, words, word) !== false;
  }

  private moduleFiles(dir: string): Promise<string[] | null> {
    let listing = this.listings.get(dir);
    if (!listing) this.listings.set(dir, (listing = this.listFiles(dir)));
    return listing;
  }

  private async listFiles(dir: string): Promise<string[] | null> {
    let paths = this.options.discovered.get(dir);
    if (!paths || this.options.wholeDirs.has(dir)) {
      try {
        paths = [...new Set([...(await listModuleFiles(dir, this.options.tree)), ...(paths ?? [])])].sort();
      } catch {
        return null;
      }
    }
    return preferTofu(paths);
  }

  private async loadNow(dir: string): Promise<Module | null> {
    const stub = this.stubbing && (await this.stubOf(dir));
    if (stub) return stub;
    const paths = await this.moduleFiles(dir);
    if (!paths || paths.length === 0) return null;
    await this.prepare([dir]);
    const sources: SourceFile[] = [];
    for (const path of paths) {
      const known = this.known.get(path);
      if (known && !this.texts.has(path)) {
        sources.push(this.parsed.get(path) ?? this.knownSkeleton(path));
        continue;
      }
      const read = this.settled.get(path) ?? (await this.readText(path));
      if (!read.ok) continue;
      const parsed = this.parsed.get(path);
      if (parsed) sources.push(parsed);
      else if (parsed === undefined) {
        const skeleton = this.skeleton(path, read.text, this.mode(dir));
        if (skeleton) sources.push(skeleton);
      }
    }
    const module = buildModule(dir, sources);
    this.rememberCalls(dir, paths, module);
    // file() / fileexists() read from the same tree, inside the repository (see functions/files.ts),
    // which is looked for (a .git up the directories) only when a module reads a file: few do.
    const { tree, cwd } = this.options;
    let boundary: string | undefined;
    readDataFilesWith(module, {
      tree,
      get boundary() {
        return (boundary ??= dataBoundary(dir, cwd));
      },
      cwd,
      errors: [],
    });
    return module;
  }

  /** How a file known from the cache was checked to be the content the cache knows (for --debug). */
  private checkedHow(path: string): string {
    return this.byMetadata.has(path)
      ? "its size and times as when keygate last checked its git blob id"
      : "its git blob id checked";
  }

  /** A source known from the cache, reading its text (when needed) from this loader's tree. */
  private unread<T extends UnreadSource>(source: T): T {
    source.tree = this.options.tree;
    // A working-tree file vouched for by its metadata, not read: its text, when read, must have that id.
    if (this.options.tree === workingTree) source.expectedId = this.idOf(source.path);
    return source;
  }

  /**
   * The file's skeleton (made once), or null when it cannot have one or looks broken, and must be
   * parsed. For a module that is only assembled ("graph"), a file whose survey was deferred has a
   * provisional one (see LoaderOptions.deferSurveys); for any other use, the file is surveyed first.
   */
  private skeleton(path: string, text: string, mode: LoadMode = "full"): SourceFile | null {
    const survey = this.surveys.get(path);
    if (this.provisional.has(path) && (mode === "full" || !isDeferred(survey))) {
      this.provisional.delete(path);
      this.skeletons.delete(path);
    }
    if (!this.skeletons.has(path)) {
      if (mode === "graph" && isDeferred(survey)) {
        this.provisional.add(path);
        this.skeletons.set(path, provisionalSkeletonSource(path, this.options.cwd, text, survey!));
      } else this.skeletons.set(path, skeletonSource(path, this.options.cwd, text, survey));
    }
    return this.skeletons.get(path)!;
  }

  /** Whether a file of these directories has a provisional skeleton, or one of them is a root whose variable files were not read (see settle). */
  unsettled(dirs: Iterable<string>): boolean {
    if (this.provisional.size === 0 && this.unreadRoots.size === 0) return false;
    const wanted = new Set(dirs);
    for (const dir of wanted) if (this.unreadRoots.has(dir)) return true;
    for (const path of this.provisional) if (wanted.has(dirname(path))) return true;
    return false;
  }

  /**
   * Surveys the files of these directories whose survey was deferred, before their configuration is
   * checked or reported on (see LoaderOptions.deferSurveys). A directory one of whose files turns out
   * to need a parse (it looks broken, or declares more than plain resource blocks) is read again,
   * as it would have been without deferring: returned, for its configurations to be assembled again;
   * so is a root whose variable files were not read (they are, when it is assembled again: what
   * reading them says is the run's).
   */
  async settle(dirs: Iterable<string>): Promise<Set<string>> {
    const wanted = new Set(dirs);
    const again = new Set<string>();
    for (const dir of wanted)
      if (this.unreadRoots.delete(dir)) {
        this.settledRoots.add(dir);
        again.add(dir);
      }
    const reread = new Set<string>();
    for (const path of [...this.provisional]) {
      const dir = dirname(path);
      if (!wanted.has(dir)) continue;
      const survey = this.surveys.get(path)!;
      this.provisional.delete(path);
      this.skeletons.delete(path);
      if (!survey.wellFormed || !survey.skeleton) reread.add(dir);
    }
    for (const dir of reread) {
      this.modules.delete(dir);
      again.add(dir);
    }
    await this.prepare(reread);
    return again;
  }

  /**
   * The skeleton of a file known from the cache to be a plain one: its text is read (synchronously,
   * from the working tree) only when the skeleton is looked at, which happens only when its
   * configuration can matter.
   */
  private knownSkeleton(path: string): SourceFile {
    let skeleton = this.skeletons.get(path);
    if (!skeleton) {
      const { cwd, errors, prefilter } = this.options;
      skeleton = this.unread(
        new KnownSkeleton(
          path,
          displayPath(path, cwd),
          this.known.get(path)!,
          prefilter!.words,
          errors,
          cwd,
          this.verified.get(path),
        ),
      );
      this.skeletons.set(path, skeleton);
    }
    return skeleton;
  }

  /**
   * Reads and surveys a batch of files at once (see survey.ts). With a cache, on the working tree
   * of a git repository, files whose content git reports unchanged and whose content hash the cache
   * knows are not read at all: what their survey found is taken from the cache (see knownNeedsText,
   * knownSkeleton).
   */
  private async survey(paths: string[]): Promise<void> {
    if (paths.length < 2) return;
    const { cache, prefilter, tree, cwd, errors } = this.options;
    // Facts hold a bit mask over the prefilter's words (see parse-cache.ts): a few dozen at most.
    const usable = cache && prefilter && (tree === workingTree || tree.blobIds) && prefilter.words.length <= 28;
    // Git knows the content hash of every tracked file it sees unchanged (of every file, in a git snapshot): those need no reading.
    const ids = usable
      ? await (this.blobIds ??= tree.blobIds
          ? Promise.resolve(tree.blobIds)
          : (this.options.blobIds ?? unchangedBlobIds(cwd)))
      : undefined;
    // Ids that do not match the content are dropped (see below, idOf). A git snapshot's are its own: kept as they are.
    this.ids = ids;
    // Outside a git work tree, facts could never be looked up again: none are kept.
    const remember = usable && ids ? { cache, words: prefilter.words } : undefined;
    let unread = paths;
    if (remember) {
      unread = [];
      for (const path of paths) {
        const id = ids!.get(path);
        const facts = id === undefined ? undefined : remember.cache.facts(id, remember.words);
        // The index's id is a claim about the content: what the cache says is used only for the
        // content it was taken from, checked here (a file edited since it was staged, or an index
        // that lies, is surveyed afresh). Reading is cheap; surveying and parsing are what is saved.
        // A git snapshot's ids are its objects' own: only the working tree's need checking.
        // A file whose metadata is what it was when keygate last computed its blob id is not read
        // again (see ParseCache.vouched); its text, if needed later, is checked then (UnreadSource).
        let vouched = false;
        let read: ReadResult | undefined;
        if (facts && tree === workingTree) {
          const info = lstatSync(path, { throwIfNoEntry: false });
          vouched = info?.isFile() === true && remember.cache.vouched(path, info) === id;
          let opened: Stats | undefined;
          if (!vouched) read = readWorkingTreeText(path, (info) => (opened = info));
          if (read?.ok && blobIdOf(read.text) === id) {
            vouched = true;
            if (opened) remember.cache.vouch(path, opened, id);
          }
        }
        if (facts && (tree !== workingTree || vouched)) {
          this.known.set(path, facts);
          if (tree === workingTree && !read) this.byMetadata.add(path);
          if (read?.ok) this.verified.set(path, read.text);
        } else {
          if (facts) this.mismatched.add(path);
          unread.push(path);
        }
      }
    }
    const results = await surveyFiles(unread, tree, this.options.deferSurveys === true && !!prefilter && !remember);
    unread.forEach((path, i) => {
      const { read, survey } = results[i]!;
      if (!read.ok) {
        errors.push(readError(path, cwd, read));
        this.unreadable.add(path);
      }
      this.texts.set(path, Promise.resolve(read));
      this.settled.set(path, read);
      if (survey) this.surveys.set(path, survey);
      if (!remember || !read.ok) return;
      const id = blobIdOf(read.text);
      if (tree === workingTree) this.contentIds.set(path, id);
      remember.cache.setFacts(id, factsOf(path, read.text, survey, remember.words), remember.words);
      // An outlined skeleton costs a lexing pass: kept for the next run (see prepare).
      if (survey?.outlined && survey.skeleton)
        remember.cache.set(`skeleton:${id}`, {
          result: { ok: true, body: survey.skeleton.body },
          outline: survey.skeleton.outline,
        });
    });
  }

  private readText(path: string): Promise<ReadResult> {
    let read = this.texts.get(path);
    if (!read) {
      read = readTextFile(path, this.options.tree).then((result) => {
        if (!result.ok) {
          this.options.errors.push(readError(path, this.options.cwd, result));
          this.unreadable.add(path);
        }
        this.settled.set(path, result);
        return result;
      });
      this.texts.set(path, read);
    }
    return read;
  }

  /** Parses files (cache first, then the pool) and records their sources or errors. */
  /** The parsed body the cache keeps for a file git reports unchanged (see survey), if any. */
  private cachedBody(path: string): Body | undefined {
    const hit = this.cachedEntry(path, "blob");
    return hit?.result.ok ? hit.result.body : undefined;
  }

  /** What the cache keeps for the content of a file git reports unchanged: its parsed body ("blob") or its outlined skeleton ("skeleton"). */
  private cachedEntry(path: string, kind: "blob" | "skeleton"): ParsedHcl | undefined {
    const id = this.idOf(path);
    return id === undefined ? undefined : this.options.cache?.get(`${kind}:${id}`);
  }

  /**
   * What became of each file the loader was asked about, for --debug: parsed (and how), skipped by
   * the prefilter (and why), taken from the cache, or refused (and why). Sorted by path.
   */
  async fileLog(): Promise<FileLogEntry[]> {
    const prefilter = this.options.prefilter;
    // The files of directories known from a summary were not listed: listed now, for the log.
    for (const [dir, stub] of this.stubs) if (stub?.files !== undefined) void this.moduleFiles(dir);
    for (const dir of this.passed) void this.moduleFiles(dir);
    const listed = (await Promise.all([...this.listings.values()])).flatMap((paths) => paths ?? []);
    const paths = [...new Set([...listed, ...this.texts.keys(), ...this.known.keys(), ...this.parsed.keys()])].sort();
    const entries: FileLogEntry[] = [];
    for (const path of paths) {
      const file = displayPath(path, this.options.cwd);
      const read = this.texts.has(path) ? await this.texts.get(path)! : undefined;
      if (read && !read.ok) {
        entries.push({ file, status: "refused", why: read.message });
        continue;
      }
      const parsed = this.parsed.get(path);
      if (parsed === null)
        entries.push({ file, status: "read", why: "could not be parsed (reported as an input error)" });
      else if (parsed)
        entries.push({
          file,
          status: this.parsedHow.get(path)?.startsWith("unchanged") ? "cached" : "read",
          why: this.parsedHow.get(path) ?? "parsed",
        });
      else if (!prefilter) entries.push({ file, status: "read", why: "not parsed: its module was not needed" });
      else if (!read && !this.known.has(path) && (this.stubs.get(dirname(path)) || this.passed.has(dirname(path))))
        entries.push({
          file,
          status: "cached",
          why: `unchanged (${this.stubs.get(dirname(path))?.files === undefined && !this.passed.has(dirname(path)) ? "its git blob id" : "its directory's git tree id"}, as the change says): its module's calls taken from the cache's call graph, not read; not checked: its configuration is outside the scan's scope (a change-aware scan checks the configurations the change touches)`,
        });
      else {
        const known = read ? undefined : this.known.get(path);
        const mentions = known ? this.knownMentions(known) : read ? mentionsIn(read.text) : undefined;
        const mode = this.mode(dirname(path));
        const why =
          mode === "graph" && this.outOfScope.has(dirname(path))
            ? "not checked: its configuration is outside the scan's scope (a change-aware scan checks the configurations the change touches), so only its module calls and comments were read"
            : mode === "graph"
              ? "by the prefilter: no configuration it belongs to names a resource type the policies check, so only its module calls and comments were read"
              : mentions && !prefilter.words.some(mentions)
                ? `by the prefilter: it mentions none of ${prefilter.words.join(", ")}`
                : "not parsed: its module was not needed";
        entries.push({
          file,
          status: known ? "cached" : "skipped",
          why: known
            ? `unchanged since an earlier run (${this.checkedHow(path)}): what it declares taken from the cache; not parsed, ${why}`
            : why,
        });
      }
    }
    return entries;
  }

  private async parseAll(jobs: { path: string; text: string }[]): Promise<void> {
    const { cache, cwd, errors } = this.options;
    const results = new Map<string, ParsedHcl>();
    const misses: { path: string; text: string; key: string }[] = [];
    for (const job of jobs) {
      if (job.path.endsWith(".json")) {
        results.set(job.path, { result: parseTerraformJson(job.text) });
        this.parsedHow.set(job.path, "parsed as Terraform JSON");
        continue;
      }
      const key = contentKey(job.text);
      const hit = cache?.get(key);
      if (hit) {
        results.set(job.path, hit);
        this.parsedHow.set(job.path, "parsed: hcl2json's result for this content taken from the cache");
      } else misses.push({ ...job, key });
    }
    const parsed = await this.options.pool.parse(
      misses.map((m) => m.text),
      this.options.onProgress,
    );
    misses.forEach((miss, i) => {
      const result = parsed[i]!;
      results.set(miss.path, result);
      // Only hcl2json's results come with an outline (see parse-pool.ts).
      this.parsedHow.set(
        miss.path,
        result.outline || !result.result.ok
          ? "parsed by hcl2json (keygate's parser declined it)"
          : "parsed by keygate's parser",
      );
      // hcl2json's results are worth keeping by content; the native parser is faster than a lookup,
      // but for a file git vouches for, a later run can skip reading it too (see cachedBody).
      if (result.outline || !result.result.ok) cache?.set(miss.key, result);
      else if (this.idOf(miss.path) !== undefined) cache?.set(`blob:${blobIdOf(miss.text)}`, { result: result.result });
    });
    for (const job of jobs) {
      const { result, outline } = results.get(job.path)!;
      const source = sourceFromParse(job.path, cwd, job.text, result, outline);
      this.parsed.set(job.path, source.ok ? source.source : null);
      if (!source.ok) errors.push(...source.errors);
    }
  }
}

/** A file's text, synchronously, from the working tree or a git snapshot (see SourceTree.readNow). */
function readNow(path: string, tree: SourceTree): ReadResult {
  if (tree === workingTree) return readWorkingTreeText(path);
  try {
    return decodeText(tree.readNow!(path));
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** Said of a file whose content no longer matches what the cache or git said of it a moment ago. */
const CHANGED_WHILE_READING = "the file changed while keygate was reading it; run keygate again";

/**
 * A file git reports unchanged and the cache knows (see ModuleLoader.survey): its words come from the
 * cache, and its text is read, from the working tree, only when it is asked for.
 */
abstract class UnreadSource {
  /** Where the text is read from when asked for (set by the loader: the tree it reads). */
  tree: SourceTree = workingTree;
  /** The blob id its text must have when read (a working-tree file the cache vouched for unread). */
  expectedId: string | undefined;

  constructor(
    readonly path: string,
    readonly file: string,
    private readonly facts: FileFacts,
    private readonly words: readonly string[],
    protected readonly errors: InputError[],
    private readonly cwd: string,
    /** The text, when it was read to verify the cache's facts (see ModuleLoader.survey). */
    private read: string | undefined,
  ) {}

  mentions(word: string): boolean | undefined {
    return mentionedIn(this.facts, this.words, word);
  }

  get text(): string {
    if (this.read === undefined) {
      const result = readNow(this.path, this.tree);
      if (!result.ok) this.errors.push(readError(this.path, this.cwd, result));
      else if (this.expectedId !== undefined && blobIdOf(result.text) !== this.expectedId)
        this.errors.push({ file: this.file, message: CHANGED_WHILE_READING });
      this.read = result.ok ? result.text : "";
    }
    return this.read;
  }
}

/**
 * A file known from the cache to be a skeleton (see ModuleLoader.knownSkeleton), surveyed again only
 * when its blocks are looked at (a plain skeleton), unless the cache kept them (an outlined one).
 */
class KnownSkeleton extends UnreadSource implements SourceFile {
  readonly syntax: "hcl" | "json";
  readonly skeleton: "plain" | "outlined";
  private built: Skeleton | undefined;

  constructor(
    path: string,
    file: string,
    facts: FileFacts,
    words: readonly string[],
    errors: InputError[],
    cwd: string,
    text: string | undefined,
    /** An outlined skeleton the cache kept (otherwise a plain one is built from the text, when needed). */
    kept?: Skeleton,
  ) {
    super(path, file, facts, words, errors, cwd, text);
    this.syntax = path.endsWith(".json") ? "json" : "hcl";
    this.skeleton = kept ? "outlined" : "plain";
    this.built = kept;
  }

  get body(): Body {
    return this.parts().body;
  }

  get outline(): FileOutline {
    return this.parts().outline;
  }

  private parts(): Skeleton {
    if (!this.built && this.syntax === "json") {
      // A .tf.json file's skeleton is its whole body: JSON parses fast.
      const parsed = parseTerraformJson(this.text);
      if (!parsed.ok) this.errors.push({ file: this.file, message: CHANGED_WHILE_READING });
      const text = this.text;
      let outline: FileOutline | undefined;
      this.built = {
        body: parsed.ok ? parsed.body : { attributes: [], blocks: [] },
        get outline() {
          return (outline ??= outlineTfJson(text));
        },
      };
    }
    if (!this.built) {
      const skeleton = surveyHcl(this.text).skeleton;
      // Changed since the cache was written, during this run: it must not pass unnoticed.
      if (!skeleton) this.errors.push({ file: this.file, message: CHANGED_WHILE_READING });
      this.built = skeleton ?? { body: { attributes: [], blocks: [] }, outline: { blocks: [], comments: [] } };
    }
    return this.built;
  }
}

/** Whether remembered facts say a file's text contains a word (undefined: not one of the words remembered). */
function mentionedIn(facts: FileFacts, words: readonly string[], word: string): boolean | undefined {
  const bit = words.indexOf(word);
  return bit === -1 ? undefined : (facts.mentions & (1 << bit)) !== 0;
}

/** A file known from the cache whose parsed body the cache kept: outlined, from its text, only if positions are asked for. */
class KnownParsedSource extends UnreadSource implements SourceFile {
  readonly syntax = "hcl";
  private outlined: FileOutline | undefined;

  constructor(
    path: string,
    file: string,
    readonly body: Body,
    facts: FileFacts,
    words: readonly string[],
    errors: InputError[],
    cwd: string,
    text: string | undefined,
  ) {
    super(path, file, facts, words, errors, cwd, text);
  }

  get outline(): FileOutline {
    return (this.outlined ??= outlineHcl(this.text));
  }
}

/**
 * What to remember of a surveyed file: the survey's findings, and which of the prefilter's words it
 * contains. A `.tf.json` file (not surveyed: it is parsed) is "plain" when it parses and holds no
 * module call: its body is then only needed, and parsed, when its configuration matters.
 */
function factsOf(path: string, text: string, survey: Survey | undefined, words: readonly string[]): FileFacts {
  let mentions = 0;
  words.forEach((word, bit) => {
    if (text.includes(word)) mentions |= 1 << bit;
  });
  if (!survey) {
    const wellFormed = path.endsWith(".json") && parseTerraformJson(text).ok;
    return { wellFormed, skeleton: wellFormed && !text.includes("module") ? "plain" : "none", mentions };
  }
  return {
    wellFormed: survey.wellFormed,
    skeleton: !survey.skeleton ? "none" : survey.outlined ? "outlined" : "plain",
    mentions,
  };
}
