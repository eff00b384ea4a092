/** One CSV record and the 1-based line it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export interface CsvSyntaxError {
  line: number;
  column: number;
  message: string;
}

/**
 * Split RFC 4180 CSV text into records: `,` separators, `"…"` quoting with `""` escapes, LF or
 * CRLF line ends (a quoted field may span lines). Blank lines are skipped. A record with a syntax
 * error (a stray quote, an unterminated quoted field) is reported and dropped; the rest go on.
 *
 * The credential report needs no more than this (IAM user names may contain `,`, which IAM
 * quotes), so keygate does without a CSV dependency.
 */
export function parseCsv(text: string): { records: CsvRecord[]; errors: CsvSyntaxError[] } {
  const records: CsvRecord[] = [];
  const errors: CsvSyntaxError[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;
  const n = text.length;

  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    let error: CsvSyntaxError | null = null;
    // One record: fields until an unquoted line end or the end of the text.
    for (;;) {
      let value = "";
      if (text[i] === '"') {
        const openColumn = i - lineStart + 1;
        i += 1;
        let closed = false;
        while (i < n) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i += 1;
            closed = true;
            break;
          }
          if (c === "\n") {
            line += 1;
            lineStart = i + 1;
          }
          value += c;
          i += 1;
        }
        if (!closed) {
          error ??= { line: recordLine, column: openColumn, message: "a quoted field is not closed" };
          break;
        }
        if (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
          error ??= { line, column: i - lineStart + 1, message: "unexpected character after a closing quote" };
        }
      }
      while (i < n && text[i] !== "," && text[i] !== "\n" && !(text[i] === "\r" && text[i + 1] === "\n")) {
        if (text[i] === '"') error ??= { line, column: i - lineStart + 1, message: "a quote inside an unquoted field" };
        value += text[i]!;
        i += 1;
      }
      fields.push(value);
      if (i < n && text[i] === ",") {
        i += 1;
        continue;
      }
      break;
    }
    // The line end.
    if (text[i] === "\r") i += 1;
    if (text[i] === "\n") i += 1;
    line += 1;
    lineStart = i;
    if (error) errors.push(error);
    else if (!(fields.length === 1 && fields[0] === "")) records.push({ line: recordLine, fields });
  }
  return { records, errors };
}
