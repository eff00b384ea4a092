import { parseHclExpression, parseHclTemplate } from "../load/hcl-parser.js";
import { unwrap, type Expression, type ObjectConsExpr } from "../load/hcl-syntax.js";

/**
 * A variable's type constraint (`type = …`), as far as conversion of known values needs it:
 * primitive types convert strings from `-var` / `TF_VAR_*` (`"true"` → `true`), and object types
 * fill in their `optional(type, default)` attributes, as Terraform does before a module sees a value.
 */
export type TypeConstraint =
  | { kind: "any" }
  | { kind: "string" | "number" | "bool" }
  | { kind: "list" | "set" | "map"; element: TypeConstraint }
  | { kind: "tuple"; elements: TypeConstraint[] }
  | { kind: "object"; attributes: Map<string, ObjectAttribute> };

/** One attribute of an object type. */
export interface ObjectAttribute {
  type: TypeConstraint;
  optional: boolean;
  /** The HCL source of `optional(type, DEFAULT)`'s default, when there is one. */
  defaultSource?: string;
}

const ANY: TypeConstraint = { kind: "any" };
const cache = new Map<string, TypeConstraint>();

/**
 * The type constraint of a variable's `type` argument as hcl2json gives it (`${bool}`,
 * `${object({a = optional(bool, true)})}`, or a plain `"list(string)"` from JSON syntax); `any`
 * when it is absent or not understood (Terraform 0.11's `"list"` and `"map"` among them).
 */
export function parseTypeConstraint(raw: unknown): TypeConstraint {
  if (typeof raw !== "string") return ANY;
  let type = cache.get(raw);
  if (!type) {
    // HCL gives `${bool}`; Terraform JSON syntax and Terraform 0.11 give the type expression as a plain string.
    const template = raw.includes("${") ? parseHclTemplate(raw) : undefined;
    const node = template ? unwrap(template) : parseHclExpression(raw);
    type = node && node.kind !== "template" ? typeOf(node, raw) : ANY;
    cache.set(raw, type);
  }
  return type;
}

/** Whether values of this type are read literally from `-var` and `TF_VAR_*` (Terraform parses the others as HCL). */
export function isPrimitive(type: TypeConstraint | undefined): boolean {
  return type === undefined || type.kind === "string" || type.kind === "number" || type.kind === "bool";
}

function typeOf(node: Expression, source: string): TypeConstraint {
  node = unwrap(node);
  if (node.kind === "traversal") {
    if (node.steps.length > 0) return ANY;
    const name = node.root;
    if (name === "string" || name === "number" || name === "bool") return { kind: name };
    return ANY;
  }
  if (node.kind !== "call") return ANY;
  const first = node.args[0] ? unwrap(node.args[0]) : undefined;
  switch (node.name) {
    case "list":
    case "set":
    case "map":
      return { kind: node.name, element: first ? typeOf(first, source) : ANY };
    case "tuple":
      return { kind: "tuple", elements: first?.kind === "tuple" ? first.items.map((item) => typeOf(item, source)) : [] };
    case "object":
      return first?.kind === "object" ? { kind: "object", attributes: objectAttributes(first, source) } : ANY;
    default:
      return ANY;
  }
}

/** The attributes of `object({…})`; a key is a bare name or a quoted string. */
function objectAttributes(node: ObjectConsExpr, source: string): Map<string, ObjectAttribute> {
  const attributes = new Map<string, ObjectAttribute>();
  for (const item of node.items) {
    const key = unwrap(item.key);
    const name = key.kind === "traversal" && key.steps.length === 0 ? key.root : key.kind === "template" && key.parts.length === 1 && key.parts[0]!.kind === "literal" ? String(key.parts[0]!.value) : undefined;
    if (name === undefined) continue;
    const value = unwrap(item.value);
    if (value.kind === "call" && value.name === "optional") {
      const [typeNode, defaultNode] = value.args;
      attributes.set(name, {
        type: typeNode ? typeOf(typeNode, source) : ANY,
        optional: true,
        ...(defaultNode ? { defaultSource: source.slice(defaultNode.start, defaultNode.end) } : {}),
      });
    } else attributes.set(name, { type: typeOf(value, source), optional: false });
  }
  return attributes;
}
