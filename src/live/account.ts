/**
 * The audit of one AWS account: the credential report (generated and polled), the users
 * (ListUsers, for exact creation times and for users newer than the report), then per user in
 * scope only the calls the report cannot answer (see `call-plan.ts`), with bounded concurrency.
 * Read-only calls only.
 */
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
  type IAMClient,
  type User,
} from "@aws-sdk/client-iam";
import { compareStrings, type Finding, type InputError } from "../findings.js";
import { sleep, type AwsCaller } from "./aws-call.js";
import { lastUseSource, matchSlots, needsKeyListing, type ApiAccessKey } from "./call-plan.js";
import { classifyKey } from "./classify.js";
import { parseCredentialReport, reportAccountId, type CredentialReportRow } from "./credential-report.js";
import { AwsAuditError } from "./errors.js";
import type { LiveKeyEvidence } from "./evidence.js";
import { accountFile, accountLocation, isoSeconds, keyFinding, remediationCommands } from "./key-finding.js";
import { forEachLimited } from "./pool.js";

/** How one account is audited; see `LiveOptions`. */
export interface AccountAuditSettings {
  windowSeconds: number;
  allUsers: boolean;
  concurrency: number;
  reportPollIntervalMs: number;
  reportTimeoutMs: number;
  /** Told how many users an account has once they are listed, and each time one is audited. */
  progress?: { usersListed(count: number): void; userDone(): void };
}

/** The account to audit: an IAM client with its credentials, and what is known about it. */
export interface AccountTarget {
  iam: IAMClient;
  caller: AwsCaller;
  /** Known in multi-account mode; otherwise read from the report's ARNs. */
  accountId?: string;
  accountName?: string;
}

export interface AccountStats {
  accountId: string | null;
  accountName?: string;
  status: "audited" | "failed" | "skipped";
  /** Why the account was not audited (failed or skipped). */
  reason?: string;
  users: number;
  /** Users with a console password (all users with `--all-users`). */
  usersInScope: number;
  /** Users created after the report, audited through GetLoginProfile. */
  usersNotInReport: number;
  /** Users in scope whose report row rules out any finding, so no call was needed. */
  usersSettledByReport: number;
  /** Keys read with ListAccessKeys. */
  accessKeys: number;
  reportGeneratedTime: string | null;
  /** Whether the report was generated during this run (then it answers "never used" by itself). */
  reportGeneratedDuringRun: boolean;
  apiCalls: Record<string, number>;
  totalApiCalls: number;
  throttledRetries: number;
  /** Calls AWS answered with a throttling error. */
  throttledCalls: number;
  /** The fewest calls in flight the account's rate came down to (its `--concurrency` when never throttled). */
  lowestConcurrency: number;
  durationMs: number;
}

export interface AccountAudit {
  findings: Finding[];
  errors: InputError[];
  stats: AccountStats;
}

/** GetCredentialReport's answers (codes and SDK names) that mean "generate it and ask again". */
const REPORT_NOT_READY = new Set([
  "ReportInProgress",
  "CredentialReportNotReadyException",
  "ReportNotPresent",
  "CredentialReportNotPresentException",
  "ReportExpired",
  "CredentialReportExpiredException",
]);

/** Per-user failures listed before they are summed up in one line. */
const MAX_USER_ERRORS = 10;
const MAX_PAGES = 100_000;

/** Statistics of an account before anything is counted. */
export function accountStats(
  accountId: string | null,
  accountName: string | undefined,
  status: AccountStats["status"],
): AccountStats {
  return {
    accountId,
    ...(accountName !== undefined ? { accountName } : {}),
    status,
    users: 0,
    usersInScope: 0,
    usersNotInReport: 0,
    usersSettledByReport: 0,
    accessKeys: 0,
    reportGeneratedTime: null,
    reportGeneratedDuringRun: false,
    apiCalls: {},
    totalApiCalls: 0,
    throttledRetries: 0,
    throttledCalls: 0,
    lowestConcurrency: 0,
    durationMs: 0,
  };
}

/** Audit one account. Never throws: failures become `errors`. */
export async function auditAccount(
  target: AccountTarget,
  settings: AccountAuditSettings,
  requested?: { wait: ReportWait; ready: boolean },
): Promise<AccountAudit> {
  const started = performance.now();
  const { iam, caller } = target;
  const findings: Finding[] = [];
  const errors: InputError[] = [];
  const stats = accountStats(target.accountId ?? null, target.accountName, "audited");
  const finish = (): AccountAudit => {
    stats.apiCalls = Object.fromEntries([...caller.calls.entries()].sort(([a], [b]) => compareStrings(a, b)));
    stats.totalApiCalls = caller.total;
    stats.throttledRetries = caller.throttledRetries;
    stats.throttledCalls = caller.throttledCalls;
    stats.lowestConcurrency = caller.rate?.lowestLimit ?? settings.concurrency;
    stats.durationMs = Math.round(performance.now() - started);
    return { findings, errors, stats };
  };
  const fail = (err: unknown): AccountAudit => {
    stats.status = "failed";
    stats.reason = messageOf(err);
    errors.push({ file: accountFile(stats.accountId), message: prefix(target, stats.accountId) + stats.reason });
    return finish();
  };

  let fetched: FetchedReport;
  try {
    fetched = await fetchCredentialReport(iam, caller, settings, requested?.wait, requested?.ready);
  } catch (err) {
    return fail(err);
  }
  const { report, problems } = parseCredentialReport(fetched.csv, fetched.generatedTime);
  stats.accountId ??= reportAccountId(report);
  stats.reportGeneratedTime = isoSeconds(fetched.generatedTime);
  stats.reportGeneratedDuringRun = fetched.generatedDuringRun;
  for (const p of problems) {
    // Rows that did not parse are audited as users missing from the report (through the API).
    errors.push({
      file: `${accountFile(stats.accountId)}/credential-report`,
      line: p.line,
      ...(p.column ? { column: p.column } : {}),
      message: `the credential report IAM returned is malformed: ${p.message}`,
    });
  }
  let users: User[];
  try {
    users = await listUsers(iam, caller);
  } catch (err) {
    return fail(err);
  }
  stats.accountId ??= accountOfArn(users[0]?.Arn);
  stats.users = users.length;
  settings.progress?.usersListed(users.length);
  const accountId = stats.accountId ?? "unknown";

  const rows = new Map<string, CredentialReportRow>();
  for (const row of report.rows) if (!row.isRoot) rows.set(row.arn, row);

  const ctx: UserContext = {
    iam,
    caller,
    settings,
    accountId,
    accountName: target.accountName,
    reportGenerated: fetched.generatedTime,
    reportFresh: fetched.generatedDuringRun,
    stats,
  };
  const userFailures: string[] = [];
  let fatal: AwsAuditError | null = null;
  await forEachLimited(
    users,
    settings.concurrency,
    async (user) => {
      try {
        findings.push(...(await auditUser(user, rows.get(user.Arn ?? ""), ctx)));
      } catch (err) {
        if (err instanceof AwsAuditError && err.fatal) fatal ??= err;
        else userFailures.push(`${user.Arn ?? user.UserName}: ${messageOf(err)}`);
      }
      settings.progress?.userDone();
    },
    () => fatal !== null,
  );
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set in the callbacks above
  if (fatal) return fail(fatal);
  if (userFailures.length > 0) {
    stats.status = "failed";
    stats.reason = `${userFailures.length} user(s) could not be audited`;
    userFailures.sort(compareStrings);
    for (const f of userFailures.slice(0, MAX_USER_ERRORS))
      errors.push({ file: accountFile(stats.accountId), message: `${prefix(target, stats.accountId)}user ${f}` });
    if (userFailures.length > MAX_USER_ERRORS) {
      errors.push({
        file: accountFile(stats.accountId),
        message: `${prefix(target, stats.accountId)}… and ${userFailures.length - MAX_USER_ERRORS} more users could not be audited`,
      });
    }
  }
  return finish();
}

interface UserContext {
  iam: IAMClient;
  caller: AwsCaller;
  settings: AccountAuditSettings;
  accountId: string;
  accountName: string | undefined;
  reportGenerated: Date;
  reportFresh: boolean;
  stats: AccountStats;
}

async function auditUser(user: User, reportRow: CredentialReportRow | undefined, ctx: UserContext): Promise<Finding[]> {
  const { iam, caller, settings } = ctx;
  const userName = user.UserName ?? "";
  const userArn = user.Arn ?? "";
  const userCreated = user.CreateDate;
  if (!userCreated)
    throw new AwsAuditError("service", "ListUsers returned the user without a CreateDate", "iam:ListUsers");
  // A row for a user of the same name that was deleted and created again describes someone else.
  const row =
    reportRow && Math.abs(reportRow.userCreated.getTime() - userCreated.getTime()) <= 1000 ? reportRow : undefined;

  let passwordEnabled: boolean;
  if (row) passwordEnabled = row.passwordEnabled === true;
  else {
    ctx.stats.usersNotInReport += 1;
    passwordEnabled = await hasLoginProfile(iam, caller, userName);
  }
  if (!passwordEnabled && !settings.allUsers) return [];
  ctx.stats.usersInScope += 1;
  if (row && !needsKeyListing(row, userCreated, ctx.reportGenerated, settings.windowSeconds)) {
    ctx.stats.usersSettledByReport += 1;
    return [];
  }

  const keys = await listAccessKeys(iam, caller, userName);
  if (keys === null) return []; // deleted while the audit ran
  ctx.stats.accessKeys += keys.length;
  const slots = matchSlots(keys, row);
  const findings: Finding[] = [];
  for (const key of keys.sort((a, b) => a.created.getTime() - b.created.getTime() || compareStrings(a.id, b.id))) {
    const slot = slots.get(key.id);
    const source = lastUseSource(key, slot, userCreated, settings.windowSeconds, ctx.reportFresh);
    if (source === "none") continue;
    const lastUsed = source === "report" ? (slot?.lastUsed ?? null) : await keyLastUsed(iam, caller, key.id);
    const verdict = classifyKey({
      userCreated,
      keyCreated: key.created,
      status: key.status,
      neverUsed: lastUsed === null,
      windowSeconds: settings.windowSeconds,
    });
    if (!verdict) continue;
    const evidence: LiveKeyEvidence = {
      kind: "live-key",
      case: verdict.case,
      accountId: ctx.accountId,
      ...(ctx.accountName !== undefined ? { accountName: ctx.accountName } : {}),
      userName,
      userArn,
      userCreated: isoSeconds(userCreated),
      passwordEnabled,
      accessKeyId: key.id,
      slot: slot?.slot ?? null,
      keyCreated: isoSeconds(key.created),
      keyCreatedFrom: "api",
      status: key.status,
      gapSeconds: verdict.gapSeconds,
      windowSeconds: settings.windowSeconds,
      lastUsed: lastUsed ? isoSeconds(lastUsed) : null,
      lastUsedFrom: source,
      reportGeneratedTime: isoSeconds(ctx.reportGenerated),
      remediation: [],
    };
    evidence.remediation = remediationCommands(evidence);
    findings.push(keyFinding(evidence, verdict, accountLocation(ctx.accountId)));
  }
  return findings;
}

/** A credential report as IAM handed it over. */
export interface FetchedReport {
  csv: string;
  generatedTime: Date;
  /** IAM generated it during this run (so it is minutes old at most). */
  generatedDuringRun: boolean;
}

/** The wait for one account's report: its deadline counts from the first request. */
export interface ReportWait {
  /** `Date.now()` after which the account gives up. */
  deadline: number;
  timeoutMs: number;
  /** IAM generated the report during this run (STARTED or INPROGRESS was seen). */
  generatedDuringRun: boolean;
  lastState: string;
}

export function startReportWait(timeoutMs: number): ReportWait {
  return { deadline: Date.now() + timeoutMs, timeoutMs, generatedDuringRun: false, lastState: "not requested" };
}

/**
 * Ask IAM for the credential report until it is ready: GenerateCredentialReport until it says
 * `COMPLETE`, pausing `reportPollIntervalMs` between calls. Gives up (a `report-timeout` error)
 * once the wait's deadline has passed.
 */
export async function awaitCredentialReport(
  iam: IAMClient,
  caller: AwsCaller,
  s: Pick<AccountAuditSettings, "reportPollIntervalMs">,
  wait: ReportWait,
): Promise<void> {
  for (;;) {
    const generated = await caller.call("iam:GenerateCredentialReport", () =>
      iam.send(new GenerateCredentialReportCommand({})),
    );
    wait.lastState = generated.State ?? "unknown";
    if (generated.State === "COMPLETE") return;
    wait.generatedDuringRun = true;
    await pauseBeforePoll(s, wait);
  }
}

/**
 * Generate the credential report and download it: {@link awaitCredentialReport}, then
 * GetCredentialReport; `ReportInProgress`, `ReportNotPresent` and `ReportExpired` go round again,
 * within the same deadline. `ready`: GenerateCredentialReport already said `COMPLETE`.
 */
export async function fetchCredentialReport(
  iam: IAMClient,
  caller: AwsCaller,
  s: Pick<AccountAuditSettings, "reportPollIntervalMs" | "reportTimeoutMs">,
  wait = startReportWait(s.reportTimeoutMs),
  ready = false,
): Promise<FetchedReport> {
  for (;;) {
    if (!ready) await awaitCredentialReport(iam, caller, s, wait);
    ready = false;
    try {
      const out = await caller.call("iam:GetCredentialReport", () => iam.send(new GetCredentialReportCommand({})));
      if (!out.Content || !out.GeneratedTime)
        throw new AwsAuditError(
          "service",
          "GetCredentialReport returned no Content or GeneratedTime",
          "iam:GetCredentialReport",
        );
      // The SDK's type has only "text/csv"; the service's answer is checked, not trusted.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (out.ReportFormat && out.ReportFormat !== "text/csv")
        throw new AwsAuditError(
          "service",
          `GetCredentialReport returned ReportFormat ${String(out.ReportFormat)}, expected text/csv`,
          "iam:GetCredentialReport",
        );
      return {
        csv: Buffer.from(out.Content).toString("utf8"),
        generatedTime: out.GeneratedTime,
        generatedDuringRun: wait.generatedDuringRun,
      };
    } catch (err) {
      const code = err instanceof AwsAuditError ? err.code : undefined;
      if (code === undefined || !REPORT_NOT_READY.has(code)) throw err;
      wait.lastState = `COMPLETE, then GetCredentialReport said ${code}`;
    }
    wait.generatedDuringRun = true;
    await pauseBeforePoll(s, wait);
  }
}

/** Sleep until the next poll, or throw when the deadline has passed (the last poll is made at the deadline). */
async function pauseBeforePoll(s: Pick<AccountAuditSettings, "reportPollIntervalMs">, wait: ReportWait): Promise<void> {
  const left = wait.deadline - Date.now();
  if (left <= 0) {
    throw new AwsAuditError(
      "report-timeout",
      `the credential report was not ready ${formatSeconds(wait.timeoutMs)} after it was requested (last state: ${wait.lastState}); IAM can take a while for large accounts: run again, or allow more time with --report-timeout SECONDS`,
      "iam:GenerateCredentialReport",
    );
  }
  await sleep(Math.min(s.reportPollIntervalMs, left));
}

async function listUsers(iam: IAMClient, caller: AwsCaller): Promise<User[]> {
  const users: User[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await caller.call("iam:ListUsers", () =>
      iam.send(new ListUsersCommand({ MaxItems: 1000, ...(marker ? { Marker: marker } : {}) })),
    );
    users.push(...(out.Users ?? []));
    if (!out.IsTruncated || !out.Marker || out.Marker === marker) return users;
    marker = out.Marker;
  }
  throw new AwsAuditError("service", `ListUsers did not finish after ${MAX_PAGES} pages`, "iam:ListUsers");
}

/** The user's keys, or null when the user no longer exists. */
async function listAccessKeys(iam: IAMClient, caller: AwsCaller, userName: string): Promise<ApiAccessKey[] | null> {
  const keys: ApiAccessKey[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let out;
    try {
      out = await caller.call("iam:ListAccessKeys", () =>
        iam.send(new ListAccessKeysCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) })),
      );
    } catch (err) {
      if (err instanceof AwsAuditError && err.kind === "not-found") return null;
      throw err;
    }
    for (const k of out.AccessKeyMetadata ?? []) {
      if (!k.AccessKeyId || !k.CreateDate || (k.Status !== "Active" && k.Status !== "Inactive")) {
        throw new AwsAuditError(
          "service",
          `ListAccessKeys returned an incomplete key for ${userName}`,
          "iam:ListAccessKeys",
        );
      }
      keys.push({ id: k.AccessKeyId, status: k.Status, created: k.CreateDate });
    }
    if (!out.IsTruncated || !out.Marker || out.Marker === marker) return keys;
    marker = out.Marker;
  }
  throw new AwsAuditError("service", `ListAccessKeys did not finish after ${MAX_PAGES} pages`, "iam:ListAccessKeys");
}

async function hasLoginProfile(iam: IAMClient, caller: AwsCaller, userName: string): Promise<boolean> {
  try {
    await caller.call("iam:GetLoginProfile", () => iam.send(new GetLoginProfileCommand({ UserName: userName })));
    return true;
  } catch (err) {
    if (err instanceof AwsAuditError && err.kind === "not-found") return false;
    throw err;
  }
}

/** When the key was last used; null: never. */
async function keyLastUsed(iam: IAMClient, caller: AwsCaller, accessKeyId: string): Promise<Date | null> {
  const out = await caller.call("iam:GetAccessKeyLastUsed", () =>
    iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })),
  );
  return out.AccessKeyLastUsed?.LastUsedDate ?? null;
}

function prefix(target: AccountTarget, accountId: string | null): string {
  if (!accountId) return "";
  return target.accountName ? `account ${accountId} (${target.accountName}): ` : `account ${accountId}: `;
}

function accountOfArn(arn: string | undefined): string | null {
  return /^arn:[\w-]+:iam::(\d{12}):/.exec(arn ?? "")?.[1] ?? null;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
