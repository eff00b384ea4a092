import { createHash } from "node:crypto";

/** How serious a finding is; the order matters for `--fail-on`. */
export type Severity = "error" | "warning" | "info";

/** Severities from most to least serious. */
export const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];

/** Which kind of evidence produced a finding (the HCL source, a plan, or the live account). */
export type EvidenceSource = "hcl" | "plan" | "live";

/**
 * A range in a file. Lines and columns are 1-based; columns count UTF-16 code units (as SARIF's
 * default `columnKind`); `endLine`/`endColumn` point just past the last character (exclusive).
 * `file` is relative to the working directory with `/` separators.
 */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A resource that takes part in a finding besides the offending one (the user, its console password). */
export interface RelatedResource {
  /**
   * What it is to the finding: the key's user, the user's console password, an access key (live), or (plan mode with
   * the Terraform sources at hand) where a planned resource is declared in the `.tf` files; for a key
   * inside a local module, each `module` block on the way from the root ("module-call", outermost first).
   */
  role: "user" | "login-profile" | "key" | "source" | "module-call";
  address: string;
  location?: SourceLocation;
}

/** Why an inline or baseline suppression applies to a finding. */
export interface Suppression {
  kind: "inline" | "baseline";
  reason: string;
  until: string | null;
}

/**
 * The facts behind a finding, as the policy that found it records them (its own types, in its
 * module under src/policies/): `kind` names the variant. The JSON report prints them as they are;
 * the policy's messages render its words from them.
 */
export interface Evidence {
  kind: string;
}

/** One violation of a policy, as data. Words are rendered by the policy's messages, shown by the reporters. */
export interface Finding<E extends Evidence = Evidence> {
  ruleId: string;
  ruleName: string;
  severity: Severity;
  source: EvidenceSource;
  /** The offending resource's address (a module call's, for a resource a called module creates). */
  resource: string;
  location: SourceLocation;
  related: RelatedResource[];
  evidence: E;
  /** Stable identity of the finding: unchanged when lines shift (see {@link fingerprintOf}). */
  fingerprint: string;
  suppressed: Suppression | null;
  /** Why a suppression aimed at this finding did not apply (no reason given, expired, disabled). */
  notes: string[];
  /**
   * The configuration the finding was found in: its root module's directory, relative to the
   * working directory with `/` separators (`.` for the working directory itself). Absent where
   * there is no configuration (live findings).
   */
  configuration?: string;
}

/** `file:line:column` of a location. */
export function locationText(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** An input that could not be read, parsed or understood; any of these makes the run exit 2. */
export interface InputError {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

/** A problem with keygate's own annotations (a suppression comment that does nothing, names an unknown rule…). */
export interface Warning {
  file: string;
  line: number;
  column: number;
  message: string;
}

/**
 * The fingerprint of a finding: a hash of what identifies it, never of line numbers, so that a
 * baseline or a SARIF upload keeps matching when code moves.
 */
export function fingerprintOf(parts: { ruleId: string; file: string; resource: string; related: string[] }): string {
  const h = createHash("sha256");
  h.update([parts.ruleId, parts.file, parts.resource, ...[...parts.related].sort()].join("\u0000"));
  return h.digest("hex").slice(0, 32);
}

/** Deterministic order: file, line, column, rule id, then resource. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareStrings(a.location.file, b.location.file) ||
    a.location.line - b.location.line ||
    a.location.column - b.location.column ||
    compareStrings(a.ruleId, b.ruleId) ||
    compareStrings(a.resource, b.resource)
  );
}

/** Deterministic order of errors and warnings: file, line, column, message. */
export function compareDiagnostics(a: InputError | Warning, b: InputError | Warning): number {
  return (
    compareStrings(a.file, b.file) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    compareStrings(a.message, b.message)
  );
}

/** Locale-independent string comparison, so output order never depends on the machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `severity` is at or above `threshold`. */
export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}
