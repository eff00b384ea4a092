import { bool, compareStrings, fail, list, map, num, str, toStr } from "../values.js";
import type { Fn } from "./fn.js";

/** Type conversions (`toset`, `tostring`, …) and `sensitive` / `nonsensitive`. Each takes known arguments and returns Terraform's result or fails as Terraform does. */
export const CONVERSIONS: Record<string, Fn> = {
  toset: ([x]) => toSet(list(x)),
  tolist: ([x]) => (x === null ? null : unify(list(x))),
  tomap: ([x]) => (x === null ? null : map(x)),
  tostring: ([x]) => (x === null ? null : str(x)),
  tonumber: ([x]) => (x === null ? null : num(x)),
  tobool: ([x]) => (x === null ? null : bool(x)),
  sensitive: ([x]) => x,
  nonsensitive: ([x]) => x,
};

/** toset: duplicates removed, elements of mixed primitive types converted to strings, in Terraform's order. */
export function toSet(items: unknown[]): unknown[] {
  if (items.some((v) => v === null)) fail("sets cannot contain null");
  const unified = unify(items);
  const unique = [...new Map(unified.map((v) => [JSON.stringify(v), v])).values()];
  // cty orders strings lexically, numbers numerically, false before true.
  return unique.sort((a, b) =>
    typeof a === "number" && typeof b === "number"
      ? a - b
      : typeof a === "boolean" && typeof b === "boolean"
        ? Number(a) - Number(b)
        : compareStrings(JSON.stringify(a), JSON.stringify(b)),
  );
}

/** Elements of mixed primitive types become strings (Terraform's "most general type"). */
export function unify(items: unknown[]): unknown[] {
  const types = new Set(items.filter((v) => v !== null).map((v) => typeof v));
  if (types.size > 1 && [...types].every((t) => t === "string" || t === "number" || t === "boolean"))
    return items.map((v) => (v === null ? null : toStr(v)));
  return items;
}
