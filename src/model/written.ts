import { unwrap, type Expression } from "../load/hcl-syntax.js";
import { canonicalText } from "./canonical.js";
import type { Argument } from "./arguments.js";

/*
 * What an argument says without evaluation: a constant (Terraform requires one for a variable's
 * default and a tfvars value), an address (`moved`, `import`), or its text as written (the
 * undecided conditions a finding lists).
 */

/**
 * The value of an expression made of literals only (strings without interpolation, numbers,
 * booleans, null, and tuples and objects of them, `-1`, `!true`); undefined for anything that needs
 * evaluating.
 */
export function constantValue(node: Expression): { value: unknown } | undefined {
  switch (node.kind) {
    case "literal":
      return { value: node.value };
    case "wrap":
      return constantValue(node.wrapped);
    case "parens":
      return constantValue(node.inner);
    case "template": {
      let text = "";
      for (const part of node.parts) {
        if (part.kind !== "literal") return undefined;
        if (typeof part.value !== "string") return undefined;
        text += part.value;
      }
      return { value: text };
    }
    case "unary": {
      const operand = constantValue(node.operand);
      if (node.operator === "negate" && typeof operand?.value === "number") return { value: -operand.value };
      if (node.operator === "logicalNot" && typeof operand?.value === "boolean") return { value: !operand.value };
      return undefined;
    }
    case "tuple": {
      const items: unknown[] = [];
      for (const item of node.items) {
        const constant = constantValue(item);
        if (!constant) return undefined;
        items.push(constant.value);
      }
      return { value: items };
    }
    case "object": {
      const out: Record<string, unknown> = {};
      for (const item of node.items) {
        const key = item.bare && item.key.kind === "traversal" ? { value: item.key.root } : constantValue(item.key);
        const value = constantValue(item.value);
        if (!key || !value || (typeof key.value !== "string" && typeof key.value !== "number")) return undefined;
        Object.defineProperty(out, String(key.value), {
          value: value.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return { value: out };
    }
    default:
      return undefined;
  }
}

/** An expression's text as written (interpolation marks looked through), or its canonical text where it stands for no text. */
export function writtenText(arg: Argument): string {
  let node = arg.value;
  while (node.kind === "wrap") node = node.wrapped;
  if (node.start < 0) return canonicalText(node);
  return arg.text.slice(node.start, node.end).trim();
}

/**
 * An address written as a traversal (`aws_iam_user.a`, `module.m["k"].aws_iam_user.a`) or, as JSON
 * syntax writes it, as a plain string: its text; undefined when empty.
 */
export function writtenAddress(arg: Argument): string | undefined {
  const node = unwrap(arg.value);
  const literal = node.kind === "template" ? constantValue(node) : undefined;
  const text = typeof literal?.value === "string" ? literal.value.trim() : writtenText(arg);
  return text || undefined;
}
