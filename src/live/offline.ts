/**
 * The audit of a saved credential report (`keygate live --credential-report FILE`): no AWS calls.
 * A key's creation time is then its slot's `access_key_N_last_rotated`, and there is no key id.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Finding, InputError } from "../findings.js";
import { classifyKey, DEFAULT_WINDOW_SECONDS, type KeyVerdict } from "./classify.js";
import { decodeSavedReport, parseCredentialReport, reportAccountId, type ReportEncoding } from "./credential-report.js";
import type { LiveKeyEvidence } from "./evidence.js";
import { isoSeconds, keyFinding, remediationCommands } from "./key-finding.js";

export interface CredentialReportAuditOptions {
  /** The report file (CSV, base64 text, or the CLI's JSON output). */
  file: string;
  /** The bytes, when they do not come from `file` (standard input); `file` then only names them. */
  content?: Uint8Array;
  /** Base for `location.file` (default: the working directory). */
  cwd?: string;
  windowSeconds?: number;
  allUsers?: boolean;
}

export interface CredentialReportAuditStats {
  encoding: ReportEncoding | null;
  accountId: string | null;
  reportGeneratedTime: string | null;
  /** Rows read, the root row included. */
  rows: number;
  usersInScope: number;
  accessKeys: number;
}

export interface CredentialReportAudit {
  findings: Finding[];
  errors: InputError[];
  stats: CredentialReportAuditStats;
}

/**
 * Audit a saved credential report. Locations point at the report's CSV lines (for base64 or JSON
 * input: the lines of the decoded CSV). A malformed report yields errors with line numbers; rows
 * that parse are still audited.
 */
export async function auditCredentialReport(options: CredentialReportAuditOptions): Promise<CredentialReportAudit> {
  const file = displayPath(options.file, options.cwd ?? process.cwd());
  const windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  const stats: CredentialReportAuditStats = {
    encoding: null,
    accountId: null,
    reportGeneratedTime: null,
    rows: 0,
    usersInScope: 0,
    accessKeys: 0,
  };
  const findings: Finding[] = [];
  const errors: InputError[] = [];

  let bytes: Uint8Array;
  try {
    bytes = options.content ?? (await readFile(options.file));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Node's message already starts with the code ("ENOENT: no such file or directory, open '…'"): say it once, in words.
    const reason =
      e.code === "ENOENT"
        ? "no such file"
        : e.code === "EISDIR"
          ? "it is a directory"
          : e.code === "EACCES"
            ? "permission denied"
            : e.message;
    errors.push({ file, message: `cannot read the credential report: ${reason}` });
    return { findings, errors, stats };
  }
  const decoded = decodeSavedReport(bytes);
  if ("problem" in decoded) {
    errors.push({ file, line: decoded.problem.line, message: `not a credential report: ${decoded.problem.message}` });
    return { findings, errors, stats };
  }
  stats.encoding = decoded.encoding;
  const decodedNote = decoded.encoding === "csv" ? "" : " of the decoded CSV";
  const { report, problems } = parseCredentialReport(decoded.csv, decoded.generatedTime);
  for (const p of problems) {
    errors.push({
      file,
      line: p.line,
      ...(p.column ? { column: p.column } : {}),
      message: `malformed credential report: ${p.message}${decodedNote && ` (line ${p.line}${decodedNote})`}`,
    });
  }
  stats.rows = report.rows.length;
  stats.accountId = reportAccountId(report);
  stats.reportGeneratedTime = report.generatedTime ? isoSeconds(report.generatedTime) : null;
  const lineLengths = decoded.csv.split("\n").map((l) => l.replace(/\r$/, "").length);

  for (const row of report.rows) {
    if (row.isRoot) continue;
    const passwordEnabled = row.passwordEnabled === true;
    if (!passwordEnabled && !options.allUsers) continue;
    stats.usersInScope += 1;
    for (const slot of row.keys) {
      // An empty slot has no time and is not active. An active key without a time (IAM writes
      // one for every key it has) cannot be placed in the window, but is never dropped silently.
      if (slot.lastRotated === null && !slot.active) continue;
      stats.accessKeys += 1;
      const status = slot.active ? "Active" : "Inactive";
      const verdict = slot.lastRotated
        ? classifyKey({
            userCreated: row.userCreated,
            keyCreated: slot.lastRotated,
            status,
            neverUsed: slot.lastUsed === null,
            windowSeconds,
          })
        : undatedKey(slot.lastUsed === null);
      if (!verdict) {
        if (slot.lastRotated === null) {
          errors.push({
            file,
            line: row.line,
            message: `access_key_${slot.slot} of user ${row.user} is active but its access_key_${slot.slot}_last_rotated is N/A, so keygate cannot tell whether it was created with the user: generate the report again (aws iam generate-credential-report), or audit the account with \`keygate live\``,
          });
        }
        continue;
      }
      const evidence: LiveKeyEvidence = {
        kind: "live-key",
        case: verdict.case,
        accountId: accountOf(row.arn) ?? stats.accountId ?? "unknown",
        userName: row.user,
        userArn: row.arn,
        userCreated: isoSeconds(row.userCreated),
        passwordEnabled,
        accessKeyId: null,
        slot: slot.slot,
        keyCreated: slot.lastRotated ? isoSeconds(slot.lastRotated) : null,
        keyCreatedFrom: "report",
        status,
        gapSeconds: verdict.gapSeconds,
        windowSeconds,
        lastUsed: slot.lastUsed ? isoSeconds(slot.lastUsed) : null,
        lastUsedFrom: "report",
        reportGeneratedTime: stats.reportGeneratedTime,
        remediation: [],
      };
      evidence.remediation = remediationCommands(evidence);
      const length = lineLengths[row.line - 1] ?? 0;
      findings.push(
        keyFinding(evidence, verdict, { file, line: row.line, column: 1, endLine: row.line, endColumn: length + 1 }),
      );
    }
  }
  return { findings, errors, stats };
}

/**
 * The verdict on an active key whose creation time the report does not give: never used, it fails
 * the CIS command-line audit, which needs no creation time (a user with a password and an active,
 * never-used key); an error, since it may well be the setup key itself. A key in use cannot be
 * judged without the time (null: the caller reports an input error).
 */
function undatedKey(neverUsed: boolean): KeyVerdict | null {
  return neverUsed ? { case: "active-key-never-used", severity: "error", gapSeconds: null } : null;
}

/** `file` relative to `cwd` with `/` separators (as every location.file), unless it lies outside. */
function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, resolve(cwd, file));
  const out = rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel;
  return out.split(sep).join("/");
}

function accountOf(arn: string): string | null {
  return /^arn:[\w-]+:iam::(\d{12}):/.exec(arn)?.[1] ?? null;
}
