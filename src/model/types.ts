import { parseHclExpression, parseHclTemplate } from "../load/hcl-parser.js";
import { stringLiteral, unwrap, type Expression, type ObjectConsExpr } from "../load/hcl-syntax.js";

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
  /** `optional(type, DEFAULT)`'s default, when there is one. */
  default?: Expression;
}

const ANY: TypeConstraint = { kind: "any" };
const cache = new Map<string, TypeConstraint>();
const byNode = new WeakMap<Expression, TypeConstraint>();

/**
 * The type constraint of a variable's `type` argument: its expression (`bool`,
 * `object({a = optional(bool, true)})`), or a string holding one (JSON syntax and Terraform 0.11
 * write `"list(string)"`); `any` when it is absent or not understood (0.11's `"list"` and `"map"`
 * among them).
 */
export function parseTypeConstraint(raw: Expression | string | undefined): TypeConstraint {
  if (raw === undefined) return ANY;
  if (typeof raw === "string") {
    let type = cache.get(raw);
    if (!type) {
      // A string may also hold the type as a template, `"${bool}"`.
      const template = raw.includes("${") ? parseHclTemplate(raw) : undefined;
      const node = template ? unwrap(template) : parseHclExpression(raw);
      type = node && node.kind !== "template" ? typeOf(node) : ANY;
      cache.set(raw, type);
    }
    return type;
  }
  let type = byNode.get(raw);
  if (!type) {
    const text = stringLiteral(raw);
    type = text !== undefined ? parseTypeConstraint(text) : typeOf(raw);
    byNode.set(raw, type);
  }
  return type;
}

/** Whether values of this type are read literally from `-var` and `TF_VAR_*` (Terraform parses the others as HCL). */
export function isPrimitive(type: TypeConstraint | undefined): boolean {
  return type === undefined || type.kind === "string" || type.kind === "number" || type.kind === "bool";
}

function typeOf(node: Expression): TypeConstraint {
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
      return { kind: node.name, element: first ? typeOf(first) : ANY };
    case "tuple":
      return { kind: "tuple", elements: first?.kind === "tuple" ? first.items.map((item) => typeOf(item)) : [] };
    case "object":
      return first?.kind === "object" ? { kind: "object", attributes: objectAttributes(first) } : ANY;
    default:
      return ANY;
  }
}

/** The attributes of `object({…})`; a key is a bare name or a quoted string. */
function objectAttributes(node: ObjectConsExpr): Map<string, ObjectAttribute> {
  const attributes = new Map<string, ObjectAttribute>();
  for (const item of node.items) {
    const key = unwrap(item.key);
    const name =
      key.kind === "traversal" && key.steps.length === 0
        ? key.root
        : key.kind === "template" && key.parts.length === 1 && key.parts[0]!.kind === "literal"
          ? String(key.parts[0].value)
          : undefined;
    if (name === undefined) continue;
    const value = unwrap(item.value);
    if (value.kind === "call" && value.name === "optional") {
      const [typeNode, defaultNode] = value.args;
      attributes.set(name, {
        type: typeNode ? typeOf(typeNode) : ANY,
        optional: true,
        ...(defaultNode ? { default: defaultNode } : {}),
      });
    } else attributes.set(name, { type: typeOf(value), optional: false });
  }
  return attributes;
}
