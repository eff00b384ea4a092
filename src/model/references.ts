/**
 * Reference validation, as `terraform validate` has it: a reference to a variable, local value,
 * module call, module output or resource that is not declared makes the configuration invalid.
 * keygate checks the expressions it evaluates for a policy (the link, name, `count` and
 * `for_each` arguments of the resources it looks at, and, transitively, the locals, module inputs,
 * module outputs and module call arguments they lead to): a verdict built on an undeclared name
 * would be a verdict on a configuration Terraform refuses.
 */
import type { InputError, SourceLocation } from "../findings.js";
import type { SourceFile } from "../load/sources.js";
import type { Configuration, ModuleInstance } from "./configuration.js";
import { resourcesOfType, type Module } from "./module.js";

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
  const queue: { instance: ModuleInstance; raw: unknown; at: Located }[] = [];
  const visit = (instance: ModuleInstance, raw: unknown, at: Located) => {
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
          visit(instance, resource.body[attribute], located(resource.source, location));
        }
      }
    }
  }
  while (queue.length) {
    const { instance, raw, at } = queue.shift()!;
    const module = instance.module;
    for (const ref of referencesIn(raw)) {
      const [root, name, third] = ref.parts;
      const missing = (what: string, name = ref.text) => errors.push(errorAt(at, ref.text, `reference to an undeclared ${what}: ${name} is not declared in ${where(instance)}. Declare it or fix the name (\`terraform validate\` rejects this configuration)`));
      switch (root) {
        case "var": {
          if (!name) break;
          if (!module.variables.has(name)) {
            missing("input variable");
            break;
          }
          // The value comes from the caller's argument.
          const call = instance.call;
          if (call && instance.parent && checkable(instance.parent) && name in call.inputs) visit(instance.parent, call.inputs[name], callArgument(call.sourceFile, call.name, name));
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
            errors.push(errorAt(at, ref.text, `reference to an undeclared output: module ${name} (${child.call?.source ?? ""}) has no output "${third}". Declare it in the module or fix the name (\`terraform validate\` rejects this configuration)`));
            break;
          }
          const out = outputLocation(child.module, third);
          if (out) visit(child, child.module.outputs.get(third), out);
          break;
        }
        case "data": {
          if (!name || !third) break;
          if (!resourcesOfType(module, name).some((r) => r.mode === "data" && r.name === third)) missing("data source");
          break;
        }
        default:
          if (!name) break;
          if (!resourcesOfType(module, root!).some((r) => r.mode === "managed" && r.name === name)) missing("resource");
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
  return { file, start: offsetOf(file.text, at.line, at.column), location: at };
}

/** The error at the reference itself when it can be found in the attribute's text, else at the attribute. */
function errorAt(at: Located, text: string, message: string): InputError {
  const end = offsetOf(at.file.text, at.location.endLine, at.location.endColumn);
  const found = at.file.text.indexOf(text, at.start);
  if (found !== -1 && found < end) {
    const before = at.file.text.slice(0, found);
    const line = before.split("\n").length;
    const column = found - before.lastIndexOf("\n");
    return { file: at.file.file, line, column, message };
  }
  return { file: at.file.file, line: at.location.line, column: at.location.column, message };
}

function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", offset);
    if (next === -1) return text.length;
    offset = next + 1;
  }
  return offset + column - 1;
}

/** Where a module call's argument stands. */
function callArgument(file: SourceFile, callName: string, argument: string): Located {
  const block = file.outline.blocks.find((b) => b.keyword === "module" && b.labels[0] === callName);
  const span = block?.attributes[argument] ?? block?.header;
  return located(file, span ? { file: file.file, line: span.start.line, column: span.start.column, endLine: span.end.line, endColumn: span.end.column } : undefined);
}

function localLocation(module: Module, name: string): Located | undefined {
  return attributeIn(module, (b) => b.keyword === "locals", name);
}

function outputLocation(module: Module, name: string): Located | undefined {
  return attributeIn(module, (b) => b.keyword === "output" && b.labels[0] === name, "value");
}

function attributeIn(module: Module, match: (b: SourceFile["outline"]["blocks"][number]) => boolean, attribute: string): Located | undefined {
  for (const file of module.files) {
    for (const block of file.outline.blocks) {
      if (!match(block)) continue;
      const span = block.attributes[attribute];
      if (span) return located(file, { file: file.file, line: span.start.line, column: span.start.column, endLine: span.end.line, endColumn: span.end.column });
    }
  }
  return undefined;
}

/** Names that start a traversal but are no declaration: Terraform's own, and those of blocks keygate does not model. */
const RESERVED = new Set(["each", "count", "self", "path", "terraform", "ephemeral", "provider", "true", "false", "null", "for", "in", "if", "endif", "endfor", "else"]);

/**
 * The references in a value as hcl2json gives it: template strings (`"${var.x}-y"`) and the
 * objects and lists that hold them. Variables bound by `for` expressions are not references.
 */
export function referencesIn(raw: unknown): Reference[] {
  const out: Reference[] = [];
  const walk = (value: unknown) => {
    if (typeof value === "string") {
      if (value.includes("${") || value.includes("%{")) out.push(...templateReferences(value));
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk);
  };
  walk(raw);
  return out;
}

/** The references in template text: the expressions inside `${…}` and `%{…}`. */
function templateReferences(template: string): Reference[] {
  const expressions: string[] = [];
  collectTemplate(template, 0, false, expressions);
  const source = expressions.join("\n");
  const bound = new Set<string>();
  for (const m of source.matchAll(/\bfor\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\b/g)) {
    bound.add(m[1]!);
    if (m[2]) bound.add(m[2]);
  }
  const refs: Reference[] = [];
  for (const expression of expressions) {
    for (const ref of traversals(expression)) {
      if (RESERVED.has(ref.parts[0]!) || bound.has(ref.parts[0]!)) continue;
      refs.push(ref);
    }
  }
  return refs;
}

/**
 * Reads a template from `i` (to its end, or to the closing quote when `quoted`), pushing the
 * source of every interpolation and directive (with the quoted strings inside them blanked, their
 * own interpolations pushed apart). Returns the offset after the template.
 */
function collectTemplate(text: string, i: number, quoted: boolean, out: string[]): number {
  while (i < text.length) {
    const c = text[i]!;
    if (quoted && c === '"') return i + 1;
    if (quoted && c === "\\") {
      i += 2;
      continue;
    }
    if ((c === "$" || c === "%") && text[i + 1] === c && text[i + 2] === "{") {
      i += 3;
      continue;
    }
    if ((c === "$" || c === "%") && text[i + 1] === "{") {
      i = collectExpression(text, i + 2, out);
      continue;
    }
    i++;
  }
  return i;
}

/** Reads an expression up to its closing `}`; pushes its source (quoted strings blanked). */
function collectExpression(text: string, i: number, out: string[]): number {
  let depth = 0;
  let source = "";
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      i = collectTemplate(text, i + 1, true, out);
      source += '""';
      continue;
    }
    if (c === "{") depth++;
    if (c === "}") {
      if (depth === 0) {
        out.push(source);
        return i + 1;
      }
      depth--;
    }
    source += c;
    i++;
  }
  out.push(source);
  return i;
}

/** The traversals of an expression's source (strings blanked): `root.name…`, not after a `.` or `)`. */
function traversals(source: string): Reference[] {
  const refs: Reference[] = [];
  const pattern = /[A-Za-z_][\w-]*(?:\s*(?:\.\s*[A-Za-z_][\w-]*|\.\s*\d+|\[[^\][]*\]))*/g;
  for (const m of source.matchAll(pattern)) {
    const before = source.slice(0, m.index).trimEnd();
    const previous = before[before.length - 1];
    if (previous === "." || previous === ":" && before[before.length - 2] === ":") continue;
    const after = source.slice(m.index + m[0].length).trimStart();
    if (after.startsWith("(") || after.startsWith("::")) continue; // a function call
    const parts = [...m[0].matchAll(/(?:^|\.)\s*([A-Za-z_][\w-]*)/g)].map((p) => p[1]!);
    if (parts.length < 2) continue;
    // The written text up to the last name checked (no index): what the message names and the location looks for.
    const text = m[0].replace(/\[[^\][]*\]/g, "").replace(/\s+/g, "");
    refs.push({ text: text.split(".").slice(0, parts[0] === "module" || parts[0] === "data" ? 3 : 2).join("."), parts });
  }
  return refs;
}
