import { parseHclExpression, parseHclTemplate } from "../load/hcl-parser.js";
import { OPERATOR_SYMBOLS, type ConditionalExpr, type Expression, type ForExpr, type ObjectConsExpr, type ScopeTraversalExpr, type SplatExpr, type TemplateForExpr, type TemplateIfExpr, type TraversalStep } from "../load/hcl-syntax.js";
import { canonicalText } from "./canonical.js";
import type { ModuleInstance, VariableValue } from "./configuration.js";
import { resourcesOfType, type Resource, type Variable } from "./module.js";
import { isPrimitive, parseTypeConstraint, type TypeConstraint } from "./types.js";

/**
 * What static evaluation knows about an expression's value.
 * - `known`: a fully known JSON value (strings, numbers, booleans, null, lists, objects);
 * - `ref`: (a value derived from) a resource in the configuration, with the attribute path read;
 * - `tuple` / `object`: collections whose elements are not all known;
 * - `oneOf`: one of several values, where a condition or an instance key cannot be decided;
 * - `unknown`: not decidable statically; `text` is a canonical form of the expression (variables and
 *   locals qualified by their module instance) so that two identical unknowns compare equal. With
 *   `error`, Terraform itself would fail to evaluate it (a missing attribute, a function given what
 *   it refuses): `try` and `can` see the difference, everything else treats it as undecided.
 */
export type Value =
  | { kind: "known"; value: unknown }
  | { kind: "ref"; instance: ModuleInstance; resource: Resource; path: string[] }
  | { kind: "tuple"; items: Value[] }
  | { kind: "object"; entries: Map<string, Value> }
  | { kind: "oneOf"; options: Value[] }
  | { kind: "unknown"; text: string; error?: true };

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
  /** The text the expression being evaluated was parsed from (for the conditions a finding lists). */
  source?: string;
  /** The element a splat's remaining steps apply to. */
  item?: Value;
}

/** What one evaluation met on its way, besides the value. */
export interface Trace {
  steps: Set<Step>;
  /** Conditions that could not be decided (their expression text); both branches were kept. */
  undecided: string[];
}

/** A fresh trace. */
export function newTrace(): Trace {
  return { steps: new Set(), undecided: [] };
}

const MAX_OPTIONS = 256;
const MAX_DEPTH = 64;

/** Parsed expressions by their text: the same text is parsed once per run. */
const templates = new Map<string, Expression | null>();
const expressions = new Map<string, Expression | null>();

/** The syntax tree of a string as hcl2json or Terraform JSON gives it (a template's content), or null. */
function parsedTemplate(raw: string): Expression | null {
  let node = templates.get(raw);
  if (node === undefined) {
    node = parseHclTemplate(raw) ?? null;
    templates.set(raw, node);
  }
  return node;
}

/** The syntax tree of HCL expression source, or null when it does not parse. */
export function parsedExpression(source: string): Expression | null {
  let node = expressions.get(source);
  if (node === undefined) {
    node = parseHclExpression(source) ?? null;
    expressions.set(source, node);
  }
  return node;
}

/** Whether a string from hcl2json holds an expression rather than a plain literal. */
export function isTemplate(raw: string): boolean {
  return raw.includes("${") || raw.includes("%{");
}

/** Static evaluator of Terraform expressions over one configuration. */
export class Evaluator {
  private readonly localCache = new Map<string, Promise<{ value: Value; trace: Trace }>>();

  /** Evaluates a value as hcl2json gives it (a JSON value whose strings may be templates). */
  async evaluate(raw: unknown, scope: Scope, trace: Trace): Promise<Value> {
    if (raw === undefined) return { kind: "known", value: null };
    if (typeof raw === "string") {
      if (!isTemplate(raw)) return known(raw);
      const node = parsedTemplate(raw);
      return node ? this.node(node, { ...scope, source: raw }, trace) : unknown(raw);
    }
    if (Array.isArray(raw)) return collapse({ kind: "tuple", items: await Promise.all(raw.map((r) => this.evaluate(r, scope, trace))) });
    if (typeof raw === "object" && raw !== null) {
      const entries = new Map<string, Value>();
      for (const [k, v] of Object.entries(raw)) entries.set(k, await this.evaluate(v, scope, trace));
      return collapse({ kind: "object", entries });
    }
    return known(raw);
  }

  /** Evaluates HCL expression source text (a `-var` value, a catalog condition). */
  async evaluateSource(source: string, scope: Scope, trace: Trace): Promise<Value> {
    const node = parsedExpression(source);
    return node ? this.node(node, { ...scope, source }, trace) : unknown(source);
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
        const [collection, key] = await Promise.all([this.node(node.collection, scope, trace), this.node(node.key, scope, trace)]);
        return index(collection, key);
      }
      case "splat":
        return this.splat(node, scope, trace);
      case "anon":
        return scope.item ?? unknown("?");
      case "conditional":
        return this.conditional(node, scope, trace);
      case "binary": {
        const [left, right] = await Promise.all([this.node(node.left, scope, trace), this.node(node.right, scope, trace)]);
        return binary(node.operator, left, right);
      }
      case "unary":
        return unary(node.operator, await this.node(node.operand, scope, trace));
      case "tuple":
        return collapse({ kind: "tuple", items: await Promise.all(node.items.map((item) => this.node(item, scope, trace))) });
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
        return callFunction(node.name, args);
      }
      case "for":
        return this.forExpression(node, scope, trace);
    }
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
    return oneOf(await Promise.all([this.node(node.then, scope, trace), this.node(node.else, scope, trace)]));
  }

  private async object(node: ObjectConsExpr, scope: Scope, trace: Trace): Promise<Value> {
    const entries = new Map<string, Value>();
    for (const item of node.items) {
      // A bare key (`{ a = 1 }`) is the string "a", not a variable named a.
      const key = item.bare ? known((item.key as ScopeTraversalExpr).root) : await this.node(item.key, scope, trace);
      if (key.kind !== "known" || (typeof key.value !== "string" && typeof key.value !== "number")) return unknown(qualifiedText(scope.instance, canonicalText(node)));
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
      return collapse({ kind: "tuple", items: await Promise.all(pairs.map(([, v]) => this.node(node.each, { ...scope, item: v }, trace))) });
    }
    if (source.kind === "known" || source.kind === "object") return collapse({ kind: "tuple", items: [await this.node(node.each, { ...scope, item: source }, trace)] });
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
        const resource = type === undefined ? undefined : resourcesOfType(instance.module, type).find((r) => r.mode === "data" && r.name === dataName);
        if (resource) return applySteps({ kind: "ref", instance, resource, path: [] }, rest.slice(1));
        break;
      }
      default: {
        const resource = resourcesOfType(instance.module, root).find((r) => r.mode === "managed" && r.name === name);
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
      value = await this.evaluate(declared.default, { instance }, trace);
    }
    if (!declared || declared.type === undefined) return value;
    return this.convert(value, this.typeOf(declared), instance, trace);
  }

  /** A root variable's value from a file (as hcl2json gives it) or from `-var` / `TF_VAR_*` (text read per the type). */
  private async givenValue(given: VariableValue, declared: Variable | undefined, instance: ModuleInstance, trace: Trace): Promise<Value> {
    if (!given.raw) return this.evaluate(given.value, { instance }, trace);
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
        if (type.kind === "list" || type.kind === "set") return collapse({ kind: "tuple", items: await Promise.all(value.items.map((i) => this.convert(i, type.element, instance, trace))) });
        if (type.kind === "tuple") return collapse({ kind: "tuple", items: await Promise.all(value.items.map((i, n) => this.convert(i, type.elements[n] ?? { kind: "any" }, instance, trace))) });
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
          else if (attribute.optional) entries.set(name, await this.optionalDefault(attribute.defaultSource, attribute.type, instance, trace));
          else return failure(`${textOf(value)} has no attribute "${name}"`);
        }
        return collapse({ kind: "object", entries });
      }
      default:
        return value;
    }
  }

  private async convertKnown(value: unknown, type: TypeConstraint, instance: ModuleInstance, trace: Trace): Promise<Value> {
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
        const items = await Promise.all(value.map((v, i) => this.convertKnown(v, type.kind === "tuple" ? (type.elements[i] ?? { kind: "any" }) : type.element, instance, trace)));
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

  private async optionalDefault(source: string | undefined, type: TypeConstraint, instance: ModuleInstance, trace: Trace): Promise<Value> {
    if (source === undefined) return known(null);
    return this.convert(await this.evaluateSource(source, { instance }, trace), type, instance, trace);
  }

  private async local(instance: ModuleInstance, name: string, trace: Trace): Promise<Value> {
    const key = `${instance.address}\u0000${instance.module.dir}\u0000${name}`;
    let cached = this.localCache.get(key);
    if (!cached) {
      const raw = instance.module.locals.get(name);
      const own = newTrace();
      // Placeholder first: a local that refers to itself through others ends as unknown, not a loop.
      this.localCache.set(key, Promise.resolve({ value: unknown(qualifiedText(instance, `local.${name}`)), trace: own }));
      cached = (raw === undefined ? Promise.resolve(unknown(qualifiedText(instance, `local.${name}`))) : this.evaluate(raw, { instance }, own)).then((value) => ({ value, trace: own }));
      this.localCache.set(key, cached);
    }
    const { value, trace: inner } = await cached;
    for (const step of inner.steps) trace.steps.add(step);
    trace.undecided.push(...inner.undecided);
    return value;
  }

  /** The scope in which a module call's arguments are evaluated (with its own `for_each`/`count`). */
  async callScope(parent: ModuleInstance, call: { forEach: unknown; count: unknown }): Promise<Scope> {
    return this.blockScope(parent, call.forEach, call.count);
  }

  /** The scope of a block with optional `for_each` / `count` meta-arguments. */
  async blockScope(instance: ModuleInstance, forEach: unknown, count: unknown): Promise<Scope> {
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

/** The (key, value) pairs of a collection value when they are enumerable, else undefined. */
function entriesOf(value: Value): [Value, Value][] | undefined {
  if (value.kind === "known") {
    if (Array.isArray(value.value)) return value.value.map((v, i) => [known(i), known(v)]);
    if (isPlainObject(value.value)) return Object.entries(value.value).map(([k, v]) => [known(k), known(v)]);
    return undefined;
  }
  if (value.kind === "tuple") return value.items.map((v, i) => [known(i), v]);
  if (value.kind === "object") return [...value.entries].map(([k, v]) => [known(k), v]);
  return undefined;
}

/** A known value. */
export function known(value: unknown): Value {
  return { kind: "known", value };
}

/** An undecidable value with a canonical text. */
export function unknown(text: string): Value {
  return { kind: "unknown", text };
}

/** One of several values; nested choices are flattened and duplicates removed. */
export function oneOf(options: Value[]): Value {
  const flat: Value[] = [];
  for (const option of options) {
    for (const o of option.kind === "oneOf" ? option.options : [option]) {
      if (!flat.some((f) => sameValue(f, o))) flat.push(o);
    }
  }
  if (flat.length === 1) return flat[0]!;
  if (flat.length > MAX_OPTIONS) return unknown(`one of ${flat.length} values`);
  return { kind: "oneOf", options: flat };
}

/** The alternatives a value stands for (itself, unless it is a `oneOf`). */
export function alternatives(value: Value): Value[] {
  return value.kind === "oneOf" ? value.options : [value];
}

/** Whether two values are certainly the same: equal known values, the same resource, or the same unknown text. */
export function sameValue(a: Value, b: Value): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "known":
      return deepEqual(a.value, (b as typeof a).value);
    case "unknown":
      return a.text === (b as typeof a).text;
    case "ref": {
      const r = b as typeof a;
      return a.resource === r.resource && a.instance === r.instance && a.path.join(".") === r.path.join(".");
    }
    default:
      return textOf(a) === textOf(b);
  }
}

/** A canonical text for any value, used for comparison and messages. */
export function textOf(value: Value): string {
  switch (value.kind) {
    case "known":
      return JSON.stringify(value.value);
    case "unknown":
      return value.text;
    case "ref":
      return [value.instance.address, value.resource.localAddress, ...value.path].filter(Boolean).join(".");
    case "tuple":
      return `[${value.items.map(textOf).join(", ")}]`;
    case "object":
      return `{${[...value.entries].map(([k, v]) => `${k} = ${textOf(v)}`).join(", ")}}`;
    case "oneOf":
      return `one of (${value.options.map(textOf).join(" | ")})`;
  }
}

/** A text computed when first asked for: most evaluations never need theirs. */
type Text = () => string;

function lazy(compute: () => string): Text {
  let text: string | undefined;
  return () => (text ??= compute());
}

/** A value whose evaluation fails in Terraform. */
export function failure(text: string): Value {
  return { kind: "unknown", text, error: true };
}

/** Whether a value certainly fails to evaluate (every alternative is an error). */
export function isError(value: Value): boolean {
  return alternatives(value).every((o) => o.kind === "unknown" && o.error === true);
}

/** Collapses a tuple or object whose elements are all known into one known value. */
function collapse(value: Value): Value {
  if (value.kind === "tuple" && value.items.every((i) => i.kind === "known")) {
    return known(value.items.map((i) => (i as { value: unknown }).value));
  }
  if (value.kind === "object" && [...value.entries.values()].every((v) => v.kind === "known")) {
    return known(Object.fromEntries([...value.entries].map(([k, v]) => [k, (v as { value: unknown }).value])));
  }
  return value;
}

/** The elements of a list-like value (for `f(list...)`), or undefined when they cannot be told. */
function elementsOf(value: Value): Value[] | undefined {
  if (value.kind === "known" && Array.isArray(value.value)) return value.value.map(known);
  if (value.kind === "tuple") return value.items;
  return undefined;
}

/** A template's parts joined: each interpolated value must be a string, number or bool (null and collections fail). */
function concatenate(parts: Value[]): Value {
  if (parts.some(isError)) return failure(parts.map(templateText).join(""));
  // A template with an undecided part is one string per combination of the parts' alternatives.
  let combos: string[] | undefined = [""];
  for (const part of parts) {
    const options = alternatives(part);
    if (!combos || !options.every((o) => o.kind === "known") || combos.length * options.length > MAX_OPTIONS) {
      combos = undefined;
      break;
    }
    const strings = options.map((o) => toStr((o as { value: unknown }).value));
    if (strings.some((s) => s === undefined)) return failure(parts.map(templateText).join(""));
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
      if (collection.path.length === 0 && (key.kind !== "known" || typeof key.value === "number" || isInstanceKey(collection, key))) return collection;
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
      return i !== undefined && Number.isInteger(i) && i >= 0 && i < collection.items.length ? collection.items[i]! : failure(where());
    }
    case "object": {
      if (key.kind !== "known") return unknown(where());
      const k = toStr(key.value);
      return k !== undefined && collection.entries.has(k) ? collection.entries.get(k)! : failure(where());
    }
    case "unknown":
      if (collection.error) return failure(where());
      return unknown(key.kind === "known" && typeof key.value === "string" && /^[A-Za-z_][\w-]*$/.test(key.value) ? `${collection.text}.${key.value}` : `${collection.text}[${textOf(key)}]`);
  }
}

/** A string index right after a resource is an instance key unless the resource has no for_each (then it is an attribute). */
function isInstanceKey(ref: Extract<Value, { kind: "ref" }>, key: Value): boolean {
  return key.kind === "known" && typeof key.value === "string" && ref.resource.body.for_each !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Operators, with Terraform's conversions: `!`, `&&`, `||` and conditions take booleans (or the
// strings "true"/"false"), arithmetic and ordering take numbers (or numeric strings), `==` compares
// type and value. Anything else fails, as Terraform does.

/** A condition's decision: true/false when every alternative agrees, "error" when it cannot be a bool, undefined otherwise. */
export function decideBool(value: Value): boolean | "error" | undefined {
  if (isError(value)) return "error";
  const options = alternatives(value);
  if (!options.every((o) => o.kind === "known")) return undefined;
  const bools = options.map((o) => toBool((o as { value: unknown }).value));
  if (bools.some((b) => b === undefined)) return bools.every((b) => b === undefined) ? "error" : undefined;
  return bools.every((b) => b === bools[0]) ? bools[0] : undefined;
}

class EvaluationError extends Error {}

/** Raises a Terraform evaluation error (a function refusing its arguments, an impossible conversion). */
function fail(message: string): never {
  throw new EvaluationError(message);
}

const BINARY: Record<string, (a: unknown, b: unknown) => unknown> = {
  equal: (a, b) => deepEqual(a, b),
  notEqual: (a, b) => !deepEqual(a, b),
  logicalAnd: (a, b) => bool(a) && bool(b),
  logicalOr: (a, b) => bool(a) || bool(b),
  lessThan: (a, b) => num(a) < num(b),
  greaterThan: (a, b) => num(a) > num(b),
  lessThanOrEqual: (a, b) => num(a) <= num(b),
  greaterThanOrEqual: (a, b) => num(a) >= num(b),
  add: (a, b) => num(a) + num(b),
  subtract: (a, b) => num(a) - num(b),
  multiply: (a, b) => num(a) * num(b),
  divide: (a, b) => (num(b) === 0 ? fail("divide by zero") : num(a) / num(b)),
  modulo: (a, b) => (num(b) === 0 ? fail("divide by zero") : num(a) % num(b)),
};

/** An undecided operation's text is its operator over its operands' texts, so that equal operations compare equal. */
function binary(operator: string, a: Value, b: Value, source: Text = lazy(() => `(${textOf(a)} ${OPERATOR_SYMBOLS[operator as keyof typeof OPERATOR_SYMBOLS] ?? operator} ${textOf(b)})`)): Value {
  const op = BINARY[operator];
  if (!op) return unknown(source());
  // false && x and true || x are decided whatever x is (cty decides them with x unknown too).
  if (operator === "logicalAnd" && (decideBool(a) === false || decideBool(b) === false)) return known(false);
  if (operator === "logicalOr" && (decideBool(a) === true || decideBool(b) === true)) return known(true);
  if (isError(a) || isError(b)) return failure(source());
  const as = alternatives(a);
  const bs = alternatives(b);
  if (as.every((x) => x.kind === "known") && bs.every((x) => x.kind === "known") && as.length * bs.length <= MAX_OPTIONS) {
    return oneOf(as.flatMap((x) => bs.map((y) => attempt(() => op((x as { value: unknown }).value, (y as { value: unknown }).value), source))));
  }
  // x == x holds for the very same undecided value.
  if ((operator === "equal" || operator === "notEqual") && a.kind === "unknown" && b.kind === "unknown" && a.text === b.text) return known(operator === "equal");
  return unknown(source());
}

function unary(operator: string, operand: Value, source: Text = lazy(() => `${OPERATOR_SYMBOLS[operator as keyof typeof OPERATOR_SYMBOLS] ?? operator}${textOf(operand)}`)): Value {
  if (operand.kind === "oneOf") return oneOf(operand.options.map((o) => unary(operator, o, source)));
  if (isError(operand)) return failure(source());
  if (operand.kind !== "known") return unknown(source());
  if (operator === "logicalNot") return attempt(() => !bool(operand.value), source);
  if (operator === "negate") return attempt(() => -num(operand.value), source);
  return unknown(source());
}

/** The known result of a computation, or an error value if Terraform would fail it. */
function attempt(compute: () => unknown, source: Text): Value {
  try {
    const result = compute();
    if (typeof result === "number" && !Number.isFinite(result)) return failure(source());
    return result === undefined ? unknown(source()) : known(result);
  } catch (error) {
    if (error instanceof EvaluationError) return failure(source());
    throw error;
  }
}

/** Terraform's conversion to bool: booleans and the strings "true" / "false". */
export function toBool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

/** Terraform's conversion to number: numbers and numeric strings. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** Terraform's conversion to string: strings, numbers (never in exponent form) and booleans. */
export function toStr(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return numberToString(value);
  if (typeof value === "boolean") return String(value);
  return undefined;
}

function bool(value: unknown): boolean {
  return toBool(value) ?? fail(`${JSON.stringify(value)} is not a bool`);
}

function num(value: unknown): number {
  return toNumber(value) ?? fail(`${JSON.stringify(value)} is not a number`);
}

function str(value: unknown): string {
  return toStr(value) ?? fail(`${JSON.stringify(value)} is not a string`);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : fail(`${JSON.stringify(value)} is not a list`);
}

function map(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : fail(`${JSON.stringify(value)} is not a map`);
}

function integer(value: unknown): number {
  const n = num(value);
  return Number.isInteger(n) ? n : fail(`${n} is not a whole number`);
}

/** 1e21 → "1000000000000000000000", 1e-7 → "0.0000001": Terraform writes numbers in full. */
function numberToString(n: number): string {
  const s = String(n);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([-+]\d+)$/.exec(s);
  if (!match) return s;
  const [, sign, whole, fraction = "", exp] = match as unknown as [string, string, string, string | undefined, string];
  const digits = whole + fraction;
  const point = whole.length + Number(exp);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`.replace(/\.?0+$/, "");
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

// ---------------------------------------------------------------------------------------------
// Functions. Each takes fully known arguments (every combination of the alternatives is tried)
// and either returns Terraform's result or fails as Terraform would; STRUCTURAL handles the calls
// whose arguments are only partly known.

/** Functions that return (a value derived from) their first argument: a reference through them is still a reference. */
const PASS_THROUGH = new Set(["toset", "tolist", "tomap", "tostring", "lower", "upper", "trimspace", "one", "nonsensitive", "sensitive", "flatten", "distinct", "sort", "values", "keys"]);

type Fn = (args: unknown[]) => unknown;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

const FUNCTIONS: Record<string, Fn> = {
  toset: ([x]) => toSet(list(x)),
  tolist: ([x]) => (x === null ? null : unify(list(x))),
  tomap: ([x]) => (x === null ? null : map(x)),
  tostring: ([x]) => (x === null ? null : str(x)),
  tonumber: ([x]) => (x === null ? null : num(x)),
  tobool: ([x]) => (x === null ? null : bool(x)),
  length: ([x]) => (typeof x === "string" ? [...graphemes.segment(x)].length : Array.isArray(x) ? x.length : Object.keys(map(x)).length),
  keys: ([x]) => Object.keys(map(x)).sort(compareStrings),
  values: ([x]) => {
    const m = map(x);
    return Object.keys(m).sort(compareStrings).map((k) => m[k]);
  },
  lookup: (args) => {
    const [m, k] = [map(args[0]), str(args[1])];
    if (Object.hasOwn(m, k)) return m[k];
    return args.length >= 3 ? args[2] : fail(`lookup failed to find key "${k}"`);
  },
  contains: ([l, v]) => list(l).some((x) => deepEqual(x, v)),
  coalesce: (args) => {
    const found = args.find((a) => a !== null && a !== "");
    if (found === undefined) fail("no non-null, non-empty-string arguments");
    // Mixed types convert to the most general one: a string when any argument is one.
    return args.some((a) => typeof a === "string") ? str(found) : found;
  },
  coalescelist: (args) => args.map(list).find((l) => l.length > 0) ?? fail("no non-empty list arguments"),
  compact: ([x]) => list(x).filter((v) => v !== null && v !== ""),
  concat: (args) => args.flatMap(list),
  merge: (args) => Object.assign({}, ...args.filter((a) => a !== null).map(map)),
  flatten: ([x]) => flattenList(list(x)),
  distinct: ([x]) => list(x).filter((v, i, all) => all.findIndex((w) => deepEqual(v, w)) === i),
  join: ([sep, ...lists]) => {
    if (lists.length === 0) fail("join needs at least one list");
    return lists.flatMap(list).map((v) => (v === null ? fail("join of a null element") : str(v))).join(str(sep));
  },
  split: ([sep, s]) => {
    const [separator, text] = [str(sep), str(s)];
    // An empty separator splits into characters (Unicode code points, as Go's strings.Split does).
    return separator === "" ? [...text] : text.split(separator);
  },
  element: ([l, i]) => {
    const items = list(l);
    if (items.length === 0) fail("cannot use element function with an empty list");
    const n = integer(i);
    // Wraps around, in both directions (Terraform 1.10+ and OpenTofu accept negative indices).
    return items[((n % items.length) + items.length) % items.length];
  },
  lower: ([s]) => mapCase(str(s), (c) => c.toLowerCase()),
  upper: ([s]) => mapCase(str(s), (c) => c.toUpperCase()),
  title: ([s]) => str(s).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_, before: string, letter: string) => before + letter.toUpperCase()),
  trimspace: ([s]) => str(s).trim(),
  trimprefix: ([s, p]) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  trimsuffix: ([s, p]) => (str(p) !== "" && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s)),
  startswith: ([s, p]) => str(s).startsWith(str(p)),
  endswith: ([s, p]) => str(s).endsWith(str(p)),
  replace: ([s, a, b]) => (str(a).startsWith("/") && str(a).endsWith("/") && str(a).length > 1 ? undefined : str(s).split(str(a)).join(str(b))),
  substr: ([s, o, l]) => {
    const chars = [...graphemes.segment(str(s))].map((g) => g.segment);
    let offset = integer(o);
    if (offset < 0) offset += chars.length;
    const length = integer(l);
    return chars.slice(Math.max(offset, 0), length < 0 ? undefined : Math.max(offset, 0) + length).join("");
  },
  one: ([x]) => {
    if (x === null) return null;
    const items = list(x);
    return items.length <= 1 ? (items[0] ?? null) : fail("must be a list, set, or tuple value with either zero or one elements");
  },
  alltrue: ([x]) => list(x).every((v) => bool(v)),
  anytrue: ([x]) => list(x).some((v) => bool(v)),
  format: ([f, ...args]) => formatString(str(f), args),
  jsonencode: ([x]) => JSON.stringify(x),
  min: (args) => (args.length ? Math.min(...args.map(num)) : fail("must pass at least one number")),
  max: (args) => (args.length ? Math.max(...args.map(num)) : fail("must pass at least one number")),
  abs: ([x]) => Math.abs(num(x)),
  ceil: ([x]) => Math.ceil(num(x)),
  floor: ([x]) => Math.floor(num(x)),
  range: (args) => range(args.map(num)),
  nonsensitive: ([x]) => x,
  sensitive: ([x]) => x,
  sort: ([x]) => list(x).map((v) => (v === null ? fail("sort of a null element") : str(v))).sort(compareStrings),
  zipmap: ([k, v]) => {
    const [ks, vs] = [list(k).map(str), list(v)];
    return ks.length === vs.length ? Object.fromEntries(ks.map((key, i) => [key, vs[i]])) : fail("number of keys and values must match");
  },
};

/**
 * Evaluates a function call; arguments that are references pass through identity-preserving
 * functions. An undecided call's text is the function over its arguments' texts, so that the very
 * same call (however it is spaced, wrapped or commented) compares equal.
 */
function callFunction(name: string, args: Value[], source: Text = lazy(() => `${name}(${args.map(textOf).join(", ")})`)): Value {
  if (name === "try") return tryFunction(args, source);
  if (name === "can") return canFunction(args, source);
  if (args.some(isError)) return failure(source());
  const ref = args.find((a) => a.kind === "ref");
  if (ref && (PASS_THROUGH.has(name) || name === "lookup" || name === "element" || name === "concat" || name === "coalesce")) return ref;
  // join("", aws_iam_user.u[*].name): the names of the resource's instances, joined.
  if (name === "join" && args[0]?.kind !== "ref") {
    const listRef = args.slice(1).find((a) => a.kind === "ref");
    if (listRef) return listRef;
  }
  const structural = STRUCTURAL[name]?.(args, source);
  if (structural) return structural;
  const fn = FUNCTIONS[name];
  if (!fn) return unknown(source());
  const choices = combinations(args);
  if (!choices) return unknown(source());
  return oneOf(choices.map((combo) => attempt(() => fn(combo), source)));
}

/** Calls whose arguments are only partly known but whose result is decided all the same. */
const STRUCTURAL: Record<string, (args: Value[], source: Text) => Value | undefined> = {
  length: ([x]) => (x?.kind === "tuple" ? known(x.items.length) : x?.kind === "object" ? known(x.entries.size) : undefined),
  keys: ([x]) => (x?.kind === "object" ? known([...x.entries.keys()].sort(compareStrings)) : undefined),
  values: ([x]) => (x?.kind === "object" ? collapse({ kind: "tuple", items: [...x.entries.keys()].sort(compareStrings).map((k) => x.entries.get(k)!) }) : undefined),
  toset: ([x]) => (x?.kind === "tuple" ? x : undefined),
  tolist: ([x]) => (x?.kind === "tuple" ? x : undefined),
  tomap: ([x]) => (x?.kind === "object" ? x : undefined),
  flatten: ([x]) => (x?.kind === "tuple" ? x : undefined),
  lookup: ([m, k, d], source) => {
    if (m?.kind !== "object" || k?.kind !== "known") return undefined;
    const key = toStr(k.value);
    if (key !== undefined && m.entries.has(key)) return m.entries.get(key)!;
    return d ?? failure(source());
  },
  element: ([l, i], source) => {
    if (l?.kind !== "tuple" || i?.kind !== "known") return undefined;
    const n = toNumber(i.value);
    if (l.items.length === 0 || n === undefined || !Number.isInteger(n)) return failure(source());
    return l.items[((n % l.items.length) + l.items.length) % l.items.length]!;
  },
  contains: ([l, v]) => {
    if (v?.kind !== "known") return undefined;
    const items = l?.kind === "tuple" ? l.items : undefined;
    if (!items) return undefined;
    if (items.some((i) => i.kind === "known" && deepEqual(i.value, v.value))) return known(true);
    return items.every((i) => i.kind === "known") ? known(false) : undefined;
  },
  merge: (args) => {
    if (!args.some((a) => a.kind === "object") || !args.every((a) => a.kind === "object" || (a.kind === "known" && (a.value === null || isPlainObject(a.value))))) return undefined;
    const entries = new Map<string, Value>();
    for (const a of args) {
      if (a.kind === "object") a.entries.forEach((v, k) => entries.set(k, v));
      else if (a.kind === "known" && isPlainObject(a.value)) Object.entries(a.value).forEach(([k, v]) => entries.set(k, known(v)));
    }
    return collapse({ kind: "object", entries });
  },
  concat: (args) => {
    const parts = args.map(elementsOf);
    return parts.every((p) => p !== undefined) && args.some((a) => a.kind === "tuple") ? collapse({ kind: "tuple", items: parts.flat() as Value[] }) : undefined;
  },
  coalesce: (args) => {
    if (args.every((a) => a.kind === "known")) return undefined;
    // The first argument that is certainly neither null nor "" ends the candidates; undecided ones before it may win.
    const isEmpty = (a: Value) => a.kind === "known" && (a.value === null || a.value === "");
    const firstSure = args.findIndex((a) => a.kind === "known" && !isEmpty(a));
    const candidates = (firstSure === -1 ? args : args.slice(0, firstSure + 1)).filter((a) => !isEmpty(a));
    return candidates.length ? oneOf(candidates) : undefined;
  },
};

/** try(a, b, …): the first argument that evaluates without an error; undecided ones may or may not fail. */
function tryFunction(args: Value[], source: Text): Value {
  const candidates: Value[] = [];
  for (const arg of args) {
    const options = alternatives(arg);
    candidates.push(...options.filter((o) => !(o.kind === "unknown" && o.error)));
    if (!options.some((o) => o.kind === "unknown")) return oneOf(candidates);
  }
  return candidates.length ? oneOf(candidates) : failure(source());
}

/** can(x): whether x evaluates without an error. */
function canFunction(args: Value[], source: Text): Value {
  const options = alternatives(args[0] ?? known(null));
  const errors = options.filter((o) => o.kind === "unknown" && o.error).length;
  if (errors === options.length) return known(false);
  if (options.every((o) => o.kind !== "unknown")) return known(true);
  return unknown(source());
}

/** Every combination of the arguments' known alternatives, or undefined if any is not known. */
function combinations(args: Value[]): unknown[][] | undefined {
  let combos: unknown[][] = [[]];
  for (const arg of args) {
    const options = alternatives(arg);
    if (!options.every((o) => o.kind === "known") || combos.length * options.length > MAX_OPTIONS) return undefined;
    combos = combos.flatMap((c) => options.map((o) => [...c, (o as { value: unknown }).value]));
  }
  return combos;
}

/** toset: duplicates removed, elements of mixed primitive types converted to strings, in Terraform's order. */
function toSet(items: unknown[]): unknown[] {
  if (items.some((v) => v === null)) fail("sets cannot contain null");
  const unified = unify(items);
  const unique = [...new Map(unified.map((v) => [JSON.stringify(v), v])).values()];
  // cty orders strings lexically, numbers numerically, false before true.
  return unique.sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : typeof a === "boolean" && typeof b === "boolean" ? Number(a) - Number(b) : compareStrings(JSON.stringify(a), JSON.stringify(b))));
}

/** Elements of mixed primitive types become strings (Terraform's "most general type"). */
function unify(items: unknown[]): unknown[] {
  const types = new Set(items.filter((v) => v !== null).map((v) => typeof v));
  if (types.size > 1 && [...types].every((t) => t === "string" || t === "number" || t === "boolean")) return items.map((v) => (v === null ? null : toStr(v)));
  return items;
}

/** Case mapping character by character, as Go's strings.ToUpper/ToLower: "ß" stays "ß" rather than becoming "SS". */
function mapCase(text: string, convert: (c: string) => string): string {
  return [...text].map((c) => {
    const mapped = convert(c);
    return [...mapped].length === 1 ? mapped : c;
  }).join("");
}

function flattenList(items: unknown[]): unknown[] {
  return items.flatMap((v) => (Array.isArray(v) ? flattenList(v) : [v]));
}

/**
 * Terraform's `format`: verbs %v %#v %s %q %t %d %b %o %x %X %e %E %f %g %G and %%, flags
 * (space, +, -, 0), width, precision and explicit argument indexes (`%[2]s`). Too few or too
 * many arguments, an unknown verb or an impossible conversion fail.
 */
function formatString(spec: string, args: unknown[]): string {
  let out = "";
  let next = 0;
  let used = 0;
  let i = 0;
  while (i < spec.length) {
    const c = spec[i]!;
    if (c !== "%") {
      out += c;
      i++;
      continue;
    }
    if (spec[i + 1] === "%") {
      out += "%";
      i += 2;
      continue;
    }
    const match = /^%([-+ 0#]*)(\d+)?(?:\.(\d*))?(?:\[(\d+)\])?([a-zA-Z])/.exec(spec.slice(i));
    if (!match) fail(`invalid format verb at offset ${i}`);
    const [whole, flags, width, precision, explicit, verb] = match as unknown as [string, string, string | undefined, string | undefined, string | undefined, string];
    if (explicit !== undefined) next = Number(explicit) - 1;
    if (next < 0 || next >= args.length) fail("not enough arguments for the format string");
    out += formatOne(verb, flags, width === undefined ? undefined : Number(width), precision === undefined ? undefined : Number(precision || 0), args[next]);
    used = Math.max(used, ++next);
    i += whole.length;
  }
  if (used < args.length) fail(`too many arguments; only ${used} used by the format string`);
  return out;
}

function formatOne(verb: string, flags: string, width: number | undefined, precision: number | undefined, arg: unknown): string {
  const pad = (text: string, numeric: boolean) => {
    if (!width || [...text].length >= width) return text;
    const fill = width - [...text].length;
    if (flags.includes("-")) return text + " ".repeat(fill);
    if (numeric && flags.includes("0")) {
      const sign = /^[-+ ]/.test(text) ? text[0]! : "";
      return sign + "0".repeat(fill) + text.slice(sign.length);
    }
    return " ".repeat(fill) + text;
  };
  const signed = (n: number, body: string) => (n < 0 || Object.is(n, -0) ? `-${body}` : flags.includes("+") ? `+${body}` : flags.includes(" ") ? ` ${body}` : body);
  if (verb === "v") {
    if (flags.includes("#") || arg === null || (typeof arg === "object" && arg !== null)) return pad(JSON.stringify(arg), false);
    if (typeof arg === "number") return formatOne("g", flags, width, precision, arg);
    if (typeof arg === "boolean") return formatOne("t", flags, width, precision, arg);
    return formatOne("s", flags, width, precision, arg);
  }
  if (arg === null) fail(`unsupported value for "%${verb}": null`);
  switch (verb) {
    case "s": {
      const s = str(arg);
      return pad(precision ? [...s].slice(0, precision).join("") : s, false);
    }
    case "q":
      return pad(JSON.stringify(str(arg)), false);
    case "t":
      return pad(String(bool(arg)), false);
    case "d":
    case "b":
    case "o":
    case "x":
    case "X": {
      const n = integer(arg);
      const digits = Math.abs(n).toString({ d: 10, b: 2, o: 8, x: 16, X: 16 }[verb]);
      return pad(signed(n, verb === "X" ? digits.toUpperCase() : digits), true);
    }
    case "e":
    case "E": {
      const n = num(arg);
      const text = exponent(Math.abs(n).toExponential(precision ?? 6));
      return pad(signed(n, verb === "E" ? text.toUpperCase() : text), true);
    }
    case "f":
    case "F": {
      const n = num(arg);
      return pad(signed(n, Math.abs(n).toFixed(precision ?? 6)), true);
    }
    case "g":
    case "G": {
      const n = num(arg);
      const text = shortestG(Math.abs(n), precision);
      return pad(signed(n, verb === "G" ? text.toUpperCase() : text), true);
    }
    default:
      return fail(`unsupported format verb "%${verb}"`);
  }
}

/** Go writes exponents with at least two digits: 1e+06, not 1e+6. */
function exponent(text: string): string {
  return text.replace(/e([-+])(\d)$/, "e$10$2");
}

/** Go's %g: %e when the exponent is below -4 or at least the precision (6 for the shortest form), else %f; no trailing zeros. */
function shortestG(n: number, precision: number | undefined): string {
  if (n === 0) return "0";
  const digits = precision ? Number(n.toPrecision(precision)) : n;
  const [mantissa, exp] = digits.toExponential().split("e") as [string, string];
  const x = Number(exp);
  const significant = mantissa.replace(".", "").replace(/0+$/, "").length;
  let limit = precision ?? 6;
  if (precision && limit > significant && significant >= x + 1) limit = significant;
  if (x < -4 || x >= limit) return exponent(`${mantissa}e${x < 0 ? "-" : "+"}${Math.abs(x)}`);
  return numberToString(digits);
}

function range(args: number[]): number[] {
  const [a, b, step] = args.length === 1 ? [0, args[0]!, 1] : [args[0]!, args[1]!, args[2] ?? (args[1]! < args[0]! ? -1 : 1)];
  if (step === 0) fail("step must not be zero");
  if (Math.abs((b - a) / step) > MAX_OPTIONS) fail("range too large");
  const out: number[] = [];
  for (let x = a; step > 0 ? x < b : x > b; x += step) out.push(x);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The source text of a node, as written (for the conditions a finding lists). */
function sourceText(node: Expression, scope: Scope): string {
  return scope.source?.slice(node.start, node.end) ?? canonicalText(node);
}

/** An unknown's text qualified by its module instance, so that `var.x` of two modules never compare equal. */
function qualifiedText(instance: ModuleInstance, source: string): string {
  return `${instance.address || "root"}@${instance.module.dir}:${source}`;
}
