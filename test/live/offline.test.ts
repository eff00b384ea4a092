import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditCredentialReport, type LiveKeyEvidence } from "../../src/live-audit.js";
import { FakeAccount } from "../support/fake-aws.js";
import { addTableScenario, casesByUser, TABLE_EXPECTATIONS } from "../support/live-scenario.js";

const evidenceOf = (f: { evidence: unknown }): LiveKeyEvidence => f.evidence as LiveKeyEvidence;

describe("auditCredentialReport (a saved report, no AWS calls)", () => {
  let dir: string;
  let csv: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keygate-report-"));
    const account = new FakeAccount("123456789012", () => new Date("2024-07-01T08:00:00Z"));
    addTableScenario(account);
    csv = account.renderCredentialReport();
    writeFileSync(join(dir, "report.csv"), csv);
    writeFileSync(join(dir, "report.b64"), Buffer.from(csv).toString("base64") + "\n");
    writeFileSync(
      join(dir, "report.json"),
      JSON.stringify(
        {
          Content: Buffer.from(csv).toString("base64"),
          ReportFormat: "text/csv",
          GeneratedTime: "2024-07-01T08:00:00+00:00",
        },
        null,
        4,
      ),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("classifies every row of the table from the report alone, root and password-less users left out", async () => {
    const { findings, errors, stats } = await auditCredentialReport({ file: join(dir, "report.csv"), cwd: dir });
    expect(errors).toEqual([]);
    expect(casesByUser(findings)).toEqual(TABLE_EXPECTATIONS);
    expect(
      findings.every(
        (f) => f.source === "live" && f.ruleId === "KG001" && f.ruleName === "access-key-created-with-user",
      ),
    ).toBe(true);
    expect(stats).toMatchObject({ encoding: "csv", accountId: "123456789012", reportGeneratedTime: null });
  });

  it("names the key by slot, points at the CSV line and carries both times, the gap, the last use and the commands", async () => {
    const { findings } = await auditCredentialReport({ file: join(dir, "report.csv"), cwd: dir });
    const twoKeys = findings.filter((f) => evidenceOf(f).userName === "two-keys");
    expect(twoKeys.map((f) => [evidenceOf(f).slot, f.severity])).toEqual([
      [1, "error"],
      [2, "warning"],
    ]);
    const f = twoKeys[0];
    const lines = csv.split("\n");
    const line = lines.findIndex((l) => l.startsWith("two-keys,")) + 1;
    expect(f?.location).toEqual({
      file: "report.csv",
      line,
      column: 1,
      endLine: line,
      endColumn: (lines[line - 1]?.length ?? 0) + 1,
    });
    expect(f?.resource).toBe("arn:aws:iam::123456789012:user/two-keys");
    expect(f?.related).toEqual([{ role: "key", address: "arn:aws:iam::123456789012:user/two-keys#access_key_1" }]);
    expect(evidenceOf(f ?? { evidence: null })).toEqual({
      kind: "live-key",
      case: "setup-key-never-used",
      accountId: "123456789012",
      userName: "two-keys",
      userArn: "arn:aws:iam::123456789012:user/two-keys",
      userCreated: "2024-03-01T10:00:00Z",
      passwordEnabled: true,
      accessKeyId: null,
      slot: 1,
      keyCreated: "2024-03-01T10:00:03Z",
      keyCreatedFrom: "report",
      status: "Active",
      gapSeconds: 3,
      windowSeconds: 60,
      lastUsed: null,
      lastUsedFrom: "report",
      reportGeneratedTime: null,
      remediation: [
        `KEY_ID=$(aws iam list-access-keys --user-name two-keys --query "AccessKeyMetadata[?starts_with(CreateDate, '2024-03-01T10:00:03')].AccessKeyId" --output text)`,
        'aws iam update-access-key --user-name two-keys --access-key-id "$KEY_ID" --status Inactive',
        'aws iam delete-access-key --user-name two-keys --access-key-id "$KEY_ID"',
      ],
    });
    expect(new Set(findings.map((x) => x.fingerprint)).size).toBe(findings.length);
  });

  it("reads the base64 text and the CLI's JSON output alike, with the JSON's generation time", async () => {
    const fromCsv = await auditCredentialReport({ file: join(dir, "report.csv"), cwd: dir });
    const fromB64 = await auditCredentialReport({ file: join(dir, "report.b64"), cwd: dir });
    const fromJson = await auditCredentialReport({ file: join(dir, "report.json"), cwd: dir });
    expect(fromB64.stats.encoding).toBe("base64");
    expect(fromJson.stats).toMatchObject({ encoding: "cli-json", reportGeneratedTime: "2024-07-01T08:00:00Z" });
    expect(casesByUser(fromB64.findings)).toEqual(casesByUser(fromCsv.findings));
    expect(casesByUser(fromJson.findings)).toEqual(casesByUser(fromCsv.findings));
    expect(evidenceOf(fromJson.findings[0] ?? { evidence: null }).reportGeneratedTime).toBe("2024-07-01T08:00:00Z");
  });

  it("audits users without a password too with allUsers, and honours the window", async () => {
    const all = await auditCredentialReport({ file: join(dir, "report.csv"), cwd: dir, allUsers: true });
    expect(casesByUser(all.findings)["no-password"]).toEqual(["setup-key-never-used"]);
    expect(
      evidenceOf(all.findings.find((f) => evidenceOf(f).userName === "no-password") ?? { evidence: null })
        .passwordEnabled,
    ).toBe(false);
    const narrow = await auditCredentialReport({ file: join(dir, "report.csv"), cwd: dir, windowSeconds: 10 });
    expect(casesByUser(narrow.findings)["setup-used"]).toBeUndefined(); // created 30 s after the user
    expect(casesByUser(narrow.findings)["edge-60s"]).toBeUndefined();
  });

  it("a setup key in slot 2 is found there", async () => {
    const account = new FakeAccount("123456789012", () => new Date());
    account.reverseSlots = true;
    account.addUser({
      name: "swapped",
      created: "2024-01-01T00:00:00Z",
      password: true,
      keys: [
        { created: "2024-01-01T00:00:10Z" },
        { created: "2024-02-01T00:00:00Z", lastUsed: "2024-02-02T00:00:00Z" },
      ],
    });
    const { findings } = await auditCredentialReport({
      file: "swapped.csv",
      content: Buffer.from(account.renderCredentialReport()),
    });
    expect(findings.map((f) => [evidenceOf(f).slot, evidenceOf(f).case])).toEqual([[2, "setup-key-never-used"]]);
  });

  it("reports a malformed report with line numbers (exit 2), still auditing the rows that parse", async () => {
    const lines = csv.trimEnd().split("\n");
    const i = lines.findIndex((l) => l.startsWith("setup-unused,"));
    lines[i] = (lines[i] ?? "").replace("2024-03-01T10:00:00+00:00", "2024-03-01 10:00");
    lines.splice(3, 0, "short,row");
    writeFileSync(join(dir, "bad.csv"), lines.join("\n") + "\n");
    const { findings, errors } = await auditCredentialReport({ file: join(dir, "bad.csv"), cwd: dir });
    expect(i + 1).toBe(3);
    expect(errors).toEqual([
      {
        file: "bad.csv",
        line: 3,
        message:
          'malformed credential report: user_creation_time (column 3) is "2024-03-01 10:00", expected an ISO 8601 time',
      },
      { file: "bad.csv", line: 4, message: "malformed credential report: 2 columns, expected 22 as in the header" },
    ]);
    expect(casesByUser(findings)["setup-unused"]).toBeUndefined();
    expect(casesByUser(findings)["setup-used"]).toEqual(["setup-key-in-use"]);
  });

  it("reports a wrong header at line 1, and a line number in the decoded CSV for base64 input", async () => {
    writeFileSync(join(dir, "header.csv"), csv.replace("user,arn,", "name,arn,"));
    expect((await auditCredentialReport({ file: join(dir, "header.csv"), cwd: dir })).errors).toEqual([
      {
        file: "header.csv",
        line: 1,
        message: 'malformed credential report: not a credential report header: column 1 is "name", expected "user"',
      },
    ]);
    const bad = csv.replace("2024-03-01T10:00:05+00:00", "soon");
    writeFileSync(join(dir, "bad.b64"), Buffer.from(bad).toString("base64"));
    const [err] = (await auditCredentialReport({ file: join(dir, "bad.b64"), cwd: dir })).errors;
    expect(err?.message).toMatch(
      /^malformed credential report: access_key_1_last_rotated \(column 10\) is "soon", expected an ISO 8601 time or N\/A \(line \d+ of the decoded CSV\)$/,
    );
  });

  it("reports a file that cannot be read", async () => {
    const { errors } = await auditCredentialReport({ file: join(dir, "missing.csv"), cwd: dir });
    expect(errors).toHaveLength(1);
    // The reason once, in words (issue 16: it read "ENOENT: ENOENT: no such file or directory").
    expect(errors[0]).toMatchObject({
      file: "missing.csv",
      message: "cannot read the credential report: no such file",
    });
  });
});

describe("an active key without a creation time in the report (access_key_N_last_rotated N/A)", () => {
  const HEADER =
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
  const row = (user: string, password: boolean, key1: string) =>
    `${user},arn:aws:iam::123456789012:user/${user},2024-03-01T10:00:00+00:00,${password},no_information,${password ? "2024-03-01T10:00:00+00:00" : "N/A"},N/A,false,${key1},false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`;
  const audit = async (...rows: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), "keygate-report-"));
    try {
      writeFileSync(join(dir, "report.csv"), [HEADER, ...rows, ""].join("\n"));
      return await auditCredentialReport({ file: join(dir, "report.csv"), cwd: dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("never used, for a user with a password: reported as an error, never dropped", async () => {
    const { findings, errors, stats } = await audit(
      row("undated", true, "true,N/A,N/A,N/A,N/A"),
      row("empty-slots", true, "false,N/A,N/A,N/A,N/A"),
    );
    expect(errors).toEqual([]);
    expect(stats.accessKeys).toBe(1);
    expect(findings.map((f) => [evidenceOf(f).userName, evidenceOf(f).case, f.severity, f.location.line])).toEqual([
      ["undated", "active-key-never-used", "error", 2],
    ]);
    expect(evidenceOf(findings[0]!)).toMatchObject({
      keyCreated: null,
      gapSeconds: null,
      slot: 1,
      status: "Active",
      lastUsed: null,
    });
    expect(evidenceOf(findings[0]!).remediation[0]).toContain("AccessKeyMetadata[?Status=='Active'].AccessKeyId");
  });

  it("the message says the creation time is unknown", async () => {
    const { findingMessage: messageOf } = await import("../../src/report/messages.js");
    const { findings } = await audit(row("undated", true, "true,N/A,N/A,N/A,N/A"));
    expect(messageOf(findings[0]!)).toMatch(/access_key_1_last_rotated is N\/A/);
    expect(messageOf(findings[0]!)).toMatch(/CIS command-line audit flags it/);
  });

  it("in use: cannot be judged, so an input error at its line", async () => {
    const { findings, errors } = await audit(row("used", true, "true,N/A,2024-05-01T00:00:00+00:00,us-east-1,s3"));
    expect(findings).toEqual([]);
    expect(errors).toEqual([
      {
        file: "report.csv",
        line: 2,
        message: expect.stringMatching(/access_key_1 of user used is active but its access_key_1_last_rotated is N\/A/),
      },
    ]);
  });

  it("a user without a password stays out of scope (unless --all-users)", async () => {
    expect((await audit(row("nopw", false, "true,N/A,N/A,N/A,N/A"))).findings).toEqual([]);
  });
});
