import { TOOL } from "../package.js";
import type { ScanResult } from "../scan-result.js";
import { jsonWithLongArray } from "./json-stream.js";
import { findingFix, findingMessage } from "./messages.js";
import type { Reporter } from "./types.js";

/** The JSON report (docs/reports.md, "JSON report"): version 1, described by schemas/report.schema.json. */
export const jsonReporter: Reporter = {
  name: "json",
  description: "machine-readable report (the documented JSON contract, version 1)",
  render(result: ScanResult): string {
    return [...jsonPieces(result)].join("");
  },
  pieces: jsonPieces,
};

/** The report's text, its findings rendered one at a time (see json-stream.ts). */
function jsonPieces(result: ScanResult): Iterable<string> {
  const policies = new Map(result.policies.map((p) => [p.id, p]));
  const report = {
    version: 1,
    tool: { name: TOOL.name, version: TOOL.version },
    findings: [],
    errors: result.errors.map((e) => ({
      file: e.file,
      ...(e.line !== undefined ? { line: e.line } : {}),
      ...(e.column !== undefined ? { column: e.column } : {}),
      message: e.message,
    })),
    warnings: result.warnings,
    config: { file: result.config?.file ?? null, policiesOff: result.config?.off.map((p) => p.id) ?? [] },
    // Change-aware runs (--base, --staged): what the change was compared with.
    ...(result.comparedWith !== undefined
      ? { base: { commit: result.baseCommit ?? null, description: result.comparedWith } }
      : {}),
    summary: {
      files: result.files,
      findings: result.findings.length,
      suppressed: result.findings.filter((f) => f.suppressed).length,
      errors: result.errors.length,
      warnings: result.warnings.length,
    },
  };
  return jsonWithLongArray(report, "findings", 0, result.findings, (f) => ({
    ruleId: f.ruleId,
    ruleName: f.ruleName,
    severity: f.severity,
    message: findingMessage(f),
    // The policy's documentation (tflint's rule.link, SARIF's helpUri) and how to fix this finding.
    helpUri: policies.get(f.ruleId)?.docsUrl ?? null,
    remediation: findingFix(f, policies.get(f.ruleId)) ?? null,
    source: f.source,
    resource: f.resource,
    related: [
      ...new Set(f.related.filter((r) => r.role !== "source" && r.role !== "module-call").map((r) => r.address)),
    ],
    relatedLocations: f.related
      .filter((r) => r.location)
      .map((r) => ({ role: r.role, address: r.address, location: r.location })),
    location: f.location,
    fingerprint: f.fingerprint,
    suppressed: f.suppressed,
    notes: f.notes,
    evidence: f.evidence,
  }));
}
