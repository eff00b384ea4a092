/** Where an audit's findings and errors stand, and how its times are written. */
import type { SourceLocation } from "../findings.js";

/**
 * The pseudo-location of findings from an AWS account: `aws://ACCOUNT/iam`, line 1, column 1.
 * An account has no file; this names where the finding lives, keeps `location.file` non-empty for
 * reporters, and keeps fingerprints stable across runs (they hash the file, never a line).
 */
export function accountLocation(accountId: string): SourceLocation {
  return { file: accountFile(accountId), line: 1, column: 1, endLine: 1, endColumn: 1 };
}

/** `aws://ACCOUNT/iam`, or `aws://iam` while the account is not known. */
export function accountFile(accountId: string | null | undefined): string {
  return accountId ? `aws://${accountId}/iam` : "aws://iam";
}

/** ISO 8601 at second precision: `2024-03-01T10:00:00Z`. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
