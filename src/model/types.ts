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

interface Node {
  type: string;
  meta?: Record<string, unknown>;
  children?: Node[];
}

const ANY: TypeConstraint = { kind: "any" };
const cache = new Map<string, Promise<TypeConstraint>>();

/**
 * The type constraint of a variable's `type` argument as hcl2json gives it (`${bool}`,
 * `${object({a = optional(bool, true)})}`, or a plain `"list(string)"` from JSON syntax); `any`
 * when it is absent or not understood (Terraform 0.11's `"list"` and `"map"` among them). `parse`
 * turns expression source into hcl2json's syntax tree.
 */
export function parseTypeConstraint(raw: unknown, parse: (source: string) => Promise<unknown>): Promise<TypeConstraint> {
  if (typeof raw !== "string") return Promise.resolve(ANY);
  // HCL gives `${bool}`; Terraform JSON syntax and Terraform 0.11 give the type expression as a plain string.
  const interpolation = /^\$\{([\s\S]*)\}$/.exec(raw);
  const source = interpolation ? interpolation[1]! : raw;
  let parsed = cache.get(source);
  if (!parsed) {
    parsed = parse(source).then(
      (ast) => (ast ? typeOf(ast as Node) : ANY),
      () => ANY,
    );
    cache.set(source, parsed);
  }
  return parsed;
}

/** Whether values of this type are read literally from `-var` and `TF_VAR_*` (Terraform parses the others as HCL). */
export function isPrimitive(type: TypeConstraint | undefined): boolean {
  return type === undefined || type.kind === "string" || type.kind === "number" || type.kind === "bool";
}

function typeOf(node: Node): TypeConstraint {
  const children = node.children ?? [];
  if (node.type === "" && children.length === 1) return typeOf(children[0]!);
  if (node.type === "scopeTraversal") {
    const name = String(node.meta?.value ?? "");
    if (name === "string" || name === "number" || name === "bool") return { kind: name };
    return ANY;
  }
  if (node.type !== "function") return ANY;
  const name = String(node.meta?.name ?? "");
  const [first] = children;
  switch (name) {
    case "list":
    case "set":
    case "map":
      return { kind: name, element: first ? typeOf(first) : ANY };
    case "tuple":
      return { kind: "tuple", elements: first?.type === "tuple" ? (first.children ?? []).map(typeOf) : [] };
    case "object":
      return first?.type === "object" ? { kind: "object", attributes: objectAttributes(first) } : ANY;
    default:
      return ANY;
  }
}

/**
 * The attributes of `object({…})`. hcl2json gives the items as a map from key source to value
 * source (keys sorted) and the children as key and value nodes in source order; values are matched
 * to keys by their source text, and attributes with the same value text have the same type anyway.
 */
function objectAttributes(node: Node): Map<string, ObjectAttribute> {
  const attributes = new Map<string, ObjectAttribute>();
  const keysByValue = new Map<string, string[]>();
  for (const [key, value] of Object.entries((node.meta?.items ?? {}) as Record<string, string>)) keysByValue.set(value, [...(keysByValue.get(value) ?? []), key]);
  const children = node.children ?? [];
  for (let i = 1; i < children.length; i += 2) {
    const valueNode = children[i]!;
    const key = keysByValue.get(String(valueNode.meta?.value ?? ""))?.shift();
    if (key === undefined) continue;
    const name = key.replace(/^"(.*)"$/, "$1");
    if (valueNode.type === "function" && valueNode.meta?.name === "optional") {
      const [typeNode, defaultNode] = valueNode.children ?? [];
      attributes.set(name, {
        type: typeNode ? typeOf(typeNode) : ANY,
        optional: true,
        ...(defaultNode ? { defaultSource: String(defaultNode.meta?.value ?? sourceOfLiteral(defaultNode)) } : {}),
      });
    } else attributes.set(name, { type: typeOf(valueNode), optional: false });
  }
  return attributes;
}

function sourceOfLiteral(node: Node): string {
  if (node.type === "literalValue") {
    const value = String(node.meta?.value ?? "");
    return node.meta?.type === "string" ? JSON.stringify(value) : value;
  }
  return "null";
}
