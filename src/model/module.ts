import type { SourceLocation } from "../findings.js";
import type { BlockOutline, FileOutline, Span } from "../load/outline.js";
import type { SourceFile } from "../load/sources.js";

/** A `resource` or `data` block. */
export interface Resource {
  mode: "managed" | "data";
  type: string;
  name: string;
  /** Address inside its module: `aws_iam_user.deploy` or `data.aws_iam_user.existing`. */
  localAddress: string;
  body: Record<string, unknown>;
  source: SourceFile;
  /** The whole block, from its header to its closing brace. */
  location: SourceLocation;
  /** Where each top-level argument of the block stands. */
  attributeLocations: Record<string, SourceLocation>;
}

/** A `module` block. */
export interface ModuleCall {
  name: string;
  /** The `source` argument as written, when it is a literal string. */
  source: string | undefined;
  /** The `version` constraint as written, when it is a literal string (registry modules). */
  version: string | undefined;
  /** Input variables passed to the module (every argument but the meta-arguments). */
  inputs: Record<string, unknown>;
  count: unknown;
  forEach: unknown;
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
  default: unknown;
  /** The `type` argument as hcl2json gives it (`${bool}`), when there is one. */
  type?: unknown;
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
  locals: Map<string, unknown>;
  outputs: Map<string, unknown>;
  moves: Move[];
}

const MODULE_META_ARGUMENTS = new Set(["source", "version", "count", "for_each", "providers", "depends_on"]);

/**
 * Builds the model of one module from its parsed files. Its resources are listed on first access:
 * in a large repository most modules are only needed for their calls (see the loader's graph mode),
 * and the files they are not read from (skeletons) are built lazily too.
 */
export function buildModule(dir: string, files: readonly SourceFile[]): Module {
  let resources: Resource[] | undefined;
  const byFile = new Map<SourceFile, Resource[]>();
  const ofFile = (source: SourceFile) => {
    let listed = byFile.get(source);
    if (!listed) byFile.set(source, (listed = listResources(source)));
    return listed;
  };
  const module: Module = {
    dir,
    files: [...files],
    get resources() {
      return (resources ??= files.flatMap(ofFile));
    },
    calls: [],
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    moves: [],
  };
  for (const source of files) {
    // Skeletons of resource-only files have nothing but resources: their body is not built here.
    if (!mayDeclareMoreThanResources(source)) continue;
    const blocks = new BlockFinder(source);
    for (const [name, bodies] of Object.entries(asRecord(source.body.module))) {
      for (const body of asBodies(bodies)) {
        const block = blocks.next("module", [name]);
        module.calls.push({
          name,
          source: typeof body.source === "string" ? body.source : undefined,
          version: typeof body.version === "string" ? body.version : undefined,
          inputs: Object.fromEntries(Object.entries(body).filter(([k]) => !MODULE_META_ARGUMENTS.has(k))),
          count: body.count,
          forEach: body.for_each,
          sourceFile: source,
          location: spanLocation(source, block?.span),
        });
      }
    }
    for (const [name, bodies] of Object.entries(asRecord(source.body.variable))) {
      const body = asBodies(bodies)[0] ?? {};
      module.variables.set(name, {
        name,
        hasDefault: "default" in body,
        default: body.default,
        ...(body.type !== undefined ? { type: body.type } : {}),
        ...(body.nullable === false || body.nullable === "false" ? { nullable: false } : {}),
      });
    }
    for (const body of asBodies(source.body.locals)) {
      for (const [name, value] of Object.entries(body)) module.locals.set(name, value);
    }
    for (const [name, bodies] of Object.entries(asRecord(source.body.output))) {
      const body = asBodies(bodies)[0];
      if (body && "value" in body) module.outputs.set(name, body.value);
    }
    for (const body of asBodies(source.body.moved)) {
      const [from, to] = [bareAddress(body.from), bareAddress(body.to)];
      if (from && to) module.moves.push({ from, to });
    }
  }
  // A skeleton whose text never names a type has no block of it: its resources need not be built.
  resourceLookups.set(module, (type) => files.flatMap((source) => (source.skeleton === "plain" && source.mentions?.(type) === false ? [] : ofFile(source).filter((r) => r.type === type))));
  return module;
}

const resourceLookups = new WeakMap<Module, (type: string) => Resource[]>();

/** Each module's resources by type, and by mode, type and name, built on first lookup (a file can declare 100,000). */
const resourceIndex = new WeakMap<Module, { byType: Map<string, Resource[]>; byName: Map<string, Map<string, Resource>> }>();

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
  if (!found) byType.set(type, (found = resourceLookups.get(module)?.(type) ?? module.resources.filter((r) => r.type === type)));
  return found;
}

/** The first resource (or data source) of a mode, type and name in the module, by index. */
export function resourceNamed(module: Module, mode: Resource["mode"], type: string, name: string): Resource | undefined {
  const { byName } = indexOf(module);
  const key = `${mode}\u0000${type}`;
  let named = byName.get(key);
  if (!named) {
    named = new Map();
    for (const resource of resourcesOfType(module, type)) if (resource.mode === mode && !named.has(resource.name)) named.set(resource.name, resource);
    byName.set(key, named);
  }
  return named.get(name);
}

function listResources(source: SourceFile): Resource[] {
  const resources: Resource[] = [];
  const occurrences = new Map<string, number>();
  for (const mode of ["managed", "data"] as const) {
    const keyword = mode === "managed" ? "resource" : "data";
    const byType = asRecord(source.body[keyword]);
    for (const [type, byName] of Object.entries(byType)) {
      for (const [name, bodies] of Object.entries(asRecord(byName))) {
        for (const body of asBodies(bodies)) {
          // Which block of the outline this is, looked up only when its location is asked for.
          const key = `${keyword}\u0000${type}\u0000${name}`;
          const nth = occurrences.get(key) ?? 0;
          occurrences.set(key, nth + 1);
          resources.push(new ResourceBlock(mode, type, name, body, source, key, nth));
        }
      }
    }
  }
  return resources;
}

/** A resource or data block; its locations come from the file's outline, when first asked for (a class: there are thousands). */
class ResourceBlock implements Resource {
  readonly localAddress: string;
  private block: BlockOutline | undefined | null = null;
  private spans: { location: SourceLocation; attributes: Record<string, SourceLocation> } | undefined;

  constructor(
    readonly mode: "managed" | "data",
    readonly type: string,
    readonly name: string,
    readonly body: Record<string, unknown>,
    readonly source: SourceFile,
    private readonly key: string,
    private readonly nth: number,
  ) {
    this.localAddress = mode === "managed" ? `${type}.${name}` : `data.${type}.${name}`;
  }

  get location(): SourceLocation {
    return this.located().location;
  }

  get attributeLocations(): Record<string, SourceLocation> {
    return this.located().attributes;
  }

  private located(): { location: SourceLocation; attributes: Record<string, SourceLocation> } {
    if (!this.spans) {
      if (this.block === null) this.block = blockOf(this.source, this.key, this.nth);
      const block = this.block;
      this.spans = {
        location: spanLocation(this.source, block?.span),
        attributes: Object.fromEntries(Object.entries(block?.attributes ?? {}).map(([k, span]) => [k, spanLocation(this.source, span)])),
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
      (b) => !this.used.has(b) && b.keyword === keyword && b.labels.length === labels.length && b.labels.every((l, i) => l === labels[i]),
    );
    if (block) this.used.add(block);
    return block;
  }
}

/** A report location for an outlined span (the file's first line when the outline missed it). */
export function spanLocation(source: SourceFile, span: Span | undefined): SourceLocation {
  if (!span) return { file: source.file, line: 1, column: 1, endLine: 1, endColumn: 1 };
  return { file: source.file, line: span.start.line, column: span.start.column, endLine: span.end.line, endColumn: span.end.column };
}

/** An address written as an HCL traversal (`${aws_iam_user.a}`) or, in JSON syntax, as a plain string. */
function bareAddress(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^\$\{(.*)\}$/s.exec(value);
  return (match ? match[1]! : value).trim() || undefined;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asBodies(value: unknown): Record<string, unknown>[] {
  const items = Array.isArray(value) ? value : [value];
  return items.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v));
}
