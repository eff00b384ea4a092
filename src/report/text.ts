import { createColors } from "picocolors";
import { compareStrings, type Finding, type InputError, type Warning } from "../findings.js";
import type { ScanResult } from "../scan.js";
import { findingFix, findingMessage } from "./messages.js";
import type { ReportContext, Reporter } from "./types.js";

type Entry =
  | { kind: "finding"; line: number; column: number; finding: Finding }
  | { kind: "error"; line: number; column: number; error: InputError }
  | { kind: "warning"; line: number; column: number; warning: Warning };

/** The human report: problems grouped by file, each with its fix and docs link, then a one-line summary. */
export const textReporter: Reporter = {
  name: "text",
  description: "human-readable, grouped by file (default)",
  render(result: ScanResult, context: ReportContext): string {
    const c = createColors(context.color);
    const byFile = new Map<string, Entry[]>();
    const add = (file: string, entry: Entry) => byFile.set(file, [...(byFile.get(file) ?? []), entry]);
    const active = result.findings.filter((f) => !f.suppressed);
    for (const finding of active) add(finding.location.file, { kind: "finding", line: finding.location.line, column: finding.location.column, finding });
    for (const error of result.errors) add(error.file, { kind: "error", line: error.line ?? 0, column: error.column ?? 0, error });
    for (const warning of result.warnings) add(warning.file, { kind: "warning", line: warning.line, column: warning.column, warning });
    const policies = new Map(result.policies.map((p) => [p.id, p]));

    const lines: string[] = [];
    for (const file of [...byFile.keys()].sort(compareStrings)) {
      lines.push(c.underline(file));
      const entries = byFile.get(file)!.sort((a, b) => a.line - b.line || a.column - b.column);
      for (const entry of entries) {
        const position = entry.line ? `${entry.line}:${entry.column}` : "";
        const pad = position.padEnd(7);
        if (entry.kind === "finding") {
          const f = entry.finding;
          const severity = f.severity === "error" ? c.red("error") : f.severity === "warning" ? c.yellow("warning") : c.blue("info");
          lines.push(`  ${c.dim(pad)} ${severity}  ${findingMessage(f)}  ${c.dim(`${f.ruleId} ${f.ruleName}`)}`);
          for (const note of f.notes) lines.push(`  ${" ".repeat(7)}   ${c.yellow("note:")} ${note}`);
          const policy = policies.get(f.ruleId);
          const fix = findingFix(f, policy, true);
          if (fix) lines.push(`  ${" ".repeat(7)}   ${c.green("fix:")} ${fix}`);
          if (policy) lines.push(`  ${" ".repeat(7)}   ${c.dim(`docs: ${policy.docsUrl}`)}`);
        } else if (entry.kind === "error") {
          lines.push(`  ${c.dim(pad)} ${c.red("error")}  ${entry.error.message}  ${c.dim("input error")}`);
        } else {
          lines.push(`  ${c.dim(pad)} ${c.yellow("warning")}  ${entry.warning.message}  ${c.dim("suppression")}`);
        }
      }
      lines.push("");
    }
    lines.push(summaryLine(result, active.length, c));
    return `${lines.join("\n")}\n`;
  },
};

function summaryLine(result: ScanResult, activeCount: number, c: ReturnType<typeof createColors>): string {
  const count = (kind: "inline" | "baseline") => result.findings.filter((f) => f.suppressed?.kind === kind).length;
  const bySeverity = (["error", "warning", "info"] as const).map((s) => [s, result.findings.filter((f) => !f.suppressed && f.severity === s).length] as const);
  const breakdown = activeCount ? ` (${bySeverity.filter(([, n]) => n).map(([s, n]) => plural(n, s)).join(", ")})` : "";
  const parts = [`${plural(activeCount, "finding")}${breakdown}`];
  // Only what happened is worth a word: counts that are zero stay out of the line.
  if (count("inline")) parts.push(`${count("inline")} suppressed`);
  if (count("baseline")) parts.push(`${count("baseline")} baselined`);
  if (result.baseline?.stale.length) parts.push(plural(result.baseline.stale.length, "stale baseline entry", "stale baseline entries"));
  if (result.errors.length) parts.push(plural(result.errors.length, "input error"));
  if (result.warnings.length) parts.push(plural(result.warnings.length, "suppression warning"));
  const text = `${parts.join(", ")}${result.files ? ` in ${plural(result.files, "file")}` : ""}`;
  if (result.errors.length) return c.red(c.bold(`✖ ${text}; the check is incomplete`));
  if (activeCount) return c.red(c.bold(`✖ ${text}`));
  return c.green(`✔ ${text}`);
}

function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

