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
 * The facts behind a KG001 finding, from which every reporter renders its words.
 * One variant per kind of evidence; later sources add their own variant.
 */
export type Evidence = StaticPairEvidence | ModuleCallEvidence | LiveKeyEvidence;

/** An access key declared (HCL) or planned (plan JSON) together with its user. */
export interface StaticPairEvidence {
  kind: "static-pair";
  /** The access key's address (module-qualified; instance keys in plan mode). */
  key: string;
  /** The user's address. */
  user: string;
  /** The user's name when it is known statically. */
  userName?: string;
  /** How the key's `user` argument was tied to the user (the routes of docs/checks.md). */
  route: LinkRoute;
  /** Address of an `aws_iam_user_login_profile` for the same user, when there is one. */
  loginProfile?: string;
  /** Conditions (count / for_each) that could not be decided statically and were assumed true. */
  undecided: string[];
}

/**
 * A registry or git module call that creates an access key together with its user (the module's
 * own user, or one the caller created and passed in). Reported on the module call, since that is the
 * code the user wrote; the module was read from its downloaded code, or modelled by the module catalog.
 */
export interface ModuleCallEvidence {
  kind: "module-call";
  /** The module call's address: `module.iam_user`, `module.team.module.iam_user`. */
  module: string;
  /** The call's `source`, as written. */
  source: string;
  /** The version `terraform init` installed, else the call's version constraint, when there is one. */
  version?: string;
  /** How the module was read: its downloaded code (`.terraform/modules`), or the module catalog. */
  analysis: "downloaded" | "catalog";
  /** The catalog entry that describes the module, when one does (`terraform-aws-modules/iam-user/v4-v5`). */
  catalogEntry?: string;
  /** The access key's address (inside the module). */
  key: string;
  /** The user's address (inside the module, or the caller's user passed in). */
  user: string;
  /** The user's name when it is known statically. */
  userName?: string;
  /** How the key was tied to the user (a key the module creates for its own user: `reference`). */
  route: LinkRoute;
  /** The inputs that make the module create the user and the key, with the values they have. */
  inputs: ModuleInputValue[];
  /** The argument that turns the key off, when the catalog knows it: `create_iam_access_key = false`. */
  fix?: { input: string; value: unknown };
  /** Address of the console password the module creates for the same user, when it does. */
  loginProfile?: string;
  /** Conditions that could not be decided statically and were assumed true (fail closed). */
  undecided: string[];
}

/** One input of a module call as keygate evaluated it. */
export interface ModuleInputValue {
  name: string;
  /** The value, as HCL (`true`, `"ci"`), or the expression when it cannot be decided. */
  value: string;
  /** `argument`: set on the module call; `default`: the module's default. */
  from: "argument" | "default";
}

/** The routes by which a key's `user` argument is tied to a declared user. */
export type LinkRoute = "reference" | "for-each" | "literal-name" | "same-value" | "module-output" | "module-input";

/** One violation of a policy, as data. Words are rendered by the reporters. */
export interface Finding {
  ruleId: string;
  ruleName: string;
  severity: Severity;
  source: EvidenceSource;
  /** The offending resource's address: the access key (or the module call that creates the pair). */
  resource: string;
  location: SourceLocation;
  related: RelatedResource[];
  evidence: Evidence;
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

/**
 * Which row of the live classification a key falls in (see `classify.ts`):
 * - `setup-key-never-used`: created with the user, active, never used — the exact CIS case;
 * - `setup-key-in-use`: created with the user, active and in use — replace it;
 * - `setup-key-inactive`: created with the user, inactive — delete it;
 * - `active-key-never-used`: created later, active, never used — the CIS command-line audit.
 */
export type LiveKeyCase = "setup-key-never-used" | "setup-key-in-use" | "setup-key-inactive" | "active-key-never-used";

/**
 * The facts behind a KG001 finding from an AWS account (`source: "live"`) or a saved credential
 * report. Times are ISO 8601 in UTC at second precision (`2024-03-01T10:00:00Z`).
 */
export interface LiveKeyEvidence {
  kind: "live-key";
  case: LiveKeyCase;
  /** The 12-digit account id ("unknown" only for a report without any ARN). */
  accountId: string;
  /** The account's name in the organization, when audited with `--org`. */
  accountName?: string;
  userName: string;
  userArn: string;
  userCreated: string;
  /** Whether the user has a console password (false only with `--all-users`). */
  passwordEnabled: boolean;
  /** The access key id; null for a saved report, which has only slots. */
  accessKeyId: string | null;
  /** The key's column group in the credential report (1 or 2); null when the key is not in it. */
  slot: 1 | 2 | null;
  /** null only for a saved report whose row gives no time for an active key (`N/A`). */
  keyCreated: string | null;
  /** Where `keyCreated` comes from: ListAccessKeys (exact) or the report's `access_key_N_last_rotated`. */
  keyCreatedFrom: "api" | "report";
  status: "Active" | "Inactive";
  /** Seconds from the user's creation to the key's (negative only through clock skew in a report). */
  gapSeconds: number | null;
  /** The window (`--window`) the gap was compared with. */
  windowSeconds: number;
  /** When the key was last used; null: never used. */
  lastUsed: string | null;
  /** Where `lastUsed` comes from: GetAccessKeyLastUsed or the credential report. */
  lastUsedFrom: "api" | "report";
  /** When the credential report used was generated; null for a saved CSV without that time. */
  reportGeneratedTime: string | null;
  /** Shell commands that fix it, in order (deactivate first, then delete). */
  remediation: string[];
}
