import { compareStrings } from "../findings.js";
import type { ScanResult } from "../scan-result.js";
import { shortFindingMessage } from "./messages.js";
import { summaryText } from "./text.js";
import type { Reporter } from "./types.js";

/**
 * One line per problem, `file:line:col: severity message [KG001]`, in the manner of ESLint's and
 * gcc's compact output: for editors' problem matchers and for grep. Input errors and warnings
 * have no rule; the summary is the last line.
 */
export const compactReporter: Reporter = {
  name: "compact",
  description: "one line per problem (file:line:col: severity message [rule]), for editors and grep",
  render(result: ScanResult): string {
    const lines: { file: string; line: number; column: number; text: string }[] = [];
    for (const f of result.findings.filter((x) => !x.suppressed)) {
      lines.push({
        file: f.location.file,
        line: f.location.line,
        column: f.location.column,
        text: `${position(f.location.file, f.location.line, f.location.column)} ${f.severity} ${shortFindingMessage(f)} [${f.ruleId}]`,
      });
    }
    for (const [kind, list] of [
      ["error", result.errors],
      ["warning", result.warnings],
    ] as const) {
      for (const d of list)
        lines.push({
          file: d.file,
          line: d.line ?? 0,
          column: d.column ?? 0,
          text: `${position(d.file, d.line, d.column)} ${kind} ${d.message}`,
        });
    }
    lines.sort((a, b) => compareStrings(a.file, b.file) || a.line - b.line || a.column - b.column);
    return `${[...lines.map((l) => l.text), summaryText(result).text].join("\n")}\n`;
  },
};

function position(file: string, line: number | undefined, column: number | undefined): string {
  return line === undefined ? `${file}:` : `${file}:${line}:${column ?? 1}:`;
}
