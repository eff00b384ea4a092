import type { Evidence } from "../../findings.js";

/**
 * Which row of the live classification a key falls in (see `live-classify.ts`):
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

/** Whether a finding's evidence is a live key's. */
export function isLiveKeyEvidence(evidence: Evidence): evidence is LiveKeyEvidence {
  return evidence.kind === "live-key";
}
