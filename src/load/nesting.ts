import type { SyntaxProblem } from "./positions.js";

/**
 * How deeply brackets may nest in any input (HCL, .tf.json, plans, configs). Real configurations
 * stay under 20 levels and plans under 60; a parser, a structured clone between threads or an
 * evaluator that recurses runs out of stack in the thousands. One limit for every path, checked
 * before any of them runs, so that a file is refused the same way whichever parser would read it.
 */
export const MAX_NESTING = 256;

/**
 * The first place where brackets (`{`, `[`, `(`, and `${`/`%{` in templates) nest deeper than
 * {@link MAX_NESTING}, as an input error, or undefined. One linear pass: quoted strings and comments
 * are skipped, but template interpolations in strings count; heredoc bodies are scanned as code,
 * which can only overcount.
 */
export function tooDeep(text: string, limit = MAX_NESTING): SyntaxProblem | undefined {
  // Each open bracket; a quote inside `${` … `}` opens a string again (templates nest).
  const stack: number[] = [];
  let inString = false;
  let line = 1;
  let lineStart = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
      continue;
    }
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      else if ((c === 36 || c === 37) && text.charCodeAt(i + 1) === 123) {
        // `${` or `%{`: code until the matching `}`, then the string goes on.
        stack.push(-1);
        inString = false;
        i++;
        if (stack.length > limit) return problem(stack.length, line, i - lineStart);
      }
      continue;
    }
    switch (c) {
      case 34: // "
        inString = true;
        break;
      case 35: // # comment
        while (i + 1 < n && text.charCodeAt(i + 1) !== 10) i++;
        break;
      case 47: // // or /* */ comments
        if (text.charCodeAt(i + 1) === 47) while (i + 1 < n && text.charCodeAt(i + 1) !== 10) i++;
        else if (text.charCodeAt(i + 1) === 42) {
          const end = text.indexOf("*/", i + 2);
          const stop = end === -1 ? n : end + 1;
          for (let k = i; k < stop; k++)
            if (text.charCodeAt(k) === 10) {
              line++;
              lineStart = k + 1;
            }
          i = stop;
        }
        break;
      case 123: // {
      case 91: // [
      case 40: // (
        stack.push(c);
        if (stack.length > limit) return problem(stack.length, line, i - lineStart + 1);
        break;
      case 125: // }
      case 93: // ]
      case 41: // )
        // A `}` that closes a template interpolation resumes its string.
        if (stack.pop() === -1) inString = true;
        break;
    }
  }
  return undefined;
}

function problem(depth: number, line: number, column: number): SyntaxProblem {
  return {
    line,
    column,
    message: `Nesting too deep: brackets nest more than ${MAX_NESTING} levels here (level ${depth}); keygate reads up to ${MAX_NESTING} (real configurations stay under 20). Flatten the expression, or exclude the file`,
  };
}
