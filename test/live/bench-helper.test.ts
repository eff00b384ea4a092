/** The benchmark helper works and counts calls as documented (timing is scripts/bench's business). */
import { describe, expect, it } from "vitest";
import { benchLiveAudit } from "../support/live-bench.js";

describe("benchLiveAudit", () => {
  it("audits a mixed account with a call per candidate user only", async () => {
    const r = await benchLiveAudit({ users: 100, latencyMs: 0 });
    expect(r.errors).toBe(0);
    expect(r.findings).toEqual({ error: 10, warning: 20, info: 10 });
    // Generate + Get + ListUsers, ListAccessKeys for the 40 candidates, GetAccessKeyLastUsed for the 20 never-used active keys.
    expect(r.apiCalls).toEqual({
      "iam:GenerateCredentialReport": 1,
      "iam:GetAccessKeyLastUsed": 20,
      "iam:GetCredentialReport": 1,
      "iam:ListAccessKeys": 40,
      "iam:ListUsers": 1,
    });
    expect(r.apiCallsPerUser).toBe(0.63);
  });

  it("needs no GetAccessKeyLastUsed when IAM generates the report during the run", async () => {
    const r = await benchLiveAudit({ users: 100, latencyMs: 0, report: "generated", reportPollIntervalMs: 1 });
    expect(r.apiCalls["iam:GetAccessKeyLastUsed"]).toBeUndefined();
    expect(r.findings).toEqual({ error: 10, warning: 20, info: 10 });
  });
});
