/**
 * The lexer of keygate's HCL parser (hashicorp/hcl's hclsyntax scanner): tokens of the native
 * syntax, read on demand by the parser, with the character classes and escapes HCL defines.
 * Template contents (quoted strings, heredocs) are read by hcl-templates.ts.
 */

/**
 * Thrown (and caught in parseHclNative) whenever the input is invalid or out of our depth. One shared
 * instance, not an Error: declining is control flow on the hot path, and an Error would capture a stack.
 */
// eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a marker type for `instanceof`
export class Decline {}
const DECLINE = new Decline();
export function decline(): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- see Decline
  throw DECLINE;
}

// hcl2json turns `"${x}"` and `"%{x}"` literal text back into template escapes, and both the Go
// side (which sees UTF-8) and we must agree on every character: lone surrogates become U+FFFD there.
export function isWellFormed(text: string): boolean {
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

// Token types.
export const T_NONE = 0;
export const T_EOF = 1;
export const T_NL = 2;
export const T_IDENT = 3;
export const T_NUMBER = 4;
export const T_OQUOTE = 5;
export const T_HEREDOC = 6;
export const T_LBRACE = 7;
export const T_RBRACE = 8;
export const T_LBRACK = 9;
export const T_RBRACK = 10;
export const T_LPAREN = 11;
export const T_RPAREN = 12;
export const T_COMMA = 13;
export const T_DOT = 14;
export const T_ELLIPSIS = 15;
export const T_COLON = 16;
export const T_DCOLON = 17;
export const T_QUESTION = 18;
export const T_ASSIGN = 19;
export const T_ARROW = 20;
export const T_EQ = 21;
export const T_NE = 22;
export const T_LT = 23;
export const T_LE = 24;
export const T_GT = 25;
export const T_GE = 26;
export const T_AND = 27;
export const T_OR = 28;
export const T_NOT = 29;
export const T_PLUS = 30;
export const T_MINUS = 31;
export const T_STAR = 32;
export const T_SLASH = 33;
export const T_PERCENT = 34;
export const T_STRIP_CLOSE = 35; // "~}"

export function isDigit(c: number): boolean {
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

export function isIdentStart(c: number): boolean {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
  // Non-ASCII letters only from the oldest, stable blocks, where Go's and V8's Unicode tables agree.
  return c < 0x800 && !isAfterUnicode9(c) && ID_START.test(String.fromCharCode(c));
}

/** ASCII identifier characters (letters, digits, `_`, `-`), looked up: identifiers are most of a file. */
const ASCII_IDENT_CONTINUE = new Uint8Array(128);
for (let c = 0; c < 128; c++)
  ASCII_IDENT_CONTINUE[c] =
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d
      ? 1
      : 0;

export function isIdentContinue(c: number): boolean {
  if (c < 0x80) return ASCII_IDENT_CONTINUE[c] === 1;
  return c < 0x800 && !isAfterUnicode9(c) && ID_CONTINUE.test(String.fromCharCode(c));
}

/** Go's unicode.IsSpace. */
export function isSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

export function trimRightSpace(s: string): string {
  let i = s.length;
  while (i > 0 && isSpace(s.charCodeAt(i - 1))) i--;
  return i === s.length ? s : s.slice(0, i);
}

export function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * The heredoc introducer at `p` (`<<EOF` or `<<-EOF`, then the line's end): its marker, whether it
 * flushes (`<<-`), and where its first line starts; undefined when there is none.
 */
export function heredocIntroducer(src: string, p: number): { marker: string; flush: boolean; end: number } | undefined {
  let q = p + 2;
  const flush = src.charCodeAt(q) === 0x2d;
  if (flush) q++;
  const markerStart = q;
  const c = src.charCodeAt(q);
  if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f)) return undefined;
  q++;
  for (;;) {
    const d = src.charCodeAt(q);
    if ((d >= 0x61 && d <= 0x7a) || (d >= 0x41 && d <= 0x5a) || (d >= 0x30 && d <= 0x39) || d === 0x5f || d === 0x2d)
      q++;
    else break;
  }
  const markerEnd = q;
  if (src.charCodeAt(q) === 0x0d) q++;
  if (src.charCodeAt(q) !== 0x0a) return undefined;
  return { marker: src.slice(markerStart, markerEnd), flush, end: q + 1 };
}

/** Whether src[from, eol) holds only a heredoc's closing marker and whitespace (eol: the line's end). */
export function lineIsMarker(src: string, from: number, eol: number, marker: string): boolean {
  // A carriage return is only allowed as part of the line's CRLF (the scanner rejects a lone one).
  let a = from;
  let b = src.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol;
  while (a < b && src.charCodeAt(a) !== 0x0d && isSpace(src.charCodeAt(a))) a++;
  while (b > a && src.charCodeAt(b - 1) !== 0x0d && isSpace(src.charCodeAt(b - 1))) b--;
  return b - a === marker.length && src.startsWith(marker, a);
}

/**
 * Where a quoted string whose text starts at `from` ends (the offset of its closing quote) when
 * that text is plain: no escape, template sequence, line break or character NFC may change; -1
 * when it is not (the template reader then reads it).
 */
export function plainStringEnd(src: string, from: number): number {
  for (let p = from; p < src.length; p++) {
    const c = src.charCodeAt(p);
    if (c === 0x22) return p;
    if (c === 0x5c || c === 0x24 || c === 0x25 || c === 0x0a || c === 0x0d || c >= 0x300) return -1;
  }
  return -1;
}

/** A comment's offsets (`#` and `//` comments end before their newline). */
export interface Comment {
  start: number;
  end: number;
  style: "#" | "//" | "/*";
}

/** Reads tokens from a text on demand; the parser drives it (peek, consume). */
export class Lexer {
  protected readonly src: string;
  protected readonly len: number;
  protected pos = 0;
  /** Whether newlines are tokens here (bodies, object constructors) or skipped (brackets). */
  protected nl = true;
  protected tok = T_NONE;
  protected tokStart = 0;
  protected tokEnd = 0;
  // Heredoc introducer details, set when the lexer produces T_HEREDOC.
  protected heredocMarker = "";
  protected heredocFlush = false;

  /**
   * Skim mode (hcl-skim.ts): letters beyond the Unicode blocks this lexer checks are taken as
   * identifier characters rather than declined, and templates build no literal text.
   */
  protected skimming = false;

  /** The comments met, in source order, when the caller wants them (an outline). */
  comments: Comment[] | undefined;

  constructor(src: string) {
    this.src = src;
    this.len = src.length;
  }

  private noteComment(start: number, end: number, style: Comment["style"]): void {
    const comments = this.comments!;
    // A token may be scanned again after the parser looked ahead; its comment is noted once.
    if (comments.length > 0 && comments[comments.length - 1]!.start >= start) return;
    comments.push({ start, end, style });
  }

  protected peek(): number {
    while (this.tok === T_NONE || (this.tok === T_NL && !this.nl)) {
      if (this.tok === T_NL) this.pos = this.tokEnd;
      this.scan();
    }
    return this.tok;
  }

  protected consume(): void {
    this.pos = this.tokEnd;
    this.tok = T_NONE;
  }

  protected expect(type: number): void {
    if (this.peek() !== type) decline();
    this.consume();
  }

  protected setToken(type: number, start: number, end: number): void {
    this.tok = type;
    this.tokStart = start;
    this.tokEnd = end;
  }

  protected scan(): void {
    const src = this.src;
    const len = this.len;
    let p = this.pos;
    for (;;) {
      if (p >= len) return this.setToken(T_EOF, len, len);
      const c = src.charCodeAt(p);
      // Blanks first: most characters of a file are indentation and alignment.
      if (c === 0x20) {
        p++;
        continue;
      }
      switch (c) {
        case 0x20: // space
        case 0x09: // tab
          p++;
          continue;
        // Where newlines are no tokens (see nl), they are skipped here rather than by peek.
        case 0x0a:
          if (!this.nl) {
            p++;
            continue;
          }
          return this.setToken(T_NL, p, p + 1);
        case 0x0d:
          if (src.charCodeAt(p + 1) !== 0x0a) decline();
          if (!this.nl) {
            p += 2;
            continue;
          }
          return this.setToken(T_NL, p, p + 2);
        case 0x23: {
          // "#" comment: with its newline it counts as one.
          const eol = src.indexOf("\n", p);
          if (this.comments) this.noteComment(p, eol < 0 ? len : eol, "#");
          if (eol < 0 || !this.nl) {
            p = eol < 0 ? len : eol + 1;
            continue;
          }
          return this.setToken(T_NL, p, eol + 1);
        }
        case 0x2f: {
          const d = src.charCodeAt(p + 1);
          if (d === 0x2f) {
            const eol = src.indexOf("\n", p);
            if (this.comments) this.noteComment(p, eol < 0 ? len : eol, "//");
            if (eol < 0 || !this.nl) {
              p = eol < 0 ? len : eol + 1;
              continue;
            }
            return this.setToken(T_NL, p, eol + 1);
          }
          if (d === 0x2a) {
            const close = src.indexOf("*/", p + 2);
            if (close < 0) decline();
            if (this.comments) this.noteComment(p, close + 2, "/*");
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
          if (src.charCodeAt(p + 1) === 0x2e && src.charCodeAt(p + 2) === 0x2e)
            return this.setToken(T_ELLIPSIS, p, p + 3);
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
          if (isIdentStart(c) || (this.skimming && c >= 0x800)) {
            let q = p + 1;
            for (; q < len; q++) {
              const d = src.charCodeAt(q);
              if (d < 0x80 ? ASCII_IDENT_CONTINUE[d] === 0 : !isIdentContinue(d) && !(this.skimming && d >= 0x800))
                break;
            }
            return this.setToken(T_IDENT, p, q);
          }
          return decline();
      }
    }
  }

  protected scanNumber(p: number): void {
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

  protected scanHeredocIntroducer(p: number): void {
    const intro = heredocIntroducer(this.src, p);
    if (!intro) decline();
    this.heredocMarker = intro.marker;
    this.heredocFlush = intro.flush;
    this.setToken(T_HEREDOC, p, intro.end);
  }

  protected identIs(word: string): boolean {
    return (
      this.tok === T_IDENT && this.tokEnd - this.tokStart === word.length && this.src.startsWith(word, this.tokStart)
    );
  }

  protected escaped = "";

  /** Decodes the escape sequence at p (a backslash) into this.escaped; returns the position after it. */
  protected unescape(p: number): number {
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
}
