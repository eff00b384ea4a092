import { describe, expect, it } from "vitest";
import { classifyKey, type KeyFacts } from "../../src/policies/KG001/live-classify.js";

const userCreated = new Date("2024-03-01T10:00:00Z");
const at = (seconds: number): Date => new Date(userCreated.getTime() + seconds * 1000);
const facts = (f: Partial<KeyFacts>): KeyFacts => ({
  userCreated,
  keyCreated: at(5),
  status: "Active",
  neverUsed: true,
  windowSeconds: 60,
  ...f,
});

describe("classifyKey: the live classification table", () => {
  it.each([
    // within window, never used, status → verdict
    [true, true, "Active", "setup-key-never-used", "error"],
    [true, false, "Active", "setup-key-in-use", "warning"],
    [true, true, "Inactive", "setup-key-inactive", "info"],
    [true, false, "Inactive", "setup-key-inactive", "info"],
    [false, true, "Active", "active-key-never-used", "warning"],
  ] as const)("within=%s neverUsed=%s %s → %s (%s)", (within, neverUsed, status, expectedCase, severity) => {
    const v = classifyKey(facts({ keyCreated: at(within ? 5 : 86_400), neverUsed, status }));
    expect(v).toEqual({ case: expectedCase, severity, gapSeconds: within ? 5 : 86_400 });
  });

  it.each([
    [false, "Active"],
    [false, "Inactive"],
    [true, "Inactive"],
  ] as const)("outside the window, neverUsed=%s %s → no finding", (neverUsed, status) => {
    expect(classifyKey(facts({ keyCreated: at(3600), neverUsed, status }))).toBeNull();
  });

  it("counts the window's edge as within, one second past it as outside", () => {
    expect(classifyKey(facts({ keyCreated: at(60), neverUsed: false }))?.case).toBe("setup-key-in-use");
    expect(classifyKey(facts({ keyCreated: at(61), neverUsed: false }))).toBeNull();
    expect(classifyKey(facts({ keyCreated: at(61), neverUsed: false, windowSeconds: 120 }))?.case).toBe(
      "setup-key-in-use",
    );
  });

  it("treats a key stamped a second before its user (report rounding) as within", () => {
    expect(classifyKey(facts({ keyCreated: at(-1) }))).toEqual({
      case: "setup-key-never-used",
      severity: "error",
      gapSeconds: -1,
    });
  });

  it("with a window of 0 only the same second is setup", () => {
    expect(classifyKey(facts({ keyCreated: at(0), windowSeconds: 0 }))?.case).toBe("setup-key-never-used");
    expect(classifyKey(facts({ keyCreated: at(1), windowSeconds: 0 }))?.case).toBe("active-key-never-used");
  });
});
