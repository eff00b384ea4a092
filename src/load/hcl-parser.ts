import type { Attribute, BinaryOperator, Block, Body, Expression, ObjectItem, TraversalStep } from "./hcl-syntax.js";
import {
  decline,
  isDigit,
  isWellFormed,
  type Comment,
  T_AND,
  T_ARROW,
  T_ASSIGN,
  T_COLON,
  T_COMMA,
  T_DCOLON,
  T_DOT,
  T_ELLIPSIS,
  T_EOF,
  T_EQ,
  T_GE,
  T_GT,
  T_HEREDOC,
  T_IDENT,
  T_LBRACE,
  T_LBRACK,
  T_LE,
  T_LPAREN,
  T_LT,
  T_MINUS,
  T_NE,
  T_NL,
  T_NOT,
  T_NUMBER,
  T_OQUOTE,
  T_OR,
  T_PERCENT,
  T_PLUS,
  T_QUESTION,
  T_RBRACE,
  T_RBRACK,
  T_RPAREN,
  T_SLASH,
  T_STAR,
} from "./hcl-lexer.js";
import { TemplateParser } from "./hcl-templates.js";

/*
 * keygate's HCL parser, split as hashicorp/hcl's hclsyntax is: hcl-lexer.ts (tokens),
 * hcl-templates.ts (quoted strings and heredocs), this file (bodies and expressions) and
 * hcl-syntax.ts (the tree). hcl-json.ts turns the tree into hcl2json's JSON, for the tests that
 * hold the two parsers to the same result.
 */

/** How a file is parsed. */
export interface FileOptions {
  /** Where to note the file's comments. */
  comments?: Comment[];
  /** Keep an attribute set twice in a body (for an outline of the file) rather than decline it as an error. */
  repeatedAttributes?: boolean;
}

/**
 * Parses a file in HCL's native syntax into keygate's syntax tree. `undefined` when the text has a
 * syntax error or uses something this parser does not read faithfully: the caller then asks
 * hcl2json, whose diagnostic is Terraform's.
 */
export function parseHclFile(text: string, options: FileOptions = {}): Body | undefined {
  if (!isWellFormed(text)) return undefined;
  const parser = new Parser(text);
  if (options.comments) parser.comments = options.comments;
  parser.repeatedAttributes = options.repeatedAttributes === true;
  try {
    return parser.parseFile();
  } catch {
    // A decline, or anything unforeseen (such as a stack overflow on absurd nesting): hcl2json decides.
    return undefined;
  }
}

/**
 * Parses a text as a template's content (`deploy-${var.env}`), as Terraform reads a string in JSON
 * syntax: `${x}` alone is the value of `x`. `undefined` when the text is not a valid template.
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

class Parser extends TemplateParser {
  repeatedAttributes = false;

  parseFile(): Body {
    // A byte order mark is not part of the text (hcl2json is left the files that have one).
    if (this.src.charCodeAt(0) === 0xfeff) this.pos = 1;
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

  // ---------------------------------------------------------------- bodies

  private parseBody(top: boolean): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    for (;;) {
      const t = this.peek();
      if (t === T_NL) {
        this.consume();
        continue;
      }
      if (top ? t === T_EOF : t === T_RBRACE) break;
      if (t !== T_IDENT) decline();
      const nameStart = this.tokStart;
      const name = this.src.slice(nameStart, this.tokEnd);
      this.consume();
      const next = this.peek();
      if (next === T_ASSIGN) {
        this.consume();
        attributes.push(this.attribute(nameStart, name));
        const end = this.peek();
        if (end === T_NL) this.consume();
        else if (end !== T_EOF) decline();
      } else if (next === T_OQUOTE || next === T_LBRACE || next === T_IDENT) {
        blocks.push(this.parseBlock(name, nameStart));
      } else {
        decline();
      }
    }
    // hclsyntax: "Attribute redefined".
    if (attributes.length > 1 && !this.repeatedAttributes) {
      const names = new Set<string>();
      for (const { name } of attributes) {
        if (names.has(name)) decline();
        names.add(name);
      }
    }
    return { attributes, blocks };
  }

  /** `name = value`, after the `=`. */
  private attribute(start: number, name: string): Attribute {
    const value = this.parseExpression();
    // A heredoc's range runs to the end of its closing line; the attribute ends with its marker.
    let end = value.end;
    while (end > value.start && (this.src.charCodeAt(end - 1) === 0x20 || this.src.charCodeAt(end - 1) === 0x09)) end--;
    return { name, value, start, end };
  }

  private parseBlock(type: string, start: number): Block {
    const labels: string[] = [];
    let headerEnd: number;
    for (;;) {
      const t = this.peek();
      if (t === T_LBRACE) {
        headerEnd = this.tokEnd;
        this.consume();
        break;
      }
      if (t === T_OQUOTE) labels.push(this.parseQuotedLabel());
      else if (t === T_IDENT) {
        labels.push(this.src.slice(this.tokStart, this.tokEnd));
        this.consume();
      } else decline();
    }
    let body: Body;
    const t = this.peek();
    if (t === T_NL || t === T_EOF || t === T_RBRACE) {
      body = this.parseBody(false);
    } else {
      // One-line block: exactly one attribute, closed on the same line.
      if (t !== T_IDENT) decline();
      const nameStart = this.tokStart;
      const name = this.src.slice(nameStart, this.tokEnd);
      this.consume();
      this.expect(T_ASSIGN);
      body = { attributes: [this.attribute(nameStart, name)], blocks: [] };
      if (this.peek() !== T_RBRACE) decline();
    }
    const end = this.tokEnd;
    this.consume();
    const after = this.peek();
    if (after === T_NL) this.consume();
    else if (after !== T_EOF) decline();
    return { type, labels, body, start, headerEnd, end };
  }

  // ---------------------------------------------------------------- expressions

  protected parseExpression(): Expression {
    const condition = this.parseBinary(1);
    if (this.peek() !== T_QUESTION) return condition;
    this.consume();
    const whenTrue = this.parseExpression();
    this.expect(T_COLON);
    const whenFalse = this.parseExpression();
    return {
      kind: "conditional",
      condition,
      then: whenTrue,
      else: whenFalse,
      start: condition.start,
      end: whenFalse.end,
    };
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
          const each: Expression =
            steps.length === 0 ? item : { kind: "relative", source: item, steps, start: item.start, end };
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
        ret =
          literal === undefined
            ? { kind: "index", collection: ret, key, start, end }
            : relative(ret, { kind: "index", key: literal.value }, start, end);
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
        const value = Number(text);
        // The source is kept only where it is not the number's own spelling (`1e3`, `007`, `1.50`).
        return String(value) === text
          ? { kind: "literal", value, start: s, end: e }
          : { kind: "literal", value, text, start: s, end: e };
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
        return {
          kind: "unary",
          operator: t === T_MINUS ? "negate" : "logicalNot",
          operand,
          start: s,
          end: operand.end,
        };
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
