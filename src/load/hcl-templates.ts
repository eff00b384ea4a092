import type { Expression, TemplateExpr } from "./hcl-syntax.js";
import {
  decline,
  Lexer,
  lineIsMarker,
  plainStringEnd,
  T_IDENT,
  T_COMMA,
  T_RBRACE,
  T_STRIP_CLOSE,
  T_NONE,
  isSpace,
  trimLeftSpace,
  trimRightSpace,
} from "./hcl-lexer.js";

/**
 * Templates (hashicorp/hcl's hclsyntax parser_template.go): quoted strings and heredocs with their
 * `${…}` interpolations and `%{…}` directives, read character by character and built into
 * template nodes: literals melded, `~` trimming, heredoc flushing, if/for nesting.
 */

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

/** The part of the parser that reads templates; expressions inside them are the parser's. */
export abstract class TemplateParser extends Lexer {
  protected abstract parseExpression(): Expression;

  /** A block label: a quoted string with escapes but no template sequences. */
  protected parseQuotedLabel(): string {
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

  protected parseQuotedTemplate(s: number): Expression {
    // Most strings are plain text: one literal, without the template machinery's intermediate tokens.
    const src = this.src;
    const p = plainStringEnd(src, s + 1);
    if (p > s + 1) {
      this.pos = p + 1;
      this.tok = T_NONE;
      return {
        kind: "template",
        parts: [{ kind: "literal", value: src.slice(s + 1, p), start: s + 1, end: p }],
        start: s,
        end: p + 1,
      };
    }
    return this.readTemplate(s, s + 1, true);
  }

  /** Set by parseSequence: whether the sequence closed with "~}". */
  protected stripAfter = false;

  /**
   * Parses a `${…}` or `%{…}` sequence starting at p, appending its template token; returns the
   * position after its closing brace.
   */
  protected parseSequence(
    p: number,
    interpolation: boolean,
    tokens: TemplateToken[],
    canTrimPrev: boolean,
    heredoc: boolean,
  ): number {
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

  protected parseHeredoc(s: number): Expression {
    return this.readTemplate(s, this.tokEnd, false);
  }

  /**
   * A template's content from `p`, into its template tokens and then its node: a quoted string's
   * (escapes allowed, to the closing quote on the same line) or a heredoc's (line by line, to the
   * line that is its closing marker; a bare template, see parseTemplateText, to the end of the text).
   */
  private readTemplate(s: number, p: number, quoted: boolean): Expression {
    const src = this.src;
    const len = this.len;
    // Read now: a heredoc inside an interpolation sets them anew.
    const marker = this.heredocMarker;
    const flush = this.heredocFlush;
    const tokens: TemplateToken[] = [];
    let startOfLine = !quoted;
    let ltrimNext = false;
    let canTrimPrev = false;
    let lit = ""; // decoded text before src[run, p)
    let run = p;
    let litStart = p;
    const pushLiteral = () => {
      if (this.skimming) {
        lit = "";
        ltrimNext = false;
        canTrimPrev = true;
        return;
      }
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
          return this.skimming && tokens.length === 0 ? SKIMMED : finishTemplate(tokens, s, end);
        }
        startOfLine = false;
      }
      if (p >= len) {
        // Only a bare template ends with the text.
        if (quoted || marker !== "") decline();
        if (lit !== "" || run < p) pushLiteral();
        this.pos = p;
        this.tok = T_NONE;
        return finishTemplate(tokens, s, p);
      }
      const c = src.charCodeAt(p);
      if (c >= 0x80 || PLAIN[c] === 1) {
        // A run of plain text: most of a template.
        for (p++; p < len; p++) {
          const d = src.charCodeAt(p);
          if (d < 0x80 && PLAIN[d] === 0) break;
        }
        continue;
      }
      if (quoted) {
        if (c === 0x22) break;
        if (c === 0x5c) {
          lit += src.slice(run, p);
          p = this.unescape(p);
          lit += this.escaped;
          run = p;
          continue;
        }
        if (c === 0x0a || c === 0x0d) decline();
      } else if (c === 0x0a) {
        // A heredoc's lines are literals of their own until flushed (see flushHeredoc).
        p++;
        pushLiteral();
        run = p;
        litStart = p;
        startOfLine = true;
        continue;
      } else if (c === 0x0d) {
        if (src.charCodeAt(p + 1) !== 0x0a) decline();
        p++;
        continue;
      }
      if (c === 0x24 || c === 0x25) {
        const d = src.charCodeAt(p + 1);
        if (d === 0x7b) {
          if (lit !== "" || run < p) pushLiteral();
          p = this.parseSequence(p, c === 0x24, tokens, canTrimPrev, !quoted);
          run = p;
          litStart = p;
          ltrimNext = this.stripAfter;
          canTrimPrev = false;
          continue;
        }
        if (d === c && src.charCodeAt(p + 2) === 0x7b) {
          // `$${` and `%%{` are the literal `${` and `%{`.
          lit += src.slice(run, p + 1) + "{";
          p += 3;
          run = p;
          continue;
        }
      }
      p++;
    }
    // At the closing quote.
    if (lit !== "" || run < p) pushLiteral();
    this.pos = p + 1;
    this.tok = T_NONE;
    return this.skimming && tokens.length === 0 ? SKIMMED : finishTemplate(tokens, s, p + 1);
  }
}

/** Characters with no meaning in a template (outside an escape or a sequence); any non-ASCII one is plain too. */
const PLAIN = new Uint8Array(128).fill(1);
for (const c of '"\\\n\r$%') PLAIN[c.charCodeAt(0)] = 0;

/** What a skimmed template stands for (see hcl-skim.ts): nothing is built. */
export const SKIMMED: Expression = { kind: "literal", value: null, start: -1, end: -1 };

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
export function finishTemplate(tokens: TemplateToken[], s: number, e: number): Expression {
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
  return {
    kind: "template",
    parts: parts.length === 0 ? [{ kind: "literal", value: "", start, end: start }] : parts,
    start,
    end,
  };
}
