import { findNodeAtLocation, parseTree } from "jsonc-parser";
import { compareDiagnostics, compareStrings, type Finding, type Warning } from "../findings.js";
import { readTextFile } from "../load/read.js";
import { LineIndex } from "../load/positions.js";
import { parseJson } from "../load/terraform-syntax.js";
import { describeSchemaErrors, lazySchema } from "../load/validate.js";
import type { BaselineEntry, ScanResult } from "../scan-result.js";

export type { BaselineEntry, BaselineSummary } from "../scan-result.js";

/** The baseline file as written and read: version 1. */
export interface BaselineFile {
  $schema?: string;
  version: 1;
  findings: BaselineEntry[];
}

/** A baseline that was read and validated. */
export interface Baseline {
  /** The baseline file as reports show it: relative to the working directory. */
  file: string;
  entries: BaselineEntry[];
  /** Where each entry starts in the file (by index into `entries`), for reporting stale entries. */
  positions: { line: number; column: number }[];
}

/** An unreadable or invalid baseline: the run stops with exit 2, as for a bad config. */
export class BaselineError extends Error {}

/** Where the schema says the format is documented; written into every baseline. */
export const BASELINE_SCHEMA_URL = "https://keygate.dev/schemas/baseline.schema.json";

const baselineSchema = lazySchema<BaselineFile>("baseline.schema.json");

/** Reads and validates a baseline file; `shown` is its path as messages give it. */
export async function readBaseline(path: string, shown: string): Promise<Baseline> {
  const read = await readTextFile(path);
  if (!read.ok) {
    const hint =
      read.message === "no such file" ? "baseline file not found; create it with --write-baseline" : read.message;
    throw new BaselineError(`${shown}: ${hint}`);
  }
  return parseBaseline(read.text, shown);
}

/** Parses and validates the text of a baseline file. */
export function parseBaseline(text: string, shown: string): Baseline {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const p = parsed.problems[0]!;
    throw new BaselineError(`${shown}:${p.line}:${p.column}: ${p.message}`);
  }
  const validate = baselineSchema();
  if (!validate(parsed.value)) {
    throw new BaselineError(
      `${shown}: ${describeSchemaErrors(validate.errors).join("\n  ")}\n  A baseline is written by --write-baseline; see schemas/baseline.schema.json for its format.`,
    );
  }
  const tree = parseTree(text);
  const lines = new LineIndex(text);
  const positions = parsed.value.findings.map((_, i) => {
    const node = tree && findNodeAtLocation(tree, ["findings", i]);
    return node ? lines.position(node.offset) : { line: 1, column: 1 };
  });
  return { file: shown, entries: parsed.value.findings, positions };
}

/**
 * Marks the findings the baseline lists as suppressed (`kind: "baseline"`), so that they no longer
 * fail the run. A finding already suppressed inline keeps that suppression. Entries that match no
 * finding are stale and reported as warnings at their place in the baseline file — unless their
 * file lies outside what was scanned (`inScope`), since a partial scan cannot tell.
 */
export function applyBaseline(
  result: ScanResult,
  baseline: Baseline,
  inScope: (file: string) => boolean = () => true,
): ScanResult {
  const byFingerprint = new Map(baseline.entries.map((e) => [e.fingerprint, e]));
  const matched = new Set<string>();
  const findings = result.findings.map((finding): Finding => {
    const entry = byFingerprint.get(finding.fingerprint);
    if (!entry) return finding;
    matched.add(finding.fingerprint);
    if (finding.suppressed) return finding;
    return {
      ...finding,
      suppressed: {
        kind: "baseline",
        reason: entry.reason ?? `recorded in the baseline ${baseline.file}`,
        until: null,
      },
    };
  });
  const stale: BaselineEntry[] = [];
  const warnings: Warning[] = [];
  const reported = new Set<string>();
  baseline.entries.forEach((entry, i) => {
    if (matched.has(entry.fingerprint) || reported.has(entry.fingerprint) || !inScope(entry.file)) return;
    reported.add(entry.fingerprint);
    stale.push(entry);
    warnings.push({
      file: baseline.file,
      ...(baseline.positions[i] ?? { line: 1, column: 1 }),
      message: `stale baseline entry: ${entry.ruleId} for ${entry.resource} (${entry.file}) matches no finding any more (fixed, or the resource or file was renamed); remove the entry, or rewrite the baseline with --write-baseline`,
    });
  });
  return {
    ...result,
    findings,
    warnings: [...result.warnings, ...warnings].sort(compareDiagnostics),
    baseline: {
      file: baseline.file,
      entries: baseline.entries.length,
      matched: [...matched].sort(compareStrings),
      stale,
    },
  };
}

/**
 * The baseline that accepts the findings of this run: every finding not suppressed inline (an
 * inline suppression has its own reason and may expire, which a baseline entry would hide). The
 * reasons of a previous baseline are kept, and so are its entries for files outside the scanned
 * paths, so that rewriting the baseline after a partial scan loses nothing.
 */
export function baselineOf(
  result: ScanResult,
  previous?: Baseline,
  inScope: (file: string) => boolean = () => true,
): BaselineFile {
  const reasons = new Map(
    (previous?.entries ?? []).filter((e) => e.reason !== undefined).map((e) => [e.fingerprint, e.reason!]),
  );
  const entries = new Map<string, BaselineEntry>();
  for (const f of result.findings) {
    if (f.suppressed?.kind === "inline") continue;
    const reason = reasons.get(f.fingerprint);
    entries.set(f.fingerprint, {
      fingerprint: f.fingerprint,
      ruleId: f.ruleId,
      resource: f.resource,
      file: f.location.file,
      ...(reason !== undefined ? { reason } : {}),
    });
  }
  for (const e of previous?.entries ?? []) {
    if (!entries.has(e.fingerprint) && !inScope(e.file)) entries.set(e.fingerprint, e);
  }
  const findings = [...entries.values()].sort(
    (a, b) =>
      compareStrings(a.file, b.file) ||
      compareStrings(a.resource, b.resource) ||
      compareStrings(a.ruleId, b.ruleId) ||
      compareStrings(a.fingerprint, b.fingerprint),
  );
  return { $schema: BASELINE_SCHEMA_URL, version: 1, findings };
}

/** The text of a baseline file: stable key order, one entry per block, so that reviews see small diffs. */
export function formatBaseline(baseline: BaselineFile): string {
  return `${JSON.stringify(baseline, null, 2)}\n`;
}
