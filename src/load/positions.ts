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

/** A syntax problem at a 1-based position. */
export interface SyntaxProblem {
  line: number;
  column: number;
  message: string;
}

/** Turns character offsets of a text into 1-based lines and columns (what every report shows). */
export class LineIndex {
  private readonly starts: number[];
  private readonly length: number;

  constructor(text: string) {
    this.length = text.length;
    // A BOM is not part of the first line as an editor shows it.
    this.starts = [text.charCodeAt(0) === 0xfeff ? 1 : 0];
    // Only LF ends a line: with CRLF the CR is the last character of its line, and HCL rejects a
    // lone CR, so line numbers come out the same as for LF.
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  /** The 1-based line and column of a character offset. */
  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }

  /** The character offset of a 1-based line and column (the text's end for a line it does not have). */
  offset(line: number, column: number): number {
    const start = this.starts[line - 1];
    return start === undefined ? this.length : start + column - 1;
  }

  /** The span between two character offsets. */
  span(start: number, end: number): Span {
    return { start: this.position(start), end: this.position(end) };
  }
}

let graphemes: Intl.Segmenter | undefined;

/**
 * The column, in UTF-16 code units, of a position HCL gives: hcl.Pos counts a line's characters as
 * grapheme clusters (`é` written as `e` and a combining accent is one, so is an emoji of two code
 * units), which is what hcl2json's diagnostics say. Reports count code units (see {@link LineIndex}).
 * A column past its line's end stays past it by as much; a line the text lacks keeps its column.
 */
export function utf16Column(text: string, line: number, column: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const newline = text.indexOf("\n", start);
    if (newline < 0) return column;
    start = newline + 1;
  }
  let end = text.indexOf("\n", start);
  if (end < 0) end = text.length;
  let ascii = true;
  for (let i = start; i < Math.min(end, start + column - 1); i++) if (text.charCodeAt(i) >= 0x80) ascii = false;
  if (ascii) return column;
  graphemes ??= new Intl.Segmenter("en", { granularity: "grapheme" });
  let units = 0;
  let characters = 0;
  for (const { segment } of graphemes.segment(text.slice(start, end))) {
    if (characters === column - 1) break;
    units += segment.length;
    characters++;
  }
  return units + (column - 1 - characters) + 1;
}
