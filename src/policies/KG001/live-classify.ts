/** KG001's judgement of a live access key: the window, and the table of cases. */
import type { Severity } from "../../findings.js";
import type { LiveKeyCase } from "./live-evidence.js";

/** The default `--window`: a key created within this many seconds of its user was set up with it. */
export const DEFAULT_WINDOW_SECONDS = 60;

/** What decides a key's verdict. */
export interface KeyFacts {
  userCreated: Date;
  keyCreated: Date;
  status: "Active" | "Inactive";
  neverUsed: boolean;
  windowSeconds: number;
}

export interface KeyVerdict {
  case: LiveKeyCase;
  severity: Severity;
  /** null: the key's creation time is unknown (a credential report row with `N/A`). */
  gapSeconds: number | null;
}

/** Seconds from the user's creation to the key's. */
export function gapSeconds(userCreated: Date, keyCreated: Date): number {
  return Math.round((keyCreated.getTime() - userCreated.getTime()) / 1000);
}

/** Whether a key created `gap` seconds after its user counts as created with it. */
export function withinWindow(gap: number, windowSeconds: number): boolean {
  return Math.abs(gap) <= windowSeconds;
}

/**
 * The live classification of one access key of a user in scope:
 *
 * | within the window | never used | status   | verdict                          |
 * |-------------------|------------|----------|----------------------------------|
 * | yes               | yes        | Active   | error: `setup-key-never-used`    |
 * | yes               | no         | Active   | warning: `setup-key-in-use`      |
 * | yes               | any        | Inactive | info: `setup-key-inactive`       |
 * | no                | yes        | Active   | warning: `active-key-never-used` |
 * | no                | no / any   | any      | none                             |
 */
export function classifyKey(facts: KeyFacts): KeyVerdict | null {
  const gap = gapSeconds(facts.userCreated, facts.keyCreated);
  const setup = withinWindow(gap, facts.windowSeconds);
  if (setup) {
    if (facts.status === "Inactive") return { case: "setup-key-inactive", severity: "info", gapSeconds: gap };
    return facts.neverUsed
      ? { case: "setup-key-never-used", severity: "error", gapSeconds: gap }
      : { case: "setup-key-in-use", severity: "warning", gapSeconds: gap };
  }
  if (facts.status === "Active" && facts.neverUsed)
    return { case: "active-key-never-used", severity: "warning", gapSeconds: gap };
  return null;
}
