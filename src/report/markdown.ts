import type { Finding, SourceLocation } from "../findings.js";
import type { ScanResult } from "../scan-result.js";
import { findingMessage } from "./messages.js";
import type { Reporter } from "./types.js";

/** Beyond this many rows a table is cut short: a pull-request comment holds at most 65,536 characters. */
const MAX_ROWS = 100;

/**
 * A summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`: a status line, the findings as a
 * table, input errors and warnings, and the suppressed and baselined findings folded away.
 */
export const markdownReporter: Reporter = {
  name: "markdown",
  description: "Markdown summary table, for a pull-request comment or $GITHUB_STEP_SUMMARY",
  render(result: ScanResult): string {
    const policies = new Map(result.policies.map((p) => [p.id, p]));
    const active = result.findings.filter((f) => !f.suppressed);
    const suppressed = result.findings.filter((f) => f.suppressed);
    const bySeverity = (s: string) => active.filter((f) => f.severity === s).length;
    const out: string[] = [];

    const status = result.errors.length
      ? `⚠️ keygate could not complete the check: ${plural(result.errors.length, "input error")}`
      : active.length
        ? `❌ keygate: ${plural(active.length, "finding")}`
        : "✅ keygate: no findings";
    out.push(`### ${status}`, "");
    const counts = [
      `${plural(active.length, "finding")}${
        active.length
          ? ` (${(["error", "warning", "info"] as const)
              .filter((s) => bySeverity(s))
              .map((s) => plural(bySeverity(s), s))
              .join(", ")})`
          : ""
      }`,
      `${suppressed.filter((f) => f.suppressed!.kind === "inline").length} suppressed`,
      ...(result.baseline ? [`${suppressed.filter((f) => f.suppressed!.kind === "baseline").length} baselined`] : []),
      plural(result.errors.length, "input error"),
      plural(result.warnings.length, "warning"),
      `${plural(result.files, "file")} scanned`,
    ];
    out.push(counts.join(" · "), "");
    if (result.config?.file) {
      const off = result.config.off.map((p) => `${p.id} (${p.alias})`);
      out.push(`Config: ${code(result.config.file)}${off.length ? ` · **turned off:** ${off.join(", ")}` : ""}`, "");
    }

    if (active.length) {
      out.push("| Severity | Rule | Location | Finding |", "|---|---|---|---|");
      for (const f of active.slice(0, MAX_ROWS)) {
        const policy = policies.get(f.ruleId);
        const rule = policy ? `[${f.ruleId}](${policy.docsUrl})` : f.ruleId;
        const notes = f.notes.map((n) => `<br>**Note:** ${cell(n)}`).join("");
        out.push(
          `| ${SEVERITY_BADGE[f.severity]} | ${rule} | ${code(where(f.location))} | ${cell(findingMessage(f))}${notes} |`,
        );
      }
      if (active.length > MAX_ROWS) out.push("", `…and ${active.length - MAX_ROWS} more; see the full report.`);
      out.push("");
      const fixes = [...new Set(active.map((f) => f.ruleId))].flatMap((id) => {
        const p = policies.get(id);
        return p ? [`**How to fix ${p.id}:** ${cell(p.remediation)} ([docs](${p.docsUrl}))`] : [];
      });
      if (fixes.length) out.push(...fixes, "");
    }

    if (result.errors.length) {
      out.push(
        "#### Input errors",
        "",
        "The check is incomplete until these files can be read.",
        "",
        "| Location | Error |",
        "|---|---|",
      );
      for (const e of result.errors.slice(0, MAX_ROWS))
        out.push(
          `| ${code(e.line !== undefined ? `${e.file}:${e.line}${e.column !== undefined ? `:${e.column}` : ""}` : e.file)} | ${cell(e.message)} |`,
        );
      if (result.errors.length > MAX_ROWS) out.push("", `…and ${result.errors.length - MAX_ROWS} more.`);
      out.push("");
    }

    if (result.warnings.length) {
      out.push("#### Warnings", "", "| Location | Warning |", "|---|---|");
      for (const w of result.warnings.slice(0, MAX_ROWS))
        out.push(`| ${code(`${w.file}:${w.line}:${w.column}`)} | ${cell(w.message)} |`);
      if (result.warnings.length > MAX_ROWS) out.push("", `…and ${result.warnings.length - MAX_ROWS} more.`);
      out.push("");
    }

    if (result.baseline) {
      const b = result.baseline;
      out.push(
        `Baseline ${code(b.file)}: ${b.matched.length} of ${plural(b.entries, "entry", "entries")} matched, ${b.stale.length} stale.`,
        "",
      );
    }

    if (suppressed.length) {
      out.push(
        `<details><summary>${plural(suppressed.length, "suppressed finding")}</summary>`,
        "",
        "| Rule | Resource | Location | Kind | Reason |",
        "|---|---|---|---|---|",
      );
      for (const f of suppressed.slice(0, MAX_ROWS)) out.push(suppressedRow(f));
      if (suppressed.length > MAX_ROWS) out.push("", `…and ${suppressed.length - MAX_ROWS} more.`);
      out.push("", "</details>", "");
    }
    return `${out.join("\n").trimEnd()}\n`;
  },
};

const SEVERITY_BADGE = { error: "🔴 error", warning: "🟠 warning", info: "🔵 info" } as const;

function suppressedRow(f: Finding): string {
  const s = f.suppressed!;
  const kind = s.kind === "inline" ? "inline" : "baseline";
  return `| ${f.ruleId} | ${code(f.resource)} | ${code(where(f.location))} | ${kind} | ${cell(s.reason)}${s.until ? ` (until ${s.until})` : ""} |`;
}

function where(location: SourceLocation): string {
  return `${location.file}:${location.line}`;
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Text in a table cell: no raw HTML, no column breaks, no line breaks. */
function cell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, "<br>");
}

/** A code span in a table cell; backticks inside are rare in paths and addresses, so they are replaced. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, "\\|")}\``;
}
