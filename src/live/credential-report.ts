/**
 * The IAM credential report: decoding the forms it is saved in, and parsing and validating its CSV
 * into typed rows. Nothing here talks to AWS.
 */
import { parseCsv } from "./csv.js";

/** The report's columns, in IAM's order. */
export const CREDENTIAL_REPORT_COLUMNS = [
  "user",
  "arn",
  "user_creation_time",
  "password_enabled",
  "password_last_used",
  "password_last_changed",
  "password_next_rotation",
  "mfa_active",
  "access_key_1_active",
  "access_key_1_last_rotated",
  "access_key_1_last_used_date",
  "access_key_1_last_used_region",
  "access_key_1_last_used_service",
  "access_key_2_active",
  "access_key_2_last_rotated",
  "access_key_2_last_used_date",
  "access_key_2_last_used_region",
  "access_key_2_last_used_service",
  "cert_1_active",
  "cert_1_last_rotated",
  "cert_2_active",
  "cert_2_last_rotated",
] as const;

/** The user name IAM gives the root user's row. */
export const ROOT_ACCOUNT_USER = "<root_account>";

/** One access-key column group of a report row. */
export interface CredentialReportKeySlot {
  slot: 1 | 2;
  active: boolean;
  /** `access_key_N_last_rotated`: in practice the key's creation time; null (`N/A`) when the slot is empty. */
  lastRotated: Date | null;
  /** null (`N/A`): never used. */
  lastUsed: Date | null;
  lastUsedRegion: string | null;
  lastUsedService: string | null;
}

/** One row of the credential report. */
export interface CredentialReportRow {
  /** 1-based line in the CSV (the header is line 1). */
  line: number;
  user: string;
  arn: string;
  /** The `<root_account>` row (out of scope for KG001). */
  isRoot: boolean;
  userCreated: Date;
  /** `not_supported` (the root row) is kept apart from `true`. */
  passwordEnabled: boolean | "not_supported";
  /** null: `N/A`; "no_information": a password never used. */
  passwordLastUsed: Date | "no_information" | "not_supported" | null;
  mfaActive: boolean;
  keys: [CredentialReportKeySlot, CredentialReportKeySlot];
}

export interface CredentialReport {
  rows: CredentialReportRow[];
  /** From the API or the CLI's JSON output; null for a bare CSV. */
  generatedTime: Date | null;
}

/** A problem in the report, at a CSV line (1-based; the header is line 1). */
export interface ReportProblem {
  line: number;
  column?: number;
  message: string;
}

/** How a saved report was stored. */
export type ReportEncoding = "csv" | "base64" | "cli-json";

/**
 * Turn a saved report into CSV text. Accepts the CSV itself
 * (`aws iam get-credential-report --query Content --output text | base64 -d > report.csv`), the
 * base64 text (without `| base64 -d`), or the CLI's JSON output (`{"Content": …, "GeneratedTime": …}`).
 */
export function decodeSavedReport(
  bytes: Uint8Array,
): { csv: string; generatedTime: Date | null; encoding: ReportEncoding } | { problem: ReportProblem } {
  const text = Buffer.from(bytes)
    .toString("utf8")
    .replace(/^\uFEFF/, "");
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return { problem: { line: 1, message: `not valid JSON: ${(err as Error).message}` } };
    }
    const obj = json as { Content?: unknown; GeneratedTime?: unknown; ReportFormat?: unknown };
    if (typeof obj.Content !== "string") {
      return {
        problem: {
          line: 1,
          message:
            'JSON without a "Content" string: expected the output of `aws iam get-credential-report --output json`',
        },
      };
    }
    if (obj.ReportFormat !== undefined && obj.ReportFormat !== "text/csv") {
      return {
        problem: {
          line: 1,
          message: `unsupported ReportFormat ${JSON.stringify(obj.ReportFormat)}: expected "text/csv"`,
        },
      };
    }
    const csv = decodeBase64(obj.Content);
    if (csv === null) return { problem: { line: 1, message: '"Content" is not base64 text' } };
    let generatedTime: Date | null = null;
    if (obj.GeneratedTime !== undefined) {
      generatedTime = parseGeneratedTime(obj.GeneratedTime);
      if (!generatedTime)
        return { problem: { line: 1, message: `"GeneratedTime" is not a date: ${JSON.stringify(obj.GeneratedTime)}` } };
    }
    return { csv, generatedTime, encoding: "cli-json" };
  }
  if (trimmed.startsWith("user,") || trimmed.startsWith('"user"') || !/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) {
    return { csv: text, generatedTime: null, encoding: "csv" };
  }
  const csv = decodeBase64(trimmed);
  if (csv === null) return { problem: { line: 1, message: "neither CSV, base64 text nor the CLI's JSON output" } };
  return { csv, generatedTime: null, encoding: "base64" };
}

/**
 * Parse and validate report CSV. Rows with problems are reported (with their line) and left out;
 * a wrong header makes the whole report unusable. Extra columns after IAM's 22 are tolerated, so
 * that a column AWS appends one day does not break every audit.
 */
export function parseCredentialReport(
  csv: string,
  generatedTime: Date | null = null,
): { report: CredentialReport; problems: ReportProblem[] } {
  const { records, errors } = parseCsv(csv);
  const problems: ReportProblem[] = errors.map((e) => ({
    line: e.line,
    column: e.column,
    message: `CSV syntax: ${e.message}`,
  }));
  const report: CredentialReport = { rows: [], generatedTime };
  const [header, ...rows] = records;
  if (!header || header.line !== 1) {
    problems.push({ line: 1, message: `no header: the first line must be \`${CREDENTIAL_REPORT_COLUMNS.join(",")}\`` });
    return { report, problems: sortProblems(problems) };
  }
  const mismatch = CREDENTIAL_REPORT_COLUMNS.findIndex((name, i) => header.fields[i] !== name);
  if (mismatch !== -1) {
    const found = header.fields[mismatch];
    problems.push({
      line: 1,
      message: `not a credential report header: column ${mismatch + 1} is ${found === undefined ? "missing" : JSON.stringify(found)}, expected "${CREDENTIAL_REPORT_COLUMNS[mismatch]}"`,
    });
    return { report, problems: sortProblems(problems) };
  }
  const width = header.fields.length;
  for (const record of rows) {
    if (record.fields.length !== width) {
      problems.push({
        line: record.line,
        message: `${record.fields.length} columns, expected ${width} as in the header`,
      });
      continue;
    }
    const parsed = parseRow(record.fields, record.line);
    if ("problem" in parsed) problems.push(parsed.problem);
    else report.rows.push(parsed.row);
  }
  return { report, problems: sortProblems(problems) };
}

/** The account id named by the report's ARNs (the root row's, or any user's), or null. */
export function reportAccountId(report: CredentialReport): string | null {
  for (const row of report.rows) {
    const m = /^arn:[\w-]+:iam::(\d{12}):/.exec(row.arn);
    if (m?.[1]) return m[1];
  }
  return null;
}

type Cells = Record<(typeof CREDENTIAL_REPORT_COLUMNS)[number], string>;

function parseRow(fields: string[], line: number): { row: CredentialReportRow } | { problem: ReportProblem } {
  const cells = Object.fromEntries(CREDENTIAL_REPORT_COLUMNS.map((name, i) => [name, fields[i] ?? ""])) as Cells;
  const fail = (column: (typeof CREDENTIAL_REPORT_COLUMNS)[number], expected: string) => {
    const shown = `${column} (column ${CREDENTIAL_REPORT_COLUMNS.indexOf(column) + 1}) is ${JSON.stringify(cells[column])}`;
    // A well-formed time that names no real moment (February 30) says what is wrong with it.
    const impossible = calendarProblem(cells[column]);
    return {
      problem: {
        line,
        message: impossible
          ? `${shown}: ${impossible}, so the report is corrupt or was edited; download it again`
          : `${shown}, expected ${expected}`,
      },
    };
  };
  if (cells.user === "") return fail("user", "a user name");
  const account = /^arn:[\w-]+:iam::(\d+):/.exec(cells.arn)?.[1];
  // The commonest corruption (a spreadsheet dropping leading zeros) gets named.
  if (account !== undefined && account.length !== 12)
    return fail("arn", `an IAM user or root ARN, whose account id has 12 digits (${account} has ${account.length})`);
  if (!/^arn:[\w-]+:iam::\d{12}:(root|user\/.+)$/.test(cells.arn)) return fail("arn", "an IAM user or root ARN");
  const userCreated = parseReportTime(cells.user_creation_time);
  if (!userCreated) return fail("user_creation_time", "an ISO 8601 time");
  const pe = cells.password_enabled;
  if (pe !== "true" && pe !== "false" && pe !== "not_supported")
    return fail("password_enabled", "true, false or not_supported");
  const plu = cells.password_last_used;
  let passwordLastUsed: CredentialReportRow["passwordLastUsed"];
  if (plu === "N/A") passwordLastUsed = null;
  else if (plu === "no_information" || plu === "not_supported") passwordLastUsed = plu;
  else {
    const d = parseReportTime(plu);
    if (!d) return fail("password_last_used", "an ISO 8601 time, N/A, no_information or not_supported");
    passwordLastUsed = d;
  }
  for (const c of ["password_last_changed", "password_next_rotation"] as const) {
    if (cells[c] !== "N/A" && cells[c] !== "not_supported" && !parseReportTime(cells[c]))
      return fail(c, "an ISO 8601 time, N/A or not_supported");
  }
  for (const c of [
    "mfa_active",
    "access_key_1_active",
    "access_key_2_active",
    "cert_1_active",
    "cert_2_active",
  ] as const) {
    if (cells[c] !== "true" && cells[c] !== "false") return fail(c, "true or false");
  }
  for (const c of [
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "cert_1_last_rotated",
    "cert_2_last_rotated",
  ] as const) {
    if (cells[c] !== "N/A" && !parseReportTime(cells[c])) return fail(c, "an ISO 8601 time or N/A");
  }
  const slot = (n: 1 | 2): CredentialReportKeySlot => {
    const get = (suffix: string): string => cells[`access_key_${n}_${suffix}` as keyof Cells];
    const na = (v: string): string | null => (v === "N/A" ? null : v);
    return {
      slot: n,
      active: get("active") === "true",
      lastRotated: parseReportTime(get("last_rotated")),
      lastUsed: parseReportTime(get("last_used_date")),
      lastUsedRegion: na(get("last_used_region")),
      lastUsedService: na(get("last_used_service")),
    };
  };
  return {
    row: {
      line,
      user: cells.user,
      arn: cells.arn,
      isRoot: cells.user === ROOT_ACCOUNT_USER || cells.arn.endsWith(":root"),
      userCreated,
      passwordEnabled: pe === "not_supported" ? pe : pe === "true",
      passwordLastUsed,
      mfaActive: cells.mfa_active === "true",
      keys: [slot(1), slot(2)],
    },
  };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 time as the report writes it (`2015-04-16T15:14:00+00:00`), or null (also for February 30: JavaScript would roll it over to March 1). */
export function parseReportTime(value: string): Date | null {
  if (!ISO_TIME.test(value) || calendarProblem(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Why a time of the ISO 8601 shape names no real moment ("there is no February 30 in 2024"), or undefined. */
export function calendarProblem(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second, offsetHours = 0, offsetMinutes = 0] = m
    .slice(1)
    // Optional groups that did not match are undefined, whatever RegExpExecArray's type says.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    .map((n) => (n === undefined ? undefined : Number(n))) as number[];
  if (month! < 1 || month! > 12) return `there is no month ${month}`;
  const days = new Date(Date.UTC(year!, month, 0)).getUTCDate();
  if (day! < 1 || day! > days) return `there is no ${MONTHS[month! - 1]} ${day} in ${year}`;
  if (hour! > 23 || minute! > 59 || second! > 59) return `${m[4]}:${m[5]}:${m[6]} is not a time of day`;
  if (offsetHours > 23 || offsetMinutes > 59) return `${value.slice(-6)} is not a time zone offset`;
  return undefined;
}

function parseGeneratedTime(value: unknown): Date | null {
  if (typeof value === "number") return new Date(value * 1000); // CLI v1 with cli_timestamp_format=none on JSON protocols
  if (typeof value !== "string") return null;
  return parseReportTime(value.replace(" ", "T"));
}

function decodeBase64(text: string): string | null {
  const compact = text.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null;
  return Buffer.from(compact, "base64").toString("utf8");
}

function sortProblems(problems: ReportProblem[]): ReportProblem[] {
  return problems.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
}
