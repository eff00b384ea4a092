/**
 * Source positions and comments for Terraform files: for the native syntax, from keygate's own
 * parser (hcl-parser.ts), for the JSON syntax from a walk over a `jsonc-parser` tree. Only valid
 * files are outlined (invalid ones are reported instead); a location is a nicety and never breaks
 * a run.
 */
import { parseHclFile } from "./hcl-parser.js";
import type { Comment as CommentPlace } from "./hcl-lexer.js";
import type { Body } from "./hcl-syntax.js";
import { readJsonBody, TERRAFORM_BLOCK_LABELS, type JsonComment } from "./json-syntax.js";
import { LineIndex, type Position, type Span } from "./positions.js";

export type { Position, Span } from "./positions.js";

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

/** The outline of a parsed file: its tree's top-level blocks, and the comments the lexer (or the JSON reader) noted. */
export function outlineOfBody(
  text: string,
  body: Body,
  comments: readonly (CommentPlace | JsonComment)[],
): FileOutline {
  const lines = new LineIndex(text);
  const blocks = body.blocks.map((block): BlockOutline => {
    const attributes: Record<string, Span> = {};
    for (const place of block.body.attributes)
      addAttribute(attributes, place.name, () => lines.span(place.start, place.end));
    return {
      keyword: block.type,
      labels: block.labels,
      header: lines.span(block.start, block.headerEnd),
      span: lines.span(block.start, block.end),
      attributes,
    };
  });
  return {
    blocks,
    comments: comments.map((place): Comment => {
      if ("text" in place) return { ...lines.span(place.start, place.end), style: "//", text: place.text };
      const { start, end, style } = place;
      // A `#` or `//` comment ends before its line's CR; CRLF inside a block comment reads as LF.
      const stop = style !== "/*" && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
      const content = text
        .slice(start + style.length, style === "/*" ? stop - 2 : stop)
        .replaceAll("\r\n", "\n")
        .trim();
      return { ...lines.span(start, stop), style, text: content };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// JSON syntax

/** Outlines a JSON-syntax (`.tf.json`, `.tofu.json`) file, from the same tree (see json-syntax.ts); `"//"` properties are its comments. */
export function outlineTfJson(text: string): FileOutline {
  const read = readJsonBody(text, TERRAFORM_BLOCK_LABELS);
  if (!read) return { blocks: [], comments: [] }; // Terraform requires an object at the root
  return outlineOfBody(text, read.body, read.comments);
}
