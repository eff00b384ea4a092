import {
  alternatives,
  attempt,
  collapse,
  deepEqual,
  elementsOf,
  failure,
  isError,
  isPlainObject,
  known,
  lazy,
  MAX_OPTIONS,
  oneOf,
  compareStrings,
  textOf,
  toNumber,
  toStr,
  unknown,
  type Text,
  type Value,
} from "../values.js";
import { COLLECTIONS } from "./collections.js";
import { CONVERSIONS } from "./conversions.js";
import { DATA_DECODERS } from "./files.js";
import type { Fn } from "./fn.js";
import { NUMBERS } from "./numbers.js";
import { STRINGS } from "./strings.js";

export type { Fn } from "./fn.js";

// Functions, one file per family (as tflint keeps lang/funcs). Each takes fully known arguments
// (every combination of the alternatives is tried) and either returns Terraform's result or fails
// as Terraform would; STRUCTURAL handles the calls whose arguments are only partly known.

/** Functions that return (a value derived from) their first argument: a reference through them is still a reference. */
const PASS_THROUGH = new Set([
  "toset",
  "tolist",
  "tomap",
  "tostring",
  "lower",
  "upper",
  "trimspace",
  "one",
  "nonsensitive",
  "sensitive",
  "flatten",
  "distinct",
  "sort",
  "values",
  "keys",
]);

/** Every function keygate evaluates, by name. */
const FUNCTIONS: Record<string, Fn> = { ...CONVERSIONS, ...COLLECTIONS, ...STRINGS, ...NUMBERS, ...DATA_DECODERS };

/**
 * Evaluates a function call; arguments that are references pass through identity-preserving
 * functions. An undecided call's text is the function over its arguments' texts, so that the very
 * same call (however it is spaced, wrapped or commented) compares equal.
 */
export function callFunction(
  name: string,
  args: Value[],
  source: Text = lazy(() => `${name}(${args.map(textOf).join(", ")})`),
): Value {
  if (name === "try") return tryFunction(args, source);
  if (name === "can") return canFunction(args, source);
  if (args.some(isError)) return failure(source());
  const ref = args.find((a) => a.kind === "ref");
  if (
    ref &&
    (PASS_THROUGH.has(name) || name === "lookup" || name === "element" || name === "concat" || name === "coalesce")
  )
    return ref;
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
  length: ([x]) =>
    x?.kind === "tuple" ? known(x.items.length) : x?.kind === "object" ? known(x.entries.size) : undefined,
  keys: ([x]) => (x?.kind === "object" ? known([...x.entries.keys()].sort(compareStrings)) : undefined),
  values: ([x]) =>
    x?.kind === "object"
      ? collapse({ kind: "tuple", items: [...x.entries.keys()].sort(compareStrings).map((k) => x.entries.get(k)!) })
      : undefined,
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
    if (
      !args.some((a) => a.kind === "object") ||
      !args.every((a) => a.kind === "object" || (a.kind === "known" && (a.value === null || isPlainObject(a.value))))
    )
      return undefined;
    const entries = new Map<string, Value>();
    for (const a of args) {
      if (a.kind === "object") a.entries.forEach((v, k) => entries.set(k, v));
      else if (a.kind === "known" && isPlainObject(a.value))
        Object.entries(a.value).forEach(([k, v]) => entries.set(k, known(v)));
    }
    return collapse({ kind: "object", entries });
  },
  concat: (args) => {
    const parts = args.map(elementsOf);
    return parts.every((p) => p !== undefined) && args.some((a) => a.kind === "tuple")
      ? collapse({ kind: "tuple", items: parts.flat() })
      : undefined;
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
