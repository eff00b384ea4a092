import { parseHclTemplate } from "../../load/hcl-parser.js";
import { childrenOf, type Expression } from "../../load/hcl-syntax.js";
import { LineIndex } from "../../load/positions.js";
import type { ModuleInstance } from "../configuration.js";
import { entriesOf, isPlainObject, toStr, type Value } from "../values.js";
import { readDataFile, reportAtCall, type CallSite } from "./files.js";

/*
 * `templatefile(path, vars)`, as Terraform renders it: the file is read like `file()` (inside the
 * repository, relative to the root module's directory), parsed as an HCL template by keygate's own
 * parser, and evaluated (by the evaluator, see expressions.ts) with nothing in scope but `vars`:
 * a reference to anything else, a `vars` key that is not an identifier, and a `templatefile` call
 * inside the template are errors, as in Terraform, and so input errors at the call.
 */

/** A template read and parsed, ready to render. */
export interface LoadedTemplate {
  template: Expression;
  /** The template's text (the evaluator's source for what it cannot decide). */
  text: string;
  /** The template file as messages name it. */
  name: string;
}

/** Parsed templates by their text (a template is rendered for many blocks). */
const parsed = new Map<string, Expression | null>();

/**
 * Reads and parses the template a `templatefile` call names, or reports why it cannot: the file is
 * outside the repository or unreadable, or not a valid template. `undefined` then.
 */
export async function loadTemplate(
  written: string,
  instance: ModuleInstance,
  shown: string,
  site: CallSite | undefined,
): Promise<LoadedTemplate | undefined> {
  const read = await readDataFile(written, instance, shown, site);
  if (!read) return undefined;
  if (!read.ok) {
    reportAtCall(instance, `${shown}: ${written}: ${read.message}`, site);
    return undefined;
  }
  let template = parsed.get(read.text);
  if (template === undefined) parsed.set(read.text, (template = parseHclTemplate(read.text) ?? null));
  if (!template) {
    reportAtCall(
      instance,
      `${shown}: ${written} is not a valid template (Terraform's templatefile would refuse it): check its \${…} and %{…} sequences`,
      site,
    );
    return undefined;
  }
  return { template, text: read.text, name: written };
}

/** HCL's identifiers: a letter or `_`, then letters, digits, `_` and `-`. */
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_-]*$/u;

/**
 * The variables a template may use: `vars`'s entries, or why not (as Terraform says it). `undefined`
 * when `vars` is not decided yet (the result is then unknown).
 */
export function templateScope(vars: Value): Map<string, Value> | string | undefined {
  if (vars.kind === "unknown" || vars.kind === "oneOf" || vars.kind === "ref") return undefined;
  const isMap = vars.kind === "object" || (vars.kind === "known" && isPlainObject(vars.value));
  const pairs = isMap ? entriesOf(vars) : undefined;
  if (!pairs) return "invalid vars value: must be a map";
  const scope = new Map<string, Value>();
  for (const [key, value] of pairs) {
    const name = key.kind === "known" ? toStr(key.value) : undefined;
    if (name === undefined) return undefined;
    if (!IDENTIFIER.test(name))
      return `invalid template variable name "${name}": must start with a letter, followed by zero or more letters, digits, and underscores`;
    scope.set(name, value);
  }
  return scope;
}

/** A problem of a template, as Terraform words it, and what it is about (Terraform's error points there). */
export interface TemplateProblem {
  message: string;
  about: "vars" | "call";
}

/**
 * What a template refers to that `vars` does not give, or calls it may not make: the first
 * problem (with the template's range, as HCL prints one), or `undefined`.
 */
export function templateProblem(
  template: Expression,
  text: string,
  name: string,
  vars: ReadonlySet<string>,
): TemplateProblem | undefined {
  const lines = new LineIndex(text);
  const position = (offset: number) => lines.position(offset);
  // hcl.Range's String(): file:line,column-column on one line, file:line,column-line,column otherwise.
  const at = (start: number, end: number) => {
    const [from, to] = [position(start), position(end)];
    return from.line === to.line
      ? `${name}:${from.line},${from.column}-${to.column}`
      : `${name}:${from.line},${from.column}-${to.line},${to.column}`;
  };
  const visit = (node: Expression, bound: ReadonlySet<string>): TemplateProblem | undefined => {
    switch (node.kind) {
      case "traversal":
        // The traversal's root name is what HCL's range covers.
        return bound.has(node.root) || vars.has(node.root)
          ? undefined
          : {
              message: `vars map does not contain key "${node.root}", referenced at ${at(node.start, node.start + node.root.length)}`,
              about: "vars",
            };
      case "call":
        if (node.name === "templatefile" || node.name === "templatestring" || node.name.endsWith("::templatefile"))
          return {
            message: `cannot recursively call ${node.name.replace(/^core::/, "")} from inside another template function (at ${at(node.start, node.end)})`,
            about: "call",
          };
        break;
      case "for":
      case "templateFor": {
        const inner = new Set(bound);
        if (node.keyVar !== undefined) inner.add(node.keyVar);
        inner.add(node.valueVar);
        const collection = visit(node.collection, bound);
        if (collection) return collection;
        const rest = node.kind === "for" ? [node.key, node.value, node.condition] : [node.body];
        for (const child of rest) {
          const problem = child && visit(child, inner);
          if (problem) return problem;
        }
        return undefined;
      }
      case "object":
        // A bare key (`{ name = 1 }`) is the string it spells, not a reference.
        for (const item of node.items) {
          const problem = (item.bare ? undefined : visit(item.key, bound)) ?? visit(item.value, bound);
          if (problem) return problem;
        }
        return undefined;
    }
    for (const child of childrenOf(node)) {
      const problem = visit(child, bound);
      if (problem) return problem;
    }
    return undefined;
  };
  return visit(template, new Set());
}
