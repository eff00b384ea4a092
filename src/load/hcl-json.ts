import type { Body, Expression, LiteralExpr, TemplateExpr } from "./hcl-syntax.js";
import { decline } from "./hcl-lexer.js";
import { parseHclFile } from "./hcl-parser.js";

/**
 * keygate's syntax tree in `@cdktf/hcl2json`'s JSON shape (tmccombs/hcl2json's converter), for the
 * differential tests only: they hold the tree, so converted, to hcl2json's own output. Where
 * hcl2json's conversion fails or its output cannot be reproduced exactly, this declines. Nothing
 * on a scan's path reads this shape.
 */

/** A file as hcl2json's `parse()` returns it: blocks nested by labels, expressions as `${…}` strings. */
export type Hcl2JsonBody = Record<string, unknown>;

/**
 * Parses HCL native syntax with keygate's parser into exactly the value hcl2json's `parse()`
 * returns, or `undefined` when the parser declines the text or hcl2json's conversion would fail.
 */
export function parseHclNative(text: string): Hcl2JsonBody | undefined {
  // hcl2json is left the files that start with a byte order mark.
  const body = text.charCodeAt(0) === 0xfeff ? undefined : parseHclFile(text);
  if (body === undefined) return undefined;
  try {
    return new JsonConverter(text).convertBody(body);
  } catch {
    return undefined;
  }
}

/** hcl2json re-escapes template sequences in literal text so that its output stays a template. */
function escapeLiteral(s: string): string {
  if (s.indexOf("{") < 0) return s;
  // (split/join: in a replaceAll replacement string "$$" would mean a single "$")
  return s.split("${").join("$${").split("%{").join("%%{");
}

/** Byte-wise order of the UTF-8 encodings: the order Go's encoding/json writes map keys in. */
function goLess(a: string, b: string): boolean {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (code points above U+FFFF) sort after U+E000–U+FFFF in UTF-8.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y;
  }
  return a.length < b.length;
}

/** Sorts parallel key/value arrays in place by key, stably (they are small: one body or object). */
function sortEntries(keys: string[], values: unknown[]): void {
  if (keys.length > 32) {
    const order = keys.map((_, i) => i);
    order.sort((i, j) => (goLess(keys[i]!, keys[j]!) ? -1 : goLess(keys[j]!, keys[i]!) ? 1 : i - j));
    const sortedKeys = order.map((i) => keys[i]!);
    const sortedValues = order.map((i) => values[i]);
    for (let i = 0; i < keys.length; i++) {
      keys[i] = sortedKeys[i]!;
      values[i] = sortedValues[i];
    }
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    const value = values[i];
    let j = i - 1;
    while (j >= 0 && goLess(key, keys[j]!)) {
      keys[j + 1] = keys[j]!;
      values[j + 1] = values[j];
      j--;
    }
    keys[j + 1] = key;
    values[j + 1] = value;
  }
}

/** A Go map as JSON.parse would hand it over: keys inserted in Go's order, the last value winning. */
function goObject(keys: string[], values: unknown[]): Record<string, unknown> {
  sortEntries(keys, values);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === "__proto__") decline();
    out[key] = values[i];
  }
  return out;
}

/** The nested label maps of a body's blocks, as objects. */
function objectFromMap(map: Map<string, unknown>): Record<string, unknown> {
  const keys: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of map) {
    keys.push(key);
    values.push(value instanceof Map ? objectFromMap(value as Map<string, unknown>) : value);
  }
  return goObject(keys, values);
}

/** The text Go's big.Float.Text('f', -1) prints for a plain decimal literal. */
function normalizeDecimal(src: string): string {
  let start = 0;
  while (start < src.length - 1 && src.charCodeAt(start) === 0x30 && src.charCodeAt(start + 1) !== 0x2e) start++;
  let end = src.length;
  if (src.indexOf(".") >= 0) {
    while (src.charCodeAt(end - 1) === 0x30) end--;
    if (src.charCodeAt(end - 1) === 0x2e) end--;
  }
  return start === 0 && end === src.length ? src : src.slice(start, end);
}

/** A block as hcl2json nests it: type, labels, converted body. */
interface BlockEntry {
  type: string;
  labels: string[];
  body: Record<string, unknown>;
}

/** Converts the nodes of one text (node ranges are offsets into it). */
class JsonConverter {
  constructor(
    private readonly src: string,
    private readonly len = src.length,
  ) {}

  convertBody(body: Body): Record<string, unknown> {
    const names = body.attributes.map((a) => a.name);
    const values = body.attributes.map((a) => this.convertExpression(a.value));
    const blocks = body.blocks.map((b): BlockEntry => ({
      type: b.type,
      labels: b.labels,
      body: this.convertBody(b.body),
    }));
    return this.assembleBody(names, values, blocks);
  }

  /** tmccombs/hcl2json's convertBody: blocks nest by labels first, then attributes overwrite. */
  assembleBody(attrNames: string[], attrValues: unknown[], blocks: BlockEntry[]): Record<string, unknown> {
    sortEntries(attrNames, attrValues);
    for (let i = 1; i < attrNames.length; i++) if (attrNames[i] === attrNames[i - 1]) decline(); // "Attribute redefined"
    if (blocks.length === 0) return goObject(attrNames, attrValues);
    const byType = new Map<string, unknown>();
    for (const block of blocks) {
      let level = byType;
      let key = block.type;
      for (const label of block.labels) {
        const existing = level.get(key);
        if (existing === undefined) {
          const created = new Map<string, unknown>();
          level.set(key, created);
          level = created;
        } else if (existing instanceof Map) {
          level = existing as Map<string, unknown>;
        } else {
          decline(); // hcl2json: "Unable to convert Block to JSON"
        }
        key = label;
      }
      const existing = level.get(key);
      if (existing === undefined) level.set(key, [block.body]);
      else if (Array.isArray(existing)) existing.push(block.body);
      else decline(); // hcl2json: "cannot have blocks with and without labels"
    }
    if (attrNames.length === 0) return objectFromMap(byType);
    // Merge the block types with the (sorted) attributes; an attribute replaces a block of its name.
    for (const name of attrNames) byType.delete(name);
    const keys: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of byType) {
      keys.push(key);
      values.push(value instanceof Map ? objectFromMap(value as Map<string, unknown>) : value);
    }
    keys.push(...attrNames);
    values.push(...attrValues);
    return goObject(keys, values);
  }

  private source(node: Expression): string {
    let end = node.end;
    // hcl2json's rangeSource includes a ")" right after the range, for old hclsyntax ranges.
    if (end < this.len && this.src.charCodeAt(end) === 0x29) end++;
    return this.src.slice(node.start, end);
  }

  private wrap(node: Expression): string {
    return "${" + this.source(node) + "}";
  }

  convertExpression(node: Expression): unknown {
    switch (node.kind) {
      case "literal":
        return typeof node.value === "number" ? jsonNumber(node) : node.value;
      case "template": {
        const text = this.convertTemplate(node);
        return text === undefined ? decline() : text;
      }
      case "wrap":
        return this.convertExpression(node.wrapped);
      case "tuple":
        return node.items.map((item) => this.convertExpression(item));
      case "object": {
        const names: string[] = [];
        const converted: unknown[] = [];
        for (const { key, value } of node.items) {
          names.push(key.kind === "traversal" ? this.source(key) : (this.convertStringPart(key) ?? decline()));
          converted.push(this.convertExpression(value));
        }
        return goObject(names, converted); // a repeated key keeps its last value
      }
      case "unary": {
        const operand = node.operand;
        if (operand.kind !== "literal") return this.wrap(node);
        if (typeof operand.value === "number") {
          if (node.operator !== "negate") decline(); // hcl2json fails on !<number>
          return -jsonNumber(operand);
        }
        if (typeof operand.value === "boolean") {
          if (node.operator !== "logicalNot") decline(); // hcl2json fails on -<bool>
          return !operand.value;
        }
        return decline(); // hcl2json fails on -null and !null
      }
      default:
        return this.wrap(node);
    }
  }

  /**
   * A template as hcl2json writes it; undefined where hcl2json's conversion fails: a template that
   * is a single literal is evaluated, and a lone `${null}` cannot be.
   */
  private convertTemplate(node: TemplateExpr): string | undefined {
    const parts = node.parts;
    if (parts.length === 1 && parts[0]!.kind === "literal") {
      const value = parts[0].value;
      if (typeof value === "string") return escapeLiteral(value);
      if (value === null) return undefined;
    }
    let out = "";
    for (const part of parts) {
      const text = this.convertStringPart(part);
      if (text === undefined) return undefined;
      out += text;
    }
    return out;
  }

  private convertStringPart(node: Expression): string | undefined {
    switch (node.kind) {
      case "literal": {
        const value = node.value;
        if (typeof value === "string") return escapeLiteral(value);
        if (typeof value === "number") return normalizeDecimal(plainNumberText(node));
        return value === null ? "null" : value ? "true" : "false";
      }
      case "template":
        return this.convertTemplate(node);
      case "wrap":
        return this.convertStringPart(node.wrapped);
      case "conditional":
      case "templateIf": {
        // hcl2json drops the whole directive when its first branch fails, and an else branch that fails.
        const whenTrue = this.convertStringPart(node.then);
        if (whenTrue === undefined) return "";
        const whenFalse = this.convertStringPart(node.else) ?? "";
        return (
          "%{if " +
          this.source(node.condition) +
          "}" +
          whenTrue +
          (whenFalse.length > 0 ? "%{else}" + whenFalse : "") +
          "%{endif}"
        );
      }
      case "templateFor": {
        const body = this.convertStringPart(node.body);
        if (body === undefined) decline(); // hcl2json fails on the whole file
        return (
          "%{for " +
          (node.keyVar !== undefined ? node.keyVar + ", " : "") +
          node.valueVar +
          " in " +
          this.source(node.collection) +
          "}" +
          body +
          "%{endfor}"
        );
      }
      default:
        return this.wrap(node);
    }
  }
}

/** The number a literal stands for in hcl2json's JSON (exponents are left to hcl2json's big floats). */
function jsonNumber(node: LiteralExpr): number {
  return Number(plainNumberText(node));
}

function plainNumberText(node: LiteralExpr): string {
  const text = node.text ?? String(node.value);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x65 || c === 0x45) decline();
  }
  return text;
}
