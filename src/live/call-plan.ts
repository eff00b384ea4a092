/**
 * Which API calls a user needs once the credential report is in hand. The report already answers
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
import { withinWindow } from "./classify.js";
import type { CredentialReportKeySlot, CredentialReportRow } from "./credential-report.js";

/** Report times and API times are both whole seconds; allow for rounding between them. */
export const REPORT_TOLERANCE_SECONDS = 2;

/** An access key as ListAccessKeys returns it. */
export interface ApiAccessKey {
  id: string;
  status: "Active" | "Inactive";
  created: Date;
}

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
 * Pair API keys with report slots by creation time (which physical key is slot 1 is not
 * documented). A key is paired only when its time picks out exactly one slot and that slot's time
 * picks out only this key; two keys created in the same second stay unpaired.
 */
export function matchSlots(
  keys: readonly ApiAccessKey[],
  row: CredentialReportRow | undefined,
): Map<string, CredentialReportKeySlot> {
  const out = new Map<string, CredentialReportKeySlot>();
  if (!row) return out;
  const near = (a: Date, b: Date): boolean => Math.abs(a.getTime() - b.getTime()) <= 1000;
  for (const key of keys) {
    const slots = row.keys.filter((s) => s.lastRotated !== null && near(s.lastRotated, key.created));
    const [slot] = slots;
    if (slots.length !== 1 || !slot?.lastRotated) continue;
    const rivals = keys.filter((k) => slot.lastRotated && near(slot.lastRotated, k.created));
    if (rivals.length === 1) out.set(key.id, slot);
  }
  return out;
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
