/**
 * Source positions and comments for Terraform files: for the native syntax, from keygate's own
 * parser (hcl-parser.ts), for the JSON syntax from a walk over a `jsonc-parser` tree. Only valid
 * files are outlined (invalid ones are reported instead); a location is a nicety and never breaks
 * a run.
 */
import { parseTree, type Node } from "jsonc-parser";
import { parseHclFile } from "./hcl-parser.js";
import type { Comment as CommentPlace } from "./hcl-lexer.js";
import type { Body } from "./hcl-syntax.js";
import { LineIndex } from "./positions.js";

/** A 1-based line and column; columns count UTF-16 code units. */
export interface Position {
  line: number;
  column: number;
}

/** A range of text; `end` is just past the last character. */
export interface Span {
  start: Position;
  end: Position;
}

/** Where a top-level block, its header and its top-level attributes are. */
export interface BlockOutline {
  keyword: string;
  labels: string[];
  /** From the keyword to just past the opening `{`. */
  header: Span;
  /** From the keyword to just past the closing `}` (the end of the text when it is missing). */
  span: Span;
  /** Attributes directly in the block body: name -> span of `name = value`. */
  attributes: Record<string, Span>;
}

/** A comment, delimiters included in its range but not in its text. */
export interface Comment {
  start: Position;
  end: Position;
  style: "#" | "//" | "/*";
  text: string;
}

/** The top-level blocks and all comments of one file, in source order. */
export interface FileOutline {
  blocks: BlockOutline[];
  comments: Comment[];
}


// ---------------------------------------------------------------------------------------------
// Native syntax

/** Keeps the first of duplicate names; defines rather than assigns, so `__proto__` is just a name. */
function addAttribute(attributes: Record<string, Span>, name: string, span: () => Span): void {
  if (!Object.hasOwn(attributes, name)) {
    Object.defineProperty(attributes, name, { value: span(), enumerable: true, writable: true, configurable: true });
  }
}

/**
 * Outlines a native-syntax (`.tf`, `.tofu`) file, from keygate's parser: its top-level blocks and
 * every comment. A text that is not valid HCL has none (such a file is reported, not outlined).
 */
export function outlineHcl(text: string): FileOutline {
  const comments: CommentPlace[] = [];
  const body = parseHclFile(text, { comments, repeatedAttributes: true });
  return body ? outlineOfBody(text, body, comments) : { blocks: [], comments: [] };
}

/** The outline of a parsed file: its tree's top-level blocks, and the comments the lexer noted. */
export function outlineOfBody(text: string, body: Body, comments: readonly CommentPlace[]): FileOutline {
  const lines = new LineIndex(text);
  const blocks = body.blocks.map((block): BlockOutline => {
    const attributes: Record<string, Span> = {};
    for (const place of block.body.attributes) addAttribute(attributes, place.name, () => lines.span(place.start, place.end));
    return { keyword: block.type, labels: block.labels, header: lines.span(block.start, block.headerEnd), span: lines.span(block.start, block.end), attributes };
  });
  return {
    blocks,
    comments: comments.map(({ start, end, style }): Comment => {
      // A `#` or `//` comment ends before its line's CR; CRLF inside a block comment reads as LF.
      const stop = style !== "/*" && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
      const content = text.slice(start + style.length, style === "/*" ? stop - 2 : stop).replaceAll("\r\n", "\n").trim();
      return { ...lines.span(start, stop), style, text: content };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// JSON syntax

/** How many labels each top-level block type takes; JSON cannot show it, so it must be known. */
const JSON_BLOCK_LABELS = new Map<string, number>([
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

/** Outlines a JSON-syntax (`.tf.json`, `.tofu.json`) file; `"//"` properties are its comments. */
export function outlineTfJson(text: string): FileOutline {
  const lines = new LineIndex(text);
  const outline: FileOutline = { blocks: [], comments: [] };
  // A BOM is not JSON; a space of the same length keeps the offsets.
  const root = parseTree(text.replace(/^\uFEFF/, " "), [], { allowTrailingComma: true });
  if (root?.type !== "object") return outline; // Terraform requires an object at the root

  /** A `"//"` property is a comment where the property names are block types, labels or arguments. */
  const takeComment = (prop: Node, key: Node, value: Node): boolean => {
    if (key.value !== "//") return false;
    if (value.type === "string") {
      const { start, end } = lines.span(prop.offset, value.offset + value.length);
      outline.comments.push({ start, end, style: "//", text: String(value.value).trim() });
    }
    return true;
  };

  /** Walks the label levels under `key`; at the last one each object (or each array element) is a block. */
  const walk = (node: Node, keyword: string, labels: string[], labelsLeft: number, key: Node, first: boolean): void => {
    if (node.type === "array") {
      node.children?.forEach((element, n) => walk(element, keyword, labels, labelsLeft, key, first && n === 0));
      return;
    }
    if (node.type !== "object") return;
    const attributes: Record<string, Span> = {};
    for (const prop of node.children ?? []) {
      const [k, v] = prop.children ?? [];
      if (!k || !v || takeComment(prop, k, v)) continue;
      const name = String(k.value);
      if (labelsLeft > 0) walk(v, keyword, [...labels, name], labelsLeft - 1, k, true);
      else addAttribute(attributes, name, () => lines.span(prop.offset, v.offset + v.length));
    }
    if (labelsLeft > 0) return;
    // Later blocks of an array share the key with the first; each starts at its own `{` instead.
    const start = first ? key.offset : node.offset;
    outline.blocks.push({
      keyword,
      labels,
      header: lines.span(start, node.offset + 1),
      span: lines.span(start, node.offset + node.length),
      attributes,
    });
  };

  for (const prop of root.children ?? []) {
    const [key, value] = prop.children ?? [];
    if (!key || !value || takeComment(prop, key, value)) continue;
    const labelCount = JSON_BLOCK_LABELS.get(String(key.value));
    if (labelCount !== undefined) walk(value, String(key.value), [], labelCount, key, true);
  }
  return outline;
}
