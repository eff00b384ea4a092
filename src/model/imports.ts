/**
 * `import` blocks (Terraform 1.5+, `for_each` imports 1.7+, OpenTofu 1.6+): a resource instance an
 * import block targets is an existing object that Terraform adopts, not one it creates. A resource
 * all of whose instances are imported is therefore an existing resource, like a data source or a
 * user that was in the state before the change.
 */
import type { InputError, SourceLocation } from "../findings.js";
import type { BlockOutline } from "../load/outline.js";
import type { SourceFile } from "../load/sources.js";
import { qualify, type Configuration, type ModuleInstance } from "./configuration.js";
import { alternatives, eachBinding, newTrace, type Evaluator, type Scope, type Value } from "./expressions.js";
import { argumentsOf, resourcesOfType, spanLocation, type Argument, type Resource } from "./module.js";
import { writtenAddress } from "./written.js";

/** One `import` block of a root module. */
export interface ImportBlock {
  /** The `to` address as written (`module.team["a"].aws_iam_user.this[each.key]`). */
  to: string;
  forEach: Argument | undefined;
  source: SourceFile;
  /** Where `to` is written (the block, when the outline does not have it). */
  location: SourceLocation;
}

/** How many instances keygate enumerates for one block before it stops proving coverage. */
const MAX_INSTANCES = 4096;

/** The import blocks declared in a module's files, in file order. */
export function importBlocks(files: readonly SourceFile[]): ImportBlock[] {
  const blocks: ImportBlock[] = [];
  for (const source of files) {
    // An HCL file the prefilter did not parse has a skeleton of resource, data and module blocks only
    // (see prefilter.ts): no import block; its body is not built (nor its text read) for nothing.
    if (source.skeleton && source.syntax === "hcl") continue;
    const bodies = source.body.blocks.filter((b) => b.type === "import").map((b) => argumentsOf(b.body, source));
    if (bodies.length === 0) continue;
    const outlined = source.outline.blocks.filter((b) => b.keyword === "import");
    bodies.forEach((body, i) => {
      const block: BlockOutline | undefined = outlined[i];
      const to = body.to && writtenAddress(body.to);
      blocks.push({
        to: to ?? "",
        forEach: body.for_each,
        source,
        location: spanLocation(source, block?.attributes.to ?? block?.header ?? block?.span),
      });
    });
  }
  return blocks;
}

/** What the import blocks of a configuration say: the resources they adopt whole, and the blocks that are wrong. */
export interface Imports {
  /** Module-qualified addresses (no instance keys) of resources every instance of which is imported. */
  imported: Set<string>;
  errors: InputError[];
}

const cache = new WeakMap<Configuration, Promise<Imports>>();

/** The imports of a configuration, worked out once per configuration. */
export function importsOf(configuration: Configuration, evaluator: Evaluator): Promise<Imports> {
  let imports = cache.get(configuration);
  if (!imports) cache.set(configuration, (imports = collectImports(configuration, evaluator)));
  return imports;
}

/** Whether a resource of an instance is adopted by import blocks (every one of its instances). */
export async function isImported(
  configuration: Configuration,
  instance: ModuleInstance,
  resource: Resource,
  evaluator: Evaluator,
): Promise<boolean> {
  if (resource.mode !== "managed") return false;
  const { imported } = await importsOf(configuration, evaluator);
  return imported.size > 0 && imported.has(qualify(instance, resource.localAddress));
}

async function collectImports(configuration: Configuration, evaluator: Evaluator): Promise<Imports> {
  const errors: InputError[] = [];
  const root = configuration.root;
  for (const instance of configuration.instances) {
    if (instance === root || instance.origin.kind !== "local") continue;
    for (const block of importBlocks(instance.module.files)) {
      errors.push(
        errorAt(
          block,
          `an import block in module ${instance.address}: import blocks are only allowed in the root module (move it there, with \`to = ${instance.address}.…\`)`,
        ),
      );
    }
  }
  // Instance addresses imported, by the resource they belong to; `undefined` marks a block whose instances cannot be told.
  const targeted = new Map<string, { instance: ModuleInstance; resource: Resource; keys: Set<string> }>();
  for (const block of importBlocks(root.module.files)) {
    const address = parseAddress(block.to);
    if (!address) {
      errors.push(
        errorAt(
          block,
          `import block: \`to = ${block.to || "…"}\` is not a resource address (expected e.g. \`aws_iam_user.legacy\` or \`module.team.aws_iam_user.this["name"]\`)`,
        ),
      );
      continue;
    }
    if (address.type === "data") {
      errors.push(
        errorAt(
          block,
          `import block: \`to = ${block.to}\` names a data source; only managed resources can be imported`,
        ),
      );
      continue;
    }
    const target = resolveTarget(root, address);
    if (target.kind === "unfollowed") continue;
    if (target.kind === "missing") {
      errors.push(
        errorAt(
          block,
          `import block: \`to = ${block.to}\` names ${target.what}, which is not declared in the configuration: declare it, or fix the address (as \`terraform validate\` requires)`,
        ),
      );
      continue;
    }
    const resourceAddress = qualify(target.instance, target.resource.localAddress);
    const entry = targeted.get(resourceAddress) ?? {
      instance: target.instance,
      resource: target.resource,
      keys: new Set<string>(),
    };
    targeted.set(resourceAddress, entry);
    for (const key of await importedInstanceKeys(block, address, root, evaluator)) entry.keys.add(key);
  }
  const imported = new Set<string>();
  for (const [resourceAddress, { instance, resource, keys }] of targeted) {
    const all = await allInstanceKeys(instance, resource, evaluator);
    if (all && all.length > 0 && all.every((k) => keys.has(k))) imported.add(resourceAddress);
  }
  return { imported, errors };
}

function errorAt(block: ImportBlock, message: string): InputError {
  return { file: block.location.file, line: block.location.line, column: block.location.column, message };
}

/** An address as written in `to`: module steps, then the resource, each with an optional index expression. */
interface Address {
  modules: { name: string; index?: string }[];
  type: string;
  name: string;
  index?: string;
}

/** Parses `module.a["k"].module.b.aws_iam_user.x[each.key]` (null when it is not an address). */
export function parseAddress(text: string): Address | null {
  const steps: { name: string; index?: string }[] = [];
  let i = 0;
  const ident = () => {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const bracket = (): string | undefined => {
    if (text[i] !== "[") return undefined;
    let depth = 0;
    let quote = false;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (quote) {
        if (c === "\\") j++;
        else if (c === '"') quote = false;
        continue;
      }
      if (c === '"') quote = true;
      else if (c === "[") depth++;
      else if (c === "]" && --depth === 0) {
        const inner = text.slice(i + 1, j).trim();
        i = j + 1;
        return inner;
      }
    }
    return undefined;
  };
  const words: { name: string; index?: string }[] = [];
  for (;;) {
    const name = ident();
    if (name === undefined) return null;
    const index = text[i] === "[" ? bracket() : undefined;
    if (text[i - 1] === "]" && index === undefined) return null;
    words.push(index !== undefined ? { name, index } : { name });
    if (i === text.length) break;
    if (text[i] !== ".") return null;
    i++;
  }
  let w = 0;
  while (words[w]?.name === "module" && words[w]!.index === undefined && words[w + 1]) {
    steps.push(words[w + 1]!);
    w += 2;
  }
  const rest = words.slice(w);
  if (rest[0]?.name === "data" && rest.length === 3)
    return { modules: steps, type: "data", name: `${rest[1]!.name}.${rest[2]!.name}` };
  if (rest.length !== 2 || rest[0]!.index !== undefined) return null;
  return {
    modules: steps,
    type: rest[0]!.name,
    name: rest[1]!.name,
    ...(rest[1]!.index !== undefined ? { index: rest[1]!.index } : {}),
  };
}

type Target =
  | { kind: "found"; instance: ModuleInstance; resource: Resource }
  | { kind: "missing"; what: string }
  | { kind: "unfollowed" };

/** The resource an address names, walking module calls from the root. */
function resolveTarget(root: ModuleInstance, address: Address): Target {
  let instance = root;
  const path: string[] = [];
  for (const step of address.modules) {
    path.push(`module.${step.name}`);
    const child = instance.children.get(step.name);
    if (!child) {
      // A call keygate does not follow (remote, not downloaded, not catalogued) cannot be checked.
      if (instance.module.calls.some((c) => c.name === step.name)) return { kind: "unfollowed" };
      return { kind: "missing", what: `the module call ${path.join(".")}` };
    }
    instance = child;
  }
  const resource = resourcesOfType(instance.module, address.type).find(
    (r) => r.mode === "managed" && r.name === address.name,
  );
  if (resource) return { kind: "found", instance, resource };
  // A catalogued module is a model of the real one: what it leaves out may well exist.
  if (instance.origin.kind === "catalog") return { kind: "unfollowed" };
  return { kind: "missing", what: `the resource ${qualify(instance, `${address.type}.${address.name}`)}` };
}

/** The full instance addresses an import block adopts (none when its keys cannot be told). */
async function importedInstanceKeys(
  block: ImportBlock,
  address: Address,
  root: ModuleInstance,
  evaluator: Evaluator,
): Promise<string[]> {
  const scopes: Scope[] = [];
  if (block.forEach === undefined) scopes.push({ instance: root });
  else {
    const collection = await evaluator.evaluate(block.forEach, { instance: root }, newTrace());
    const entries = enumerate(collection);
    if (!entries) return [];
    for (const [key, value] of entries) scopes.push({ instance: root, each: { key, value } });
  }
  const keys: string[] = [];
  for (const scope of scopes) {
    const parts: string[] = [];
    for (const step of [
      ...address.modules.map((m) => ({ ...m, module: true })),
      { name: `${address.type}.${address.name}`, index: address.index, module: false },
    ]) {
      let key = "";
      if (step.index !== undefined) {
        const value = await evaluator.evaluateSource(step.index, scope, newTrace());
        const text = instanceKeyText(value);
        if (text === undefined) return [];
        key = text;
      }
      parts.push(`${step.module ? `module.${step.name}` : step.name}${key}`);
    }
    keys.push(parts.join("."));
  }
  return keys;
}

/**
 * Every instance address of a resource, module instance keys included, or undefined when a
 * `count` / `for_each` on the way cannot be enumerated (then imports cannot be shown to cover it).
 */
async function allInstanceKeys(
  instance: ModuleInstance,
  resource: Resource,
  evaluator: Evaluator,
): Promise<string[] | undefined> {
  const chain: ModuleInstance[] = [];
  for (let i: ModuleInstance | undefined = instance; i.call && i.parent; i = i.parent) chain.unshift(i);
  let prefixes = [""];
  for (const child of chain) {
    const keys = await keysOf(child.call!.count, child.call!.forEach, child.parent!, evaluator);
    if (!keys) return undefined;
    prefixes = prefixes.flatMap((p) => keys.map((k) => `${p}module.${child.call!.name}${k}.`));
    if (prefixes.length > MAX_INSTANCES) return undefined;
  }
  const keys = await keysOf(resource.body.count, resource.body.for_each, instance, evaluator);
  if (!keys) return undefined;
  return prefixes.flatMap((p) => keys.map((k) => `${p}${resource.localAddress}${k}`));
}

/** The instance key suffixes (`""`, `[0]`, `["a"]`) of a block with these meta-arguments. */
async function keysOf(
  count: Argument | undefined,
  forEach: Argument | undefined,
  instance: ModuleInstance,
  evaluator: Evaluator,
): Promise<string[] | undefined> {
  if (forEach !== undefined) {
    const entries = enumerate(await evaluator.evaluate(forEach, { instance }, newTrace()));
    if (!entries) return undefined;
    const keys: string[] = [];
    for (const [key] of entries) {
      const text = instanceKeyText(key);
      if (text === undefined) return undefined;
      keys.push(text);
    }
    return keys;
  }
  if (count !== undefined) {
    const n = await evaluator.evaluate(count, { instance }, newTrace());
    if (n.kind !== "known" || typeof n.value !== "number" || !Number.isInteger(n.value) || n.value > MAX_INSTANCES)
      return undefined;
    return Array.from({ length: Math.max(0, n.value) }, (_, i) => `[${i}]`);
  }
  return [""];
}

/**
 * The (each.key, each.value) pairs of a `for_each` collection: a map's keys, a set's members
 * (a set's key is its value). Undefined when they cannot be enumerated.
 */
function enumerate(collection: Value): [Value, Value][] | undefined {
  if (collection.kind === "known") {
    const v = collection.value;
    if (Array.isArray(v))
      return (v as unknown[]).map((x) => [
        { kind: "known", value: x },
        { kind: "known", value: x },
      ]);
    if (v !== null && typeof v === "object")
      return Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        { kind: "known", value: k },
        { kind: "known", value: x },
      ]);
    return undefined;
  }
  if (collection.kind === "object") return [...collection.entries].map(([k, x]) => [{ kind: "known", value: k }, x]);
  if (collection.kind === "tuple") {
    // A set (of strings) given as a tuple: each member is its own key, and must be known.
    const binding = collection.items.map((item) => [item, item] as [Value, Value]);
    return binding.every(([k]) => k.kind === "known") ? binding : undefined;
  }
  // A collection that is one of several: only when every alternative gives the same keys.
  if (collection.kind === "oneOf") {
    const options = alternatives(collection).map(enumerate);
    const first = options[0];
    if (
      !first ||
      options.some(
        (o) =>
          !o ||
          o.map(([k]) => instanceKeyText(k)).join("\u0000") !== first.map(([k]) => instanceKeyText(k)).join("\u0000"),
      )
    )
      return undefined;
    return first.map(([k]) => [k, eachBinding(collection).value]);
  }
  return undefined;
}

/** `["a"]` for a string key, `[0]` for a number; undefined when the key is not one known value. */
function instanceKeyText(value: Value): string | undefined {
  if (value.kind !== "known") return undefined;
  if (typeof value.value === "string") return `[${JSON.stringify(value.value)}]`;
  if (typeof value.value === "number" && Number.isInteger(value.value)) return `[${value.value}]`;
  return undefined;
}
