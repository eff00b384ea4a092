import type { Expression } from "./hcl-syntax.js";
import {
  decline,
  plainStringEnd,
  T_EOF,
  T_EQ,
  T_GT,
  T_HEREDOC,
  T_IDENT,
  T_LBRACE,
  T_LBRACK,
  T_LPAREN,
  T_NONE,
  T_OQUOTE,
  T_RBRACE,
  T_RBRACK,
  T_RPAREN,
  T_STRIP_CLOSE,
} from "./hcl-lexer.js";
import { SKIMMED, TemplateParser } from "./hcl-templates.js";
import { MAX_NESTING } from "./nesting.js";

/**
 * The lexer's skim mode, for the files the prefilter does not parse (most files of a large
 * repository): the same tokens, strings and heredocs as the parser reads, but only brackets are
 * matched and nothing is built. It is not a parser — a file it passes may still hold an invalid
 * expression — but a truncated or mangled file (unbalanced brackets, an unterminated string,
 * heredoc or comment, an invalid token, a merge-conflict marker, brackets and template sequences
 * nested deeper than keygate reads) does not pass.
 */

/** A top-level `resource "type" "name" {` or `data "type" "name" {` header. */
export interface BlockHeader {
  keyword: "resource" | "data";
  type: string;
  name: string;
  /** Offsets of the keyword and just past the `{`. */
  start: number;
  end: number;
}

/** What a skim found. */
export interface Skim {
  /** Whether the file's structure is sound (see above). */
  wellFormed: boolean;
  /**
   * The top-level resource and data blocks, when asked for and every one of them has a plain header
   * (`resource "type" "name" {` on one line, labels without escapes or template sequences);
   * otherwise undefined.
   */
  headers: BlockHeader[] | undefined;
}

/** Skims a file's text (with `headers`, also its top-level resource and data block headers). */
export function skimHcl(text: string, { headers = false }: { headers?: boolean } = {}): Skim {
  const skimmer = new Skimmer(text, headers, headers ? [] : undefined);
  return skimmer.skimmed() ? { wellFormed: true, headers: skimmer.headers } : { wellFormed: false, headers: undefined };
}

/**
 * The same skim, saying only whether {@link skimHcl} with `headers` would list the headers
 * (whether each is plain) without listing them: the survey of every file of a repository keeps
 * that answer, and the headers of the few files whose configuration matters are listed again
 * then (see prefilter.ts), rather than thousands of header objects kept for the whole run.
 */
export function skimHclPlain(text: string): { wellFormed: boolean; plainHeaders: boolean } {
  const skimmer = new Skimmer(text, true, undefined);
  return skimmer.skimmed()
    ? { wellFormed: true, plainHeaders: skimmer.watching }
    : { wellFormed: false, plainHeaders: false };
}

class Skimmer extends TemplateParser {
  constructor(
    text: string,
    /** Whether top-level headers are still looked at: until one is not plain (see header). */
    public watching: boolean,
    /** Where plain headers are listed (undefined: not listed, or no longer, once one is not plain). */
    public headers: BlockHeader[] | undefined,
  ) {
    super(text);
    this.skimming = true;
  }

  /** Skims the whole file: whether it looks well formed. */
  skimmed(): boolean {
    try {
      this.skimFile();
      return true;
    } catch {
      // A decline, or anything unforeseen (such as a stack overflow on absurd nesting): parsed, and its error reported.
      return false;
    }
  }

  skimFile(): void {
    if (this.src.charCodeAt(0) === 0xfeff) this.pos = 1;
    // Newlines are no tokens here: a block header is told by what precedes it on its line.
    this.nl = false;
    this.skimTokens(true);
  }

  /** How deeply brackets and template sequences nest here. */
  private depth = 0;

  /** An opening bracket: nesting deeper than keygate reads is not well formed (see nesting.ts). */
  private open(closers: number[], closer: number): void {
    closers.push(closer);
    if (++this.depth > MAX_NESTING) decline();
  }

  /** An interpolation's or directive's expression: its tokens, up to the sequence's closing brace. */
  protected parseExpression(): Expression {
    if (++this.depth > MAX_NESTING) decline();
    this.skimTokens(false);
    this.depth--;
    return SKIMMED;
  }

  /**
   * Tokens with their brackets matched, to the end of the file (`top`) or to the closing brace of a
   * template sequence (left for the template reader).
   */
  private skimTokens(top: boolean): void {
    const closers: number[] = [];
    for (;;) {
      // The lexer's own loop, without peek's bookkeeping.
      this.scan();
      const t = this.tok;
      switch (t) {
        case T_EOF:
          if (!top || closers.length > 0) decline();
          return;
        case T_LBRACE:
          this.open(closers, T_RBRACE);
          break;
        case T_LBRACK:
          this.open(closers, T_RBRACK);
          break;
        case T_LPAREN:
          this.open(closers, T_RPAREN);
          break;
        case T_RBRACE:
        case T_STRIP_CLOSE:
          if (!top && closers.length === 0) return;
          if (closers.pop() !== t) decline();
          this.depth--;
          break;
        case T_RBRACK:
        case T_RPAREN:
          if (closers.pop() !== t) decline();
          this.depth--;
          break;
        case T_OQUOTE: {
          const end = plainStringEnd(this.src, this.tokStart + 1);
          if (end >= 0) {
            this.pos = end + 1;
            this.tok = T_NONE;
          } else this.parseQuotedTemplate(this.tokStart);
          continue;
        }
        case T_HEREDOC:
          this.parseHeredoc(this.tokStart);
          continue;
        case T_EQ:
        case T_GT:
          // `=======` and `>>>>>>>` lex as operators (`<<<<<<<` is no heredoc); never HCL, always a merge conflict.
          if (isConflictMarker(this.src, this.tokStart)) decline();
          break;
        case T_IDENT:
          if (
            top &&
            closers.length === 0 &&
            this.watching &&
            (this.identIs("resource") || this.identIs("data")) &&
            this.startsLine(this.tokStart)
          ) {
            // On from where the header's reading stopped: past its `{`, or at the token that made it no plain header.
            if (this.header()) this.open(closers, T_RBRACE);
            continue;
          }
          break;
      }
      this.pos = this.tokEnd;
    }
  }

  /** Whether only blanks precede `at` on its line. */
  private startsLine(at: number): boolean {
    let p = at - 1;
    while (this.src.charCodeAt(p) === 0x20 || this.src.charCodeAt(p) === 0x09) p--;
    return p < 0 || this.src.charCodeAt(p) === 0x0a || (p === 0 && this.src.charCodeAt(0) === 0xfeff);
  }

  /**
   * At a top-level `resource` or `data`: a plain header is noted and read up to its `{`. Another
   * (a block that is not plainly one of those) forgoes the headers; the skim goes on.
   */
  private header(): boolean {
    const start = this.tokStart;
    const keyword = this.identIs("resource") ? "resource" : "data";
    this.consume();
    // A plain header is on one line (HCL wants the `{` on the header's line).
    this.nl = true;
    // The labels' offsets (start, end of each): sliced only when the headers are listed.
    const labels: number[] = [];
    while (labels.length < 4 && this.peek() === T_OQUOTE) {
      const end = plainStringEnd(this.src, this.tokStart + 1);
      if (end <= this.tokStart + 1) break;
      labels.push(this.tokStart + 1, end);
      this.pos = end + 1;
      this.tok = T_NONE;
    }
    const plain = labels.length === 4 && this.peek() === T_LBRACE;
    this.nl = false;
    if (!plain) {
      this.watching = false;
      this.headers = undefined;
      return false;
    }
    this.headers?.push({
      keyword,
      type: this.src.slice(labels[0], labels[1]),
      name: this.src.slice(labels[2], labels[3]),
      start,
      end: this.tokEnd,
    });
    this.consume();
    return true;
  }
}

/** Seven `=` or `>` in a row: git's conflict markers. */
function isConflictMarker(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  for (let k = 1; k < 7; k++) if (text.charCodeAt(at + k) !== c) return false;
  return true;
}
