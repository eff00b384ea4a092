import { bool, compareStrings, deepEqual, fail, integer, list, map, MAX_OPTIONS, num, str } from "../values.js";
import { graphemesOf } from "./strings.js";
import type { Fn } from "./fn.js";

/** Collection functions (`length`, `lookup`, `merge`, `element`, …). Each takes known arguments and returns Terraform's result or fails as Terraform does. */
export const COLLECTIONS: Record<string, Fn> = {
  length: ([x]) =>
    typeof x === "string" ? graphemesOf(x).length : Array.isArray(x) ? x.length : Object.keys(map(x)).length,
  keys: ([x]) => Object.keys(map(x)).sort(compareStrings),
  values: ([x]) => {
    const m = map(x);
    return Object.keys(m)
      .sort(compareStrings)
      .map((k) => m[k]);
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
  merge: (args) => Object.assign({}, ...args.filter((a) => a !== null).map(map)) as Record<string, unknown>,
  flatten: ([x]) => flattenList(list(x)),
  distinct: ([x]) => list(x).filter((v, i, all) => all.findIndex((w) => deepEqual(v, w)) === i),
  element: ([l, i]) => {
    const items = list(l);
    if (items.length === 0) fail("cannot use element function with an empty list");
    const n = integer(i);
    // Wraps around, in both directions (Terraform 1.10+ and OpenTofu accept negative indices).
    return items[((n % items.length) + items.length) % items.length];
  },
  one: ([x]) => {
    if (x === null) return null;
    const items = list(x);
    return items.length <= 1
      ? (items[0] ?? null)
      : fail("must be a list, set, or tuple value with either zero or one elements");
  },
  alltrue: ([x]) => list(x).every((v) => bool(v)),
  anytrue: ([x]) => list(x).some((v) => bool(v)),
  range: (args) => range(args.map(num)),
  zipmap: ([k, v]) => {
    const [ks, vs] = [list(k).map(str), list(v)];
    return ks.length === vs.length
      ? Object.fromEntries(ks.map((key, i) => [key, vs[i]]))
      : fail("number of keys and values must match");
  },
  sort: ([x]) =>
    list(x)
      .map((v) => (v === null ? fail("sort of a null element") : str(v)))
      .sort(compareStrings),
};

function flattenList(items: unknown[]): unknown[] {
  return items.flatMap((v) => (Array.isArray(v) ? flattenList(v) : [v]));
}

function range(args: number[]): number[] {
  const [a, b, step] =
    args.length === 1 ? [0, args[0]!, 1] : [args[0]!, args[1]!, args[2] ?? (args[1]! < args[0]! ? -1 : 1)];
  if (step === 0) fail("step must not be zero");
  if (Math.abs((b - a) / step) > MAX_OPTIONS) fail("range too large");
  const out: number[] = [];
  for (let x = a; step > 0 ? x < b : x > b; x += step) out.push(x);
  return out;
}
