import { resolve, sep } from "node:path";
import type { InputError } from "../findings.js";
import { installedModule, type ModuleManifest } from "./manifest.js";
import { catalogModule, matchCatalog, type CatalogMatch } from "./module-catalog.js";
import type { Argument, Module, ModuleCall } from "./module.js";

/** A root variable's value and where it was set. */
export interface VariableValue {
  /** A tfvars value (a constant, as Terraform requires), or with `raw` the text of `-var` / `TF_VAR_*`, which Terraform reads according to the variable's type. */
  value: unknown;
  raw?: boolean;
  /** A tfvars value that is not a constant (Terraform rejects it), to be evaluated. */
  expression?: Argument;
  /** Where it was set: `terraform.tfvars`, `prod.tfvars` (`--var-file`), `--var`, `TF_VAR_name`. */
  origin: string;
}

/**
 * Where an instance's code comes from: the scanned root, a local path, a module `terraform init`
 * downloaded (read like a local one), or, when it was not downloaded, a registry module the module
 * catalog describes.
 */
export type ModuleOrigin =
  | { kind: "root" }
  | { kind: "local" }
  | { kind: "downloaded"; source: string; version: string | undefined; catalog: CatalogMatch | undefined }
  | { kind: "catalog"; source: string; catalog: CatalogMatch };

/** One place a module is used: the root, or a module call inside another instance. */
export interface ModuleInstance {
  /** Terraform's module address: "" for the root, `module.a.module.b` below it. */
  address: string;
  module: Module;
  call: ModuleCall | undefined;
  parent: ModuleInstance | undefined;
  /** Instances of module calls, by call name: local ones, downloaded ones, and catalogued registry modules. Other calls have none. */
  children: Map<string, ModuleInstance>;
  /** Values of root variables from tfvars files, `-var`, `TF_VAR_*` (empty below the root). */
  variableValues: Map<string, VariableValue>;
  origin: ModuleOrigin;
}

/** A root module and the modules it calls (local, downloaded, catalogued), instantiated. */
export interface Configuration {
  root: ModuleInstance;
  /** Every instance, the root first, in a stable order. */
  instances: ModuleInstance[];
}

/** What assembling needs from the loading side. */
export interface ModuleSource {
  /** The module in `dir`, or null when the directory holds no Terraform files or could not be read. */
  load(dir: string): Promise<Module | null>;
  /** Values of a root module's variables (tfvars files, and what the command line and environment set), in Terraform's order of precedence. */
  variableValues(dir: string): Promise<Map<string, VariableValue>>;
  /** The modules `terraform init` installed for a root module (`.terraform/modules/modules.json`), if any. */
  moduleManifest?(rootDir: string): Promise<ModuleManifest | undefined>;
}

/** Whether a module source is a local path (Terraform: it starts with `./` or `../`). */
export function isLocalSource(source: string | undefined): boolean {
  return source !== undefined && (source.startsWith("./") || source.startsWith("../"));
}

/** The directory a local module call points at. */
export function localCallDir(module: Module, call: ModuleCall): string | undefined {
  return call.source !== undefined && isLocalSource(call.source) ? resolveLocal(module.dir, call.source) : undefined;
}

/**
 * `path.resolve(dir, source)` for an absolute `dir` and a relative `source`: on POSIX, by segments,
 * without path.resolve's checks (a thousand configurations' calls add up); elsewhere path.resolve.
 */
export function resolveLocal(dir: string, source: string): string {
  if (sep !== "/" || !dir.startsWith("/")) return resolve(dir, source);
  const parts: string[] = [];
  for (const path of [dir, source])
    for (const segment of path.split("/")) {
      if (segment === "" || segment === ".") continue;
      if (segment === "..") parts.pop();
      else parts.push(segment);
    }
  return `/${parts.join("/")}`;
}

/**
 * Groups scanned module directories into configurations: a root is a scanned directory that no
 * other scanned module calls; each root brings along the modules it calls, transitively: local ones,
 * registry and git ones `terraform init` downloaded, and catalogued registry modules.
 * A scanned directory that ends up in no configuration (a call cycle) becomes a root of its own,
 * so that nothing scanned is skipped silently.
 *
 * `summarized`: for a directory known by its local calls alone (a change-aware scan's summaries,
 * see ModuleLoader.summarizedCalls), the directories they point at; undefined for the others. A
 * root whose configuration is made of such directories only, with no call cycle, is not
 * instantiated: it is given as its shape (see {@link ConfigurationShape}), which is all a
 * configuration that is not checked contributes. Any other root is assembled as without it.
 */
export async function assembleConfigurations(
  scannedDirs: readonly string[],
  source: ModuleSource,
  summarized?: (dir: string) => readonly string[] | undefined,
): Promise<{
  configurations: Configuration[];
  errors: InputError[];
  /** The configurations given by their shape, each with its place among the others (how many come before it). */
  shapes: { shape: ConfigurationShape; at: number }[];
}> {
  const errors: InputError[] = [];
  const scanned = new Map<string, Module>();
  const known = new Map<string, readonly string[]>();
  // Every directory with a module, in order (summarized ones have one: they have files).
  const dirs: string[] = [];
  for (const dir of [...scannedDirs].sort()) {
    const targets = summarized?.(dir);
    if (targets) {
      known.set(dir, targets);
      dirs.push(dir);
      continue;
    }
    const module = await source.load(dir);
    if (module) {
      scanned.set(dir, module);
      dirs.push(dir);
    }
  }
  const called = new Set<string>();
  for (const module of scanned.values()) {
    for (const call of module.calls) {
      const target = localCallDir(module, call);
      if (target && target !== module.dir) called.add(target);
    }
  }
  for (const [dir, targets] of known) for (const target of targets) if (target !== dir) called.add(target);
  const configurations: Configuration[] = [];
  const shapes: { shape: ConfigurationShape; at: number }[] = [];
  const covered = new Set<string>();
  const roots = dirs.filter((dir) => !called.has(dir));
  const build = async (rootDir: string) => {
    const shape = known.has(rootDir) ? summarizedShape(rootDir, known) : undefined;
    if (shape) {
      for (const dir of shape.dirs) covered.add(dir);
      shapes.push({ shape, at: configurations.length });
      return;
    }
    const module = scanned.get(rootDir) ?? (await source.load(rootDir));
    if (!module) return;
    const context: Context = { source, errors, covered, manifest: await source.moduleManifest?.(rootDir) };
    const root = await instantiate(module, context, await source.variableValues(rootDir), {
      kind: "root",
    });
    const instances: ModuleInstance[] = [];
    const walk = (i: ModuleInstance) => {
      instances.push(i);
      for (const child of [...i.children.values()].sort((a, b) => (a.address < b.address ? -1 : 1))) walk(child);
    };
    walk(root);
    configurations.push({ root, instances });
  };
  for (const dir of roots) await build(dir);
  for (const dir of dirs) if (!covered.has(dir)) await build(dir);
  return { configurations, errors, shapes };
}

/**
 * What a configuration is made of, as far as telling it apart from others goes: its root directory,
 * the directories of its modules, and those its local module calls point at (a module that is gone
 * changes it too). A change-aware scan needs no more of a configuration it does not check.
 */
export interface ConfigurationShape {
  root: string;
  dirs: ReadonlySet<string>;
  calls: readonly string[];
}

/** The shape of an assembled configuration. */
export function shapeOf(configuration: Configuration): ConfigurationShape {
  return {
    root: configuration.root.module.dir,
    dirs: new Set(configuration.instances.map((i) => i.module.dir)),
    calls: configuration.instances.flatMap((i) => i.module.calls.flatMap((call) => localCallDir(i.module, call) ?? [])),
  };
}

/**
 * The shape of the configuration rooted at `root`, when each of its modules is a directory known
 * by its calls (`known`) and no call is a cycle (which instantiating reports): the instances
 * instantiating would make, walked without making them. Undefined otherwise (it is instantiated).
 */
export function summarizedShape(
  root: string,
  known: ReadonlyMap<string, readonly string[]>,
): ConfigurationShape | undefined {
  const dirs = new Set<string>();
  const calls: string[] = [];
  const ancestors = [root];
  const walk = (dir: string): boolean => {
    dirs.add(dir);
    for (const target of known.get(dir)!) {
      calls.push(target);
      if (!known.has(target) || ancestors.includes(target)) return false;
      ancestors.push(target);
      const whole = walk(target);
      ancestors.pop();
      if (!whole) return false;
    }
    return true;
  };
  return walk(root) ? { root, dirs, calls } : undefined;
}

/** What instantiating one configuration carries along. */
interface Context {
  source: ModuleSource;
  errors: InputError[];
  covered: Set<string>;
  manifest: ModuleManifest | undefined;
}

async function instantiate(
  module: Module,
  context: Context,
  variableValues: Map<string, VariableValue>,
  origin: ModuleOrigin,
  parent?: ModuleInstance,
  call?: ModuleCall,
): Promise<ModuleInstance> {
  const { source, errors, covered } = context;
  covered.add(module.dir);
  const instance: ModuleInstance = {
    address: parent && call ? [parent.address, `module.${call.name}`].filter(Boolean).join(".") : "",
    module,
    call,
    parent,
    children: new Map(),
    variableValues,
    origin,
  };
  for (const child of module.calls) {
    const dir = localCallDir(module, child);
    if (!dir) {
      const remote = await remoteInstance(instance, child, context);
      if (remote) instance.children.set(child.name, remote);
      continue;
    }
    if (ancestorDirs(instance).includes(dir)) {
      errors.push({
        file: child.location.file,
        line: child.location.line,
        column: child.location.column,
        message: `module "${child.name}" calls "${child.source}", which is already one of its callers: a module call cycle`,
      });
      continue;
    }
    const childModule = await source.load(dir);
    if (!childModule) {
      errors.push({
        file: child.location.file,
        line: child.location.line,
        column: child.location.column,
        message: `module "${child.name}": source "${child.source}" is not a directory with Terraform files (run from the right directory, or fix the path)`,
      });
      continue;
    }
    instance.children.set(
      child.name,
      await instantiate(childModule, context, new Map(), { kind: "local" }, instance, child),
    );
  }
  return instance;
}

/**
 * The instance of a registry or git module call: its downloaded code when `terraform init` installed
 * it (read like a local module), else the catalog's model of it, else none (an unknown module).
 */
async function remoteInstance(
  parent: ModuleInstance,
  call: ModuleCall,
  context: Context,
): Promise<ModuleInstance | undefined> {
  const source = call.source;
  if (source === undefined) return undefined;
  const installed = installedModule(context.manifest, manifestKey(parent, call), source);
  if (installed && !ancestorDirs(parent).includes(installed.dir)) {
    const module = await context.source.load(installed.dir);
    if (module) {
      const catalog = matchCatalog(
        source,
        installed.version ? `= ${installed.version}` : call.version,
        Object.keys(call.inputs),
      );
      return instantiate(
        module,
        context,
        new Map(),
        { kind: "downloaded", source, version: installed.version, catalog },
        parent,
        call,
      );
    }
  }
  const catalog = matchCatalog(source, call.version, Object.keys(call.inputs));
  if (!catalog) return undefined;
  return {
    address: [parent.address, `module.${call.name}`].filter(Boolean).join("."),
    module: catalogModule(catalog, call, parent.module.dir),
    call,
    parent,
    children: new Map(),
    variableValues: new Map(),
    origin: { kind: "catalog", source, catalog },
  };
}

/** The key `terraform init` gives a call in modules.json: the call names from the root, joined by dots. */
function manifestKey(parent: ModuleInstance, call: ModuleCall): string {
  const names = [call.name];
  for (let i: ModuleInstance | undefined = parent; i?.call; i = i.parent) names.unshift(i.call.name);
  return names.join(".");
}

/** The outermost instance, from `instance` up, whose code is not the user's own (downloaded or catalogued): where its findings are reported. */
export function remoteBoundary(instance: ModuleInstance): ModuleInstance | undefined {
  let boundary: ModuleInstance | undefined;
  for (let i: ModuleInstance | undefined = instance; i; i = i.parent) {
    if (i.origin.kind === "downloaded" || i.origin.kind === "catalog") boundary = i;
  }
  return boundary;
}

/** The catalog entries that describe an instance's module, when one does. */
export function catalogOf(instance: ModuleInstance): CatalogMatch | undefined {
  return instance.origin.kind === "downloaded" || instance.origin.kind === "catalog"
    ? instance.origin.catalog
    : undefined;
}

function ancestorDirs(instance: ModuleInstance): string[] {
  const dirs: string[] = [];
  for (let i: ModuleInstance | undefined = instance; i; i = i.parent) dirs.push(i.module.dir);
  return dirs;
}

/** The full Terraform address of a resource in an instance: `module.a.aws_iam_user.x`. */
export function qualify(instance: ModuleInstance, localAddress: string): string {
  return instance.address ? `${instance.address}.${localAddress}` : localAddress;
}
