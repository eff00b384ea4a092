import { createColors } from "picocolors";
import { compareStrings, type Finding, type InputError, type Warning } from "../findings.js";
import type { PolicyInfo } from "../policy-info.js";
import type { ScanResult } from "../scan-result.js";
import { describeConfigUsed, findingDetails, findingFix, shortFindingMessage, suppressionHint } from "./messages.js";
import type { ReportContext, Reporter } from "./types.js";

/** The width a report is wrapped to when the terminal's is not known (not a terminal). */
export const DEFAULT_WIDTH = 80;

type Colors = ReturnType<typeof createColors>;

/** One line of the report's table: a finding, an input error or a warning, at its position. */
interface Row {
  line: number | undefined;
  column: number | undefined;
  severity: "error" | "warning" | "info";
  message: string;
  rule: string;
  /** Indented lines under the message: notes, fix, suppression hint, docs. */
  details: { label: string; text: string; color: (s: string) => string }[];
}

/**
 * The human report, in the manner of ESLint's "stylish": per file, `line:col  severity  message
 * rule`, the message (one sentence: the key, its user, why) wrapped to the terminal's width; the
 * fix, how to suppress and the docs link on indented lines under the first finding of each policy
 * (under every finding with --verbose, and always where the fix is particular to the finding); the
 * summary line last.
 */
export const textReporter: Reporter = {
  name: "text",
  description: "human-readable, grouped by file, wrapped to the terminal (default)",
  render(result: ScanResult, context: ReportContext): string {
    const c = createColors(context.color);
    const width = Math.max(40, context.width ?? DEFAULT_WIDTH);
    if (nothingChecked(result)) {
      // A path that does not exist, a directory without Terraform files: one line each and a hint, not a report.
      return `${[...result.errors.map((e) => c.red(`✖ ${e.message}`)), "Nothing was checked: name the directories, files or plans to scan."].flatMap((l) => wrap(l, width, 2)).join("\n")}\n`;
    }
    const policies = new Map(result.policies.map((p) => [p.id, p]));
    const shown = new Set<string>();
    const byFile = new Map<string, Row[]>();
    const add = (file: string, row: Row) => byFile.set(file, [...(byFile.get(file) ?? []), row]);
    const active = result.findings.filter((f) => !f.suppressed);
    for (const finding of active)
      add(finding.location.file, findingRow(finding, policies.get(finding.ruleId), shown, context.verbose === true));
    for (const error of result.errors) add(error.file, diagnosticRow(error, "error"));
    for (const warning of result.warnings) add(warning.file, diagnosticRow(warning, "warning"));

    // Columns as wide as their widest cell in the whole report, as ESLint aligns them.
    const all = [...byFile.values()].flat();
    const columns = {
      position: Math.max(0, ...all.map((r) => position(r).length)),
      severity: Math.max(0, ...all.map((r) => r.severity.length)),
      rule: Math.max(0, ...all.map((r) => r.rule.length)),
    };
    const lines: string[] = [];
    for (const file of [...byFile.keys()].sort(compareStrings)) {
      const rows = byFile.get(file)!.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
      lines.push(c.underline(file), ...table(rows, columns, width, c), "");
    }
    if (result.comparedWith) lines.push(c.dim(`Compared with ${result.comparedWith}.`));
    lines.push(...summaryLines(result, active.length, width, c));
    return `${lines.join("\n")}\n`;
  },
};

/** Whether the run found nothing to check at all: only errors without a position, no configuration. */
function nothingChecked(result: ScanResult): boolean {
  return (
    result.errors.length > 0 &&
    result.findings.length === 0 &&
    result.warnings.length === 0 &&
    !result.configurations?.length &&
    result.errors.every((e) => e.line === undefined && /^(path does not exist|no Terraform files)/.test(e.message))
  );
}

function findingRow(finding: Finding, policy: PolicyInfo | undefined, shown: Set<string>, verbose: boolean): Row {
  const details: Row["details"] = finding.notes.map((note) => ({
    label: "note:",
    text: note,
    color: (s: string) => s,
  }));
  // What the policy shows under the finding (for a module call: the inputs the fix is about).
  for (const detail of findingDetails(finding)) details.push({ ...detail, color: (s) => s });
  // The fix's first sentence: how to suppress has a line of its own.
  const fix = findingFix(finding, policy, true);
  // The policy's own fix, hint and docs once per policy; a fix particular to the finding each time.
  const once = (key: string) => {
    if (verbose) return true;
    if (shown.has(key)) return false;
    shown.add(key);
    return true;
  };
  if (fix && once(`fix:${fix}`)) details.push({ label: "fix:", text: fix, color: (s) => s });
  const hint = suppressionHint(finding);
  if (hint && once(`suppress:${finding.ruleId}:${hint}`))
    details.push({ label: "suppress:", text: hint, color: (s) => s });
  if (policy && once(`docs:${policy.id}`)) details.push({ label: "docs:", text: policy.docsUrl, color: (s) => s });
  return {
    line: finding.location.line,
    column: finding.location.column,
    severity: finding.severity,
    message: shortFindingMessage(finding),
    rule: finding.ruleId,
    details,
  };
}

function diagnosticRow(diagnostic: InputError | Warning, severity: "error" | "warning"): Row {
  return {
    line: diagnostic.line,
    column: diagnostic.line !== undefined ? (diagnostic.column ?? 1) : undefined,
    severity,
    message: diagnostic.message,
    rule: "",
    details: [],
  };
}

function position(row: Row): string {
  return row.line !== undefined ? `${row.line}:${row.column ?? 1}` : "";
}

/**
 * The rows of one file in aligned columns. The message is wrapped to the width: its first line
 * leaves room for the rule, the following ones run to the edge under the message column.
 */
function table(
  rows: Row[],
  columns: { position: number; severity: number; rule: number },
  width: number,
  c: Colors,
): string[] {
  const indent = 2 + columns.position + 2 + columns.severity + 2;
  const rest = Math.max(20, width - indent);
  const first = columns.rule ? Math.max(20, rest - columns.rule - 2) : rest;
  const out: string[] = [];
  for (const row of rows) {
    const severity = row.severity === "error" ? c.red : row.severity === "warning" ? c.yellow : c.blue;
    const message = wrap(row.message, rest, 0, row.rule ? first : rest);
    const lead = `  ${c.dim(position(row).padEnd(columns.position))}  ${severity(row.severity.padEnd(columns.severity))}  `;
    out.push(row.rule ? `${lead}${message[0]!.padEnd(first)}  ${c.dim(row.rule)}` : `${lead}${message[0]!}`.trimEnd());
    for (const line of message.slice(1)) out.push(`${" ".repeat(indent)}${line}`);
    for (const detail of row.details) {
      // The label and the first word stay together (a URL after "docs:" is not put on a line of its own).
      const text = wrap(`${detail.label}\u00a0${detail.text}`, rest, detail.label.length + 1);
      out.push(`${" ".repeat(indent)}${c.dim(detail.label)} ${detail.color(text[0]!.slice(detail.label.length + 1))}`);
      for (const line of text.slice(1)) out.push(`${" ".repeat(indent)}${line}`);
    }
  }
  return out;
}

/**
 * Breaks text at spaces into lines of at most `width` characters (a longer word, a URL say, gets a
 * line of its own rather than being cut); lines after the first are indented by `hang`.
 */
export function wrap(text: string, width: number, hang = 0, firstWidth = width): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/ +/)) {
    const limit = lines.length ? width - hang : firstWidth;
    if (line && line.length + 1 + word.length > limit) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l, i) => (i ? `${" ".repeat(hang)}${l}` : l).replace(/\u00a0/g, " "));
}

/** `✖ 2 findings (2 errors), 1 suppressed … in 5 files`, only naming what happened. */
export function summaryText(result: ScanResult): { text: string; failed: boolean } {
  const activeCount = result.findings.filter((f) => !f.suppressed).length;
  const count = (kind: "inline" | "baseline") => result.findings.filter((f) => f.suppressed?.kind === kind).length;
  const bySeverity = (["error", "warning", "info"] as const).map(
    (s) => [s, result.findings.filter((f) => !f.suppressed && f.severity === s).length] as const,
  );
  const breakdown = activeCount
    ? ` (${bySeverity
        .filter(([, n]) => n)
        .map(([s, n]) => plural(n, s))
        .join(", ")})`
    : "";
  const parts = [`${plural(activeCount, "finding")}${breakdown}`];
  // Only what happened is worth a word: counts that are zero stay out of the line.
  if (count("inline")) parts.push(`${count("inline")} suppressed`);
  if (count("baseline")) parts.push(`${count("baseline")} baselined`);
  if (result.baseline?.stale.length)
    parts.push(plural(result.baseline.stale.length, "stale baseline entry", "stale baseline entries"));
  if (result.errors.length) parts.push(plural(result.errors.length, "input error"));
  // Warnings about keygate:ignore comments and the baseline are suppression warnings; the rest
  // (a module call not followed, …) are warnings about the run, not about suppressions.
  const suppressionWarnings = result.warnings.filter(isSuppressionWarning).length;
  if (suppressionWarnings) parts.push(plural(suppressionWarnings, "suppression warning"));
  if (result.warnings.length > suppressionWarnings)
    parts.push(plural(result.warnings.length - suppressionWarnings, "warning"));
  const config = describeConfigUsed(result.config);
  const text = `${parts.join(", ")}${result.files ? ` in ${plural(result.files, "file")}` : ""}${config ? `; ${config}` : ""}`;
  if (result.errors.length) return { text: `${text}; the check is incomplete`, failed: true };
  return { text, failed: activeCount > 0 };
}

function isSuppressionWarning(warning: { message: string }): boolean {
  return /^(keygate:ignore|stale baseline entry)/.test(warning.message);
}

function summaryLines(result: ScanResult, activeCount: number, width: number, c: Colors): string[] {
  const { text, failed } = summaryText(result);
  const paint = failed || activeCount ? (t: string) => c.red(c.bold(t)) : c.green;
  return wrap(`${failed || activeCount ? "✖" : "✔"} ${text}`, width, 2).map(paint);
}

function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}
