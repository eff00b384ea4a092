/**
 * Override files (https://developer.hashicorp.com/terraform/language/files/override): `override.tf`,
 * `*_override.tf` and their `.tf.json` / `.tofu` / `.tofu.json` forms are not read as more
 * declarations but merged, after every other file of the module and in the lexical order of their
 * names, into the blocks they name, as Terraform's `configs.Module.mergeFile` does:
 * - `resource` / `data` / `module` / `output` / `variable`: every argument the override sets
 *   replaces the base block's; a nested block type it sets replaces all the base's blocks of that
 *   type; `lifecycle` is merged argument by argument; `depends_on` cannot be overridden;
 * - `locals`: value by value, whichever `locals` block defines them;
 * - an override for a block (or local value) that no other file declares is an error, and so are
 *   `moved` and `import` blocks in an override file.
 * The merge works on the parser's tree (see hcl-syntax.ts): a block's arguments are merged by name
 * ({@link mergeArguments}); nested blocks are not arguments of the model, so replacing them
 * wholesale needs nothing here.
 */
import { basename } from "node:path";
import type { InputError, SourceLocation } from "../findings.js";
import type { BlockOutline } from "../load/outline.js";
import type { SourceFile } from "../load/sources.js";
import { argumentsOf, spanLocation, type Argument, type Arguments } from "./arguments.js";

/** Whether a file is an override file, by its name (OpenTofu's `.tofu` forms included). */
export function isOverrideFile(path: string): boolean {
  const name = basename(path).replace(/\.(?:tf|tofu)(?:\.json)?$/, "");
  return name === "override" || name.endsWith("_override");
}

/** One block of an override file. */
interface OverrideBlock {
  keyword: string;
  labels: string[];
  body: Arguments;
  source: SourceFile;
  outline: BlockOutline | undefined;
  used: boolean;
}

/** One local value of an override file's `locals` blocks. */
interface OverrideLocal {
  name: string;
  value: Argument;
  source: SourceFile;
  location: SourceLocation;
  used: boolean;
}

/** The keywords whose blocks an override file may merge into, and how many labels they have. */
const MERGED: Readonly<Record<string, number>> = { resource: 2, data: 2, module: 1, output: 1, variable: 1 };

/**
 * The override files of one module, ready to merge: blocks are looked up by keyword and labels
 * (and local values by name) in the order Terraform applies them. What nothing used, and what an
 * override file may not hold, is reported by {@link Overrides.errors}.
 */
export class Overrides {
  private readonly blocks = new Map<string, OverrideBlock[]>();
  private readonly locals = new Map<string, OverrideLocal[]>();
  private readonly refused: InputError[] = [];

  constructor(readonly files: readonly SourceFile[]) {
    // Terraform applies override files in the lexical order of their names.
    for (const source of [...files].sort((a, b) =>
      basename(a.path) < basename(b.path) ? -1 : basename(a.path) > basename(b.path) ? 1 : 0,
    ))
      this.read(source);
  }

  /** Whether the module has override files at all. */
  get empty(): boolean {
    return this.files.length === 0;
  }

  private read(source: SourceFile): void {
    const outlined = new Map<string, BlockOutline[]>();
    for (const block of source.outline.blocks) {
      const key = [block.keyword, ...block.labels].join("\u0000");
      outlined.set(key, [...(outlined.get(key) ?? []), block]);
    }
    const take = (keyword: string, labels: string[]) => outlined.get([keyword, ...labels].join("\u0000"))?.shift();
    for (const block of source.body.blocks) {
      const { type: keyword, labels } = block;
      const outline = take(keyword, labels);
      if (keyword === "moved" || keyword === "import") {
        this.refuse(
          source,
          outline,
          `a ${keyword} block cannot be in an override file (Terraform refuses it): move it to another file`,
        );
        continue;
      }
      if (keyword === "locals") {
        for (const [name, value] of Object.entries(argumentsOf(block.body, source))) {
          const location = spanLocation(source, outline?.attributes[name] ?? outline?.header ?? outline?.span);
          this.locals.set(name, [...(this.locals.get(name) ?? []), { name, value, source, location, used: false }]);
        }
        continue;
      }
      // terraform, provider, check …: nothing keygate judges.
      if (MERGED[keyword] === undefined || labels.length !== MERGED[keyword]) continue;
      const body = argumentsOf(block.body, source);
      if ("depends_on" in body && keyword !== "variable") {
        this.refuse(
          source,
          outline,
          `${describe(keyword, labels)}: depends_on cannot be overridden (Terraform refuses it)`,
          "depends_on",
        );
      }
      const key = [keyword, ...labels].join("\u0000");
      this.blocks.set(key, [...(this.blocks.get(key) ?? []), { keyword, labels, body, source, outline, used: false }]);
    }
  }

  private refuse(source: SourceFile, block: BlockOutline | undefined, message: string, attribute?: string): void {
    const at = spanLocation(
      source,
      (attribute !== undefined ? block?.attributes[attribute] : undefined) ?? block?.header ?? block?.span,
    );
    this.refused.push({ file: at.file, line: at.line, column: at.column, message });
  }

  /** The override blocks for a block of the module, in the order they apply (marked used). */
  blocksFor(keyword: string, labels: readonly string[]): readonly OverrideBlock[] {
    const found = this.blocks.get([keyword, ...labels].join("\u0000")) ?? [];
    for (const block of found) block.used = true;
    return found;
  }

  /** A block's arguments with its overrides merged in, or the arguments themselves when none names it. */
  merged(keyword: string, labels: readonly string[], body: Arguments): Arguments {
    return this.blocksFor(keyword, labels).reduce((merged, block) => mergeArguments(merged, block.body), body);
  }

  /** A local value as its last override sets it, or as declared. */
  local(name: string, value: Argument): Argument {
    const found = this.locals.get(name);
    if (!found) return value;
    for (const local of found) local.used = true;
    return found[found.length - 1]!.value;
  }

  /** Where each argument of a block is set by its overrides (the last one that sets it). */
  attributeLocations(keyword: string, labels: readonly string[]): Record<string, SourceLocation> {
    const locations: Record<string, SourceLocation> = {};
    for (const block of this.blocks.get([keyword, ...labels].join("\u0000")) ?? []) {
      for (const [name, span] of Object.entries(block.outline?.attributes ?? {}))
        locations[name] = spanLocation(block.source, span);
    }
    return locations;
  }

  /**
   * The errors of the override files: blocks and local values no other file declares (`exists`
   * says whether a block does; the resources are only listed when this is asked), and what an
   * override file may not hold.
   */
  errors(
    exists: (keyword: string, labels: readonly string[]) => boolean,
    declaredLocals: ReadonlySet<string>,
  ): InputError[] {
    const errors = [...this.refused];
    for (const blocks of this.blocks.values()) {
      for (const block of blocks) {
        if (block.used || exists(block.keyword, block.labels)) continue;
        const at = spanLocation(block.source, block.outline?.header ?? block.outline?.span);
        errors.push({
          file: at.file,
          line: at.line,
          column: at.column,
          message: `${describe(block.keyword, block.labels)} overrides nothing: no other file of the module declares it (Terraform refuses an override without a base; declare the block, or fix the name)`,
        });
      }
    }
    for (const locals of this.locals.values()) {
      for (const local of locals) {
        if (local.used || declaredLocals.has(local.name)) continue;
        errors.push({
          file: local.location.file,
          line: local.location.line,
          column: local.location.column,
          message: `local.${local.name} overrides nothing: no other file of the module declares it (Terraform refuses an override without a base)`,
        });
      }
    }
    return errors;
  }
}

/**
 * Terraform's merge of an override block's arguments into the base's (`configs.MergeBodies` plus the
 * meta-arguments): what the override sets replaces the base's; `depends_on` cannot be overridden.
 */
export function mergeArguments(base: Arguments, override: Arguments): Arguments {
  const merged: Arguments = {};
  for (const [name, value] of [...Object.entries(base), ...Object.entries(override)]) {
    if (name === "depends_on" && override[name] === value) continue;
    // Defined rather than assigned, as argumentsOf does, so that `__proto__` is just a name.
    Object.defineProperty(merged, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return merged;
}

function describe(keyword: string, labels: readonly string[]): string {
  if (keyword === "resource") return `resource ${labels.join(".")}`;
  if (keyword === "data") return `data.${labels.join(".")}`;
  if (keyword === "module") return `module.${labels[0]}`;
  if (keyword === "variable") return `var.${labels[0]}`;
  if (keyword === "output") return `output "${labels[0]}"`;
  return keyword;
}
