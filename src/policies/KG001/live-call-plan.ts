/**
 * KG001's call plan: which API calls a user needs once the credential report is in hand. The report already answers
 * whether a user has a console password, roughly when each key was created, and whether it was
 * ever used; the API is asked only for what the report cannot settle: exact key creation times and
 * ids (ListAccessKeys), and last use where the report may be out of date (GetAccessKeyLastUsed).
 *
 * The report can be up to four hours old. What changed since is handled thus:
 * - users created after it are not in it: GetLoginProfile, ListAccessKeys, GetAccessKeyLastUsed;
 * - a key created after it, for a user created well before it, cannot be a setup key (it is
 *   outside the window), so such a user needs no ListAccessKeys when the report shows no candidate;
 * - "never used" may have become "used": an active key the report calls never used is checked with
 *   GetAccessKeyLastUsed, unless the report was generated during this run;
 * - "used" stays true, and a password added since the report is seen on the next run.
 */
import type { CredentialReportKeySlot, CredentialReportRow } from "../../live/credential-report.js";
import type { ApiAccessKey } from "../../live/facts.js";
import { withinWindow } from "./live-classify.js";

/** Report times and API times are both whole seconds; allow for rounding between them. */
export const REPORT_TOLERANCE_SECONDS = 2;

/**
 * Whether a user who is in the report needs ListAccessKeys: when some key in the report could be
 * a finding (created within the window, or active and never used), or when a setup key could have
 * been created after the report.
 */
export function needsKeyListing(
  row: CredentialReportRow,
  userCreated: Date,
  reportGenerated: Date | null,
  windowSeconds: number,
): boolean {
  const margin = windowSeconds + REPORT_TOLERANCE_SECONDS;
  if (reportGenerated === null || (reportGenerated.getTime() - userCreated.getTime()) / 1000 <= margin) return true;
  for (const slot of row.keys) {
    if (slot.lastRotated === null) {
      if (slot.active) return true; // an active key without a creation time: look at it
      continue;
    }
    if (withinWindow((slot.lastRotated.getTime() - userCreated.getTime()) / 1000, margin)) return true;
    if (slot.active && slot.lastUsed === null) return true;
  }
  return false;
}

/**
 * Where a key's last use comes from: the report, the API, or nowhere (an inactive key outside the
 * window is no finding whatever its use).
 */
export function lastUseSource(
  key: ApiAccessKey,
  slot: CredentialReportKeySlot | undefined,
  userCreated: Date,
  windowSeconds: number,
  reportFresh: boolean,
): "report" | "api" | "none" {
  const setup = withinWindow((key.created.getTime() - userCreated.getTime()) / 1000, windowSeconds);
  if (key.status === "Inactive" && !setup) return "none";
  if (!slot) return "api";
  if (slot.lastUsed !== null || key.status === "Inactive" || reportFresh) return "report";
  return "api";
}
