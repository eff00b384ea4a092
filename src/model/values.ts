import type { ModuleInstance } from "./configuration.js";
import type { Resource } from "./module.js";

/*
 * Values of static evaluation (what keygate knows about an expression's value) and Terraform's
 * conversions between them; shared by the evaluator (expressions.ts), the operators and the
 * function families (functions/).
 */

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

export const MAX_OPTIONS = 256;
export const MAX_DEPTH = 64;

/** The (key, value) pairs of a collection value when they are enumerable, else undefined. */
export function entriesOf(value: Value): [Value, Value][] | undefined {
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

/*
 * An unknown's text names its module instance and directory (so that `var.x` of two modules never
 * compare equal) between two marks, left out when the text is shown: a message says `var.x` in the
 * root module and `module.app.var.x` in another, never the directory of a checkout.
 */
const MARK = "\u0001";
const END = "\u0002";
const QUALIFIED = new RegExp(`${MARK}([^${MARK}]*)${MARK}[^${END}]*${END}`, "g");

/** An unknown's text qualified by its module instance (`address`, "" for the root) and the module's directory. */
export function qualifiedText(address: string, dir: string, source: string): string {
  return `${MARK}${address || "root"}${MARK}${dir}${END}${source}`;
}

/** An unknown's text as a message shows it: `var.x` in the root module, `module.app.var.x` elsewhere. */
export function shownText(text: string): string {
  return text.replace(QUALIFIED, (_, address: string) => (address === "root" ? "" : `${address}.`));
}

/** A text computed when first asked for: most evaluations never need theirs. */
export type Text = () => string;

export function lazy(compute: () => string): Text {
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
export function collapse(value: Value): Value {
  if (value.kind === "tuple" && value.items.every((i) => i.kind === "known")) {
    return known(value.items.map((i) => (i as { value: unknown }).value));
  }
  if (value.kind === "object" && [...value.entries.values()].every((v) => v.kind === "known")) {
    return known(Object.fromEntries([...value.entries].map(([k, v]) => [k, (v as { value: unknown }).value])));
  }
  return value;
}

/** The elements of a list-like value (for `f(list...)`), or undefined when they cannot be told. */
export function elementsOf(value: Value): Value[] | undefined {
  if (value.kind === "known" && Array.isArray(value.value)) return value.value.map(known);
  if (value.kind === "tuple") return value.items;
  return undefined;
}

/** A condition's decision: true/false when every alternative agrees, "error" when it cannot be a bool, undefined otherwise. */
export function decideBool(value: Value): boolean | "error" | undefined {
  if (isError(value)) return "error";
  const options = alternatives(value);
  if (!options.every((o) => o.kind === "known")) return undefined;
  const bools = options.map((o) => toBool((o as { value: unknown }).value));
  if (bools.some((b) => b === undefined)) return bools.every((b) => b === undefined) ? "error" : undefined;
  return bools.every((b) => b === bools[0]) ? bools[0] : undefined;
}

export class EvaluationError extends Error {}

/** Raises a Terraform evaluation error (a function refusing its arguments, an impossible conversion). */
export function fail(message: string): never {
  throw new EvaluationError(message);
}

/** The known result of a computation, or an error value if Terraform would fail it. */
export function attempt(compute: () => unknown, source: Text): Value {
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

export function bool(value: unknown): boolean {
  return toBool(value) ?? fail(`${JSON.stringify(value)} is not a bool`);
}

export function num(value: unknown): number {
  return toNumber(value) ?? fail(`${JSON.stringify(value)} is not a number`);
}

export function str(value: unknown): string {
  return toStr(value) ?? fail(`${JSON.stringify(value)} is not a string`);
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : fail(`${JSON.stringify(value)} is not a list`);
}

export function map(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : fail(`${JSON.stringify(value)} is not a map`);
}

export function integer(value: unknown): number {
  const n = num(value);
  return Number.isInteger(n) ? n : fail(`${n} is not a whole number`);
}

/** 1e21 → "1000000000000000000000", 1e-7 → "0.0000001": Terraform writes numbers in full. */
export function numberToString(n: number): string {
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

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
