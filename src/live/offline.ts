/**
 * The audit of a saved credential report (`keygate live --credential-report FILE`): no AWS calls.
 * Each row's user is handed to the policies' account checks with the facts the report holds (no
 * `api`): a key's creation time is then its slot's `access_key_N_last_rotated`, and there is no key id.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Finding, InputError } from "../findings.js";
import { decodeSavedReport, parseCredentialReport, reportAccountId, type ReportEncoding } from "./credential-report.js";
import type { AccountFacts, AccountJudge, UserFacts } from "./facts.js";
import { isoSeconds } from "./locations.js";

export interface CredentialReportAuditOptions {
  /** The report file (CSV, base64 text, or the CLI's JSON output). */
  file: string;
  /** The bytes, when they do not come from `file` (standard input); `file` then only names them. */
  content?: Uint8Array;
  /** Base for `location.file` (default: the working directory). */
  cwd?: string;
}

export interface CredentialReportAuditStats {
  encoding: ReportEncoding | null;
  accountId: string | null;
  reportGeneratedTime: string | null;
  /** Rows read, the root row included. */
  rows: number;
  /** Users some check judged. */
  usersInScope: number;
  /** Keys (non-empty slots) of the users in scope. */
  accessKeys: number;
}

export interface CredentialReportAudit {
  findings: Finding[];
  errors: InputError[];
  stats: CredentialReportAuditStats;
}

/**
 * Audit a saved credential report with the given checks. Users are located at their CSV lines (for
 * base64 or JSON input: the lines of the decoded CSV), the account at the first line. A malformed
 * report yields errors with line numbers; rows that parse are still audited.
 */
export async function auditCredentialReport(
  options: CredentialReportAuditOptions,
  judges: readonly AccountJudge[],
): Promise<CredentialReportAudit> {
  const file = displayPath(options.file, options.cwd ?? process.cwd());
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

  const generatedTime = report.generatedTime;
  const account: AccountFacts = {
    id: stats.accountId ?? "unknown",
    location: { file, line: 1, column: 1, endLine: 1, endColumn: (lineLengths[0] ?? 0) + 1 },
    report: { generatedTime, generatedDuringRun: false },
  };
  for (const row of report.rows) {
    if (row.isRoot) continue;
    const length = lineLengths[row.line - 1] ?? 0;
    const user: UserFacts = {
      name: row.user,
      arn: row.arn,
      created: row.userCreated,
      accountId: accountOf(row.arn) ?? account.id,
      reportRow: row,
      location: { file, line: row.line, column: 1, endLine: row.line, endColumn: length + 1 },
      passwordEnabled: () => Promise.resolve(row.passwordEnabled === true),
    };
    let inScope = false;
    for (const judge of judges) {
      const judged = judge.user ? await judge.user(user, account) : null;
      if (!judged) continue;
      inScope = true;
      findings.push(...judged.findings);
      errors.push(...(judged.errors ?? []));
    }
    if (!inScope) continue;
    stats.usersInScope += 1;
    // An empty slot has no time and is not active.
    stats.accessKeys += row.keys.filter((slot) => slot.lastRotated !== null || slot.active).length;
  }
  for (const judge of judges) {
    if (!judge.account) continue;
    const judged = await judge.account(account);
    findings.push(...judged.findings);
    errors.push(...(judged.errors ?? []));
  }
  return { findings, errors, stats };
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
