import { parseTree, visit, type Node } from "jsonc-parser";
import { LineIndex } from "./positions.js";
import type { SyntaxProblem } from "./terraform-syntax.js";

/**
 * Repeated properties in Terraform's JSON syntax. `JSON.parse` keeps the last of them; HCL's JSON
 * syntax keeps them all: a second `"resource"` (or type, or name) property declares more blocks,
 * as an array of objects would. A repeated argument (a property whose value is not a block) is an
 * error in Terraform ("Duplicate argument"), and here.
 */

/** Whether any object in the text repeats a property name (one pass, no tree built). */
export function hasRepeatedProperty(text: string): boolean {
  const stack: Set<string>[] = [];
  let repeated = false;
  visit(
    text,
    {
      onObjectBegin: () => {
        stack.push(new Set());
      },
      onObjectEnd: () => {
        stack.pop();
      },
      onObjectProperty: (name) => {
        const seen = stack[stack.length - 1];
        if (!seen) return;
        if (seen.has(name) && name !== "//") repeated = true;
        seen.add(name);
      },
    },
    { disallowComments: true },
  );
  return repeated;
}

/** The value of JSON text as HCL's JSON syntax reads it: repeated block properties kept, repeated arguments reported. */
export function valueKeepingRepeats(text: string): { value: unknown; problems: SyntaxProblem[] } {
  const lines = new LineIndex(text);
  const problems: SyntaxProblem[] = [];
  const isBlock = (node: Node) => node.type === "object" || (node.type === "array" && (node.children ?? []).every((c) => c.type === "object"));
  const build = (node: Node): unknown => {
    switch (node.type) {
      case "object": {
        const groups = new Map<string, Node[]>();
        const keys = new Map<string, Node[]>();
        for (const property of node.children ?? []) {
          const [key, value] = property.children ?? [];
          if (!key || !value) continue;
          const name = key.value as string;
          groups.set(name, [...(groups.get(name) ?? []), value]);
          keys.set(name, [...(keys.get(name) ?? []), key]);
        }
        const out: Record<string, unknown> = {};
        for (const [name, values] of groups) {
          if (values.length === 1 || name === "//") {
            out[name] = build(values[values.length - 1]!);
            continue;
          }
          if (values.every(isBlock)) {
            out[name] = values.flatMap((v) => {
              const built = build(v);
              return Array.isArray(built) ? built : [built];
            });
            continue;
          }
          const first = lines.position(keys.get(name)![0]!.offset);
          const second = keys.get(name)![1]!;
          problems.push({ ...lines.position(second.offset), message: `Duplicate argument: "${name}" was already set at line ${first.line}; each argument can be set only once (Terraform rejects this file too)` });
          out[name] = build(values[0]!);
        }
        return out;
      }
      case "array":
        return (node.children ?? []).map(build);
      default:
        return node.value;
    }
  };
  const root = parseTree(text, [], { disallowComments: true });
  return { value: root ? build(root) : undefined, problems };
}
