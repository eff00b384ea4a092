import { parseHclExpression } from "../load/hcl-parser.js";
import type {
  ConditionalExpr,
  Expression,
  ForExpr,
  FunctionCallExpr,
  ObjectConsExpr,
  ScopeTraversalExpr,
  SplatExpr,
  TemplateForExpr,
  TemplateIfExpr,
  TraversalStep,
} from "../load/hcl-syntax.js";
import { canonicalText } from "./canonical.js";
import type { ModuleInstance, VariableValue } from "./configuration.js";
import {
  pathValue,
  prepareDecoder,
  readFunction,
  READING_FUNCTIONS,
  reportAtCall,
  type CallSite,
} from "./functions/files.js";
import { loadTemplate, templateProblem, templateScope } from "./functions/templates.js";
import { callFunction } from "./functions/index.js";
import { resourceNamed, type Argument, type Variable } from "./module.js";
import { binary, unary } from "./operators.js";
import { isPrimitive, parseTypeConstraint, type TypeConstraint } from "./types.js";
import {
  alternatives,
  collapse,
  decideBool,
  elementsOf,
  entriesOf,
  failure,
  isError,
  isPlainObject,
  known,
  MAX_DEPTH,
  MAX_OPTIONS,
  oneOf,
  qualifiedText as qualified,
  textOf,
  toBool,
  toNumber,
  toStr,
  unknown,
  type Value,
} from "./values.js";

/*
 * The static evaluator: walks keygate's syntax tree of an expression (src/load/hcl-syntax.ts) in a
 * module instance, following references through variables, locals, module inputs and outputs.
 * Values and conversions live in values.ts, operators in operators.ts, functions in functions/.
 */

export {
  alternatives,
  decideBool,
  failure,
  isError,
  known,
  oneOf,
  sameValue,
  shownText,
  textOf,
  toBool,
  toNumber,
  toStr,
  unknown,
  type Value,
} from "./values.js";

/** How evaluation travelled to reach a value: the linking routes are named after these steps. */
export type Step = "local" | "variable" | "module-input" | "module-output" | "each" | "count";

/** Where an expression is evaluated: its module instance and the instance bindings of its block. */
export interface Scope {
  instance: ModuleInstance;
  each?: { key: Value; value: Value };
  countIndex?: Value;
  /** Variables of enclosing `for` expressions. */
  bound?: Map<string, Value>;
  /** How deep the evaluation has gone (a guard against runaway recursion). */
  depth?: number;
  /** The text the expression being evaluated was parsed from (for the conditions a finding lists), read only when needed. */
  source?: { readonly text: string };
  /** The element a splat's remaining steps apply to. */
  item?: Value;
}

/** What one evaluation met on its way, besides the value. */
export interface Trace {
  steps: Set<Step>;
  /** Conditions that could not be decided (their expression text); both branches were kept. */
  undecided: string[];
  /**
   * What is left undecided of those conditions, evaluated: for `var.a && var.b` with `b = true`,
   * the unknown's text of `var.a` (qualified; show it with shownText).
   */
  residual: string[];
}

/** A fresh trace. */
export function newTrace(): Trace {
  return { steps: new Set(), undecided: [], residual: [] };
}

/** Parsed expressions by their text: the same text is parsed once per run. */
const expressions = new Map<string, Expression | null>();

/** The syntax tree of HCL expression source, or null when it does not parse. */
export function parsedExpression(source: string): Expression | null {
  let node = expressions.get(source);
  if (node === undefined) {
    node = parseHclExpression(source) ?? null;
    expressions.set(source, node);
  }
  return node;
}

/** Static evaluator of Terraform expressions over one configuration. */
export class Evaluator {
  private readonly localCache = new Map<string, Promise<{ value: Value; trace: Trace }>>();

  /** Evaluates an argument (absent: null, as Terraform has an unset optional argument). */
  async evaluate(arg: Argument | undefined, scope: Scope, trace: Trace): Promise<Value> {
    if (arg === undefined) return { kind: "known", value: null };
    return this.node(arg.value, { ...scope, source: arg }, trace);
  }

  /** Evaluates HCL expression source text (a `-var` value, a catalog condition). */
  async evaluateSource(source: string, scope: Scope, trace: Trace): Promise<Value> {
    const node = parsedExpression(source);
    return node ? this.node(node, { ...scope, source: { text: source } }, trace) : unknown(source);
  }

  private node(node: Expression, scope: Scope, trace: Trace): Promise<Value> {
    // The depth travels with the scope, so that evaluations running side by side do not add up.
    const depth = (scope.depth ?? 0) + 1;
    if (depth > MAX_DEPTH) return Promise.resolve(unknown(qualifiedText(scope.instance, canonicalText(node))));
    return this.nodeInner(node, { ...scope, depth }, trace);
  }

  private async nodeInner(node: Expression, scope: Scope, trace: Trace): Promise<Value> {
    switch (node.kind) {
      case "literal":
        return known(node.value);
      case "wrap":
        return this.node(node.wrapped, scope, trace);
      case "parens":
        return this.node(node.inner, scope, trace);
      case "template": {
        const parts = await Promise.all(node.parts.map((part) => this.node(part, scope, trace)));
        return parts.length === 1 ? parts[0]! : concatenate(parts);
      }
      case "templateIf":
        return this.conditional(node, scope, trace);
      case "templateFor":
        return this.templateFor(node, scope, trace);
      case "traversal":
        return this.traversal(node, scope, trace);
      case "relative":
        return applySteps(await this.node(node.source, scope, trace), node.steps);
      case "index": {
        const [collection, key] = await Promise.all([
          this.node(node.collection, scope, trace),
          this.node(node.key, scope, trace),
        ]);
        return index(collection, key);
      }
      case "splat":
        return this.splat(node, scope, trace);
      case "anon":
        return scope.item ?? unknown("?");
      case "conditional":
        return this.conditional(node, scope, trace);
      case "binary": {
        const [left, right] = await Promise.all([
          this.node(node.left, scope, trace),
          this.node(node.right, scope, trace),
        ]);
        return binary(node.operator, left, right);
      }
      case "unary":
        return unary(node.operator, await this.node(node.operand, scope, trace));
      case "tuple":
        return collapse({
          kind: "tuple",
          items: await Promise.all(node.items.map((item) => this.node(item, scope, trace))),
        });
      case "object":
        return this.object(node, scope, trace);
      case "call": {
        const args = await Promise.all(node.args.map((arg) => this.node(arg, scope, trace)));
        // f(list...): the last argument's elements are the arguments.
        if (node.expand) {
          const spread = elementsOf(args.pop() ?? unknown("?"));
          if (!spread) return unknown(qualifiedText(scope.instance, canonicalText(node)));
          args.push(...spread);
        }
        // file() / fileexists() / fileset() read through the scan's tree (see functions/files.ts).
        if (READING_FUNCTIONS.has(node.name))
          return readFunction(
            node.name,
            args,
            scope.instance,
            qualifiedText(scope.instance, canonicalText(node)),
            canonicalText(node),
            // Terraform names the path argument (fileset: the call, as the glob fails).
            callSite(node, scope, node.name === "fileset" ? undefined : 0),
          );
        if (node.name === "templatefile") return this.templateFile(node, args, scope, trace);
        await prepareDecoder(node.name);
        return callFunction(node.name, args);
      }
      case "for":
        return this.forExpression(node, scope, trace);
    }
  }

  /** templatefile(path, vars): the template rendered with nothing but `vars` in scope (see functions/templates.ts). */
  private async templateFile(node: FunctionCallExpr, args: Value[], scope: Scope, trace: Trace): Promise<Value> {
    const text = qualifiedText(scope.instance, canonicalText(node));
    const [path, vars] = args;
    if (args.length !== 2 || path?.kind !== "known" || !vars) return unknown(text);
    const written = toStr(path.value);
    if (written === undefined) return failure(text);
    const shown = canonicalText(node);
    const loaded = await loadTemplate(written, scope.instance, shown, callSite(node, scope, 0));
    if (!loaded) return failure(text);
    const variables = templateScope(vars);
    if (variables === undefined) return unknown(text);
    const problem =
      typeof variables === "string"
        ? { message: variables, about: "vars" as const }
        : templateProblem(loaded.template, loaded.text, loaded.name, new Set(variables.keys()));
    if (problem) {
      // As Terraform: a problem with vars at the vars argument, one in rendering at the call.
      const site = callSite(node, scope, problem.about === "vars" ? 1 : undefined);
      reportAtCall(scope.instance, `${shown}: ${problem.message}`, site);
      return failure(text);
    }
    const inner: Scope = {
      instance: scope.instance,
      bound: variables as Map<string, Value>,
      source: { text: loaded.text },
    };
    if (scope.depth !== undefined) inner.depth = scope.depth;
    return this.node(loaded.template, inner, trace);
  }

  /** `%{ for x in list }…%{ endfor }` in a template: the body once per element, joined. */
  private async templateFor(node: TemplateForExpr, scope: Scope, trace: Trace): Promise<Value> {
    const pairs = entriesOf(await this.node(node.collection, scope, trace));
    if (!pairs) return unknown(qualifiedText(scope.instance, canonicalText(node)));
    const parts: Value[] = [known("")];
    for (const [k, v] of pairs) {
      const bound = new Map(scope.bound ?? []);
      if (node.keyVar !== undefined) bound.set(node.keyVar, k);
      bound.set(node.valueVar, v);
      parts.push(await this.node(node.body, { ...scope, bound }, trace));
    }
    return concatenate(parts);
  }

  private async conditional(node: ConditionalExpr | TemplateIfExpr, scope: Scope, trace: Trace): Promise<Value> {
    const condition = await this.node(node.condition, scope, trace);
    const decided = decideBool(condition);
    if (decided === "error") return failure(qualifiedText(scope.instance, canonicalText(node)));
    if (decided !== undefined) return this.node(decided ? node.then : node.else, scope, trace);
    trace.undecided.push(sourceText(node.condition, scope));
    if (condition.kind === "unknown") trace.residual.push(condition.text);
    return oneOf(await Promise.all([this.node(node.then, scope, trace), this.node(node.else, scope, trace)]));
  }

  private async object(node: ObjectConsExpr, scope: Scope, trace: Trace): Promise<Value> {
    const entries = new Map<string, Value>();
    for (const item of node.items) {
      // A bare key (`{ a = 1 }`) is the string "a", not a variable named a.
      const key = item.bare ? known((item.key as ScopeTraversalExpr).root) : await this.node(item.key, scope, trace);
      if (key.kind !== "known" || (typeof key.value !== "string" && typeof key.value !== "number"))
        return unknown(qualifiedText(scope.instance, canonicalText(node)));
      entries.set(String(key.value), await this.node(item.value, scope, trace));
    }
    return collapse({ kind: "object", entries });
  }

  private async forExpression(node: ForExpr, scope: Scope, trace: Trace): Promise<Value> {
    const collection = await this.node(node.collection, scope, trace);
    // A `for` over resources yields values derived from them: keep the link.
    if (collection.kind === "ref") return collection;
    const pairs = entriesOf(collection);
    if (!pairs) return unknown(qualifiedText(scope.instance, canonicalText(node)));
    const items: Value[] = [];
    const entries = new Map<string, Value>();
    const groups = new Map<string, Value[]>();
    for (const [k, v] of pairs) {
      const bound = new Map(scope.bound ?? []);
      if (node.keyVar !== undefined) bound.set(node.keyVar, k);
      bound.set(node.valueVar, v);
      const inner: Scope = { ...scope, bound };
      if (node.condition) {
        const keep = await this.node(node.condition, inner, trace);
        if (keep.kind === "known" && keep.value === false) continue;
        if (keep.kind !== "known") trace.undecided.push(sourceText(node.condition, scope));
      }
      const value = await this.node(node.value, inner, trace);
      if (node.key) {
        const key = await this.node(node.key, inner, trace);
        if (key.kind !== "known") return unknown(qualifiedText(scope.instance, canonicalText(node)));
        if (node.group) groups.set(String(key.value), [...(groups.get(String(key.value)) ?? []), value]);
        else entries.set(String(key.value), value);
      } else items.push(value);
    }
    for (const [key, values] of groups) entries.set(key, collapse({ kind: "tuple", items: values }));
    return collapse(node.key ? { kind: "object", entries } : { kind: "tuple", items });
  }

  /** `source[*].rest`: `rest` for each element (for a resource, the resource itself). */
  private async splat(node: SplatExpr, scope: Scope, trace: Trace): Promise<Value> {
    const source = await this.node(node.source, scope, trace);
    if (source.kind === "ref") return this.node(node.each, { ...scope, item: source }, trace);
    // null[*] is an empty list; any other single value is a list of one.
    if (source.kind === "known" && source.value === null) return known([]);
    const pairs = entriesOf(source);
    if (pairs && (source.kind === "tuple" || (source.kind === "known" && Array.isArray(source.value)))) {
      return collapse({
        kind: "tuple",
        items: await Promise.all(pairs.map(([, v]) => this.node(node.each, { ...scope, item: v }, trace))),
      });
    }
    if (source.kind === "known" || source.kind === "object")
      return collapse({ kind: "tuple", items: [await this.node(node.each, { ...scope, item: source }, trace)] });
    return unknown(`${textOf(source)}[*]${canonicalText(node.each)}`);
  }

  private async traversal(node: ScopeTraversalExpr, scope: Scope, trace: Trace): Promise<Value> {
    const { root, steps } = node;
    const [second, ...rest] = steps;
    const name = second?.kind === "attr" ? second.name : undefined;
    const { instance } = scope;
    const bound = scope.bound?.get(root);
    if (bound) return applySteps(bound, steps);
    switch (root) {
      case "var":
        if (!name) break;
        return applySteps(await this.variable(instance, name, trace), rest);
      case "local": {
        if (!name) break;
        trace.steps.add("local");
        return applySteps(await this.local(instance, name, trace), rest);
      }
      case "module": {
        if (!name) break;
        const child = instance.children.get(name);
        // `module.x["key"].out`: the instance key of a module call does not change which module it is.
        const afterCall = rest[0]?.kind === "index" ? rest.slice(1) : rest;
        const output = afterCall[0]?.kind === "attr" ? afterCall[0].name : undefined;
        if (!child || !output) break;
        const raw = child.module.outputs.get(output);
        if (raw === undefined) break;
        trace.steps.add("module-output");
        return applySteps(await this.evaluate(raw, { instance: child }, trace), afterCall.slice(1));
      }
      case "each": {
        if (!scope.each || (name !== "key" && name !== "value")) break;
        trace.steps.add("each");
        return applySteps(scope.each[name], rest);
      }
      case "path": {
        const value = name === undefined ? undefined : pathValue(name, instance);
        if (value) return applySteps(value, rest);
        break;
      }
      case "count":
        if (name === "index" && scope.countIndex) {
          trace.steps.add("count");
          return scope.countIndex;
        }
        break;
      case "data": {
        const type = name;
        const first = rest[0];
        const dataName = first === undefined ? undefined : first.kind === "attr" ? first.name : String(first.key);
        const resource =
          type === undefined || dataName === undefined
            ? undefined
            : resourceNamed(instance.module, "data", type, dataName);
        if (resource) return applySteps({ kind: "ref", instance, resource, path: [] }, rest.slice(1));
        break;
      }
      default: {
        const resource = name === undefined ? undefined : resourceNamed(instance.module, "managed", root, name);
        if (resource) return applySteps({ kind: "ref", instance, resource, path: [] }, rest);
      }
    }
    return unknown(qualifiedText(instance, canonicalText(node)));
  }

  /**
   * The value of `var.NAME` in an instance: the caller's argument, a root value (tfvars, `-var`,
   * `TF_VAR_*`), the default, or unknown; converted to the variable's type as Terraform converts it
   * (strings from the command line to numbers and booleans, optional object attributes filled in).
   */
  private async variable(instance: ModuleInstance, name: string, trace: Trace): Promise<Value> {
    const declared = instance.module.variables.get(name);
    const call = instance.call;
    let value: Value | undefined;
    if (call && instance.parent && name in call.inputs) {
      trace.steps.add("module-input");
      value = await this.evaluate(call.inputs[name], await this.callScope(instance.parent, call), trace);
    } else {
      trace.steps.add("variable");
      const given = instance.variableValues.get(name);
      if (given) value = await this.givenValue(given, declared, instance, trace);
    }
    // A null argument means "use the default" only for variables declared `nullable = false`.
    const isNull = value?.kind === "known" && value.value === null;
    if (value === undefined || (isNull && declared?.nullable === false && declared.hasDefault)) {
      if (!declared?.hasDefault) return unknown(qualifiedText(instance, `var.${name}`));
      value = declared.defaultExpression
        ? await this.evaluate(declared.defaultExpression, { instance }, trace)
        : known(declared.default ?? null);
    }
    if (!declared || declared.type === undefined) return value;
    return this.convert(value, this.typeOf(declared), instance, trace);
  }

  /** A root variable's value from a file (a constant, or an expression) or from `-var` / `TF_VAR_*` (text read per the type). */
  private async givenValue(
    given: VariableValue,
    declared: Variable | undefined,
    instance: ModuleInstance,
    trace: Trace,
  ): Promise<Value> {
    if (given.expression) return this.evaluate(given.expression, { instance }, trace);
    if (!given.raw) return known(given.value);
    const text = String(given.value);
    // Terraform reads -var and TF_VAR_ values of primitive (or undeclared) types literally, others as HCL.
    if (!declared || declared.type === undefined || isPrimitive(this.typeOf(declared))) return known(text);
    return this.evaluateSource(text, { instance }, trace);
  }

  private typeOf(variable: Variable): TypeConstraint {
    return parseTypeConstraint(variable.type);
  }

  /** Converts a value to a type constraint; what does not convert is an error, as in Terraform. */
  async convert(value: Value, type: TypeConstraint, instance: ModuleInstance, trace: Trace): Promise<Value> {
    if (type.kind === "any") return value;
    switch (value.kind) {
      case "oneOf":
        return oneOf(await Promise.all(value.options.map((o) => this.convert(o, type, instance, trace))));
      case "known":
        return this.convertKnown(value.value, type, instance, trace);
      case "tuple":
        if (type.kind === "list" || type.kind === "set")
          return collapse({
            kind: "tuple",
            items: await Promise.all(value.items.map((i) => this.convert(i, type.element, instance, trace))),
          });
        if (type.kind === "tuple")
          return collapse({
            kind: "tuple",
            items: await Promise.all(
              value.items.map((i, n) => this.convert(i, type.elements[n] ?? { kind: "any" }, instance, trace)),
            ),
          });
        return value;
      case "object": {
        if (type.kind === "map") {
          const entries = new Map<string, Value>();
          for (const [k, v] of value.entries) entries.set(k, await this.convert(v, type.element, instance, trace));
          return collapse({ kind: "object", entries });
        }
        if (type.kind !== "object") return value;
        const entries = new Map<string, Value>();
        for (const [name, attribute] of type.attributes) {
          const present = value.entries.get(name);
          if (present) entries.set(name, await this.convert(present, attribute.type, instance, trace));
          else if (attribute.optional)
            entries.set(name, await this.optionalDefault(attribute.default, attribute.type, instance, trace));
          else return failure(`${textOf(value)} has no attribute "${name}"`);
        }
        return collapse({ kind: "object", entries });
      }
      default:
        return value;
    }
  }

  private async convertKnown(
    value: unknown,
    type: TypeConstraint,
    instance: ModuleInstance,
    trace: Trace,
  ): Promise<Value> {
    if (value === null || type.kind === "any") return known(value);
    const fails = () => failure(`${JSON.stringify(value)} is not a ${type.kind}`);
    switch (type.kind) {
      case "string": {
        const s = toStr(value);
        return s === undefined ? fails() : known(s);
      }
      case "number": {
        const n = toNumber(value);
        return n === undefined ? fails() : known(n);
      }
      case "bool": {
        const b = toBool(value);
        return b === undefined ? fails() : known(b);
      }
      case "list":
      case "set":
      case "tuple": {
        if (!Array.isArray(value)) return fails();
        const items = await Promise.all(
          value.map((v, i) =>
            this.convertKnown(
              v,
              type.kind === "tuple" ? (type.elements[i] ?? { kind: "any" }) : type.element,
              instance,
              trace,
            ),
          ),
        );
        const converted = collapse({ kind: "tuple", items });
        if (type.kind !== "set" || converted.kind !== "known") return converted;
        return callFunction("toset", [converted]);
      }
      case "map":
      case "object": {
        if (!isPlainObject(value)) return fails();
        const entries = new Map<string, Value>(Object.entries(value).map(([k, v]) => [k, known(v)]));
        return this.convert({ kind: "object", entries }, type, instance, trace);
      }
    }
  }

  private async optionalDefault(
    node: Expression | undefined,
    type: TypeConstraint,
    instance: ModuleInstance,
    trace: Trace,
  ): Promise<Value> {
    if (node === undefined) return known(null);
    return this.convert(await this.node(node, { instance }, trace), type, instance, trace);
  }

  private async local(instance: ModuleInstance, name: string, trace: Trace): Promise<Value> {
    const key = `${instance.address}\u0000${instance.module.dir}\u0000${name}`;
    let cached = this.localCache.get(key);
    if (!cached) {
      const raw = instance.module.locals.get(name);
      const own = newTrace();
      // Placeholder first: a local that refers to itself through others ends as unknown, not a loop.
      this.localCache.set(
        key,
        Promise.resolve({ value: unknown(qualifiedText(instance, `local.${name}`)), trace: own }),
      );
      cached = (
        raw === undefined
          ? Promise.resolve(unknown(qualifiedText(instance, `local.${name}`)))
          : this.evaluate(raw, { instance }, own)
      ).then((value) => ({ value, trace: own }));
      this.localCache.set(key, cached);
    }
    const { value, trace: inner } = await cached;
    for (const step of inner.steps) trace.steps.add(step);
    trace.undecided.push(...inner.undecided);
    trace.residual.push(...inner.residual);
    return value;
  }

  /** The scope in which a module call's arguments are evaluated (with its own `for_each`/`count`). */
  async callScope(
    parent: ModuleInstance,
    call: { forEach: Argument | undefined; count: Argument | undefined },
  ): Promise<Scope> {
    return this.blockScope(parent, call.forEach, call.count);
  }

  /** The scope of a block with optional `for_each` / `count` meta-arguments. */
  async blockScope(
    instance: ModuleInstance,
    forEach: Argument | undefined,
    count: Argument | undefined,
  ): Promise<Scope> {
    const scope: Scope = { instance };
    if (forEach !== undefined) {
      const collection = await this.evaluate(forEach, { instance }, newTrace());
      scope.each = eachBinding(collection);
    }
    if (count !== undefined) {
      const n = await this.evaluate(count, { instance }, newTrace());
      scope.countIndex =
        n.kind === "known" && typeof n.value === "number" && n.value <= MAX_OPTIONS
          ? oneOf(Array.from({ length: n.value }, (_, i) => known(i)))
          : unknown("count.index");
    }
    return scope;
  }
}

/** Binds `each.key` / `each.value` for a `for_each` collection. */
export function eachBinding(collection: Value): { key: Value; value: Value } {
  if (collection.kind === "ref") return { key: collection, value: collection };
  if (collection.kind === "oneOf") {
    const bindings = collection.options.map(eachBinding);
    return { key: oneOf(bindings.map((b) => b.key)), value: oneOf(bindings.map((b) => b.value)) };
  }
  const pairs = entriesOf(collection);
  if (pairs) {
    const isList = collection.kind === "tuple" || (collection.kind === "known" && Array.isArray(collection.value));
    // A set's key is its value (for_each only takes sets of strings and maps).
    return { key: oneOf(pairs.map(([k, v]) => (isList ? v : k))), value: oneOf(pairs.map(([, v]) => v)) };
  }
  const t = textOf(collection);
  return { key: unknown(`each.key of ${t}`), value: unknown(`each.value of ${t}`) };
}

/** A template's parts joined: each interpolated value must be a string, number or bool (null and collections fail). */
function concatenate(parts: Value[]): Value {
  if (parts.some(isError)) return failure(parts.map(templateText).join(""));
  // A template with an undecided part is one string per combination of the parts' alternatives.
  let combos: string[] | undefined = [""];
  for (const part of parts) {
    const options = alternatives(part);
    if (!options.every((o) => o.kind === "known") || combos.length * options.length > MAX_OPTIONS) {
      combos = undefined;
      break;
    }
    const strings = options.map((o) => toStr((o as { value: unknown }).value));
    if (!strings.every((s) => s !== undefined)) return failure(parts.map(templateText).join(""));
    combos = combos.flatMap((c) => strings.map((s) => c + s));
  }
  if (combos) return oneOf(combos.map(known));
  return unknown(parts.map(templateText).join(""));
}

function templateText(part: Value): string {
  if (part.kind === "known") {
    const s = toStr(part.value);
    if (s !== undefined) return s;
  }
  return `\${${textOf(part)}}`;
}

/** Applies traversal steps (`.name`, `[0]`, `["k"]`) to a value. */
function applySteps(value: Value, steps: readonly TraversalStep[]): Value {
  let current = value;
  for (const step of steps) current = index(current, known(step.kind === "attr" ? step.name : step.key));
  return current;
}

/** `collection[key]` and `collection.key`; a key a known collection lacks is an error, as in Terraform. */
function index(collection: Value, key: Value): Value {
  if (key.kind === "oneOf" && collection.kind !== "ref") return oneOf(key.options.map((k) => index(collection, k)));
  const where = () => `${textOf(collection)}[${textOf(key)}]`;
  if (isError(key)) return failure(where());
  switch (collection.kind) {
    case "ref":
      // Right after the resource name an index is an instance key: the same resource.
      if (
        collection.path.length === 0 &&
        (key.kind !== "known" || typeof key.value === "number" || isInstanceKey(collection, key))
      )
        return collection;
      return key.kind === "known" ? { ...collection, path: [...collection.path, String(key.value)] } : collection;
    case "oneOf":
      return oneOf(collection.options.map((o) => index(o, key)));
    case "known": {
      if (key.kind !== "known") return collection.value === null ? failure(where()) : unknown(where());
      const v = collection.value;
      if (Array.isArray(v)) {
        const i = toNumber(key.value);
        return i !== undefined && Number.isInteger(i) && i >= 0 && i < v.length ? known(v[i]) : failure(where());
      }
      if (isPlainObject(v)) {
        const k = toStr(key.value);
        return k !== undefined && Object.hasOwn(v, k) ? known(v[k]) : failure(where());
      }
      return failure(where());
    }
    case "tuple": {
      if (key.kind !== "known") return unknown(where());
      const i = toNumber(key.value);
      return i !== undefined && Number.isInteger(i) && i >= 0 && i < collection.items.length
        ? collection.items[i]!
        : failure(where());
    }
    case "object": {
      if (key.kind !== "known") return unknown(where());
      const k = toStr(key.value);
      return k !== undefined && collection.entries.has(k) ? collection.entries.get(k)! : failure(where());
    }
    case "unknown":
      if (collection.error) return failure(where());
      return unknown(
        key.kind === "known" && typeof key.value === "string" && /^[A-Za-z_][\w-]*$/.test(key.value)
          ? `${collection.text}.${key.value}`
          : `${collection.text}[${textOf(key)}]`,
      );
  }
}

/** A string index right after a resource is an instance key unless the resource has no for_each (then it is an attribute). */
function isInstanceKey(ref: Extract<Value, { kind: "ref" }>, key: Value): boolean {
  return key.kind === "known" && typeof key.value === "string" && ref.resource.body.for_each !== undefined;
}

/** The source text of a node, as written (for the conditions a finding lists). */
function sourceText(node: Expression, scope: Scope): string {
  return scope.source && node.start >= 0 ? scope.source.text.slice(node.start, node.end) : canonicalText(node);
}

/** An unknown's text qualified by its module instance, so that `var.x` of two modules never compare equal (see values.ts). */
function qualifiedText(instance: ModuleInstance, source: string): string {
  return qualified(instance.address, instance.module.dir, source);
}

/**
 * Where a call is written, for an input error about it: the text its expression was parsed from,
 * and the offset of the call, or of its argument number `argument` when the error is about it.
 */
function callSite(node: FunctionCallExpr, scope: Scope, argument?: number): CallSite | undefined {
  const start = (argument === undefined ? undefined : node.args[argument]?.start) ?? node.start;
  return scope.source ? { text: scope.source.text, start } : undefined;
}
