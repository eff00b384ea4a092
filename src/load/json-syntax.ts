import { parseTree, type Node } from "jsonc-parser";
import { parseHclTemplate } from "./hcl-parser.js";
import { childrenOf, type Attribute, type Block, type Body, type Expression, type ObjectItem } from "./hcl-syntax.js";
import { LineIndex, type SyntaxProblem } from "./positions.js";

/**
 * Terraform's JSON syntax (`.tf.json`, `.tofu.json`, `.tfvars.json`) read into the same tree as
 * the native syntax (hcl-syntax.ts), as HCL's JSON syntax specification interprets it: a property
 * named after a block type nests its labels as objects (or arrays of objects), each innermost
 * object is a block body whose properties are attributes; in an expression, a string is a template
 * (`"${var.x}"`, `"deploy-${var.env}"`), an array a tuple, an object an object constructor whose
 * keys are templates too. `"//"` properties are comments. A repeated property declares more blocks
 * (HCL keeps them all); a repeated argument is an error, as in Terraform.
 */

/** How many labels each top-level block type of a Terraform configuration takes (JSON cannot show it). */
export const TERRAFORM_BLOCK_LABELS: ReadonlyMap<string, number> = new Map([
  ["resource", 2],
  ["data", 2],
  ["ephemeral", 2],
  ["module", 1],
  ["variable", 1],
  ["output", 1],
  ["provider", 1],
  ["check", 1],
  ["locals", 0],
  ["terraform", 0],
  ["moved", 0],
  ["import", 0],
  ["removed", 0],
]);

/** A JSON file's body, or its problems. */
export type JsonBodyResult = { ok: true; body: Body } | { ok: false; problems: SyntaxProblem[] };

/** A `"//"` property of a body: a comment, from its name to the end of its (string) value. */
export interface JsonComment {
  start: number;
  end: number;
  text: string;
}

/**
 * Reads JSON text that is known to be valid JSON (see terraform-syntax.ts's parseJson) into a body:
 * `blockLabels` names the block types (none: every property is an attribute, as in `.tfvars.json`).
 * With `ranges: false` every node's range is -1 (for JSON that stands for another text: hcl2json's).
 */
export function jsonBody(
  text: string,
  blockLabels: ReadonlyMap<string, number>,
  { ranges = true }: { ranges?: boolean } = {},
): JsonBodyResult {
  const read = readJsonBody(text, blockLabels, ranges);
  if (!read)
    return {
      ok: false,
      problems: [{ line: 1, column: 1, message: "Invalid Terraform JSON: the top level must be an object" }],
    };
  return read.problems.length ? { ok: false, problems: read.problems } : { ok: true, body: read.body };
}

/** The body of JSON text, its `"//"` comments and its problems; undefined when the top level is not an object. */
export function readJsonBody(
  text: string,
  blockLabels: ReadonlyMap<string, number>,
  ranges = true,
): { body: Body; comments: JsonComment[]; problems: SyntaxProblem[] } | undefined {
  // A BOM is not JSON; a space of the same length keeps the offsets.
  const root = parseTree(text.replace(/^\uFEFF/, " "), [], { disallowComments: true, allowTrailingComma: true });
  if (root?.type !== "object") return undefined;
  const reader = new JsonReader(text, ranges);
  const body = reader.topBody(root, blockLabels);
  return { body, comments: reader.comments.sort((a, b) => a.start - b.start), problems: reader.problems };
}

/** A JSON value as an expression (a string is a template), for values that stand apart from any file. */
export function jsonExpression(value: unknown): Expression {
  const text = JSON.stringify(value ?? null);
  const reader = new JsonReader(text, false);
  return reader.expression(parseTree(text)!);
}

class JsonReader {
  readonly problems: SyntaxProblem[] = [];
  readonly comments: JsonComment[] = [];
  private lines: LineIndex | undefined;

  constructor(
    private readonly text: string,
    private readonly ranges: boolean,
  ) {}

  topBody(root: Node, blockLabels: ReadonlyMap<string, number>): Body {
    const body: Body = { attributes: [], blocks: [] };
    const plain: Node[] = [];
    for (const property of root.children ?? []) {
      const [key, value] = property.children ?? [];
      if (!key || !value || this.comment(property, key, value)) continue;
      const labels = blockLabels.get(key.value as string);
      if (labels === undefined) plain.push(property);
      else this.blocks(value, key.value as string, [], labels, key, true, body.blocks);
    }
    body.attributes = this.attributes(plain);
    return body;
  }

  /** The blocks under a block type's property: `labelsLeft` levels of labels, then bodies (an array at any level holds several). */
  private blocks(
    node: Node,
    type: string,
    labels: string[],
    labelsLeft: number,
    key: Node,
    first: boolean,
    out: Block[],
  ): void {
    if (node.type === "array") {
      node.children?.forEach((element, n) =>
        this.blocks(element, type, labels, labelsLeft, key, first && n === 0, out),
      );
      return;
    }
    if (node.type !== "object") return;
    if (labelsLeft > 0) {
      for (const property of node.children ?? []) {
        const [k, v] = property.children ?? [];
        if (!k || !v || this.comment(property, k, v)) continue;
        this.blocks(v, type, [...labels, k.value as string], labelsLeft - 1, k, true, out);
      }
      return;
    }
    // Later blocks of an array share the key with the first; each starts at its own `{` instead.
    const start = first ? key.offset : node.offset;
    out.push({
      type,
      labels,
      body: { attributes: this.attributes(node.children ?? []), blocks: [] },
      start: this.at(start),
      headerEnd: this.at(node.offset + 1),
      end: this.at(node.offset + node.length),
    });
  }

  /** The attributes of an object's properties; a name given twice is an error unless every value is a block (then they are kept together). */
  private attributes(properties: readonly Node[]): Attribute[] {
    const attributes: Attribute[] = [];
    for (const { key, values, property } of this.grouped(properties, true)) {
      const value = values.length === 1 ? this.expression(values[0]!) : this.blockList(values);
      attributes.push({
        name: key.value as string,
        value,
        start: this.at(property.offset),
        end: this.at(property.offset + property.length),
      });
    }
    return attributes;
  }

  /** Properties by name, in order of first appearance; repeated names reported (see attributes). `"//"` is a comment in a body. */
  private grouped(properties: readonly Node[], body: boolean): { key: Node; values: Node[]; property: Node }[] {
    const byName = new Map<string, { key: Node; values: Node[]; property: Node; keys: Node[] }>();
    for (const property of properties) {
      const [key, value] = property.children ?? [];
      if (!key || !value || (body && this.comment(property, key, value))) continue;
      const name = key.value as string;
      const group = byName.get(name);
      if (group) {
        group.values.push(value);
        group.keys.push(key);
      } else byName.set(name, { key, values: [value], property, keys: [key] });
    }
    const groups = [...byName.values()];
    for (const group of groups) {
      if (group.key.value === "//") group.values.splice(0, group.values.length - 1);
      if (group.values.length === 1 || group.values.every(isBlockLike)) continue;
      this.lines ??= new LineIndex(this.text);
      const first = this.lines.position(group.keys[0]!.offset);
      this.problems.push({
        ...this.lines.position(group.keys[1]!.offset),
        message: `Duplicate argument: "${group.key.value as string}" was already set at line ${first.line}; each argument can be set only once (Terraform rejects this file too)`,
      });
      group.values.length = 1;
    }
    return groups;
  }

  /** Repeated properties that are all blocks, as one tuple of their bodies. */
  private blockList(values: readonly Node[]): Expression {
    const items = values.flatMap((v) => (v.type === "array" ? (v.children ?? []) : [v])).map((v) => this.expression(v));
    const first = values[0]!;
    const last = values[values.length - 1]!;
    return { kind: "tuple", items, start: this.at(first.offset), end: this.at(last.offset + last.length) };
  }

  expression(node: Node): Expression {
    const start = this.at(node.offset);
    const end = this.at(node.offset + node.length);
    switch (node.type) {
      case "string":
        return this.template(node, start, end);
      case "number":
        return {
          kind: "literal",
          value: node.value as number,
          text: this.text.slice(node.offset, node.offset + node.length),
          start,
          end,
        };
      case "boolean":
        return { kind: "literal", value: node.value as boolean, start, end };
      case "null":
        return { kind: "literal", value: null, start, end };
      case "array":
        return { kind: "tuple", items: (node.children ?? []).map((child) => this.expression(child)), start, end };
      default: {
        const items: ObjectItem[] = this.grouped(node.children ?? [], false).map(({ key, values }) => ({
          key: this.template(key, this.at(key.offset), this.at(key.offset + key.length)),
          value: values.length === 1 ? this.expression(values[0]!) : this.blockList(values),
          bare: false,
        }));
        return { kind: "object", items, start, end };
      }
    }
  }

  /** A string as the template it is in HCL's JSON syntax; its nodes' ranges fall in the string where no escape shifts them. */
  private template(node: Node, start: number, end: number): Expression {
    const value = node.value as string;
    if (!value.includes("${") && !value.includes("%{")) {
      const literal: Expression = {
        kind: "literal",
        value: value.normalize("NFC"),
        start: start < 0 ? start : start + 1,
        end: end < 0 ? end : end - 1,
      };
      return { kind: "template", parts: [literal], start, end };
    }
    const parsed = parseHclTemplate(value);
    if (!parsed) {
      this.lines ??= new LineIndex(this.text);
      this.problems.push({
        ...this.lines.position(node.offset),
        message:
          "Invalid template: this string holds a `${` or `%{` sequence that does not end or does not hold a valid expression; write `$${` for a literal `${` (Terraform rejects this file too)",
      });
      return { kind: "literal", value, start, end };
    }
    // Without escapes the string's content is the template's text, one offset further on.
    const exact = start >= 0 && this.text.slice(node.offset + 1, node.offset + node.length - 1) === value;
    relocate(
      parsed,
      exact
        ? (n) => ((n.start += node.offset + 1), (n.end += node.offset + 1))
        : (n) => ((n.start = start), (n.end = end)),
    );
    parsed.start = start;
    parsed.end = end;
    return parsed;
  }

  /** Notes a `"//"` property of a body as a comment; whether it is one. */
  private comment(property: Node, key: Node, value: Node): boolean {
    if (key.value !== "//") return false;
    if (value.type === "string")
      this.comments.push({
        start: property.offset,
        end: value.offset + value.length,
        text: String(value.value).trim(),
      });
    return true;
  }

  private at(offset: number): number {
    return this.ranges ? offset : -1;
  }
}

function isBlockLike(node: Node): boolean {
  return node.type === "object" || (node.type === "array" && (node.children ?? []).every((c) => c.type === "object"));
}

/** Applies `move` to every node of a tree, once each. */
function relocate(node: Expression, move: (node: Expression) => void): void {
  move(node);
  for (const child of childrenOf(node)) relocate(child, move);
}
