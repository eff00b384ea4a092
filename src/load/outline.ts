/**
 * Source positions and comments for Terraform files. `@cdktf/hcl2json` gives neither, so this
 * scans the raw text: a small lexer for the native syntax, a walk over a `jsonc-parser` tree for
 * the JSON syntax. Input is expected to be valid already; on anything else the scan still ends
 * and returns what it found, because a location is a nicety and must never break a run.
 */
import { parseTree, type Node } from "jsonc-parser";
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

/** What the outline needs to tell apart; a quoted string or a heredoc is one token. */
interface Token {
  kind: "ident" | "string" | "heredoc" | "newline" | "punct";
  start: number;
  end: number;
  text: string;
}

/** Where the scan is inside a template: the stack of these replaces recursion, so deep nesting cannot overflow. */
type Frame = { kind: "string" } | { kind: "heredoc"; marker: string } | { kind: "interp"; depth: number };

const IDENT = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
const HEREDOC_OPENING = /<<-?([\p{ID_Start}_][\p{ID_Continue}-]*)\r?\n/uy;
// Kept whole so that a lone `=` is always an assignment.
const TWO_CHAR_OPERATORS = new Set(["==", "!=", "<=", ">=", "=>"]);

class HclLexer {
  readonly comments: Comment[] = [];
  private pos: number;

  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
  ) {
    this.pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  tokenize(): Token[] {
    const tokens: Token[] = [];
    for (let t = this.next(); t; t = this.next()) tokens.push(t);
    return tokens;
  }

  private next(): Token | undefined {
    const s = this.text;
    while (this.pos < s.length) {
      const start = this.pos;
      const c = s[start];
      if (c === " " || c === "\t" || c === "\r") {
        this.pos++;
        continue;
      }
      const commentEnd = this.comment(start);
      if (commentEnd > start) {
        this.pos = commentEnd;
        continue;
      }
      const [kind, end] = this.scanToken(start);
      this.pos = end;
      return { kind, start, end: this.pos, text: s.slice(start, this.pos) };
    }
    return undefined;
  }

  /** The kind and end of the token at `start`. */
  private scanToken(start: number): [Token["kind"], number] {
    const s = this.text;
    const c = s[start];
    if (c === "\n") return ["newline", start + 1];
    if (c === '"') return ["string", this.skipTemplate(start + 1, { kind: "string" })];
    const heredoc = this.heredocOpening(start);
    if (heredoc) return ["heredoc", this.skipTemplate(heredoc.bodyStart, heredoc.frame)];
    IDENT.lastIndex = start;
    if (IDENT.test(s)) return ["ident", IDENT.lastIndex];
    return ["punct", start + (TWO_CHAR_OPERATORS.has(s.slice(start, start + 2)) ? 2 : 1)];
  }

  /** Records the comment starting at `start`, if any; returns the offset just past it (or `start`). */
  private comment(start: number): number {
    const s = this.text;
    let style: Comment["style"];
    let bodyEnd: number;
    let end: number;
    if (s[start] === "#" || s.startsWith("//", start)) {
      style = s[start] === "#" ? "#" : "//";
      end = s.indexOf("\n", start);
      if (end < 0) end = s.length;
      if (s[end - 1] === "\r") end--;
      bodyEnd = end;
    } else if (s.startsWith("/*", start)) {
      style = "/*";
      const close = s.indexOf("*/", start + 2);
      bodyEnd = close < 0 ? s.length : close;
      end = close < 0 ? s.length : close + 2;
    } else {
      return start;
    }
    const { start: from, end: to } = this.lines.span(start, end);
    // CRLF inside a block comment reads as LF, so a comment's text does not depend on the checkout.
    const text = s.slice(start + style.length, bodyEnd).replaceAll("\r\n", "\n").trim();
    this.comments.push({ start: from, end: to, style, text });
    return end;
  }

  /** A heredoc's `<<EOF` / `<<-EOF` line; both forms allow the closing marker to be indented. */
  private heredocOpening(start: number): { frame: Frame; bodyStart: number } | undefined {
    if (this.text[start] !== "<") return undefined;
    HEREDOC_OPENING.lastIndex = start;
    const m = HEREDOC_OPENING.exec(this.text);
    return m ? { frame: { kind: "heredoc", marker: m[1]! }, bodyStart: HEREDOC_OPENING.lastIndex } : undefined;
  }

  /** Skips the rest of a quoted string or heredoc, templates and all; returns the offset just past it. */
  private skipTemplate(pos: number, outer: Frame): number {
    const s = this.text;
    const stack: Frame[] = [outer];
    while (stack.length > 0 && pos < s.length) {
      const frame = stack[stack.length - 1]!;
      const c = s[pos];
      if (frame.kind === "interp") {
        // Inside `${ }` / `%{ }` is ordinary code: comments, strings, heredocs, braces.
        const commentEnd = this.comment(pos);
        const heredoc = this.heredocOpening(pos);
        if (commentEnd > pos) {
          pos = commentEnd;
        } else if (c === '"') {
          stack.push({ kind: "string" });
          pos++;
        } else if (heredoc) {
          stack.push(heredoc.frame);
          pos = heredoc.bodyStart;
        } else {
          if (c === "{") frame.depth++;
          else if (c === "}" && frame.depth-- === 0) stack.pop();
          pos++;
        }
        continue;
      }
      if (frame.kind === "heredoc" && s[pos - 1] === "\n") {
        const close = this.closingMarkerEnd(pos, frame.marker);
        if (close >= 0) {
          stack.pop();
          pos = close;
          continue;
        }
      }
      if ((c === "$" || c === "%") && s[pos + 1] === c && s[pos + 2] === "{") {
        pos += 3; // `$${` and `%%{` are literal text
      } else if ((c === "$" || c === "%") && s[pos + 1] === "{") {
        stack.push({ kind: "interp", depth: 0 });
        pos += 2;
      } else if (frame.kind === "string" && c === "\\") {
        pos += 2; // heredocs have no backslash escapes
      } else if (frame.kind === "string" && c === "\n") {
        stack.pop(); // a quoted string cannot span lines; leave the newline to the caller
      } else {
        if (frame.kind === "string" && c === '"') stack.pop();
        pos++;
      }
    }
    return Math.min(pos, s.length);
  }

  /** If the line at `lineStart` is the heredoc's closing marker, the offset just past the marker; else -1. */
  private closingMarkerEnd(lineStart: number, marker: string): number {
    const s = this.text;
    let p = lineStart;
    while (s[p] === " " || s[p] === "\t") p++;
    if (!s.startsWith(marker, p)) return -1;
    const end = p + marker.length;
    let q = end;
    while (s[q] === " " || s[q] === "\t" || s[q] === "\r") q++;
    return q >= s.length || s[q] === "\n" ? end : -1;
  }
}

const OPENERS = new Set(["{", "[", "("]);
const CLOSERS = new Set(["}", "]", ")"]);

/** Keeps the first of duplicate names; defines rather than assigns, so `__proto__` is just a name. */
function addAttribute(attributes: Record<string, Span>, name: string, span: () => Span): void {
  if (!Object.hasOwn(attributes, name)) {
    Object.defineProperty(attributes, name, { value: span(), enumerable: true, writable: true, configurable: true });
  }
}

function isPunct(t: Token | undefined, text: string): boolean {
  return t?.kind === "punct" && t.text === text;
}

/** The label a string or identifier token spells. */
function labelOf(t: Token): string {
  if (t.kind === "ident") return t.text;
  try {
    // HCL's string escapes are JSON's plus `\U`, which a label never needs.
    return JSON.parse(t.text) as string;
  } catch {
    return t.text.slice(1, t.text.endsWith('"') && t.text.length > 1 ? -1 : undefined);
  }
}

/** Index of the last token of the expression starting at `from`: it ends at a newline or the block's `}`, outside brackets. */
function endOfExpression(tokens: Token[], from: number): number {
  let nesting = 0;
  let last = from - 1;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (nesting === 0 && (t.kind === "newline" || isPunct(t, "}"))) break;
    if (t.kind === "punct" && OPENERS.has(t.text)) nesting++;
    else if (t.kind === "punct" && CLOSERS.has(t.text)) nesting = Math.max(0, nesting - 1);
    last = i;
  }
  return last;
}

/** Reads a block body whose `{` is `tokens[open]`; returns its attributes and the index of its `}` (`tokens.length` if missing). */
function readBody(tokens: Token[], open: number, lines: LineIndex): { attributes: Record<string, Span>; close: number } {
  const attributes: Record<string, Span> = {};
  let nesting = 0; // inside nested blocks, whose attributes are not the block's own
  let i = open + 1;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (nesting === 0 && isPunct(t, "}")) return { attributes, close: i };
    if (nesting === 0 && t.kind === "ident" && isPunct(tokens[i + 1], "=")) {
      const last = endOfExpression(tokens, i + 2);
      addAttribute(attributes, t.text, () => lines.span(t.start, tokens[last]!.end));
      i = last + 1;
      continue;
    }
    if (t.kind === "punct" && OPENERS.has(t.text)) nesting++;
    else if (t.kind === "punct" && CLOSERS.has(t.text)) nesting = Math.max(0, nesting - 1);
    i++;
  }
  return { attributes, close: tokens.length };
}

/** Outlines a native-syntax (`.tf`, `.tofu`) file: its top-level blocks and every comment. */
export function outlineHcl(text: string): FileOutline {
  const lines = new LineIndex(text);
  const lexer = new HclLexer(text, lines);
  const tokens = lexer.tokenize();
  const blocks: BlockOutline[] = [];
  let nesting = 0; // only stray top-level attributes (as in .tfvars) open brackets out here
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (nesting === 0 && t.kind === "ident") {
      // A header is the keyword, labels, and `{` on the same line.
      let open = i + 1;
      while (tokens[open]?.kind === "string" || tokens[open]?.kind === "ident") open++;
      if (isPunct(tokens[open], "{")) {
        const { attributes, close } = readBody(tokens, open, lines);
        blocks.push({
          keyword: t.text,
          labels: tokens.slice(i + 1, open).map(labelOf),
          header: lines.span(t.start, tokens[open]!.end),
          span: lines.span(t.start, tokens[close]?.end ?? text.length),
          attributes,
        });
        i = close + 1;
        continue;
      }
    }
    if (t.kind === "punct" && OPENERS.has(t.text)) nesting++;
    else if (t.kind === "punct" && CLOSERS.has(t.text)) nesting = Math.max(0, nesting - 1);
    i++;
  }
  return { blocks, comments: lexer.comments };
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
