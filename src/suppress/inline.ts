import type { Finding, Warning } from "../findings.js";
import type { BlockOutline, Comment } from "../load/outline.js";
import type { SourceFile } from "../load/sources.js";
import { findPolicy, type Policy } from "../policies/catalog.js";

/** A `keygate:ignore` comment, parsed. */
export interface Directive {
  file: string;
  line: number;
  column: number;
  /** Rule ids named (aliases resolved); unknown names are reported, not kept. */
  ruleIds: string[];
  reason: string | undefined;
  until: string | undefined;
  /** Why the directive is malformed, when it is (a bad date). */
  problem: string | undefined;
  /** The block it stands on (the block directly below, or the block holding a `.tf.json` comment). */
  block: BlockOutline | undefined;
}

/** Options that shape how inline suppressions apply. */
export interface InlineOptions {
  allowed: boolean;
  /** Today's date, `YYYY-MM-DD` (a suppression's `until` date is the last day it applies). */
  today: string;
  /**
   * Whether an unused directive in this file is worth a warning (default: always). Files read only
   * to locate plan findings (`--source`) are not checked themselves, so their directives may be unused.
   */
  reportUnused?: (file: string) => boolean;
}

const MARKER = /^keygate:ignore\b(.*)$/s;

/** Reads every `keygate:ignore` comment of the scanned files; malformed ones are reported as warnings. */
export function collectDirectives(
  sources: readonly SourceFile[],
  policies: readonly Policy[],
  suppressible: ReadonlySet<string>,
): { directives: Directive[]; warnings: Warning[] } {
  const directives: Directive[] = [];
  const warnings: Warning[] = [];
  for (const source of sources) {
    // Most files have no directive: their outline need not even be looked at (nor, for plain skeletons, their text).
    if (
      source.skeleton === "plain" ||
      source.mentions?.("keygate:ignore") === false ||
      !source.text.includes("keygate:ignore")
    )
      continue;
    for (const comment of source.outline.comments) {
      const match = MARKER.exec(comment.text);
      if (!match) continue;
      const at = { file: source.file, line: comment.start.line, column: comment.start.column };
      const parsed = parseDirective(match[1] ?? "");
      const ruleIds: string[] = [];
      for (const name of parsed.rules) {
        const policy = findPolicy(policies, name);
        if (policy) ruleIds.push(policy.id);
        else
          warnings.push({
            ...at,
            message: `keygate:ignore names an unknown rule "${name}"; known rules: ${policies.map((p) => `${p.id} (${p.alias})`).join(", ")}`,
          });
      }
      if (parsed.rules.length === 0) {
        warnings.push({
          ...at,
          message: `keygate:ignore names no rule; write \`# keygate:ignore ${policies[0]?.id ?? "ID"} -- reason\``,
        });
        continue;
      }
      if (ruleIds.length === 0) continue;
      const block = targetBlock(source, comment, suppressible);
      if (!block) {
        warnings.push({
          ...at,
          message: `keygate:ignore must stand on the line directly above an ${[...suppressible].join(" or ")} block, or a module block; here it suppresses nothing`,
        });
        continue;
      }
      directives.push({ ...at, ruleIds, reason: parsed.reason, until: parsed.until, problem: parsed.problem, block });
    }
  }
  return { directives, warnings };
}

/** Splits `KG001,alias until=2027-03-31 -- reason` into its parts. */
export function parseDirective(rest: string): {
  rules: string[];
  until: string | undefined;
  reason: string | undefined;
  problem: string | undefined;
} {
  const separator = rest.indexOf("--");
  const head = separator === -1 ? rest : rest.slice(0, separator);
  const reason =
    separator === -1
      ? undefined
      : rest
          .slice(separator + 2)
          .replace(/\*\/\s*$/, "")
          .trim() || undefined;
  const rules: string[] = [];
  let until: string | undefined;
  let problem: string | undefined;
  for (const token of head.split(/[\s,]+/).filter(Boolean)) {
    if (token.startsWith("until=")) {
      until = token.slice("until=".length);
      if (!isCalendarDate(until)) problem = `until=${until} is not a date of the form YYYY-MM-DD`;
    } else rules.push(token);
  }
  return { rules, until, reason, problem };
}

function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/** The block a directive applies to: in HCL the block whose header starts on the next line; in `.tf.json` the block holding the `"//"` comment. */
function targetBlock(
  source: SourceFile,
  comment: Comment,
  suppressible: ReadonlySet<string>,
): BlockOutline | undefined {
  // A module block can create the pair itself (a registry module), so it can carry the comment too.
  const candidates = source.outline.blocks.filter(
    (b) => (b.keyword === "resource" && suppressible.has(b.labels[0] ?? "")) || b.keyword === "module",
  );
  if (source.syntax === "json") {
    return candidates.find((b) => contains(b, comment));
  }
  return candidates.find((b) => b.header.start.line === comment.end.line + 1);
}

function contains(block: BlockOutline, comment: Comment): boolean {
  const after = (a: { line: number; column: number }, b: { line: number; column: number }) =>
    a.line > b.line || (a.line === b.line && a.column >= b.column);
  return after(comment.start, block.span.start) && after(block.span.end, comment.end);
}

/**
 * Applies the directives to the findings: a finding on (or related to) the block under a directive
 * naming its rule is suppressed, unless the directive has no reason, is past its `until` date, is
 * malformed, or inline suppressions are disabled; then the finding stays and says why. Directives
 * that match no finding are reported, as ESLint reports unused disable comments.
 */
export function applyInlineSuppressions(
  findings: readonly Finding[],
  directives: readonly Directive[],
  options: InlineOptions,
): { findings: Finding[]; warnings: Warning[] } {
  const used = new Set<Directive>();
  const out = findings.map((finding) => {
    const matching = directives.filter((d) => d.ruleIds.includes(finding.ruleId) && standsOn(d, finding));
    if (matching.length === 0) return finding;
    matching.forEach((d) => used.add(d));
    const notes: string[] = [];
    for (const d of matching) {
      const where = `${d.file}:${d.line}`;
      if (!options.allowed)
        notes.push(
          `the suppression at ${where} was ignored: inline suppressions are disabled by the configuration (allowInlineSuppressions: false)`,
        );
      else if (d.problem) notes.push(`the suppression at ${where} does not apply: ${d.problem}`);
      else if (!d.reason)
        notes.push(`the suppression at ${where} does not apply: it gives no reason; write \`-- why\` after the rule`);
      else if (d.until && d.until < options.today) notes.push(`the suppression at ${where} expired on ${d.until}`);
      else return { ...finding, suppressed: { kind: "inline" as const, reason: d.reason, until: d.until ?? null } };
    }
    return { ...finding, notes: [...finding.notes, ...notes] };
  });
  const warnings: Warning[] = [];
  for (const d of directives) {
    if (options.reportUnused && !options.reportUnused(d.file)) continue;
    if (!options.allowed) {
      if (!used.has(d))
        warnings.push({
          file: d.file,
          line: d.line,
          column: d.column,
          message:
            "keygate:ignore was ignored: inline suppressions are disabled by the configuration (allowInlineSuppressions: false)",
        });
      continue;
    }
    if (!used.has(d)) {
      const block = d.block?.keyword === "module" ? `module.${d.block.labels[0]}` : d.block?.labels.join(".");
      warnings.push({
        file: d.file,
        line: d.line,
        column: d.column,
        message: `keygate:ignore ${d.ruleIds.join(", ")} suppresses nothing: there is no such finding for ${block}; remove the comment`,
      });
    }
  }
  return { findings: out, warnings };
}

/** Whether a directive stands on the finding's own block or on a related resource's block. */
function standsOn(directive: Directive, finding: Finding): boolean {
  const line = directive.block?.span.start.line;
  const locations = [finding.location, ...finding.related.map((r) => r.location)];
  return locations.some((l) => l !== undefined && l.file === directive.file && l.line === line);
}
