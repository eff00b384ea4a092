import { describe, expect, it } from "vitest";
import { matchSlots } from "../../src/live/account.js";
import type { ApiAccessKey } from "../../src/live/facts.js";
import { lastUseSource, needsKeyListing } from "../../src/policies/KG001/live-call-plan.js";
import type { CredentialReportKeySlot, CredentialReportRow } from "../../src/live/credential-report.js";

const userCreated = new Date("2024-03-01T10:00:00Z");
const s = (seconds: number): Date => new Date(userCreated.getTime() + seconds * 1000);
const generated = new Date("2024-07-01T08:00:00Z");
const empty = (slot: 1 | 2): CredentialReportKeySlot => ({
  slot,
  active: false,
  lastRotated: null,
  lastUsed: null,
  lastUsedRegion: null,
  lastUsedService: null,
});
const slot = (n: 1 | 2, created: Date, o: { active?: boolean; used?: boolean } = {}): CredentialReportKeySlot => ({
  slot: n,
  active: o.active ?? true,
  lastRotated: created,
  lastUsed: o.used ? new Date("2024-06-01T00:00:00Z") : null,
  lastUsedRegion: null,
  lastUsedService: null,
});
const row = (k1: CredentialReportKeySlot = empty(1), k2: CredentialReportKeySlot = empty(2)): CredentialReportRow => ({
  line: 2,
  user: "u",
  arn: "arn:aws:iam::123456789012:user/u",
  isRoot: false,
  userCreated,
  passwordEnabled: true,
  passwordLastUsed: null,
  mfaActive: false,
  keys: [k1, k2],
});

describe("needsKeyListing", () => {
  it("skips a user whose report row rules out any finding", () => {
    expect(needsKeyListing(row(), userCreated, generated, 60)).toBe(false);
    expect(
      needsKeyListing(
        row(slot(1, s(86_400), { used: true }), slot(2, s(90 * 86_400), { active: false })),
        userCreated,
        generated,
        60,
      ),
    ).toBe(false);
  });

  it("lists keys when a slot could be a setup key, allowing for rounding", () => {
    expect(needsKeyListing(row(slot(1, s(30), { used: true })), userCreated, generated, 60)).toBe(true);
    expect(needsKeyListing(row(slot(1, s(62), { used: true })), userCreated, generated, 60)).toBe(true);
    expect(needsKeyListing(row(slot(1, s(63), { used: true })), userCreated, generated, 60)).toBe(false);
    expect(needsKeyListing(row(empty(1), slot(2, s(5), { active: false })), userCreated, generated, 60)).toBe(true);
  });

  it("lists keys when an active key has never been used", () => {
    expect(needsKeyListing(row(slot(1, s(86_400))), userCreated, generated, 60)).toBe(true);
    expect(needsKeyListing(row(slot(1, s(86_400), { active: false })), userCreated, generated, 60)).toBe(false);
  });

  it("lists keys of a user created just before the report: a setup key may have come after it", () => {
    expect(needsKeyListing(row(), new Date(generated.getTime() - 30_000), generated, 60)).toBe(true);
  });
});

describe("matchSlots", () => {
  const key = (id: string, created: Date): ApiAccessKey => ({ id, status: "Active", created });

  it("pairs keys with slots by creation time, not by position", () => {
    const m = matchSlots([key("A", s(5)), key("B", s(86_400))], row(slot(1, s(86_400)), slot(2, s(5))));
    expect(m.get("A")?.slot).toBe(2);
    expect(m.get("B")?.slot).toBe(1);
  });

  it("leaves keys created in the same second, and keys newer than the report, unpaired", () => {
    expect(matchSlots([key("A", s(5)), key("B", s(5))], row(slot(1, s(5)), slot(2, s(5)))).size).toBe(0);
    expect(matchSlots([key("A", s(5)), key("C", s(999))], row(slot(1, s(5)))).get("C")).toBeUndefined();
  });
});

describe("lastUseSource", () => {
  const active: ApiAccessKey = { id: "A", status: "Active", created: s(5) };
  const inactiveLater: ApiAccessKey = { id: "B", status: "Inactive", created: s(86_400) };

  it("needs nothing for an inactive key outside the window", () => {
    expect(lastUseSource(inactiveLater, undefined, userCreated, 60, false)).toBe("none");
  });

  it("takes 'used' from the report, and 'never used' only from a report generated during the run", () => {
    expect(lastUseSource(active, slot(1, s(5), { used: true }), userCreated, 60, false)).toBe("report");
    expect(lastUseSource(active, slot(1, s(5)), userCreated, 60, true)).toBe("report");
    expect(lastUseSource(active, slot(1, s(5)), userCreated, 60, false)).toBe("api");
    expect(lastUseSource(active, undefined, userCreated, 60, true)).toBe("api");
  });
});
