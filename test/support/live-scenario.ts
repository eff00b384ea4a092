/**
 * One account holding every row of the live classification table, for the live and the offline
 * tests alike. Users are created at T0; a key "at +5 s" is a setup key, "at +1 day" a later one.
 */
import type { LiveKeyCase } from "../../src/live-audit.js";
import type { FakeAccount } from "./fake-aws.js";

export const T0 = "2024-03-01T10:00:00Z";
export const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const DAY = 86_400;
const USED = "2024-06-01T12:00:00Z";

/** What each user's keys should yield, in key creation order (users absent: no finding). */
export const TABLE_EXPECTATIONS: Record<string, LiveKeyCase[]> = {
  "setup-unused": ["setup-key-never-used"],
  "setup-used": ["setup-key-in-use"],
  "setup-inactive-unused": ["setup-key-inactive"],
  "setup-inactive-used": ["setup-key-inactive"],
  "later-unused": ["active-key-never-used"],
  "edge-60s": ["setup-key-in-use"],
  "two-keys": ["setup-key-never-used", "active-key-never-used"],
};

/** Users that must yield nothing (besides those above); `no-password` yields a finding with --all-users. */
export const TABLE_SILENT = ["later-used", "later-inactive-unused", "edge-61s", "no-password", "no-keys"];

export function addTableScenario(account: FakeAccount): void {
  const user = (
    name: string,
    keys: Array<{ at: number; used?: boolean; inactive?: boolean }>,
    password = true,
  ): void => {
    account.addUser({
      name,
      created: T0,
      password,
      keys: keys.map((k) => ({
        created: at(k.at),
        lastUsed: k.used ? USED : null,
        status: k.inactive ? "Inactive" : "Active",
      })),
    });
  };
  user("setup-unused", [{ at: 5 }]);
  user("setup-used", [{ at: 30, used: true }]);
  user("setup-inactive-unused", [{ at: 1, inactive: true }]);
  user("setup-inactive-used", [{ at: 2, inactive: true, used: true }]);
  user("later-unused", [{ at: DAY }]);
  user("later-used", [{ at: DAY, used: true }]);
  user("later-inactive-unused", [{ at: DAY, inactive: true }]);
  user("edge-60s", [{ at: 60, used: true }]);
  user("edge-61s", [{ at: 61, used: true }]);
  // Both slots: the report puts the older key in slot 1 (or slot 2 with `reverseSlots`).
  user("two-keys", [{ at: 3 }, { at: 2 * DAY }]);
  user("no-password", [{ at: 5 }], false);
  user("no-keys", []);
  // Root has an active, never used key: root is out of scope.
  account.rootKey = { created: new Date(T0), active: true };
}

/** userName → cases, from findings' evidence. */
export function casesByUser(findings: Array<{ evidence: unknown }>): Record<string, LiveKeyCase[]> {
  const out: Record<string, LiveKeyCase[]> = {};
  for (const f of findings) {
    const e = f.evidence as { userName: string; case: LiveKeyCase };
    (out[e.userName] ??= []).push(e.case);
  }
  return out;
}
