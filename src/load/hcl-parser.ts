import type { BinaryOperator, Expression, LiteralExpr, ObjectItem, TemplateExpr, TraversalStep } from "./hcl-syntax.js";
import type { TerraformBody } from "./terraform-syntax.js";

/**
 * Parses HCL native syntax into exactly the value `@cdktf/hcl2json`'s `parse()` returns, or
 * returns `undefined` when the text has a syntax error or uses something this parser does not
 * reproduce faithfully; the caller then falls back to hcl2json, which also reports the error.
 */
export function parseHclNative(text: string): TerraformBody | undefined {
  if (text.charCodeAt(0) === 0xfeff || !isWellFormed(text)) return undefined;
  try {
    return new Parser(text).parseFile();
  } catch {
    // A decline, or anything unforeseen (such as a stack overflow on absurd nesting): hcl2json decides.
    return undefined;
  }
}

/**
 * Parses a text as a template's content (`deploy-${var.env}`), as Terraform reads a string in JSON
 * syntax and as hcl2json writes expressions: `${x}` alone is the value of `x`. `undefined` when
 * the text is not a valid template.
 */
export function parseHclTemplate(text: string): Expression | undefined {
  if (!isWellFormed(text)) return undefined;
  try {
    return new Parser(text).parseTemplateText();
  } catch {
    return undefined;
  }
}

/**
 * Parses one HCL expression (as Terraform reads `-var` values and expressions outside a file) into
 * keygate's syntax tree; `undefined` when it is not a valid expression. Newlines are ignored, as
 * in hclsyntax's ParseExpression.
 */
export function parseHclExpression(text: string): Expression | undefined {
  if (!isWellFormed(text)) return undefined;
  try {
    return new Parser(text).parseStandaloneExpression();
  } catch {
    return undefined;
  }
}

// hcl2json turns `"${x}"` and `"%{x}"` literal text back into template escapes, and both the Go
// side (which sees UTF-8) and we must agree on every character: lone surrogates become U+FFFD there.
function isWellFormed(text: string): boolean {
  const native = (text as unknown as { isWellFormed?: () => boolean }).isWellFormed;
  if (native) return native.call(text);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const d = text.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/** Thrown (and caught in parseHclNative) whenever the input is invalid or out of our depth. */
class Decline {}
const DECLINE = new Decline();
function decline(): never {
  throw DECLINE;
}

// Token types.
const T_NONE = 0;
const T_EOF = 1;
const T_NL = 2;
const T_IDENT = 3;
const T_NUMBER = 4;
const T_OQUOTE = 5;
const T_HEREDOC = 6;
const T_LBRACE = 7;
const T_RBRACE = 8;
const T_LBRACK = 9;
const T_RBRACK = 10;
const T_LPAREN = 11;
const T_RPAREN = 12;
const T_COMMA = 13;
const T_DOT = 14;
const T_ELLIPSIS = 15;
const T_COLON = 16;
const T_DCOLON = 17;
const T_QUESTION = 18;
const T_ASSIGN = 19;
const T_ARROW = 20;
const T_EQ = 21;
const T_NE = 22;
const T_LT = 23;
const T_LE = 24;
const T_GT = 25;
const T_GE = 26;
const T_AND = 27;
const T_OR = 28;
const T_NOT = 29;
const T_PLUS = 30;
const T_MINUS = 31;
const T_STAR = 32;
const T_SLASH = 33;
const T_PERCENT = 34;
const T_STRIP_CLOSE = 35; // "~}"

// Binary operator precedence by token type (0 = not a binary operator), as in hclsyntax.
const PRECEDENCE = new Uint8Array(40);
PRECEDENCE[T_OR] = 1;
PRECEDENCE[T_AND] = 2;
PRECEDENCE[T_EQ] = 3;
PRECEDENCE[T_NE] = 3;
PRECEDENCE[T_LT] = 4;
PRECEDENCE[T_LE] = 4;
PRECEDENCE[T_GT] = 4;
PRECEDENCE[T_GE] = 4;
PRECEDENCE[T_PLUS] = 5;
PRECEDENCE[T_MINUS] = 5;
PRECEDENCE[T_STAR] = 6;
PRECEDENCE[T_SLASH] = 6;
PRECEDENCE[T_PERCENT] = 6;

/** Binary operators by token type, with hclsyntax's names. */
const OPERATORS: BinaryOperator[] = [];
OPERATORS[T_OR] = "logicalOr";
OPERATORS[T_AND] = "logicalAnd";
OPERATORS[T_EQ] = "equal";
OPERATORS[T_NE] = "notEqual";
OPERATORS[T_LT] = "lessThan";
OPERATORS[T_LE] = "lessThanOrEqual";
OPERATORS[T_GT] = "greaterThan";
OPERATORS[T_GE] = "greaterThanOrEqual";
OPERATORS[T_PLUS] = "add";
OPERATORS[T_MINUS] = "subtract";
OPERATORS[T_STAR] = "multiply";
OPERATORS[T_SLASH] = "divide";
OPERATORS[T_PERCENT] = "modulo";

// Template tokens, the intermediate form hclsyntax trims, flushes and melds before building the tree.
const P_LIT = 0;
const P_INTERP = 1;
const P_IF = 2;
const P_ELSE = 3;
const P_ENDIF = 4;
const P_FOR = 5;
const P_ENDFOR = 6;

interface TemplateToken {
  t: number;
  val: string; // P_LIT: text; P_FOR: key variable
  val2: string; // P_FOR: value variable
  node: Expression | undefined; // P_INTERP: expression; P_IF: condition; P_FOR: collection
  s: number; // where the token starts and ends in the source
  e: number;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

const NUMBER = /^\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const ID_START = /^[\p{ID_Start}]$/u;
const ID_CONTINUE = /^[\p{ID_Continue}]$/u;

/**
 * Letters V8's tables (Unicode 15 and later) know but HCL's (Unicode 9) do not: in HCL they are
 * not identifier characters, and a file using them is a syntax error there.
 */
function isAfterUnicode9(c: number): boolean {
  return c === 0x560 || c === 0x588 || c === 0x5ef || c === 0x7fd;
}

function isIdentStart(c: number): boolean {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
  // Non-ASCII letters only from the oldest, stable blocks, where Go's and V8's Unicode tables agree.
  return c < 0x800 && !isAfterUnicode9(c) && ID_START.test(String.fromCharCode(c));
}

function isIdentContinue(c: number): boolean {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;
  return c < 0x800 && !isAfterUnicode9(c) && ID_CONTINUE.test(String.fromCharCode(c));
}

/** Go's unicode.IsSpace. */
function isSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

function trimRightSpace(s: string): string {
  let i = s.length;
  while (i > 0 && isSpace(s.charCodeAt(i - 1))) i--;
  return i === s.length ? s : s.slice(0, i);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
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

interface BlockEntry {
  type: string;
  labels: string[];
  body: Record<string, unknown>;
}

class Parser {
  private readonly src: string;
  private readonly len: number;
  private pos = 0;
  /** Whether newlines are tokens here (bodies, object constructors) or skipped (brackets). */
  private nl = true;
  private tok = T_NONE;
  private tokStart = 0;
  private tokEnd = 0;
  // Heredoc introducer details, set when the lexer produces T_HEREDOC.
  private heredocMarker = "";
  private heredocFlush = false;

  constructor(src: string) {
    this.src = src;
    this.len = src.length;
  }

  parseFile(): TerraformBody {
    return this.parseBody(true);
  }

  /** The whole text as a template's content, as hclsyntax's ParseTemplate reads it (a heredoc without its markers). */
  parseTemplateText(): Expression {
    this.heredocMarker = "";
    this.heredocFlush = false;
    this.tokEnd = 0;
    return this.parseHeredoc(0);
  }

  parseStandaloneExpression(): Expression {
    this.nl = false;
    const expression = this.parseExpression();
    if (this.peek() !== T_EOF) decline();
    return expression;
  }

  // ---------------------------------------------------------------- lexer

  private peek(): number {
    while (this.tok === T_NONE || (this.tok === T_NL && !this.nl)) {
      if (this.tok === T_NL) this.pos = this.tokEnd;
      this.scan();
    }
    return this.tok;
  }

  private consume(): void {
    this.pos = this.tokEnd;
    this.tok = T_NONE;
  }

  private expect(type: number): void {
    if (this.peek() !== type) decline();
    this.consume();
  }

  private setToken(type: number, start: number, end: number): void {
    this.tok = type;
    this.tokStart = start;
    this.tokEnd = end;
  }

  private scan(): void {
    const src = this.src;
    const len = this.len;
    let p = this.pos;
    for (;;) {
      if (p >= len) return this.setToken(T_EOF, len, len);
      const c = src.charCodeAt(p);
      switch (c) {
        case 0x20: // space
        case 0x09: // tab
          p++;
          continue;
        case 0x0a:
          return this.setToken(T_NL, p, p + 1);
        case 0x0d:
          if (src.charCodeAt(p + 1) !== 0x0a) decline();
          return this.setToken(T_NL, p, p + 2);
        case 0x23: {
          // "#" comment: with its newline it counts as one.
          const eol = src.indexOf("\n", p);
          if (eol < 0) {
            p = len;
            continue;
          }
          return this.setToken(T_NL, p, eol + 1);
        }
        case 0x2f: {
          const d = src.charCodeAt(p + 1);
          if (d === 0x2f) {
            const eol = src.indexOf("\n", p);
            if (eol < 0) {
              p = len;
              continue;
            }
            return this.setToken(T_NL, p, eol + 1);
          }
          if (d === 0x2a) {
            const close = src.indexOf("*/", p + 2);
            if (close < 0) decline();
            p = close + 2;
            continue;
          }
          return this.setToken(T_SLASH, p, p + 1);
        }
        case 0x22:
          return this.setToken(T_OQUOTE, p, p + 1);
        case 0x7b:
          return this.setToken(T_LBRACE, p, p + 1);
        case 0x7d:
          return this.setToken(T_RBRACE, p, p + 1);
        case 0x5b:
          return this.setToken(T_LBRACK, p, p + 1);
        case 0x5d:
          return this.setToken(T_RBRACK, p, p + 1);
        case 0x28:
          return this.setToken(T_LPAREN, p, p + 1);
        case 0x29:
          return this.setToken(T_RPAREN, p, p + 1);
        case 0x2c:
          return this.setToken(T_COMMA, p, p + 1);
        case 0x3f:
          return this.setToken(T_QUESTION, p, p + 1);
        case 0x2b:
          return this.setToken(T_PLUS, p, p + 1);
        case 0x2d:
          return this.setToken(T_MINUS, p, p + 1);
        case 0x2a:
          return this.setToken(T_STAR, p, p + 1);
        case 0x25:
          return this.setToken(T_PERCENT, p, p + 1);
        case 0x2e:
          if (src.charCodeAt(p + 1) === 0x2e && src.charCodeAt(p + 2) === 0x2e) return this.setToken(T_ELLIPSIS, p, p + 3);
          return this.setToken(T_DOT, p, p + 1);
        case 0x3a:
          if (src.charCodeAt(p + 1) === 0x3a) return this.setToken(T_DCOLON, p, p + 2);
          return this.setToken(T_COLON, p, p + 1);
        case 0x3d: {
          const d = src.charCodeAt(p + 1);
          if (d === 0x3d) return this.setToken(T_EQ, p, p + 2);
          if (d === 0x3e) return this.setToken(T_ARROW, p, p + 2);
          return this.setToken(T_ASSIGN, p, p + 1);
        }
        case 0x21:
          if (src.charCodeAt(p + 1) === 0x3d) return this.setToken(T_NE, p, p + 2);
          return this.setToken(T_NOT, p, p + 1);
        case 0x3e:
          if (src.charCodeAt(p + 1) === 0x3d) return this.setToken(T_GE, p, p + 2);
          return this.setToken(T_GT, p, p + 1);
        case 0x3c: {
          const d = src.charCodeAt(p + 1);
          if (d === 0x3d) return this.setToken(T_LE, p, p + 2);
          if (d === 0x3c) return this.scanHeredocIntroducer(p);
          return this.setToken(T_LT, p, p + 1);
        }
        case 0x26:
          if (src.charCodeAt(p + 1) === 0x26) return this.setToken(T_AND, p, p + 2);
          return decline();
        case 0x7c:
          if (src.charCodeAt(p + 1) === 0x7c) return this.setToken(T_OR, p, p + 2);
          return decline();
        case 0x7e:
          if (src.charCodeAt(p + 1) === 0x7d) return this.setToken(T_STRIP_CLOSE, p, p + 2);
          return decline();
        default:
          if (isDigit(c)) return this.scanNumber(p);
          if (isIdentStart(c)) {
            let q = p + 1;
            while (q < len && isIdentContinue(src.charCodeAt(q))) q++;
            return this.setToken(T_IDENT, p, q);
          }
          return decline();
      }
    }
  }

  private scanNumber(p: number): void {
    // hclsyntax's NumberLit: digits, dots and exponents, never ending in a dot; the number itself
    // must then read as digits, an optional fraction and an optional exponent ("1..2" is an error).
    const src = this.src;
    let q = p + 1;
    let good = q;
    let plain = true;
    for (;;) {
      const c = src.charCodeAt(q);
      if (isDigit(c)) good = ++q;
      else if (c === 0x2e) {
        q++;
        plain = false;
      } else if (c === 0x65 || c === 0x45) {
        const d = src.charCodeAt(q + 1);
        if (isDigit(d)) q += 2;
        else if ((d === 0x2b || d === 0x2d) && isDigit(src.charCodeAt(q + 2))) q += 3;
        else break;
        good = q;
        plain = false;
      } else break;
    }
    if (!plain && !NUMBER.test(src.slice(p, good))) decline();
    if (good - p > 100) decline();
    this.setToken(T_NUMBER, p, good);
  }

  private scanHeredocIntroducer(p: number): void {
    const src = this.src;
    let q = p + 2;
    const flush = src.charCodeAt(q) === 0x2d;
    if (flush) q++;
    const markerStart = q;
    const c = src.charCodeAt(q);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f)) decline();
    q++;
    for (;;) {
      const d = src.charCodeAt(q);
      if ((d >= 0x61 && d <= 0x7a) || (d >= 0x41 && d <= 0x5a) || (d >= 0x30 && d <= 0x39) || d === 0x5f || d === 0x2d) q++;
      else break;
    }
    const markerEnd = q;
    if (src.charCodeAt(q) === 0x0d) q++;
    if (src.charCodeAt(q) !== 0x0a) decline();
    this.heredocMarker = src.slice(markerStart, markerEnd);
    this.heredocFlush = flush;
    this.setToken(T_HEREDOC, p, q + 1);
  }

  private identIs(word: string): boolean {
    return this.tok === T_IDENT && this.tokEnd - this.tokStart === word.length && this.src.startsWith(word, this.tokStart);
  }

  // ---------------------------------------------------------------- bodies

  private parseBody(top: boolean): Record<string, unknown> {
    const attrNames: string[] = [];
    const attrValues: unknown[] = [];
    const blocks: BlockEntry[] = [];
    for (;;) {
      const t = this.peek();
      if (t === T_NL) {
        this.consume();
        continue;
      }
      if (top ? t === T_EOF : t === T_RBRACE) {
        if (!top) this.consume();
        break;
      }
      if (t !== T_IDENT) decline();
      const name = this.src.slice(this.tokStart, this.tokEnd);
      this.consume();
      const next = this.peek();
      if (next === T_ASSIGN) {
        this.consume();
        const value = this.convertExpression(this.parseExpression());
        const end = this.peek();
        if (end === T_NL) this.consume();
        else if (end !== T_EOF) decline();
        attrNames.push(name);
        attrValues.push(value);
      } else if (next === T_OQUOTE || next === T_LBRACE || next === T_IDENT) {
        blocks.push(this.parseBlock(name));
      } else {
        decline();
      }
    }
    return this.assembleBody(attrNames, attrValues, blocks);
  }

  private parseBlock(type: string): BlockEntry {
    const labels: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t === T_LBRACE) {
        this.consume();
        break;
      }
      if (t === T_OQUOTE) labels.push(this.parseQuotedLabel());
      else if (t === T_IDENT) {
        labels.push(this.src.slice(this.tokStart, this.tokEnd));
        this.consume();
      } else decline();
    }
    let body: Record<string, unknown>;
    const t = this.peek();
    if (t === T_NL || t === T_EOF || t === T_RBRACE) {
      body = this.parseBody(false);
    } else {
      // One-line block: exactly one attribute, closed on the same line.
      if (t !== T_IDENT) decline();
      const name = this.src.slice(this.tokStart, this.tokEnd);
      this.consume();
      this.expect(T_ASSIGN);
      const value = this.convertExpression(this.parseExpression());
      this.expect(T_RBRACE);
      body = this.assembleBody([name], [value], []);
    }
    const end = this.peek();
    if (end === T_NL) this.consume();
    else if (end !== T_EOF) decline();
    return { type, labels, body };
  }

  /** tmccombs/hcl2json's convertBody: blocks nest by labels first, then attributes overwrite. */
  private assembleBody(attrNames: string[], attrValues: unknown[], blocks: BlockEntry[]): Record<string, unknown> {
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

  // ---------------------------------------------------------------- expressions

  private parseExpression(): Expression {
    const condition = this.parseBinary(1);
    if (this.peek() !== T_QUESTION) return condition;
    this.consume();
    const whenTrue = this.parseExpression();
    this.expect(T_COLON);
    const whenFalse = this.parseExpression();
    return { kind: "conditional", condition, then: whenTrue, else: whenFalse, start: condition.start, end: whenFalse.end };
  }

  private parseBinary(minPrecedence: number): Expression {
    let left = this.parseWithTraversals();
    for (;;) {
      const t = this.peek();
      const precedence = PRECEDENCE[t]!;
      if (precedence === 0 || precedence < minPrecedence) return left;
      this.consume();
      const right = this.parseBinary(precedence + 1);
      left = { kind: "binary", operator: OPERATORS[t]!, left, right, start: left.start, end: right.end };
    }
  }

  private parseWithTraversals(): Expression {
    return this.parseTraversals(this.parseTerm());
  }

  /** hclsyntax's parseExpressionTraversals: `.name`, `[key]`, `.*` and `[*]` after a term. */
  private parseTraversals(from: Expression): Expression {
    let ret = from;
    const start = from.start;
    for (;;) {
      const t = this.peek();
      if (t === T_DOT) {
        this.consume();
        const u = this.peek();
        if (u === T_IDENT) {
          ret = relative(ret, { kind: "attr", name: this.src.slice(this.tokStart, this.tokEnd) }, start, this.tokEnd);
          this.consume();
        } else if (u === T_NUMBER) {
          ret = relative(ret, this.legacyIndex(), start, this.tokEnd);
          this.consume();
        } else if (u === T_STAR) {
          // Attribute-only splat: only .name and .N steps may follow inside it.
          const item: Expression = { kind: "anon", start: this.tokStart, end: this.tokEnd };
          let end = this.tokEnd;
          this.consume();
          const steps: TraversalStep[] = [];
          while (this.peek() === T_DOT) {
            this.consume();
            const v = this.peek();
            if (v === T_NUMBER) steps.push(this.legacyIndex());
            else if (v === T_IDENT) steps.push({ kind: "attr", name: this.src.slice(this.tokStart, this.tokEnd) });
            else decline();
            end = this.tokEnd;
            this.consume();
          }
          const each: Expression = steps.length === 0 ? item : { kind: "relative", source: item, steps, start: item.start, end };
          ret = { kind: "splat", source: ret, each, start, end };
        } else {
          decline();
        }
      } else if (t === T_LBRACK) {
        this.consume();
        if (this.peek() === T_STAR) {
          // Full splat: every step after it applies to each element.
          const item: Expression = { kind: "anon", start: this.tokStart, end: this.tokEnd };
          this.consume();
          if (this.peek() !== T_RBRACK) decline();
          item.end = this.tokEnd;
          this.consume();
          const each = this.parseTraversals(item);
          return { kind: "splat", source: ret, each, start, end: each.end };
        }
        const saved = this.nl;
        this.nl = false;
        const key = this.parseExpression();
        if (this.peek() !== T_RBRACK) decline();
        const end = this.tokEnd;
        this.consume();
        this.nl = saved;
        const literal = literalKey(key);
        ret = literal === undefined ? { kind: "index", collection: ret, key, start, end } : relative(ret, { kind: "index", key: literal.value }, start, end);
      } else {
        return ret;
      }
    }
  }

  /** `foo.0`: a number after a dot must be a plain index (`foo.0.1` is an error in hclsyntax). */
  private legacyIndex(): TraversalStep {
    for (let i = this.tokStart; i < this.tokEnd; i++) if (!isDigit(this.src.charCodeAt(i))) decline();
    return { kind: "index", key: Number(this.src.slice(this.tokStart, this.tokEnd)) };
  }

  private parseTerm(): Expression {
    const t = this.peek();
    const s = this.tokStart;
    switch (t) {
      case T_NUMBER: {
        const e = this.tokEnd;
        const text = this.src.slice(s, e);
        this.consume();
        return { kind: "literal", value: Number(text), text, start: s, end: e };
      }
      case T_IDENT: {
        const e = this.tokEnd;
        const len = e - s;
        this.consume();
        const next = this.peek();
        if (next === T_LPAREN || next === T_DCOLON) return this.finishFunctionCall(s, e);
        if (len === 4 && this.src.startsWith("true", s)) return { kind: "literal", value: true, start: s, end: e };
        if (len === 5 && this.src.startsWith("false", s)) return { kind: "literal", value: false, start: s, end: e };
        if (len === 4 && this.src.startsWith("null", s)) return { kind: "literal", value: null, start: s, end: e };
        return { kind: "traversal", root: this.src.slice(s, e), steps: [], start: s, end: e };
      }
      case T_OQUOTE:
        return this.parseQuotedTemplate(s);
      case T_HEREDOC:
        return this.parseHeredoc(s);
      case T_MINUS:
      case T_NOT: {
        this.consume();
        const operand = this.parseWithTraversals();
        return { kind: "unary", operator: t === T_MINUS ? "negate" : "logicalNot", operand, start: s, end: operand.end };
      }
      case T_LPAREN: {
        this.consume();
        const saved = this.nl;
        this.nl = false;
        const inner = this.parseExpression();
        if (this.peek() !== T_RPAREN) decline();
        const e = this.tokEnd;
        this.consume();
        this.nl = saved;
        return { kind: "parens", inner, start: s, end: e };
      }
      case T_LBRACK:
        return this.parseTuple(s);
      case T_LBRACE:
        return this.parseObject(s);
      default:
        return decline();
    }
  }

  private finishFunctionCall(s: number, nameEnd: number): Expression {
    let end = nameEnd;
    while (this.peek() === T_DCOLON) {
      this.consume();
      if (this.peek() !== T_IDENT) decline();
      end = this.tokEnd;
      this.consume();
    }
    const name = this.src.slice(s, end);
    this.expect(T_LPAREN);
    const saved = this.nl;
    this.nl = false;
    const args: Expression[] = [];
    let expand = false;
    let e: number;
    for (;;) {
      if (this.peek() === T_RPAREN) {
        e = this.tokEnd;
        this.consume();
        break;
      }
      args.push(this.parseExpression());
      const sep = this.peek();
      if (sep === T_RPAREN) {
        e = this.tokEnd;
        this.consume();
        break;
      }
      if (sep === T_ELLIPSIS) {
        this.consume();
        if (this.peek() !== T_RPAREN) decline();
        expand = true;
        e = this.tokEnd;
        this.consume();
        break;
      }
      if (sep !== T_COMMA) decline();
      this.consume();
    }
    this.nl = saved;
    return { kind: "call", name, args, expand, start: s, end: e };
  }

  private parseTuple(s: number): Expression {
    this.consume();
    const saved = this.nl;
    this.nl = false;
    this.peek();
    if (this.identIs("for")) {
      const node = this.finishFor(s, false);
      this.nl = saved;
      return node;
    }
    const items: Expression[] = [];
    let e: number;
    for (;;) {
      if (this.peek() === T_RBRACK) {
        e = this.tokEnd;
        this.consume();
        break;
      }
      items.push(this.parseExpression());
      const sep = this.peek();
      if (sep === T_RBRACK) {
        e = this.tokEnd;
        this.consume();
        break;
      }
      if (sep !== T_COMMA) decline();
      this.consume();
    }
    this.nl = saved;
    return { kind: "tuple", items, start: s, end: e };
  }

  private parseObject(s: number): Expression {
    this.consume();
    const saved = this.nl;
    this.nl = false;
    this.peek();
    if (this.identIs("for")) {
      const node = this.finishFor(s, true);
      this.nl = saved;
      return node;
    }
    this.nl = true;
    const items: ObjectItem[] = [];
    let e: number;
    for (;;) {
      const t = this.peek();
      if (t === T_NL) {
        this.consume();
        continue;
      }
      if (t === T_RBRACE) {
        e = this.tokEnd;
        this.consume();
        break;
      }
      const key = this.parseExpression();
      const sep = this.peek();
      if (sep !== T_ASSIGN && sep !== T_COLON) decline();
      this.consume();
      // A key that is a lone name is the string it spells (hclsyntax's ObjectConsKeyExpr).
      items.push({ key, value: this.parseExpression(), bare: key.kind === "traversal" && key.steps.length === 0 });
      const next = this.peek();
      if (next === T_RBRACE) {
        e = this.tokEnd;
        this.consume();
        break;
      }
      if (next !== T_COMMA && next !== T_NL) decline();
      this.consume();
    }
    this.nl = saved;
    return { kind: "object", items, start: s, end: e };
  }

  /** `[for k, v in coll : v if cond]` or `{for k, v in coll : k => v... if cond}`, after the bracket. */
  private finishFor(s: number, makeObject: boolean): Expression {
    this.consume(); // "for"
    if (this.peek() !== T_IDENT) decline();
    let keyVar: string | undefined;
    let valueVar = this.src.slice(this.tokStart, this.tokEnd);
    this.consume();
    if (this.peek() === T_COMMA) {
      this.consume();
      if (this.peek() !== T_IDENT) decline();
      keyVar = valueVar;
      valueVar = this.src.slice(this.tokStart, this.tokEnd);
      this.consume();
    }
    this.peek();
    if (!this.identIs("in")) decline();
    this.consume();
    const collection = this.parseExpression();
    this.expect(T_COLON);
    let value = this.parseExpression();
    let key: Expression | undefined;
    if (this.peek() === T_ARROW) {
      this.consume();
      key = value;
      value = this.parseExpression();
    }
    let group = false;
    if (this.peek() === T_ELLIPSIS) {
      this.consume();
      group = true;
    }
    let condition: Expression | undefined;
    this.peek();
    if (this.identIs("if")) {
      this.consume();
      condition = this.parseExpression();
    }
    if (this.peek() !== (makeObject ? T_RBRACE : T_RBRACK)) decline();
    const e = this.tokEnd;
    this.consume();
    if (makeObject ? key === undefined : key !== undefined || group) decline();
    return { kind: "for", keyVar, valueVar, collection, key, value, condition, group, start: s, end: e };
  }

  // ---------------------------------------------------------------- templates

  /** A block label: a quoted string with escapes but no template sequences. */
  private parseQuotedLabel(): string {
    const src = this.src;
    let p = this.tokStart + 1;
    let out = "";
    let run = p;
    for (;;) {
      if (p >= this.len) decline();
      const c = src.charCodeAt(p);
      if (c === 0x22) break;
      if (c === 0x5c) {
        out += src.slice(run, p);
        p = this.unescape(p);
        out += this.escaped;
        run = p;
      } else if (c === 0x24 || c === 0x25) {
        const d = src.charCodeAt(p + 1);
        if (d === 0x7b) decline(); // template sequences are not allowed in labels
        if (d === c && src.charCodeAt(p + 2) === 0x7b) {
          out += src.slice(run, p + 1) + "{";
          p += 3;
          run = p;
        } else p++;
      } else if (c === 0x0a || c === 0x0d) {
        decline();
      } else p++;
    }
    out += src.slice(run, p);
    this.pos = p + 1;
    this.tok = T_NONE;
    return out;
  }

  private escaped = "";

  /** Decodes the escape sequence at p (a backslash) into this.escaped; returns the position after it. */
  private unescape(p: number): number {
    const src = this.src;
    const c = src.charCodeAt(p + 1);
    switch (c) {
      case 0x6e:
        this.escaped = "\n";
        return p + 2;
      case 0x72:
        this.escaped = "\r";
        return p + 2;
      case 0x74:
        this.escaped = "\t";
        return p + 2;
      case 0x22:
        this.escaped = '"';
        return p + 2;
      case 0x5c:
        this.escaped = "\\";
        return p + 2;
      case 0x75:
      case 0x55: {
        const digits = c === 0x75 ? 4 : 8;
        let code = 0;
        for (let i = 0; i < digits; i++) {
          const h = src.charCodeAt(p + 2 + i);
          if (!isHex(h)) decline();
          code = code * 16 + parseInt(src[p + 2 + i]!, 16);
        }
        if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) decline();
        this.escaped = String.fromCodePoint(code);
        return p + 2 + digits;
      }
      default:
        return decline();
    }
  }

  private parseQuotedTemplate(s: number): Expression {
    const src = this.src;
    const tokens: TemplateToken[] = [];
    let p = s + 1;
    let lit = ""; // decoded text before src[run, p)
    let run = p;
    let litStart = p;
    let ltrimNext = false;
    let canTrimPrev = false;
    const pushLiteral = () => {
      let val = normalizeNfc(lit + src.slice(run, p));
      if (ltrimNext) val = trimLeftSpace(val);
      tokens.push({ t: P_LIT, val, val2: "", node: undefined, s: litStart, e: p });
      lit = "";
      ltrimNext = false;
      canTrimPrev = true;
    };
    for (;;) {
      if (p >= this.len) decline();
      const c = src.charCodeAt(p);
      if (c === 0x22) break;
      if (c === 0x5c) {
        lit += src.slice(run, p);
        p = this.unescape(p);
        lit += this.escaped;
        run = p;
        continue;
      }
      if (c === 0x24 || c === 0x25) {
        const d = src.charCodeAt(p + 1);
        if (d === 0x7b) {
          if (lit !== "" || run < p) pushLiteral();
          p = this.parseSequence(p, c === 0x24, tokens, canTrimPrev, false);
          run = p;
          litStart = p;
          ltrimNext = this.stripAfter;
          canTrimPrev = false;
          continue;
        }
        if (d === c && src.charCodeAt(p + 2) === 0x7b) {
          lit += src.slice(run, p + 1) + "{";
          p += 3;
          run = p;
          continue;
        }
        p++;
        continue;
      }
      if (c === 0x0a || c === 0x0d) decline();
      p++;
    }
    if (lit !== "" || run < p) pushLiteral();
    this.pos = p + 1;
    this.tok = T_NONE;
    return finishTemplate(tokens, s, p + 1);
  }

  /** Set by parseSequence: whether the sequence closed with "~}". */
  private stripAfter = false;

  /**
   * Parses a `${…}` or `%{…}` sequence starting at p, appending its template token; returns the
   * position after its closing brace.
   */
  private parseSequence(p: number, interpolation: boolean, tokens: TemplateToken[], canTrimPrev: boolean, heredoc: boolean): number {
    let q = p + 2;
    if (this.src.charCodeAt(q) === 0x7e) {
      q++;
      const prev = tokens[tokens.length - 1];
      if (canTrimPrev && prev !== undefined && prev.t === P_LIT) prev.val = trimBeforeStrip(prev.val, heredoc);
    }
    this.pos = q;
    this.tok = T_NONE;
    const saved = this.nl;
    this.nl = false;
    if (interpolation) {
      tokens.push({ t: P_INTERP, val: "", val2: "", node: this.parseExpression(), s: p, e: p });
    } else {
      if (this.peek() !== T_IDENT) decline();
      const keyword = this.src.slice(this.tokStart, this.tokEnd);
      this.consume();
      switch (keyword) {
        case "if":
          tokens.push({ t: P_IF, val: "", val2: "", node: this.parseExpression(), s: p, e: p });
          break;
        case "else":
          tokens.push({ t: P_ELSE, val: "", val2: "", node: undefined, s: p, e: p });
          break;
        case "endif":
          tokens.push({ t: P_ENDIF, val: "", val2: "", node: undefined, s: p, e: p });
          break;
        case "endfor":
          tokens.push({ t: P_ENDFOR, val: "", val2: "", node: undefined, s: p, e: p });
          break;
        case "for": {
          if (this.peek() !== T_IDENT) decline();
          let keyVar = "";
          let valVar = this.src.slice(this.tokStart, this.tokEnd);
          this.consume();
          if (this.peek() === T_COMMA) {
            this.consume();
            if (this.peek() !== T_IDENT) decline();
            keyVar = valVar;
            valVar = this.src.slice(this.tokStart, this.tokEnd);
            this.consume();
          }
          this.peek();
          if (!this.identIs("in")) decline();
          this.consume();
          tokens.push({ t: P_FOR, val: keyVar, val2: valVar, node: this.parseExpression(), s: p, e: p });
          break;
        }
        default:
          decline();
      }
    }
    const close = this.peek();
    if (close !== T_RBRACE && close !== T_STRIP_CLOSE) decline();
    this.stripAfter = close === T_STRIP_CLOSE;
    const end = this.tokEnd;
    tokens[tokens.length - 1]!.e = end;
    this.tok = T_NONE;
    this.nl = saved;
    return end;
  }

  private parseHeredoc(s: number): Expression {
    const src = this.src;
    const len = this.len;
    const marker = this.heredocMarker;
    const flush = this.heredocFlush;
    const tokens: TemplateToken[] = [];
    let p = this.tokEnd;
    let startOfLine = true;
    let ltrimNext = false;
    let canTrimPrev = false;
    let lit = "";
    let run = p;
    let litStart = p;
    const pushLiteral = () => {
      let val = normalizeNfc(lit + src.slice(run, p));
      if (ltrimNext) val = trimLeftSpace(val);
      tokens.push({ t: P_LIT, val, val2: "", node: undefined, s: litStart, e: p });
      lit = "";
      ltrimNext = false;
      canTrimPrev = true;
    };
    for (;;) {
      if (startOfLine) {
        // A line that is the closing marker, surrounded by whitespace only, ends the heredoc.
        const eol = mayBeMarker(src, p, marker) ? src.indexOf("\n", p) : -1;
        if (eol >= 0 && lineIsMarker(src, p, eol, marker)) {
          const end = src.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol;
          this.pos = end;
          this.tok = T_NONE;
          if (flush) flushHeredoc(tokens);
          return finishTemplate(tokens, s, end);
        }
        startOfLine = false;
      }
      if (p >= len) {
        // Only a bare template (see parseTemplateText) ends with the text.
        if (marker !== "") decline();
        if (lit !== "" || run < p) pushLiteral();
        this.pos = p;
        this.tok = T_NONE;
        return finishTemplate(tokens, s, p);
      }
      const c = src.charCodeAt(p);
      if (c === 0x0a) {
        p++;
        pushLiteral();
        run = p;
        litStart = p;
        startOfLine = true;
        continue;
      }
      if (c === 0x0d) {
        if (src.charCodeAt(p + 1) !== 0x0a) decline();
        p++;
        continue;
      }
      if (c === 0x24 || c === 0x25) {
        const d = src.charCodeAt(p + 1);
        if (d === 0x7b) {
          if (lit !== "" || run < p) pushLiteral();
          p = this.parseSequence(p, c === 0x24, tokens, canTrimPrev, true);
          run = p;
          litStart = p;
          ltrimNext = this.stripAfter;
          canTrimPrev = false;
          continue;
        }
        if (d === c && src.charCodeAt(p + 2) === 0x7b) {
          lit += src.slice(run, p + 1) + "{";
          p += 3;
          run = p;
          continue;
        }
      }
      p++;
    }
  }

  // ---------------------------------------------------------------- conversion (tmccombs/hcl2json)

  private source(node: Expression): string {
    let end = node.end;
    // hcl2json's rangeSource includes a ")" right after the range, for old hclsyntax ranges.
    if (end < this.len && this.src.charCodeAt(end) === 0x29) end++;
    return this.src.slice(node.start, end);
  }

  private wrap(node: Expression): string {
    return "${" + this.source(node) + "}";
  }

  private convertExpression(node: Expression): unknown {
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
      const value = parts[0]!.value;
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
        return "%{if " + this.source(node.condition) + "}" + whenTrue + (whenFalse.length > 0 ? "%{else}" + whenFalse : "") + "%{endif}";
      }
      case "templateFor": {
        const body = this.convertStringPart(node.body);
        if (body === undefined) decline(); // hcl2json fails on the whole file
        return (
          "%{for " + (node.keyVar !== undefined ? node.keyVar + ", " : "") + node.valueVar + " in " + this.source(node.collection) + "}" + body + "%{endfor}"
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

/** Appends a static step: to a traversal (still static), else as a traversal relative to the expression. */
function relative(ret: Expression, step: TraversalStep, start: number, end: number): Expression {
  if (ret.kind === "traversal" || ret.kind === "relative") {
    ret.steps.push(step);
    ret.end = end;
    return ret;
  }
  return { kind: "relative", source: ret, steps: [step], start, end };
}

/** The value of an index key that is a literal (`[0]`, `["k"]`), making the step static in hclsyntax. */
function literalKey(key: Expression): { value: string | number | boolean | null } | undefined {
  if (key.kind === "literal") return { value: key.value };
  if (key.kind !== "template" || key.parts.length !== 1) return undefined;
  const part = key.parts[0]!;
  return part.kind === "literal" && typeof part.value === "string" ? { value: part.value } : undefined;
}

/** HCL normalises the literal text of templates to Unicode NFC. */
function normalizeNfc(text: string): string {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x300) return text.normalize("NFC");
  return text;
}

/**
 * The literal text before a `${~` / `%{~` with trailing whitespace removed. hclsyntax's scanner
 * splits a heredoc line that ends in `$` or `%` and one whitespace byte before its newline: only
 * the newline, a token of its own, is then trimmed.
 */
function trimBeforeStrip(text: string, heredoc: boolean): string {
  if (heredoc) {
    let n = text.length;
    if (text.charCodeAt(n - 1) === 0x0a) {
      n--;
      if (text.charCodeAt(n - 1) === 0x0d) n--;
      const w = text.charCodeAt(n - 1);
      const d = text.charCodeAt(n - 2);
      if ((w === 0x20 || (w >= 0x09 && w <= 0x0c)) && (d === 0x24 || d === 0x25)) return text.slice(0, n);
    }
  }
  return trimRightSpace(text);
}

/** hclsyntax's template parser: melds literals and builds the if/for tree from the token list. */
function finishTemplate(tokens: TemplateToken[], s: number, e: number): Expression {
  if (tokens.length === 0) tokens.push({ t: P_LIT, val: "", val2: "", node: undefined, s, e: s });
  // Meld consecutive literals.
  let w = 0;
  for (let r = 0; r < tokens.length; r++) {
    const token = tokens[r]!;
    const prev = w > 0 ? tokens[w - 1]! : undefined;
    if (prev !== undefined && prev.t === P_LIT && token.t === P_LIT) {
      prev.val += token.val;
      prev.e = token.e;
    } else tokens[w++] = token;
  }
  tokens.length = w;
  if (w === 1 && tokens[0]!.t === P_INTERP) return { kind: "wrap", wrapped: tokens[0]!.node!, start: s, end: e };
  const cursor = { i: 0 };
  const parts = buildTemplateParts(tokens, cursor);
  if (cursor.i !== tokens.length) decline(); // an unbalanced else/endif/endfor
  return { kind: "template", parts, start: s, end: e };
}

/** A quick filter: the line's first non-blank character starts the marker. */
function mayBeMarker(src: string, from: number, marker: string): boolean {
  let a = from;
  while (a < src.length && isSpace(src.charCodeAt(a)) && src.charCodeAt(a) !== 0x0a && src.charCodeAt(a) !== 0x0d) a++;
  return src.charCodeAt(a) === marker.charCodeAt(0);
}

/** Whether src[from, eol) holds only the heredoc's closing marker and whitespace. */
function lineIsMarker(src: string, from: number, eol: number, marker: string): boolean {
  // A carriage return is only allowed as part of the line's CRLF (the scanner rejects a lone one).
  let a = from;
  let b = src.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol;
  while (a < b && src.charCodeAt(a) !== 0x0d && isSpace(src.charCodeAt(a))) a++;
  while (b > a && src.charCodeAt(b - 1) !== 0x0d && isSpace(src.charCodeAt(b - 1))) b--;
  return b - a === marker.length && src.startsWith(marker, a);
}

/**
 * hclsyntax's flushHeredocTemplateParts: the fewest leading spaces over the lines (blank lines
 * excepted) are removed from every line. Runs on the unmelded per-line literals.
 */
function flushHeredoc(tokens: TemplateToken[]): void {
  let minSpaces = Number.MAX_SAFE_INTEGER;
  let newline = true;
  const adjust: TemplateToken[] = [];
  for (const token of tokens) {
    if (newline) {
      newline = false;
      let spaces = 0;
      if (token.t === P_LIT) {
        const val = token.val;
        let i = 0;
        while (i < val.length && isSpace(val.charCodeAt(i))) i++;
        if (i === val.length && val.endsWith("\n")) {
          spaces = Number.MAX_SAFE_INTEGER;
        } else {
          // Spaces are counted as grapheme clusters; a following combining mark would join one.
          if (i > 0 && i < val.length && val.charCodeAt(i) >= 0x80) decline();
          spaces = i;
          adjust.push(token);
        }
      }
      if (spaces < minSpaces) minSpaces = spaces;
    }
    if (token.t === P_LIT && token.val.endsWith("\n")) newline = true;
  }
  if (minSpaces === 0 || minSpaces === Number.MAX_SAFE_INTEGER) return;
  for (const token of adjust) token.val = token.val.slice(minSpaces);
}

function buildTemplateParts(tokens: TemplateToken[], cursor: { i: number }): Expression[] {
  const parts: Expression[] = [];
  while (cursor.i < tokens.length) {
    const token = tokens[cursor.i]!;
    switch (token.t) {
      case P_LIT:
        parts.push({ kind: "literal", value: token.val, start: token.s, end: token.e });
        cursor.i++;
        break;
      case P_INTERP:
        parts.push(token.node!);
        cursor.i++;
        break;
      case P_IF: {
        cursor.i++;
        const whenTrue = buildTemplateParts(tokens, cursor);
        let whenFalse: Expression[] = [];
        let end = tokens[cursor.i];
        const elseAt = end?.s ?? token.e;
        if (end !== undefined && end.t === P_ELSE) {
          cursor.i++;
          whenFalse = buildTemplateParts(tokens, cursor);
          end = tokens[cursor.i];
        }
        if (end === undefined || end.t !== P_ENDIF) decline();
        cursor.i++;
        parts.push({
          kind: "templateIf",
          condition: token.node!,
          then: templateOf(whenTrue, token.e, elseAt),
          else: templateOf(whenFalse, elseAt, end.s),
          start: token.s,
          end: end.e,
        });
        break;
      }
      case P_FOR: {
        cursor.i++;
        const body = buildTemplateParts(tokens, cursor);
        const end = tokens[cursor.i];
        if (end === undefined || end.t !== P_ENDFOR) decline();
        cursor.i++;
        parts.push({
          kind: "templateFor",
          keyVar: token.val === "" ? undefined : token.val,
          valueVar: token.val2,
          collection: token.node!,
          body: templateOf(body, token.e, end.s),
          start: token.s,
          end: end.e,
        });
        break;
      }
      default:
        // else/endif/endfor end the enclosing directive's body; the caller checks which it is.
        return parts;
    }
  }
  return parts;
}

/** A directive's body; an empty one is an empty literal, as in hclsyntax. */
function templateOf(parts: Expression[], start: number, end: number): TemplateExpr {
  return { kind: "template", parts: parts.length === 0 ? [{ kind: "literal", value: "", start, end: start }] : parts, start, end };
}
