/**
 * Reference validation, as `terraform validate` has it: a reference to a variable, local value,
 * module call, module output or resource that is not declared makes the configuration invalid.
 * keygate checks the expressions it evaluates for a policy (the link, name, `count` and
 * `for_each` arguments of the resources it looks at, and, transitively, the locals, module inputs,
 * module outputs and module call arguments they lead to): a verdict built on an undeclared name
 * would be a verdict on a configuration Terraform refuses.
 */
import type { InputError, SourceLocation } from "../findings.js";
import { childrenOf, type Expression } from "../load/hcl-syntax.js";
import { LineIndex } from "../load/positions.js";
import type { SourceFile } from "../load/sources.js";
import type { Configuration, ModuleInstance } from "./configuration.js";
import { resourceNamed, resourcesOfType, type Argument, type Module } from "./module.js";

/** What to check: the resource types a policy evaluates, and which of their arguments. */
export interface ReferenceScope {
  types: readonly string[];
  attributes: readonly string[];
}

/** A reference found in an expression's source: its root and the names after it. */
export interface Reference {
  /** `var.x`, `local.x`, `module.m.out`, `aws_iam_user.u`, `data.aws_iam_user.u`, as written (no index). */
  text: string;
  parts: string[];
}

/** The input errors for undeclared references in a configuration's evaluated expressions. */
export function referenceErrors(configuration: Configuration, scope: ReferenceScope): InputError[] {
  const errors: InputError[] = [];
  const seen = new Set<string>();
  const queue: { instance: ModuleInstance; raw: Argument | undefined; at: Located }[] = [];
  const visit = (instance: ModuleInstance, raw: Argument | undefined, at: Located) => {
    const key = `${instance.address}\u0000${at.file.path}\u0000${at.start}`;
    if (seen.has(key)) return;
    seen.add(key);
    queue.push({ instance, raw, at });
  };
  for (const instance of configuration.instances) {
    if (!checkable(instance)) continue;
    for (const type of scope.types) {
      for (const resource of resourcesOfType(instance.module, type)) {
        if (resource.mode !== "managed") continue;
        for (const attribute of ["count", "for_each", ...scope.attributes]) {
          if (!(attribute in resource.body)) continue;
          const location = resource.attributeLocations[attribute];
          // An override file may have set it (see overrides.ts).
          const file =
            location && location.file !== resource.source.file
              ? (instance.module.files.find((f) => f.file === location.file) ?? resource.source)
              : resource.source;
          visit(instance, resource.body[attribute], located(file, location));
        }
      }
    }
  }
  // An index, not shift(): shifting a long queue moves all of it each time (quadratic in a file of 100,000 resources).
  for (let next = 0; next < queue.length; next++) {
    const { instance, raw, at } = queue[next]!;
    const module = instance.module;
    for (const ref of referencesIn(raw)) {
      const [root, name, third] = ref.parts;
      const missing = (what: string, name = ref.text) =>
        errors.push(
          errorAt(
            at,
            ref.text,
            `reference to an undeclared ${what}: ${name} is not declared in ${where(instance)}. Declare it or fix the name (\`terraform validate\` rejects this configuration)`,
          ),
        );
      switch (root) {
        case "var": {
          if (!name) break;
          if (!module.variables.has(name)) {
            missing("input variable");
            break;
          }
          // The value comes from the caller's argument.
          const call = instance.call;
          if (call && instance.parent && checkable(instance.parent) && name in call.inputs)
            visit(instance.parent, call.inputs[name], callArgument(call.sourceFile, call.name, name));
          break;
        }
        case "local": {
          if (!name) break;
          if (!module.locals.has(name)) missing("local value");
          else {
            const at = localLocation(module, name);
            if (at) visit(instance, module.locals.get(name), at);
          }
          break;
        }
        case "module": {
          if (!name) break;
          const call = module.calls.find((c) => c.name === name);
          if (!call) {
            missing("module call", `module.${name}`);
            break;
          }
          for (const argument of ["count", "for_each"]) {
            const raw = argument === "count" ? call.count : call.forEach;
            if (raw !== undefined) visit(instance, raw, callArgument(call.sourceFile, call.name, argument));
          }
          const child = instance.children.get(name);
          if (!third || !child || child.origin.kind !== "local") break;
          if (!child.module.outputs.has(third)) {
            errors.push(
              errorAt(
                at,
                ref.text,
                `reference to an undeclared output: module ${name} (${child.call?.source ?? ""}) has no output "${third}". Declare it in the module or fix the name (\`terraform validate\` rejects this configuration)`,
              ),
            );
            break;
          }
          const out = outputLocation(child.module, third);
          if (out) visit(child, child.module.outputs.get(third), out);
          break;
        }
        case "data": {
          if (!name || !third) break;
          if (!resourceNamed(module, "data", name, third)) missing("data source");
          break;
        }
        default:
          if (!name) break;
          if (!resourceNamed(module, "managed", root!, name)) missing("resource");
      }
    }
  }
  return errors;
}

/** Modules whose code is the user's own and fully read: the root and local modules. */
function checkable(instance: ModuleInstance): boolean {
  return instance.origin.kind === "root" || instance.origin.kind === "local";
}

function where(instance: ModuleInstance): string {
  return instance.address ? `module ${instance.address}` : "the root module";
}

/** Where an expression stands: its file and the offset of its attribute in the text. */
interface Located {
  file: SourceFile;
  /** Offset of the attribute's start in the file's text. */
  start: number;
  location: SourceLocation;
}

function located(file: SourceFile, location: SourceLocation | undefined): Located {
  const at = location ?? { file: file.file, line: 1, column: 1, endLine: 1, endColumn: 1 };
  return { file, start: offsetOf(file, at.line, at.column), location: at };
}

/** The error at the reference itself when it can be found in the attribute's text, else at the attribute. */
function errorAt(at: Located, text: string, message: string): InputError {
  const end = offsetOf(at.file, at.location.endLine, at.location.endColumn);
  const found = at.file.text.indexOf(text, at.start);
  if (found !== -1 && found < end) {
    return { file: at.file.file, ...linesOf(at.file).position(found), message };
  }
  return { file: at.file.file, line: at.location.line, column: at.location.column, message };
}

/** Each file's line index, made once per file (a file may hold 100,000 checked arguments). */
const lineIndexes = new WeakMap<SourceFile, LineIndex>();

function linesOf(file: SourceFile): LineIndex {
  let lines = lineIndexes.get(file);
  if (!lines) lineIndexes.set(file, (lines = new LineIndex(file.text)));
  return lines;
}

function offsetOf(file: SourceFile, line: number, column: number): number {
  return linesOf(file).offset(line, column);
}

/** Where a module call's argument stands. */
function callArgument(file: SourceFile, callName: string, argument: string): Located {
  const block = file.outline.blocks.find((b) => b.keyword === "module" && b.labels[0] === callName);
  const span = block?.attributes[argument] ?? block?.header;
  return located(
    file,
    span
      ? {
          file: file.file,
          line: span.start.line,
          column: span.start.column,
          endLine: span.end.line,
          endColumn: span.end.column,
        }
      : undefined,
  );
}

function localLocation(module: Module, name: string): Located | undefined {
  return attributeIn(module, (b) => b.keyword === "locals", name);
}

function outputLocation(module: Module, name: string): Located | undefined {
  return attributeIn(module, (b) => b.keyword === "output" && b.labels[0] === name, "value");
}

function attributeIn(
  module: Module,
  match: (b: SourceFile["outline"]["blocks"][number]) => boolean,
  attribute: string,
): Located | undefined {
  for (const file of module.files) {
    for (const block of file.outline.blocks) {
      if (!match(block)) continue;
      const span = block.attributes[attribute];
      if (span)
        return located(file, {
          file: file.file,
          line: span.start.line,
          column: span.start.column,
          endLine: span.end.line,
          endColumn: span.end.column,
        });
    }
  }
  return undefined;
}

/** Names that start a traversal but are no declaration: Terraform's own, and those of blocks keygate does not model. */
const RESERVED = new Set([
  "each",
  "count",
  "self",
  "path",
  "terraform",
  "ephemeral",
  "provider",
  "true",
  "false",
  "null",
  "for",
  "in",
  "if",
  "endif",
  "endfor",
  "else",
]);

/**
 * The references in an argument's expression: every traversal from a name (`var.x`,
 * `module.m["k"].out`), except Terraform's own names and the variables `for` expressions bind.
 */
export function referencesIn(arg: Argument | undefined): Reference[] {
  const out: Reference[] = [];
  const walk = (node: Expression, bound: ReadonlySet<string>): void => {
    switch (node.kind) {
      case "traversal": {
        if (RESERVED.has(node.root) || bound.has(node.root)) return;
        const parts = [node.root];
        for (const step of node.steps) if (step.kind === "attr") parts.push(step.name);
        if (parts.length < 2) return;
        out.push({ text: parts.slice(0, node.root === "module" || node.root === "data" ? 3 : 2).join("."), parts });
        return;
      }
      case "object":
        for (const item of node.items) {
          // A bare key (`{ name = … }`) is a string, not a reference.
          if (!item.bare) walk(item.key, bound);
          walk(item.value, bound);
        }
        return;
      case "for":
      case "templateFor": {
        walk(node.collection, bound);
        const inner = new Set(bound);
        inner.add(node.valueVar);
        if (node.keyVar !== undefined) inner.add(node.keyVar);
        for (const child of childrenOf(node)) if (child !== node.collection) walk(child, inner);
        return;
      }
      default:
        for (const child of childrenOf(node)) walk(child, bound);
    }
  };
  if (arg) walk(arg.value, new Set());
  return out;
}
