import type { ModuleInstance } from "./configuration.js";
import type { Resource } from "./module.js";

/**
 * What static evaluation knows about an expression's value.
 * - `known`: a fully known JSON value (strings, numbers, booleans, null, lists, objects);
 * - `ref`: (a value derived from) a resource in the configuration, with the attribute path read;
 * - `tuple` / `object`: collections whose elements are not all known;
 * - `oneOf`: one of several values, where a condition or an instance key cannot be decided;
 * - `unknown`: not decidable statically; `text` is a canonical form of the expression (variables and
 *   locals qualified by their module instance) so that two identical unknowns compare equal.
 */
export type Value =
  | { kind: "known"; value: unknown }
  | { kind: "ref"; instance: ModuleInstance; resource: Resource; path: string[] }
  | { kind: "tuple"; items: Value[] }
  | { kind: "object"; entries: Map<string, Value> }
  | { kind: "oneOf"; options: Value[] }
  | { kind: "unknown"; text: string };

/** How evaluation travelled to reach a value: the linking routes are named after these steps. */
export type Step = "local" | "variable" | "module-input" | "module-output" | "each" | "count";

/** Where an expression is evaluated: its module instance and the instance bindings of its block. */
export interface Scope {
  instance: ModuleInstance;
  each?: { key: Value; value: Value };
  countIndex?: Value;
  /** Variables of enclosing `for` expressions. */
  bound?: Map<string, Value>;
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

/** A node of hcl2json's expression syntax tree, typed as loosely as it really is. */
interface Node {
  type: string;
  meta?: Record<string, unknown> & { value?: string };
  children?: Node[];
}

interface TraversalPart {
  type: "nameTraversal" | "indexTraversal";
  segment: string;
}

const astCache = new Map<string, Promise<Node | null>>();

/** Parses an expression's source into hcl2json's syntax tree (null when it does not parse). */
export type ExpressionParser = (source: string) => Promise<unknown>;

const inThread: ExpressionParser = async (source) => {
  const { getExpressionAst } = await import("@cdktf/hcl2json");
  return getExpressionAst("expression.tf", source).catch(() => null);
};

/** Parses an expression once (hcl2json's parser runs in WebAssembly; results are cached by text). */
function parseExpression(source: string, parser: ExpressionParser): Promise<Node | null> {
  let cached = astCache.get(source);
  if (!cached) {
    cached = parser(source).then(
      (ast) => (ast ?? null) as Node | null,
      () => null,
    );
    astCache.set(source, cached);
  }
  return cached;
}

/** Whether a string from hcl2json holds an expression rather than a plain literal. */
export function isTemplate(raw: string): boolean {
  return raw.includes("${") || raw.includes("%{");
}

/**
 * Turns a string from hcl2json (`${aws_iam_user.u.name}`, `deploy-${var.env}`) back into HCL
 * expression source: a lone interpolation is unwrapped (keeping its type), anything else becomes a
 * quoted template with the literal parts escaped.
 */
export function expressionSource(raw: string): string {
  if (raw.startsWith("${") && interpolationEnd(raw, 0) === raw.length) return raw.slice(2, -1);
  let out = '"';
  let i = 0;
  while (i < raw.length) {
    if ((raw.startsWith("${", i) || raw.startsWith("%{", i)) && raw[i - 1] !== "$" && raw[i - 1] !== "%") {
      const end = interpolationEnd(raw, i);
      out += raw.slice(i, end);
      i = end;
      continue;
    }
    const c = raw[i]!;
    out += c === '"' ? '\\"' : c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : c;
    i++;
  }
  return `${out}"`;
}

/** Index just past the `}` that closes the interpolation opening at `start` (strings inside may hold braces). */
function interpolationEnd(raw: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start + 1; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  return raw.length;
}

/** Static evaluator of Terraform expressions over one configuration. */
export class Evaluator {
  private readonly localCache = new Map<string, Promise<{ value: Value; trace: Trace }>>();
  private depth = 0;

  /** `parser`: where expressions are parsed (the scan's worker pool; by default in this thread). */
  constructor(private readonly parser: ExpressionParser = inThread) {}

  /** Evaluates a value as hcl2json gives it (a JSON value whose strings may be templates). */
  async evaluate(raw: unknown, scope: Scope, trace: Trace): Promise<Value> {
    if (raw === undefined) return { kind: "known", value: null };
    if (typeof raw === "string") {
      if (!isTemplate(raw)) return known(raw);
      const ast = await parseExpression(expressionSource(raw), this.parser);
      return ast ? this.node(ast, scope, trace) : unknown(raw);
    }
    if (Array.isArray(raw)) return collapse({ kind: "tuple", items: await Promise.all(raw.map((r) => this.evaluate(r, scope, trace))) });
    if (typeof raw === "object" && raw !== null) {
      const entries = new Map<string, Value>();
      for (const [k, v] of Object.entries(raw)) entries.set(k, await this.evaluate(v, scope, trace));
      return collapse({ kind: "object", entries });
    }
    return known(raw);
  }

  /** Evaluates HCL expression source text (as found in AST metadata). */
  async evaluateSource(source: string, scope: Scope, trace: Trace): Promise<Value> {
    const ast = await parseExpression(source, this.parser);
    return ast ? this.node(ast, scope, trace) : unknown(source);
  }

  private async node(node: Node, scope: Scope, trace: Trace): Promise<Value> {
    if (this.depth > MAX_DEPTH) return unknown(text(node));
    this.depth++;
    try {
      return await this.nodeInner(node, scope, trace);
    } finally {
      this.depth--;
    }
  }

  private async nodeInner(node: Node, scope: Scope, trace: Trace): Promise<Value> {
    const children = node.children ?? [];
    const meta = node.meta ?? {};
    switch (node.type) {
      case "literalValue":
        return literal(meta.type as string, meta.value ?? "");
      case "templateWrap":
        return children[0] ? this.node(children[0], scope, trace) : unknown(text(node));
      case "template":
        return this.template(node, scope, trace);
      case "scopeTraversal":
        return this.traversal(meta.traversal as TraversalPart[], scope, trace, text(node));
      case "relativeTraversal": {
        const base = children[0] ? await this.node(children[0], scope, trace) : unknown("?");
        return applyParts(base, meta.traversal as TraversalPart[]);
      }
      case "index": {
        const [collection, key] = await Promise.all(children.slice(0, 2).map((c) => this.node(c, scope, trace)));
        return index(collection ?? unknown("?"), key ?? unknown("?"));
      }
      case "splat": {
        const source = children[0] ? await this.node(children[0], scope, trace) : unknown("?");
        const parts = (children[1]?.meta?.traversal as TraversalPart[] | undefined) ?? [];
        return splat(source, parts);
      }
      case "conditional":
        return this.conditional(node, scope, trace);
      case "binaryOp":
        return binary(meta.operator as string, ...(await Promise.all([children[0], children[1]].map((c) => (c ? this.node(c, scope, trace) : unknown("?"))))) as [Value, Value], text(node));
      case "unaryOp": {
        const operand = children[0] ? await this.node(children[0], scope, trace) : unknown("?");
        return unary(meta.operator as string, operand, text(node));
      }
      case "tuple":
        return collapse({ kind: "tuple", items: await Promise.all(children.map((c) => this.node(c, scope, trace))) });
      case "object":
        return this.object(node, scope, trace);
      case "function":
        return callFunction(meta.name as string, await Promise.all(children.map((c) => this.node(c, scope, trace))), text(node));
      case "for":
        return this.forExpression(node, scope, trace);
      case "":
        // Parentheses and object keys come through as untyped wrappers around one child.
        return children.length === 1 ? this.node(children[0]!, scope, trace) : unknown(text(node));
      default:
        return unknown(text(node));
    }
  }

  private async template(node: Node, scope: Scope, trace: Trace): Promise<Value> {
    const parts = await Promise.all((node.children ?? []).map((c) => this.node(c, scope, trace)));
    if (parts.length === 1) return parts[0]!;
    return concatenate(parts);
  }

  private async conditional(node: Node, scope: Scope, trace: Trace): Promise<Value> {
    const [c, t, f] = node.children ?? [];
    const condition = c ? await this.node(c, scope, trace) : unknown("?");
    if (condition.kind === "known" && typeof condition.value === "boolean") {
      const branch = condition.value ? t : f;
      return branch ? this.node(branch, scope, trace) : known(null);
    }
    trace.undecided.push(String(node.meta?.conditionExpression ?? text(node)));
    const options = await Promise.all([t, f].map((b) => (b ? this.node(b, scope, trace) : known(null))));
    return oneOf(options);
  }

  private async object(node: Node, scope: Scope, trace: Trace): Promise<Value> {
    const items = (node.meta?.items ?? {}) as Record<string, string>;
    const entries = new Map<string, Value>();
    for (const [keySource, valueSource] of Object.entries(items)) {
      const key = await this.evaluateSource(keySource, { ...scope, bound: new Map([...(scope.bound ?? []), ...bareKey(keySource)]) }, trace);
      if (key.kind !== "known" || (typeof key.value !== "string" && typeof key.value !== "number")) return unknown(text(node));
      entries.set(String(key.value), await this.evaluateSource(valueSource, scope, trace));
    }
    return collapse({ kind: "object", entries });
  }

  private async forExpression(node: Node, scope: Scope, trace: Trace): Promise<Value> {
    const meta = node.meta as Record<string, string | boolean>;
    const collection = node.children?.[0] ? await this.node(node.children[0], scope, trace) : unknown("?");
    // A `for` over resources yields values derived from them: keep the link.
    if (collection.kind === "ref") return collection;
    const pairs = entriesOf(collection);
    if (!pairs) return unknown(text(node));
    const keyVar = meta.keyVar as string;
    const valVar = meta.valVar as string;
    const isObject = Boolean(meta.keyExpression);
    const items: Value[] = [];
    const entries = new Map<string, Value>();
    for (const [k, v] of pairs) {
      const bound = new Map(scope.bound ?? []);
      if (keyVar) bound.set(keyVar, k);
      bound.set(valVar, v);
      const inner: Scope = { ...scope, bound };
      if (meta.conditionalExpression) {
        const keep = await this.evaluateSource(meta.conditionalExpression as string, inner, trace);
        if (keep.kind === "known" && keep.value === false) continue;
        if (keep.kind !== "known") trace.undecided.push(meta.conditionalExpression as string);
      }
      const value = await this.evaluateSource(meta.valueExpression as string, inner, trace);
      if (isObject) {
        const key = await this.evaluateSource(meta.keyExpression as string, inner, trace);
        if (key.kind !== "known") return unknown(text(node));
        entries.set(String(key.value), value);
      } else items.push(value);
    }
    return collapse(isObject ? { kind: "object", entries } : { kind: "tuple", items });
  }

  private async traversal(parts: TraversalPart[], scope: Scope, trace: Trace, source: string): Promise<Value> {
    const [first, second, ...rest] = parts;
    const root = first?.segment ?? "";
    const name = second?.type === "nameTraversal" ? second.segment : undefined;
    const { instance } = scope;
    const bound = scope.bound?.get(root);
    if (bound) return applyParts(bound, parts.slice(1));
    switch (root) {
      case "var":
        if (!name) break;
        return applyParts(await this.variable(instance, name, trace), rest);
      case "local": {
        if (!name) break;
        trace.steps.add("local");
        return applyParts(await this.local(instance, name, trace), rest);
      }
      case "module": {
        if (!name) break;
        const child = instance.children.get(name);
        // `module.x["key"].out`: the instance key of a module call does not change which module it is.
        const afterCall = rest[0]?.type === "indexTraversal" ? rest.slice(1) : rest;
        const output = afterCall[0]?.type === "nameTraversal" ? afterCall[0].segment : undefined;
        if (!child || !output) break;
        const raw = child.module.outputs.get(output);
        if (raw === undefined) break;
        trace.steps.add("module-output");
        return applyParts(await this.evaluate(raw, { instance: child }, trace), afterCall.slice(1));
      }
      case "each": {
        if (!scope.each || (name !== "key" && name !== "value")) break;
        trace.steps.add("each");
        return applyParts(scope.each[name], rest);
      }
      case "count":
        if (name === "index" && scope.countIndex) {
          trace.steps.add("count");
          return scope.countIndex;
        }
        break;
      case "data": {
        const type = name;
        const dataName = rest[0]?.segment;
        const resource = instance.module.resources.find((r) => r.mode === "data" && r.type === type && r.name === dataName);
        if (resource) return applyParts({ kind: "ref", instance, resource, path: [] }, rest.slice(1));
        break;
      }
      default: {
        const resource = instance.module.resources.find((r) => r.mode === "managed" && r.type === root && r.name === name);
        if (resource) return applyParts({ kind: "ref", instance, resource, path: [] }, rest);
      }
    }
    return unknown(qualifiedText(instance, source));
  }

  /** The value of `var.NAME` in an instance: the caller's argument, a tfvars value, the default, or unknown. */
  private async variable(instance: ModuleInstance, name: string, trace: Trace): Promise<Value> {
    const call = instance.call;
    if (call && instance.parent && name in call.inputs) {
      trace.steps.add("module-input");
      return this.evaluate(call.inputs[name], await this.callScope(instance.parent, call), trace);
    }
    trace.steps.add("variable");
    if (instance.variableValues.has(name)) return this.evaluate(instance.variableValues.get(name), { instance }, trace);
    const variable = instance.module.variables.get(name);
    if (variable?.hasDefault) return this.evaluate(variable.default, { instance }, trace);
    return unknown(qualifiedText(instance, `var.${name}`));
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

function literal(type: string, value: string): Value {
  if (type === "number") return known(Number(value));
  if (type === "bool") return known(value === "true");
  if (type === "dynamic" && value === "null") return known(null);
  return known(value);
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

function concatenate(parts: Value[]): Value {
  // A template with an undecided part is one string per combination of the parts' alternatives.
  let combos: string[] | undefined = [""];
  for (const part of parts) {
    const options = alternatives(part);
    if (!combos || !options.every((o) => o.kind === "known" && isScalar(o.value)) || combos.length * options.length > MAX_OPTIONS) {
      combos = undefined;
      break;
    }
    combos = combos.flatMap((c) => options.map((o) => c + stringify((o as { value: unknown }).value)));
  }
  if (combos) return oneOf(combos.map(known));
  return unknown(parts.map((p) => (p.kind === "known" && isScalar(p.value) ? stringify(p.value) : `\${${textOf(p)}}`)).join(""));
}

/** Applies traversal steps (`.name`, `[0]`, `["k"]`) to a value. */
function applyParts(value: Value, parts: readonly TraversalPart[]): Value {
  let current = value;
  for (const part of parts) {
    const key = part.type === "indexTraversal" ? parseIndexSegment(part.segment) : part.segment;
    current = index(current, known(key));
  }
  return current;
}

function parseIndexSegment(segment: string): string | number {
  if (/^-?\d+$/.test(segment)) return Number(segment);
  if (segment.startsWith('"')) {
    try {
      return JSON.parse(segment) as string;
    } catch {
      return segment.slice(1, -1);
    }
  }
  return segment;
}

/** `collection[key]` and `collection.key`. */
function index(collection: Value, key: Value): Value {
  if (key.kind === "oneOf" && collection.kind !== "ref") return oneOf(key.options.map((k) => index(collection, k)));
  switch (collection.kind) {
    case "ref":
      // Right after the resource name an index is an instance key: the same resource.
      if (collection.path.length === 0 && (key.kind !== "known" || typeof key.value === "number" || isInstanceKey(collection, key))) return collection;
      return key.kind === "known" ? { ...collection, path: [...collection.path, String(key.value)] } : collection;
    case "oneOf":
      return oneOf(collection.options.map((o) => index(o, key)));
    case "known": {
      if (key.kind !== "known") return unknown(`${textOf(collection)}[${textOf(key)}]`);
      const v = collection.value as Record<string | number, unknown> | null;
      if (v !== null && typeof v === "object" && (key.value as string | number) in v) return known(v[key.value as string | number]);
      return unknown(`${textOf(collection)}[${textOf(key)}]`);
    }
    case "tuple":
      if (key.kind === "known" && typeof key.value === "number" && collection.items[key.value]) return collection.items[key.value]!;
      return unknown(`${textOf(collection)}[${textOf(key)}]`);
    case "object":
      if (key.kind === "known" && collection.entries.has(String(key.value))) return collection.entries.get(String(key.value))!;
      return unknown(`${textOf(collection)}[${textOf(key)}]`);
    case "unknown":
      return unknown(key.kind === "known" && typeof key.value === "string" && /^[A-Za-z_][\w-]*$/.test(key.value) ? `${collection.text}.${key.value}` : `${collection.text}[${textOf(key)}]`);
  }
}

/** A string index right after a resource is an instance key unless the resource has no for_each (then it is an attribute). */
function isInstanceKey(ref: Extract<Value, { kind: "ref" }>, key: Value): boolean {
  return key.kind === "known" && typeof key.value === "string" && ref.resource.body.for_each !== undefined;
}

function splat(source: Value, parts: readonly TraversalPart[]): Value {
  if (source.kind === "ref") return applyParts(source, parts);
  const pairs = entriesOf(source);
  if (pairs && (source.kind === "tuple" || (source.kind === "known" && Array.isArray(source.value)))) {
    return collapse({ kind: "tuple", items: pairs.map(([, v]) => applyParts(v, parts)) });
  }
  return unknown(`${textOf(source)}[*]${parts.map((p) => (p.type === "nameTraversal" ? `.${p.segment}` : `[${p.segment}]`)).join("")}`);
}

const BINARY: Record<string, (a: any, b: any) => unknown> = {
  equal: (a, b) => deepEqual(a, b),
  notEqual: (a, b) => !deepEqual(a, b),
  logicalAnd: (a, b) => a === true && b === true,
  logicalOr: (a, b) => a === true || b === true,
  lessThan: (a, b) => a < b,
  greaterThan: (a, b) => a > b,
  lessThanOrEqual: (a, b) => a <= b,
  greaterThanOrEqual: (a, b) => a >= b,
  add: (a, b) => Number(a) + Number(b),
  subtract: (a, b) => Number(a) - Number(b),
  multiply: (a, b) => Number(a) * Number(b),
  divide: (a, b) => Number(a) / Number(b),
  modulo: (a, b) => Number(a) % Number(b),
};

function binary(operator: string, a: Value, b: Value, source: string): Value {
  const op = BINARY[operator];
  if (!op) return unknown(source);
  // false && x and true || x are decided whatever x is.
  if (operator === "logicalAnd" && ((a.kind === "known" && a.value === false) || (b.kind === "known" && b.value === false))) return known(false);
  if (operator === "logicalOr" && ((a.kind === "known" && a.value === true) || (b.kind === "known" && b.value === true))) return known(true);
  const as = alternatives(a);
  const bs = alternatives(b);
  if (as.every((x) => x.kind === "known") && bs.every((x) => x.kind === "known") && as.length * bs.length <= MAX_OPTIONS) {
    return oneOf(as.flatMap((x) => bs.map((y) => known(op((x as { value: unknown }).value, (y as { value: unknown }).value)))));
  }
  return unknown(source);
}

function unary(operator: string, operand: Value, source: string): Value {
  if (operand.kind !== "known") return operand.kind === "oneOf" ? oneOf(operand.options.map((o) => unary(operator, o, source))) : unknown(source);
  if (operator === "logicalNot") return known(!operand.value);
  if (operator === "negate") return known(-Number(operand.value));
  return unknown(source);
}

/** Functions that return (a value derived from) their first argument: a reference through them is still a reference. */
const PASS_THROUGH = new Set(["toset", "tolist", "tomap", "tostring", "lower", "upper", "trimspace", "one", "nonsensitive", "sensitive", "flatten", "distinct", "sort", "values", "keys"]);

type Fn = (args: unknown[]) => unknown;

const FUNCTIONS: Record<string, Fn> = {
  toset: ([x]) => (Array.isArray(x) ? [...new Map(x.map((v) => [JSON.stringify(v), v])).values()].sort(compareScalars) : x),
  tolist: ([x]) => x,
  tomap: ([x]) => x,
  tostring: ([x]) => (x === null ? null : stringify(x)),
  tonumber: ([x]) => (x === null ? null : Number(x)),
  tobool: ([x]) => (x === null ? null : x === true || x === "true"),
  length: ([x]) => (typeof x === "string" ? [...x].length : Array.isArray(x) ? x.length : isPlainObject(x) ? Object.keys(x).length : undefined),
  keys: ([x]) => (isPlainObject(x) ? Object.keys(x).sort() : undefined),
  values: ([x]) => (isPlainObject(x) ? Object.keys(x).sort().map((k) => x[k]) : undefined),
  lookup: ([m, k, d]) => (isPlainObject(m) && typeof k === "string" ? (k in m ? m[k] : d) : undefined),
  contains: ([list, v]) => (Array.isArray(list) ? list.some((x) => deepEqual(x, v)) : undefined),
  coalesce: (args) => args.find((a) => a !== null && a !== ""),
  compact: ([x]) => (Array.isArray(x) ? x.filter((v) => v !== null && v !== "") : undefined),
  concat: (args) => (args.every(Array.isArray) ? (args as unknown[][]).flat() : undefined),
  merge: (args) => (args.every((a) => a === null || isPlainObject(a)) ? Object.assign({}, ...args) : undefined),
  flatten: ([x]) => (Array.isArray(x) ? x.flat(Infinity) : undefined),
  distinct: ([x]) => (Array.isArray(x) ? x.filter((v, i) => x.findIndex((w) => deepEqual(v, w)) === i) : undefined),
  join: ([sep, list]) => (typeof sep === "string" && Array.isArray(list) ? list.map(stringify).join(sep) : undefined),
  split: ([sep, s]) => (typeof sep === "string" && typeof s === "string" ? s.split(sep) : undefined),
  element: ([list, i]) => (Array.isArray(list) && list.length && typeof i === "number" ? list[((i % list.length) + list.length) % list.length] : undefined),
  lower: ([s]) => (typeof s === "string" ? s.toLowerCase() : undefined),
  upper: ([s]) => (typeof s === "string" ? s.toUpperCase() : undefined),
  trimspace: ([s]) => (typeof s === "string" ? s.trim() : undefined),
  replace: ([s, a, b]) => (typeof s === "string" && typeof a === "string" && typeof b === "string" && !a.startsWith("/") ? s.split(a).join(b) : undefined),
  one: ([x]) => (Array.isArray(x) && x.length <= 1 ? (x[0] ?? null) : undefined),
  format: ([f, ...args]) => (typeof f === "string" ? format(f, args) : undefined),
  min: (args) => Math.min(...(args as number[])),
  max: (args) => Math.max(...(args as number[])),
  range: (args) => range(args as number[]),
  nonsensitive: ([x]) => x,
  sensitive: ([x]) => x,
  sort: ([x]) => (Array.isArray(x) ? [...x].map(stringify).sort() : undefined),
  can: () => undefined,
};

/** Evaluates a function call; arguments that are references pass through identity-preserving functions. */
function callFunction(name: string, args: Value[], source: string): Value {
  if (name === "try") return tryFunction(args, source);
  if (name === "coalesce" && args.some((a) => a.kind !== "known")) {
    const firstKnown = args.findIndex((a) => a.kind === "known" && a.value !== null && a.value !== "");
    const candidates = firstKnown === -1 ? args : args.slice(0, firstKnown + 1);
    return oneOf(candidates.filter((a) => !(a.kind === "known" && (a.value === null || a.value === ""))));
  }
  const fn = FUNCTIONS[name];
  const ref = args.find((a) => a.kind === "ref");
  if (ref && (PASS_THROUGH.has(name) || name === "lookup" || name === "element" || name === "concat")) return ref;
  if (name === "length" && args[0]?.kind === "tuple") return known(args[0].items.length);
  if (name === "length" && args[0]?.kind === "object") return known(args[0].entries.size);
  if (name === "toset" || name === "tolist" || name === "flatten") {
    if (args[0]?.kind === "tuple") return args[0];
  }
  if (!fn) return unknown(source);
  const choices = combinations(args);
  if (!choices) return unknown(source);
  const results: Value[] = [];
  for (const combo of choices) {
    let result: unknown;
    try {
      result = fn(combo);
    } catch {
      result = undefined;
    }
    if (result === undefined || (typeof result === "number" && !Number.isFinite(result))) return unknown(source);
    results.push(known(result));
  }
  return oneOf(results);
}

function tryFunction(args: Value[], source: string): Value {
  // try(a, b): the first argument that evaluates without error; statically, the first that is known.
  const first = args[0];
  if (!first) return unknown(source);
  if (first.kind === "known" || first.kind === "ref") return first;
  return oneOf(args);
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

function format(spec: string, args: unknown[]): string | undefined {
  let i = 0;
  let failed = false;
  const out = spec.replace(/%(%|[-+ 0#]*\d*(?:\.\d+)?[sdvqtf])/g, (m, verb: string) => {
    if (verb === "%") return "%";
    const arg = args[i++];
    if (arg === undefined) {
      failed = true;
      return m;
    }
    const v = verb.slice(-1);
    if (v === "d") return String(Math.trunc(Number(arg)));
    if (v === "q") return JSON.stringify(stringify(arg));
    return stringify(arg);
  });
  return failed ? undefined : out;
}

function range(args: number[]): number[] | undefined {
  const [a = 0, b, step = 1] = args.length === 1 ? [0, args[0], 1] : args;
  if (b === undefined || step === 0 || Math.abs((b - a) / step) > MAX_OPTIONS) return undefined;
  const out: number[] = [];
  for (let x = a; step > 0 ? x < b : x > b; x += step) out.push(x);
  return out;
}

function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null) return "";
  return JSON.stringify(value);
}

function isScalar(value: unknown): boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function compareScalars(a: unknown, b: unknown): number {
  const x = stringify(a);
  const y = stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function text(node: Node): string {
  return String(node.meta?.value ?? node.type);
}

/** An unknown's text qualified by its module instance, so that `var.x` of two modules never compare equal. */
function qualifiedText(instance: ModuleInstance, source: string): string {
  return `${instance.address || "root"}@${instance.module.dir}:${source}`;
}

/** A bare object key (`{ a = 1 }`) is the string "a", not a variable named a. */
function bareKey(keySource: string): [string, Value][] {
  return /^[A-Za-z_][\w-]*$/.test(keySource) ? [[keySource, known(keySource)]] : [];
}
