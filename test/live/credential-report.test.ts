import { describe, expect, it } from "vitest";
import { parseCsv } from "../../src/live/csv.js";
import {
  CREDENTIAL_REPORT_COLUMNS,
  decodeSavedReport,
  parseCredentialReport,
} from "../../src/live/credential-report.js";

const HEADER = CREDENTIAL_REPORT_COLUMNS.join(",");
const ROOT =
  "<root_account>,arn:aws:iam::123456789012:root,2015-01-01T00:00:00+00:00,not_supported,2024-01-01T00:00:00+00:00,not_supported,not_supported,true,true,2016-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";
const ALICE =
  "alice,arn:aws:iam::123456789012:user/alice,2024-03-01T10:00:00+00:00,true,no_information,2024-03-01T10:00:00+00:00,N/A,false,true,2024-03-01T10:00:05+00:00,N/A,N/A,N/A,false,2024-05-01T00:00:00+00:00,2024-06-01T12:00:00+00:00,us-east-1,s3,false,N/A,false,N/A";
const csv = (...rows: string[]): string => [HEADER, ...rows].join("\n") + "\n";

describe("parseCsv", () => {
  it("handles quoting, doubled quotes, CRLF, a BOM and blank lines, with the starting line of each record", () => {
    const { records, errors } = parseCsv('\uFEFFa,b\r\n"x,1","say ""hi"""\r\n\r\n"multi\nline",z\nlast,');
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["x,1", 'say "hi"'] },
      { line: 4, fields: ["multi\nline", "z"] },
      { line: 6, fields: ["last", ""] },
    ]);
  });

  it("reports a stray quote and an unclosed quoted field with line and column, and goes on", () => {
    const { records, errors } = parseCsv('a,b\nc,d"e\nf,g\n"open,h\n');
    expect(records.map((r) => r.line)).toEqual([1, 3]);
    expect(errors).toEqual([
      { line: 2, column: 4, message: "a quote inside an unquoted field" },
      { line: 4, column: 1, message: "a quoted field is not closed" },
    ]);
  });
});

describe("parseCredentialReport", () => {
  it("types every column, keeps the root row apart and reads N/A as never", () => {
    const { report, problems } = parseCredentialReport(csv(ROOT, ALICE));
    expect(problems).toEqual([]);
    const [root, alice] = report.rows;
    expect(root).toMatchObject({ line: 2, isRoot: true, passwordEnabled: "not_supported", mfaActive: true });
    expect(alice).toMatchObject({
      line: 3,
      user: "alice",
      isRoot: false,
      passwordEnabled: true,
      passwordLastUsed: "no_information",
    });
    expect(alice?.userCreated.toISOString()).toBe("2024-03-01T10:00:00.000Z");
    expect(alice?.keys[0]).toEqual({
      slot: 1,
      active: true,
      lastRotated: new Date("2024-03-01T10:00:05Z"),
      lastUsed: null,
      lastUsedRegion: null,
      lastUsedService: null,
    });
    expect(alice?.keys[1]).toEqual({
      slot: 2,
      active: false,
      lastRotated: new Date("2024-05-01T00:00:00Z"),
      lastUsed: new Date("2024-06-01T12:00:00Z"),
      lastUsedRegion: "us-east-1",
      lastUsedService: "s3",
    });
  });

  it("reads a user name with a comma, which IAM quotes", () => {
    const row = ALICE.replace(
      "alice,arn:aws:iam::123456789012:user/alice",
      '"a,b","arn:aws:iam::123456789012:user/a,b"',
    );
    const { report, problems } = parseCredentialReport(csv(row));
    expect(problems).toEqual([]);
    expect(report.rows[0]?.user).toBe("a,b");
  });

  it("rejects a wrong header at line 1 and reads no rows", () => {
    const { report, problems } = parseCredentialReport(csv(ALICE).replace("password_enabled", "password"));
    expect(report.rows).toEqual([]);
    expect(problems).toEqual([
      { line: 1, message: 'not a credential report header: column 4 is "password", expected "password_enabled"' },
    ]);
    expect(parseCredentialReport("user,arn\n").problems[0]?.message).toBe(
      'not a credential report header: column 3 is missing, expected "user_creation_time"',
    );
    expect(parseCredentialReport("").problems).toEqual([{ line: 1, message: expect.stringMatching(/^no header/) }]);
  });

  it("reports rows with the wrong column count and bad values by line, and keeps the good rows", () => {
    const short = ALICE.split(",").slice(0, 21).join(",");
    const badDate = ALICE.replace("2024-03-01T10:00:00+00:00", "yesterday");
    const badBool = ALICE.replace(",true,no_information", ",yes,no_information");
    const badKeyDate = ALICE.replace("2024-03-01T10:00:05+00:00", "2024-13-01");
    const { report, problems } = parseCredentialReport(csv(ROOT, short, ALICE, badDate, badBool, badKeyDate));
    expect(report.rows.map((r) => r.line)).toEqual([2, 4]);
    expect(problems).toEqual([
      { line: 3, message: "21 columns, expected 22 as in the header" },
      { line: 5, message: 'user_creation_time (column 3) is "yesterday", expected an ISO 8601 time' },
      { line: 6, message: 'password_enabled (column 4) is "yes", expected true, false or not_supported' },
      { line: 7, message: 'access_key_1_last_rotated (column 10) is "2024-13-01", expected an ISO 8601 time or N/A' },
    ]);
  });

  it("tolerates columns appended after IAM's 22", () => {
    const { report, problems } = parseCredentialReport(`${HEADER},future_column\n${ALICE},x\n`);
    expect(problems).toEqual([]);
    expect(report.rows).toHaveLength(1);
  });
});

describe("decodeSavedReport", () => {
  const text = csv(ROOT, ALICE);
  const b64 = Buffer.from(text).toString("base64");

  it("reads the CSV as saved by `--query Content --output text | base64 -d`", () => {
    expect(decodeSavedReport(Buffer.from(text))).toEqual({ csv: text, generatedTime: null, encoding: "csv" });
  });

  it("reads the base64 text (without `| base64 -d`), also wrapped over lines", () => {
    expect(decodeSavedReport(Buffer.from(`${b64}\n`))).toMatchObject({ csv: text, encoding: "base64" });
    expect(decodeSavedReport(Buffer.from(b64.replace(/(.{76})/g, "$1\n")))).toMatchObject({
      csv: text,
      encoding: "base64",
    });
  });

  it("reads the CLI's JSON output with its GeneratedTime (v2's ISO form and v1's Z form)", () => {
    const v2 = JSON.stringify(
      { Content: b64, ReportFormat: "text/csv", GeneratedTime: "2024-07-01T08:00:00+00:00" },
      null,
      4,
    );
    expect(decodeSavedReport(Buffer.from(v2))).toEqual({
      csv: text,
      generatedTime: new Date("2024-07-01T08:00:00Z"),
      encoding: "cli-json",
    });
    const v1 = JSON.stringify({ Content: b64, ReportFormat: "text/csv", GeneratedTime: "2024-07-01T08:00:00Z" });
    expect(decodeSavedReport(Buffer.from(v1))).toMatchObject({ generatedTime: new Date("2024-07-01T08:00:00Z") });
  });

  it("explains what is wrong with JSON that is not the CLI's output", () => {
    expect(decodeSavedReport(Buffer.from('{"Users": []}'))).toEqual({
      problem: {
        line: 1,
        message:
          'JSON without a "Content" string: expected the output of `aws iam get-credential-report --output json`',
      },
    });
    expect(decodeSavedReport(Buffer.from("{oops"))).toMatchObject({ problem: { line: 1 } });
  });
});
