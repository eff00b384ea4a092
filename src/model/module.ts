import type { InputError, SourceLocation } from "../findings.js";
import type { Block, Expression } from "../load/hcl-syntax.js";
import type { BlockOutline, FileOutline } from "../load/outline.js";
import type { SourceFile } from "../load/sources.js";
import { argument, argumentsOf, spanLocation, type Argument, type Arguments } from "./arguments.js";
import { isOverrideFile, Overrides } from "./overrides.js";
import { constantValue, writtenAddress } from "./written.js";

export { argumentsOf, jsonArgument, spanLocation, type Argument, type Arguments } from "./arguments.js";

/** A `resource` or `data` block. */
export interface Resource {
  mode: "managed" | "data";
  type: string;
  name: string;
  /** Address inside its module: `aws_iam_user.deploy` or `data.aws_iam_user.existing`. */
  localAddress: string;
  /** The block's arguments (nested blocks are not among them). */
  body: Arguments;
  source: SourceFile;
  /** The whole block, from its header to its closing brace. */
  location: SourceLocation;
  /** Where each top-level argument of the block stands. */
  attributeLocations: Record<string, SourceLocation>;
  /** For a block that override files changed (see overrides.ts): where the override that set each argument sets it. */
  overriddenBy?: Record<string, SourceLocation>;
}

/** A `module` block. */
export interface ModuleCall {
  name: string;
  /** The `source` argument as written, when it is a literal string. */
  source: string | undefined;
  /** The `version` constraint as written, when it is a literal string (registry modules). */
  version: string | undefined;
  /** Input variables passed to the module (every argument but the meta-arguments). */
  inputs: Arguments;
  count: Argument | undefined;
  forEach: Argument | undefined;
  sourceFile: SourceFile;
  location: SourceLocation;
}

/** A `moved` block: `from` was renamed to `to` (addresses inside the module, as written). */
export interface Move {
  from: string;
  to: string;
}

/** A `variable` block. */
export interface Variable {
  name: string;
  hasDefault: boolean;
  /** The default's value: Terraform requires a constant (see {@link constantValue}). */
  default: unknown;
  /** A default that is not a constant (Terraform rejects it), to be evaluated. */
  defaultExpression?: Argument;
  /** The `type` argument's expression (or its source text), when there is one. */
  type?: Expression | string;
  /** `nullable = false`: a null argument means the default. */
  nullable?: boolean;
}

/** A module: one directory of Terraform files. */
export interface Module {
  /** Absolute path of the directory. */
  dir: string;
  files: SourceFile[];
  resources: Resource[];
  calls: ModuleCall[];
  variables: Map<string, Variable>;
  locals: Map<string, Argument>;
  outputs: Map<string, Argument>;
  moves: Move[];
}

const MODULE_META_ARGUMENTS = new Set(["source", "version", "count", "for_each", "providers", "depends_on"]);

/**
 * Builds the model of one module from its parsed files. Its resources are listed on first access:
 * in a large repository most modules are only needed for their calls (see the loader's graph mode),
 * and the files they are not read from (skeletons) are built lazily too.
 */
export function buildModule(dir: string, files: readonly SourceFile[]): Module {
  // Override files are merged into the blocks of the others (see overrides.ts), not read as declarations.
  const overrides = new Overrides(files.filter((f) => isOverrideFile(f.path)));
  const primary = overrides.empty ? files : files.filter((f) => !isOverrideFile(f.path));
  let resources: Resource[] | undefined;
  const byFile = new Map<SourceFile, Resource[]>();
  const ofFile = (source: SourceFile) => {
    let listed = byFile.get(source);
    if (!listed)
      byFile.set(
        source,
        (listed = overrides.empty
          ? listResources(source)
          : listResources(source).map((r) => withOverrides(r, overrides))),
      );
    return listed;
  };
  const module: Module = {
    dir,
    files: [...files],
    get resources() {
      return (resources ??= primary.flatMap(ofFile));
    },
    calls: [],
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    moves: [],
  };
  for (const source of primary) {
    // Skeletons of resource-only files have nothing but resources: their body is not built here.
    if (!mayDeclareMoreThanResources(source)) continue;
    const blocks = new BlockFinder(source);
    const seen = new Set<string>();
    for (const block of source.body.blocks) {
      const [name] = block.labels;
      switch (block.type) {
        case "module": {
          if (block.labels.length !== 1) break;
          const body = overrides.merged("module", block.labels, argumentsOf(block.body, source));
          const outlined = blocks.next("module", block.labels);
          module.calls.push({
            name: name!,
            source: literalString(body.source),
            version: literalString(body.version),
            inputs: Object.fromEntries(Object.entries(body).filter(([k]) => !MODULE_META_ARGUMENTS.has(k))),
            count: body.count,
            forEach: body.for_each,
            sourceFile: source,
            location: spanLocation(source, outlined?.span),
          });
          break;
        }
        case "variable": {
          // The first block of a name in a file counts; a later file's replaces it.
          if (block.labels.length !== 1 || seen.has(`variable\u0000${name}`)) break;
          seen.add(`variable\u0000${name}`);
          const body = overrides.merged("variable", block.labels, argumentsOf(block.body, source));
          const constant = body.default && constantValue(body.default.value);
          const nullable = body.nullable && constantValue(body.nullable.value);
          module.variables.set(name!, {
            name: name!,
            hasDefault: body.default !== undefined,
            default: constant?.value,
            ...(body.default && !constant ? { defaultExpression: body.default } : {}),
            ...(body.type !== undefined ? { type: body.type.value } : {}),
            ...(nullable && (nullable.value === false || nullable.value === "false") ? { nullable: false } : {}),
          });
          break;
        }
        case "locals":
          for (const attribute of block.body.attributes)
            module.locals.set(attribute.name, overrides.local(attribute.name, argument(attribute, source)));
          break;
        case "output": {
          if (block.labels.length !== 1 || seen.has(`output\u0000${name}`)) break;
          seen.add(`output\u0000${name}`);
          const value = overrides.merged("output", block.labels, argumentsOf(block.body, source)).value;
          if (value) module.outputs.set(name!, value);
          break;
        }
        case "moved": {
          const body = argumentsOf(block.body, source);
          const [from, to] = [body.from && writtenAddress(body.from), body.to && writtenAddress(body.to)];
          if (from && to) module.moves.push({ from, to });
          break;
        }
      }
    }
  }
  // A skeleton whose text never names a type has no block of it: its resources need not be built.
  resourceLookups.set(module, (type) =>
    primary.flatMap((source) =>
      source.skeleton === "plain" && source.mentions?.(type) === false
        ? []
        : ofFile(source).filter((r) => r.type === type),
    ),
  );
  if (!overrides.empty) overridesOf.set(module, overrides);
  return module;
}

const overridesOf = new WeakMap<Module, Overrides>();

/**
 * The errors of a module's override files: a block or local value that no other file declares,
 * `depends_on`, `moved` or `import` in an override file. None for a module without override files.
 */
export function overrideErrors(module: Module): InputError[] {
  const overrides = overridesOf.get(module);
  if (!overrides) return [];
  const exists = (keyword: string, labels: readonly string[]): boolean => {
    const [first = "", second = ""] = labels;
    if (keyword === "resource" || keyword === "data")
      return resourceNamed(module, keyword === "resource" ? "managed" : "data", first, second) !== undefined;
    if (keyword === "module") return module.calls.some((c) => c.name === first);
    if (keyword === "variable") return module.variables.has(first);
    if (keyword === "output") return module.outputs.has(first) || declaresOutput(module, first);
    return true;
  };
  return overrides.errors(exists, new Set(module.locals.keys()));
}

/** Whether a file other than an override file declares the output (one without `value` is not in `outputs`). */
function declaresOutput(module: Module, name: string): boolean {
  return module.files.some(
    (f) => !isOverrideFile(f.path) && f.body.blocks.some((b) => b.type === "output" && b.labels[0] === name),
  );
}

/** A resource with the override blocks that name it merged in: their arguments win, and are located where they set them. */
function withOverrides(resource: Resource, overrides: Overrides): Resource {
  const keyword = resource.mode === "managed" ? "resource" : "data";
  const labels = [resource.type, resource.name];
  if (overrides.blocksFor(keyword, labels).length === 0) return resource;
  let body: Arguments | undefined;
  let attributes: Record<string, SourceLocation> | undefined;
  return {
    mode: resource.mode,
    type: resource.type,
    name: resource.name,
    localAddress: resource.localAddress,
    get body() {
      return (body ??= overrides.merged(keyword, labels, resource.body));
    },
    source: resource.source,
    get location() {
      return resource.location;
    },
    get attributeLocations() {
      return (attributes ??= { ...resource.attributeLocations, ...overrides.attributeLocations(keyword, labels) });
    },
    overriddenBy: overrides.attributeLocations(keyword, labels),
  };
}

const resourceLookups = new WeakMap<Module, (type: string) => Resource[]>();

/** Each module's resources by type, and by mode, type and name, built on first lookup (a file can declare 100,000). */
const resourceIndex = new WeakMap<
  Module,
  { byType: Map<string, Resource[]>; byName: Map<string, Map<string, Resource>> }
>();

function indexOf(module: Module) {
  let index = resourceIndex.get(module);
  if (!index) resourceIndex.set(module, (index = { byType: new Map(), byName: new Map() }));
  return index;
}

/**
 * The module's resources and data sources of one type, in the order of `module.resources`. For a
 * module built here, the files that cannot declare the type are not even looked at. Looked up once
 * per module and type: callers look up for every reference.
 */
export function resourcesOfType(module: Module, type: string): Resource[] {
  const { byType } = indexOf(module);
  let found = byType.get(type);
  if (!found)
    byType.set(type, (found = resourceLookups.get(module)?.(type) ?? module.resources.filter((r) => r.type === type)));
  return found;
}

/** The first resource (or data source) of a mode, type and name in the module, by index. */
export function resourceNamed(
  module: Module,
  mode: Resource["mode"],
  type: string,
  name: string,
): Resource | undefined {
  const { byName } = indexOf(module);
  const key = `${mode}\u0000${type}`;
  let named = byName.get(key);
  if (!named) {
    named = new Map();
    for (const resource of resourcesOfType(module, type))
      if (resource.mode === mode && !named.has(resource.name)) named.set(resource.name, resource);
    byName.set(key, named);
  }
  return named.get(name);
}

function listResources(source: SourceFile): Resource[] {
  const resources: Resource[] = [];
  const occurrences = new Map<string, number>();
  for (const mode of ["managed", "data"] as const) {
    const keyword = mode === "managed" ? "resource" : "data";
    for (const block of source.body.blocks) {
      if (block.type !== keyword || block.labels.length !== 2) continue;
      const [type, name] = block.labels as [string, string];
      // Which block of the outline this is, looked up only when its location is asked for.
      const key = `${keyword}\u0000${type}\u0000${name}`;
      const nth = occurrences.get(key) ?? 0;
      occurrences.set(key, nth + 1);
      resources.push(new ResourceBlock(mode, type, name, block, source, key, nth));
    }
  }
  return resources;
}

/** The string an argument spells when it is a plain literal (`source = "./x"`). */
function literalString(arg: Argument | undefined): string | undefined {
  if (!arg) return undefined;
  const constant = constantValue(arg.value);
  return typeof constant?.value === "string" ? constant.value : undefined;
}

/** A resource or data block; its locations come from the file's outline, when first asked for (a class: there are thousands). */
class ResourceBlock implements Resource {
  readonly localAddress: string;
  private outlined: BlockOutline | undefined | null = null;
  private spans: { location: SourceLocation; attributes: Record<string, SourceLocation> } | undefined;

  constructor(
    readonly mode: "managed" | "data",
    readonly type: string,
    readonly name: string,
    private readonly block: Block,
    readonly source: SourceFile,
    private readonly key: string,
    private readonly nth: number,
  ) {
    this.localAddress = mode === "managed" ? `${type}.${name}` : `data.${type}.${name}`;
  }

  private arguments: Arguments | undefined;

  get body(): Arguments {
    return (this.arguments ??= argumentsOf(this.block.body, this.source));
  }

  get location(): SourceLocation {
    return this.located().location;
  }

  get attributeLocations(): Record<string, SourceLocation> {
    return this.located().attributes;
  }

  private located(): { location: SourceLocation; attributes: Record<string, SourceLocation> } {
    if (!this.spans) {
      if (this.outlined === null) this.outlined = blockOf(this.source, this.key, this.nth);
      const block = this.outlined;
      this.spans = {
        location: spanLocation(this.source, block?.span),
        attributes: Object.fromEntries(
          Object.entries(block?.attributes ?? {}).map(([k, span]) => [k, spanLocation(this.source, span)]),
        ),
      };
    }
    return this.spans;
  }
}

const blocksByKey = new WeakMap<FileOutline, Map<string, BlockOutline[]>>();

/** The `nth` outlined block of a file with this keyword and these labels (`keyword\0label\0label`). */
function blockOf(source: SourceFile, key: string, nth: number): BlockOutline | undefined {
  const outline = source.outline;
  let index = blocksByKey.get(outline);
  if (!index) {
    index = new Map();
    for (const block of outline.blocks) {
      const blockKey = [block.keyword, ...block.labels].join("\u0000");
      const list = index.get(blockKey);
      if (list) list.push(block);
      else index.set(blockKey, [block]);
    }
    blocksByKey.set(outline, index);
  }
  return index.get(key)?.[nth];
}

/** Whether a file may hold blocks other than resources: every file but the plain skeletons (see prefilter.ts). */
function mayDeclareMoreThanResources(source: SourceFile): boolean {
  return source.skeleton !== "plain";
}

/** Hands out the outlined blocks of a file in order, so that repeated labels map to the right block. */
class BlockFinder {
  private readonly used = new Set<BlockOutline>();
  constructor(private readonly source: SourceFile) {}

  next(keyword: string, labels: string[]): BlockOutline | undefined {
    const block = this.source.outline.blocks.find(
      (b) =>
        !this.used.has(b) &&
        b.keyword === keyword &&
        b.labels.length === labels.length &&
        b.labels.every((l, i) => l === labels[i]),
    );
    if (block) this.used.add(block);
    return block;
  }
}
