import { describe, expect, it } from "vitest";
import { AwsCaller } from "../../src/live/aws-call.js";
import { describeAwsError } from "../../src/live/errors.js";

/** An error shaped as the AWS SDK throws a service error. */
function sdkError(name: string, message: string, status: number): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $fault: "client" });
}

describe("describeAwsError", () => {
  it("names the permission on access denied", () => {
    const e = describeAwsError(
      sdkError("AccessDenied", "User: x is not authorized to perform: iam:ListUsers", 403),
      "iam:ListUsers",
      "IAM",
    );
    expect(e).toMatchObject({ kind: "access-denied", code: "AccessDenied", action: "iam:ListUsers", fatal: true });
    expect(e.message).toBe(
      "access denied: the audit needs the permission iam:ListUsers (read-only; the AWS-managed SecurityAudit policy grants it). AWS said: User: x is not authorized to perform: iam:ListUsers",
    );
  });

  it("tells expired, rejected and missing credentials apart", () => {
    expect(
      describeAwsError(sdkError("ExpiredTokenException", "expired", 400), "organizations:ListAccounts", "x").kind,
    ).toBe("expired-credentials");
    expect(describeAwsError(sdkError("SignatureDoesNotMatch", "sig", 403), "iam:ListUsers", "x").kind).toBe(
      "invalid-credentials",
    );
    const none = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    expect(describeAwsError(none, "iam:ListUsers", "x", "prod").message).toMatch(
      /^no AWS credentials for the profile "prod": Could not load credentials from any providers\. /,
    );
  });

  it("reports network failures, also inside an AggregateError, and timeouts as unreachable", () => {
    const refused = new AggregateError(
      [Object.assign(new Error("connect ECONNREFUSED ::1:443"), { code: "ECONNREFUSED" })],
      "",
    );
    expect(describeAwsError(refused, "iam:ListUsers", "https://iam.example").message).toBe(
      "cannot reach https://iam.example for iam:ListUsers (ECONNREFUSED); check --endpoint-url, --region, the network or a proxy",
    );
    const dns = Object.assign(new Error("getaddrinfo ENOTFOUND iam.example"), { code: "ENOTFOUND" });
    expect(describeAwsError(dns, "iam:ListUsers", "https://iam.example").message).toContain(
      "(getaddrinfo ENOTFOUND iam.example)",
    );
    const timeout = Object.assign(new Error("Socket timed out without establishing a connection within 3000 ms"), {
      name: "TimeoutError",
    });
    expect(describeAwsError(timeout, "iam:ListUsers", "IAM")).toMatchObject({ kind: "unreachable", fatal: true });
  });

  it("keeps throttling and missing entities apart from fatal failures", () => {
    expect(describeAwsError(sdkError("Throttling", "Rate exceeded", 400), "iam:ListAccessKeys", "x")).toMatchObject({
      kind: "throttled",
      fatal: false,
    });
    expect(describeAwsError(sdkError("NoSuchEntityException", "gone", 404), "iam:ListAccessKeys", "x")).toMatchObject({
      kind: "not-found",
      fatal: false,
    });
  });
});

describe("AwsCaller", () => {
  it("retries throttling up to maxAttempts with growing pauses, counting every attempt", async () => {
    const caller = new AwsCaller("x", { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 1000 }, undefined, () => 0);
    let n = 0;
    const started = Date.now();
    const out = await caller.call("iam:ListUsers", async () => {
      n += 1;
      if (n < 4) throw sdkError("Throttling", "Rate exceeded", 400);
      return "ok";
    });
    expect(out).toBe("ok");
    expect(caller.calls.get("iam:ListUsers")).toBe(4);
    expect(caller.throttledRetries).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 + 10 + 20 - 3); // half of 10, 20, 40 with no jitter
  });

  it("retries a connection reset (a kept-alive socket closed by the server) but not a refused connection", async () => {
    const caller = new AwsCaller("x", { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 });
    let n = 0;
    const out = await caller.call("sts:AssumeRole", async () => {
      n += 1;
      if (n === 1) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      return "ok";
    });
    expect(out).toBe("ok");
    expect(caller.total).toBe(2);
  });

  it("does not retry access denied or connection failures", async () => {
    const caller = new AwsCaller("x", { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 });
    await expect(
      caller.call("iam:ListUsers", () => Promise.reject(sdkError("AccessDenied", "no", 403))),
    ).rejects.toMatchObject({ kind: "access-denied" });
    await expect(
      caller.call("iam:ListUsers", () => Promise.reject(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))),
    ).rejects.toMatchObject({ kind: "unreachable" });
    expect(caller.total).toBe(2);
  });
});
