import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditLive, type LiveKeyEvidence } from "../../src/live-audit.js";
import { LiveUsageError } from "../../src/live/index.js";
import { MANAGEMENT_ACCOUNT, startFakeAws, type FakeAws } from "../support/fake-aws.js";
import { liveOptions } from "../support/live.js";
import { addTableScenario, at, casesByUser, T0, TABLE_EXPECTATIONS, TABLE_SILENT } from "../support/live-scenario.js";

const evidenceOf = (f: { evidence: unknown } | undefined): LiveKeyEvidence => f?.evidence as LiveKeyEvidence;
const REPORT_TIME = "2024-07-01T08:00:00Z";

let fake: FakeAws;
beforeEach(async () => {
  fake = await startFakeAws();
  fake.clock = () => new Date(REPORT_TIME);
});
afterEach(async () => {
  await fake.close();
});

describe("auditLive: classification", () => {
  it("classifies every row of the table, both slots, with root and password-less users out of scope", async () => {
    addTableScenario(fake.account());
    fake.account().snapshotReport();
    const { findings, errors, stats } = await auditLive(liveOptions(fake));
    expect(errors).toEqual([]);
    expect(casesByUser(findings)).toEqual(TABLE_EXPECTATIONS);
    for (const silent of TABLE_SILENT) expect(casesByUser(findings)[silent]).toBeUndefined();
    expect(findings.map((f) => f.severity)).toEqual(
      findings.map(
        (f) =>
          ({
            "setup-key-never-used": "error",
            "setup-key-in-use": "warning",
            "setup-key-inactive": "info",
            "active-key-never-used": "warning",
          })[evidenceOf(f).case],
      ),
    );
    expect(stats.accounts[0]).toMatchObject({
      accountId: MANAGEMENT_ACCOUNT,
      status: "audited",
      users: 12,
      usersInScope: 11,
    });
  });

  it("maps keys to report slots by creation time, whichever slot IAM puts them in", async () => {
    addTableScenario(fake.account());
    fake.account().reverseSlots = true;
    fake.account().snapshotReport();
    const { findings } = await auditLive(liveOptions(fake));
    expect(casesByUser(findings)).toEqual(TABLE_EXPECTATIONS);
    const twoKeys = findings.filter((f) => evidenceOf(f).userName === "two-keys").map((f) => evidenceOf(f).slot);
    expect(twoKeys).toEqual([2, 1]);
  });

  it("audits users without a console password with allUsers", async () => {
    addTableScenario(fake.account());
    fake.account().snapshotReport();
    const { findings } = await auditLive(liveOptions(fake, { allUsers: true }));
    expect(casesByUser(findings)["no-password"]).toEqual(["setup-key-never-used"]);
    expect(evidenceOf(findings.find((f) => evidenceOf(f).userName === "no-password")).passwordEnabled).toBe(false);
  });

  it("gives each finding the user's ARN, the key id, both exact times, the gap, the last use, the report time and the commands", async () => {
    const acct = fake.account();
    const user = acct.addUser({
      name: "deploy",
      created: T0,
      password: true,
      keys: [{ created: at(12), lastUsed: "2024-05-05T05:05:05Z" }],
    });
    acct.snapshotReport();
    const { findings } = await auditLive(liveOptions(fake));
    expect(findings).toHaveLength(1);
    const [f] = findings;
    const keyId = user.keys[0]?.id ?? "";
    expect(f).toMatchObject({
      ruleId: "KG001",
      ruleName: "access-key-created-with-user",
      severity: "warning",
      source: "live",
      resource: `arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/deploy`,
      location: { file: `aws://${MANAGEMENT_ACCOUNT}/iam`, line: 1, column: 1, endLine: 1, endColumn: 1 },
      related: [{ role: "key", address: keyId }],
      suppressed: null,
      notes: [],
    });
    expect(f?.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(evidenceOf(f)).toEqual({
      kind: "live-key",
      case: "setup-key-in-use",
      accountId: MANAGEMENT_ACCOUNT,
      userName: "deploy",
      userArn: `arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/deploy`,
      userCreated: "2024-03-01T10:00:00Z",
      passwordEnabled: true,
      accessKeyId: keyId,
      slot: 1,
      keyCreated: "2024-03-01T10:00:12Z",
      keyCreatedFrom: "api",
      status: "Active",
      gapSeconds: 12,
      windowSeconds: 60,
      lastUsed: "2024-05-05T05:05:05Z",
      lastUsedFrom: "report",
      reportGeneratedTime: REPORT_TIME,
      remediation: [
        "aws iam create-access-key --user-name deploy",
        `aws iam update-access-key --user-name deploy --access-key-id ${keyId} --status Inactive`,
        `aws iam delete-access-key --user-name deploy --access-key-id ${keyId}`,
      ],
    });
    // Same account, same key: the same fingerprint on the next run.
    expect((await auditLive(liveOptions(fake))).findings[0]?.fingerprint).toBe(f?.fingerprint);
  });

  it("honours --window", async () => {
    fake.account().addUser({ name: "slow", created: T0, password: true, keys: [{ created: at(90) }] });
    fake.account().snapshotReport();
    expect(evidenceOf((await auditLive(liveOptions(fake))).findings[0]).case).toBe("active-key-never-used");
    expect(evidenceOf((await auditLive(liveOptions(fake, { windowSeconds: 120 }))).findings[0]).case).toBe(
      "setup-key-never-used",
    );
  });
});

describe("auditLive: calls", () => {
  it("asks the API only what the report cannot answer", async () => {
    const acct = fake.account();
    // Settled by the report: password, keys created later and used.
    for (let i = 0; i < 20; i++)
      acct.addUser({
        name: `settled${i}`,
        created: T0,
        password: true,
        keys: [{ created: at(86_400), lastUsed: "2024-06-01T00:00:00Z" }],
      });
    // Out of scope: no password.
    for (let i = 0; i < 20; i++) acct.addUser({ name: `nopass${i}`, created: T0, keys: [{ created: at(5) }] });
    // Candidates: a setup key in use (ListAccessKeys only) and a never-used one (plus GetAccessKeyLastUsed, the report being older than the run).
    acct.addUser({
      name: "setup-used",
      created: T0,
      password: true,
      keys: [{ created: at(5), lastUsed: "2024-06-01T00:00:00Z" }],
    });
    acct.addUser({ name: "setup-unused", created: T0, password: true, keys: [{ created: at(5) }] });
    acct.snapshotReport();
    fake.resetCalls();
    const { findings, stats } = await auditLive(liveOptions(fake));
    expect(findings).toHaveLength(2);
    expect(Object.fromEntries(fake.calls)).toEqual({
      "iam:GenerateCredentialReport": 1,
      "iam:GetCredentialReport": 1,
      "iam:ListUsers": 1,
      "iam:ListAccessKeys": 2,
      "iam:GetAccessKeyLastUsed": 1,
    });
    expect(stats.apiCalls).toEqual(Object.fromEntries(fake.calls));
    expect(stats.totalApiCalls).toBe(6);
    expect(stats.apiCallsPerUser).toBeCloseTo(6 / 42);
    expect(stats.accounts[0]).toMatchObject({
      usersInScope: 22,
      usersSettledByReport: 20,
      accessKeys: 2,
      reportGeneratedDuringRun: false,
    });
  });

  it("trusts a report generated during the run for 'never used', and confirms it with the API when the report is older", async () => {
    const acct = fake.account();
    const u = acct.addUser({ name: "setup", created: T0, password: true, keys: [{ created: at(5) }] });
    acct.snapshotReport();
    // Used after the report was generated: an older report still says N/A.
    const key = u.keys[0];
    if (key) key.lastUsed = { date: new Date("2024-07-01T09:00:00Z"), service: "sts", region: "eu-west-1" };
    const stale = await auditLive(liveOptions(fake));
    expect(evidenceOf(stale.findings[0])).toMatchObject({
      case: "setup-key-in-use",
      lastUsed: "2024-07-01T09:00:00Z",
      lastUsedFrom: "api",
    });

    acct.report = { kind: "absent" };
    fake.resetCalls();
    const fresh = await auditLive(liveOptions(fake));
    expect(fresh.stats.accounts[0]?.reportGeneratedDuringRun).toBe(true);
    expect(evidenceOf(fresh.findings[0])).toMatchObject({ case: "setup-key-in-use", lastUsedFrom: "report" });
    expect(fake.callCount("iam:GetAccessKeyLastUsed")).toBe(0);
  });

  it("audits users created after the report through GetLoginProfile, and a user re-created under the same name", async () => {
    const acct = fake.account();
    acct.addUser({
      name: "old",
      created: T0,
      password: true,
      keys: [{ created: at(86_400), lastUsed: "2024-06-01T00:00:00Z" }],
    });
    acct.addUser({ name: "recreated", created: T0, password: false });
    acct.snapshotReport("2024-07-01T07:00:00Z");
    acct.addUser({
      name: "new-console",
      created: "2024-07-01T07:30:00Z",
      password: true,
      keys: [{ created: "2024-07-01T07:30:20Z" }],
    });
    acct.addUser({
      name: "new-api-only",
      created: "2024-07-01T07:31:00Z",
      keys: [{ created: "2024-07-01T07:31:01Z" }],
    });
    acct.users.delete("recreated");
    acct.addUser({
      name: "recreated",
      created: "2024-07-01T07:40:00Z",
      password: true,
      keys: [{ created: "2024-07-01T07:40:30Z", status: "Inactive" }],
    });
    fake.resetCalls();
    const { findings, stats } = await auditLive(liveOptions(fake));
    expect(casesByUser(findings)).toEqual({
      "new-console": ["setup-key-never-used"],
      recreated: ["setup-key-inactive"],
    });
    expect(fake.callCount("iam:GetLoginProfile")).toBe(3);
    expect(stats.accounts[0]).toMatchObject({ usersNotInReport: 3, usersInScope: 3 });
    expect(evidenceOf(findings[0])).toMatchObject({ slot: null, lastUsedFrom: "api" });
  });

  it("lists users over several pages", async () => {
    fake.pageCap = 7;
    for (let i = 0; i < 50; i++)
      fake
        .account()
        .addUser({ name: `u${String(i).padStart(2, "0")}`, created: T0, password: true, keys: [{ created: at(1) }] });
    fake.account().snapshotReport();
    fake.resetCalls();
    const { findings, stats } = await auditLive(liveOptions(fake));
    expect(fake.callCount("iam:ListUsers")).toBe(8);
    expect(findings).toHaveLength(50);
    expect(stats.users).toBe(50);
  });

  it("keeps at most --concurrency calls in flight", async () => {
    fake.latencyMs = 5;
    for (let i = 0; i < 30; i++)
      fake.account().addUser({ name: `u${i}`, created: T0, password: true, keys: [{ created: at(1) }] });
    fake.account().snapshotReport();
    fake.resetCalls();
    const { findings } = await auditLive(liveOptions(fake, { concurrency: 3 }));
    expect(findings).toHaveLength(30);
    expect(fake.maxInFlight).toBe(3);
  });

  it("retries throttling with backoff and loses no user", async () => {
    for (let i = 0; i < 200; i++)
      fake.account().addUser({ name: `u${i}`, created: T0, password: true, keys: [{ created: at(1) }] });
    fake.account().snapshotReport();
    fake.setThrottling({ rate: 0.3, seed: 42 });
    const { findings, errors, stats } = await auditLive(liveOptions(fake, { concurrency: 16 }));
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(200);
    expect(stats.throttledRetries).toBeGreaterThan(50);
    expect(stats.throttledRetries).toBe(fake.throttled);
  });

  it("throttles the report and ListUsers calls too, without a finding lost", async () => {
    fake.account().addUser({ name: "a", created: T0, password: true, keys: [{ created: at(1) }] });
    fake.account().report = { kind: "absent" };
    fake.setThrottling({ calls: [1, 2, 4, 6, 7] });
    const { findings, errors } = await auditLive(liveOptions(fake));
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(1);
    expect(fake.throttled).toBe(5);
  });

  it("reports the users it could not audit when throttling outlasts the retries, never dropping them silently", async () => {
    for (let i = 0; i < 3; i++)
      fake.account().addUser({ name: `u${i}`, created: T0, password: true, keys: [{ created: at(1) }] });
    fake.account().snapshotReport();
    fake.setThrottling({ rate: 1, actions: ["iam:ListAccessKeys"] });
    const { errors, stats } = await auditLive(liveOptions(fake, { maxAttempts: 3 }));
    expect(errors.map((e) => e.message)).toEqual(
      [0, 1, 2].map(
        (i) =>
          `account ${MANAGEMENT_ACCOUNT}: user arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/u${i}: iam:ListAccessKeys was still throttled after retrying with backoff (Throttling): run again later or lower --concurrency`,
      ),
    );
    expect(fake.callCount("iam:ListAccessKeys")).toBe(9);
    expect(stats.accounts[0]?.status).toBe("failed");
  });

  it("retries a 500 from IAM a few times", async () => {
    fake.account().addUser({ name: "a", created: T0, password: true, keys: [{ created: at(1) }] });
    fake.account().snapshotReport();
    fake.injectError("iam:ListUsers", { status: 500, code: "ServiceFailure", message: "Internal failure" }, 2);
    const { findings, errors } = await auditLive(liveOptions(fake));
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(1);
    expect(fake.callCount("iam:ListUsers")).toBe(3);
  });
});

describe("auditLive: the credential report", () => {
  beforeEach(() => {
    fake.account().addUser({ name: "a", created: T0, password: true, keys: [{ created: at(1) }] });
  });

  it("generates a missing report and polls it through STARTED and INPROGRESS to COMPLETE", async () => {
    fake.account().reportGenerationPolls = 3;
    const started = Date.now();
    const { findings, errors, stats } = await auditLive(liveOptions(fake, { reportPollIntervalMs: 20 }));
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(1);
    expect(fake.callCount("iam:GenerateCredentialReport")).toBe(5); // STARTED, INPROGRESS ×3, COMPLETE
    expect(Date.now() - started).toBeGreaterThanOrEqual(80); // it paused between polls
    expect(stats.accounts[0]).toMatchObject({ reportGeneratedDuringRun: true, reportGeneratedTime: REPORT_TIME });
  });

  it.each([
    [404, "ReportInProgress", "Credential report generation is in progress."],
    [410, "ReportExpired", "The credential report has expired."],
    [410, "ReportNotPresent", "Credential report does not exist."],
  ])("goes round again when GetCredentialReport answers %s %s after COMPLETE", async (status, code, message) => {
    fake.account().snapshotReport();
    fake.injectError("iam:GetCredentialReport", { status, code, message });
    const { findings, errors } = await auditLive(liveOptions(fake));
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(1);
    expect(fake.callCount("iam:GetCredentialReport")).toBe(2);
  });

  it("gives up on a report that never completes after the overall timeout", async () => {
    fake.account().reportGenerationPolls = Infinity;
    const started = Date.now();
    const { findings, errors, stats } = await auditLive(
      liveOptions(fake, { reportPollIntervalMs: 20, reportTimeoutMs: 200 }),
    );
    const elapsed = Date.now() - started;
    expect(findings).toEqual([]);
    expect(errors).toEqual([
      {
        file: "aws://iam",
        message:
          "the credential report was not ready 0.2 s after it was requested (last state: INPROGRESS); IAM can take a while for large accounts: run again, or allow more time with --report-timeout SECONDS",
      },
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(2_000);
    expect(fake.callCount("iam:GenerateCredentialReport")).toBeLessThanOrEqual(12);
    expect(stats.accounts[0]?.status).toBe("failed");
  });
});

describe("auditLive: errors", () => {
  beforeEach(() => {
    const acct = fake.account();
    acct.addUser({ name: "a", created: T0, password: true, keys: [{ created: at(1) }] });
    acct.snapshotReport("2024-07-01T07:00:00Z");
    acct.addUser({ name: "after-report", created: "2024-07-01T07:30:00Z", password: true, keys: [] });
  });

  it.each([
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListUsers",
    "iam:ListAccessKeys",
    "iam:GetLoginProfile",
    "iam:GetAccessKeyLastUsed",
  ])("names the missing permission when %s is denied", async (action) => {
    fake.deny(action);
    const { errors, stats } = await auditLive(liveOptions(fake));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain(
      `access denied: the audit needs the permission ${action} (read-only; the AWS-managed SecurityAudit policy grants it). AWS said: User: arn:aws:iam::111111111111:user/auditor is not authorized to perform: ${action}`,
    );
    expect(stats.accounts[0]?.status).toBe("failed");
    // One denied call stops the account: no call storm.
    expect(fake.callCount(action)).toBeLessThanOrEqual(8);
  });

  it("says the credentials expired", async () => {
    fake.expireCredentials();
    const { errors } = await auditLive(liveOptions(fake));
    expect(errors).toEqual([
      {
        file: "aws://iam",
        message:
          "the AWS credentials have expired (ExpiredToken on iam:GenerateCredentialReport): refresh them (for SSO: `aws sso login`) and run again",
      },
    ]);
  });

  it("says the credentials were rejected", async () => {
    const { errors } = await auditLive(
      liveOptions(fake, { credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x".repeat(40) } }),
    );
    expect(errors[0]?.message).toMatch(
      /^AWS rejected the credentials \(InvalidClientTokenId on iam:GenerateCredentialReport\): The security token included in the request is invalid\./,
    );
  });

  it("fails within seconds on an endpoint that refuses connections", async () => {
    const url = fake.url;
    await fake.close();
    const started = Date.now();
    const { errors, stats } = await auditLive(liveOptions(fake, { endpointUrl: url }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(
      new RegExp(
        `^cannot reach ${url} for iam:GenerateCredentialReport \\((connect )?ECONNREFUSED.*\\); check --endpoint-url, --region, the network or a proxy$`,
      ),
    );
    expect(stats.totalApiCalls).toBe(1);
  });

  it("fails within seconds on an endpoint that never answers", async () => {
    const silent: TcpServer = createTcpServer(() => {
      // accept the connection and say nothing
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const { errors } = await auditLive(
        liveOptions(fake, { endpointUrl: `http://127.0.0.1:${port}`, requestTimeoutMs: 300 }),
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(errors[0]?.message).toMatch(
        /^cannot reach http:\/\/127\.0\.0\.1:\d+ for iam:GenerateCredentialReport \(.*\)/,
      );
    } finally {
      silent.close();
    }
  });

  it("says when the endpoint is not an IAM endpoint at all", async () => {
    const { createServer } = await import("node:http");
    const web = createServer((_req, res) =>
      res.writeHead(404, { "content-type": "text/html" }).end("<html>nothing here</html>"),
    );
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
    try {
      const { errors } = await auditLive(liveOptions(fake, { endpointUrl: url }));
      expect(errors[0]?.message).toBe(
        `${url} answered iam:GenerateCredentialReport with HTTP 404 and no AWS error: is it an IAM endpoint? Check --endpoint-url`,
      );
    } finally {
      web.close();
    }
  });

  it("refuses impossible options as a usage error", async () => {
    await expect(auditLive({ org: true, accounts: ["123456789012"] })).rejects.toThrow(LiveUsageError);
    await expect(auditLive({ accounts: ["12345"] })).rejects.toThrow(
      '--accounts takes 12-digit account ids, got "12345"',
    );
    await expect(auditLive({ windowSeconds: -1 })).rejects.toThrow("--window must be a number of seconds ≥ 0, got -1");
    await expect(auditLive({ roleName: "Audit" })).rejects.toThrow(
      "--role-name and --external-id apply only with --org or --accounts",
    );
    await expect(auditLive({ endpointUrl: "localhost:4566" })).rejects.toThrow(
      '--endpoint-url must be an http(s) URL, got "localhost:4566"',
    );
  });
});
