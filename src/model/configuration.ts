import { resolve } from "node:path";
import type { InputError } from "../findings.js";
import type { Module, ModuleCall } from "./module.js";

/** One place a module is used: the root, or a module call inside another instance. */
export interface ModuleInstance {
  /** Terraform's module address: "" for the root, `module.a.module.b` below it. */
  address: string;
  module: Module;
  call: ModuleCall | undefined;
  parent: ModuleInstance | undefined;
  /** Instances of local module calls, by call name. Registry and git calls have none. */
  children: Map<string, ModuleInstance>;
  /** Values of root variables from `*.tfvars` (empty below the root). */
  variableValues: Map<string, unknown>;
}

/** A root module and the local modules it calls, instantiated. */
export interface Configuration {
  root: ModuleInstance;
  /** Every instance, the root first, in a stable order. */
  instances: ModuleInstance[];
}

/** What assembling needs from the loading side. */
export interface ModuleSource {
  /** The module in `dir`, or null when the directory holds no Terraform files or could not be read. */
  load(dir: string): Promise<Module | null>;
  /** Values of a root module's variables from its tfvars files. */
  variableValues(dir: string): Promise<Map<string, unknown>>;
}

/** Whether a module source is a local path (Terraform: it starts with `./` or `../`). */
export function isLocalSource(source: string | undefined): source is string {
  return source !== undefined && (source.startsWith("./") || source.startsWith("../"));
}

/** The directory a local module call points at. */
export function localCallDir(module: Module, call: ModuleCall): string | undefined {
  return isLocalSource(call.source) ? resolve(module.dir, call.source) : undefined;
}

/**
 * Groups scanned module directories into configurations: a root is a scanned directory that no
 * other scanned module calls; each root brings along the local modules it calls, transitively.
 * A scanned directory that ends up in no configuration (a call cycle) becomes a root of its own,
 * so that nothing scanned is skipped silently.
 */
export async function assembleConfigurations(
  scannedDirs: readonly string[],
  source: ModuleSource,
): Promise<{ configurations: Configuration[]; errors: InputError[] }> {
  const errors: InputError[] = [];
  const scanned = new Map<string, Module>();
  for (const dir of [...scannedDirs].sort()) {
    const module = await source.load(dir);
    if (module) scanned.set(dir, module);
  }
  const called = new Set<string>();
  for (const module of scanned.values()) {
    for (const call of module.calls) {
      const target = localCallDir(module, call);
      if (target && target !== module.dir) called.add(target);
    }
  }
  const configurations: Configuration[] = [];
  const covered = new Set<string>();
  const roots = [...scanned.keys()].filter((dir) => !called.has(dir));
  const build = async (rootDir: string) => {
    const root = await instantiate(scanned.get(rootDir)!, source, errors, covered, await source.variableValues(rootDir));
    const instances: ModuleInstance[] = [];
    const walk = (i: ModuleInstance) => {
      instances.push(i);
      for (const child of [...i.children.values()].sort((a, b) => (a.address < b.address ? -1 : 1))) walk(child);
    };
    walk(root);
    configurations.push({ root, instances });
  };
  for (const dir of roots) await build(dir);
  for (const dir of scanned.keys()) if (!covered.has(dir)) await build(dir);
  return { configurations, errors };
}

async function instantiate(
  module: Module,
  source: ModuleSource,
  errors: InputError[],
  covered: Set<string>,
  variableValues: Map<string, unknown>,
  parent?: ModuleInstance,
  call?: ModuleCall,
): Promise<ModuleInstance> {
  covered.add(module.dir);
  const instance: ModuleInstance = {
    address: parent && call ? [parent.address, `module.${call.name}`].filter(Boolean).join(".") : "",
    module,
    call,
    parent,
    children: new Map(),
    variableValues,
  };
  for (const child of module.calls) {
    const dir = localCallDir(module, child);
    if (!dir) continue;
    if (ancestorDirs(instance).includes(dir)) {
      errors.push({ file: child.location.file, line: child.location.line, column: child.location.column, message: `module "${child.name}" calls "${child.source}", which is already one of its callers: a module call cycle` });
      continue;
    }
    const childModule = await source.load(dir);
    if (!childModule) {
      errors.push({ file: child.location.file, line: child.location.line, column: child.location.column, message: `module "${child.name}": source "${child.source}" is not a directory with Terraform files (run from the right directory, or fix the path)` });
      continue;
    }
    instance.children.set(child.name, await instantiate(childModule, source, errors, covered, new Map(), instance, child));
  }
  return instance;
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
