/**
 * The audit of one AWS account: the credential report (generated and polled), the users
 * (ListUsers, for exact creation times and for users newer than the report), then each user handed
 * to the policies' account checks (`facts.ts`) with bounded concurrency: the per-user calls are made
 * only when a check asks for what the report cannot answer. Read-only calls only.
 */
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountPasswordPolicyCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  ListAccessKeysCommand,
  ListUsersCommand,
  type IAMClient,
  type User,
} from "@aws-sdk/client-iam";
import { compareStrings, type Finding, type InputError } from "../findings.js";
import { sleep, type AwsCaller } from "./aws-call.js";
import {
  parseCredentialReport,
  reportAccountId,
  type CredentialReportKeySlot,
  type CredentialReportRow,
} from "./credential-report.js";
import { AwsAuditError } from "./errors.js";
import type {
  AccessKeyFacts,
  AccountFacts,
  AccountJudge,
  ApiAccessKey,
  Judgement,
  PasswordPolicy,
  UserFacts,
} from "./facts.js";
import { accountFile, accountLocation, isoSeconds } from "./locations.js";
import { forEachLimited } from "./pool.js";

/** How one account is audited; see `LiveOptions`. */
export interface AccountAuditSettings {
  /** The policies' account checks, run on every user and on the account. */
  judges: readonly AccountJudge[];
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
  /** Users some check judged (KG001: users with a console password; all users with `--all-users`). */
  usersInScope: number;
  /** Users created after the report, audited through GetLoginProfile. */
  usersNotInReport: number;
  /** Users in scope whose report row answered every question of the checks, so no call was needed. */
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

  const account = accountFacts(iam, caller, accountId, target.accountName, fetched);
  const ctx: UserContext = { iam, caller, judges: settings.judges, account, stats };
  const userFailures: string[] = [];
  let fatal: AwsAuditError | null = null;
  await forEachLimited(
    users,
    settings.concurrency,
    async (user) => {
      try {
        const judged = await auditUser(user, rows.get(user.Arn ?? ""), ctx);
        findings.push(...judged.findings);
        errors.push(...judged.errors);
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
  // The checks of the account as a whole (its password policy…), after its users.
  for (const judge of settings.judges) {
    if (!judge.account) continue;
    try {
      const judged = await judge.account(account);
      findings.push(...judged.findings);
      errors.push(...(judged.errors ?? []));
    } catch (err) {
      return fail(err);
    }
  }
  return finish();
}

interface UserContext {
  iam: IAMClient;
  caller: AwsCaller;
  judges: readonly AccountJudge[];
  account: AccountFacts;
  stats: AccountStats;
}

/** The account's facts: its location, its report, and the per-account calls on demand. */
function accountFacts(
  iam: IAMClient,
  caller: AwsCaller,
  id: string,
  name: string | undefined,
  report: FetchedReport,
): AccountFacts {
  let passwordPolicy: Promise<PasswordPolicy | null> | undefined;
  return {
    id,
    ...(name !== undefined ? { name } : {}),
    location: accountLocation(id),
    report: { generatedTime: report.generatedTime, generatedDuringRun: report.generatedDuringRun },
    api: { passwordPolicy: () => (passwordPolicy ??= accountPasswordPolicy(iam, caller)) },
  };
}

/** One user judged by every check: the facts are gathered once, on demand, whichever checks ask. */
async function auditUser(
  user: User,
  reportRow: CredentialReportRow | undefined,
  ctx: UserContext,
): Promise<Required<Judgement>> {
  const { iam, caller, account } = ctx;
  const userName = user.UserName ?? "";
  const userCreated = user.CreateDate;
  if (!userCreated)
    throw new AwsAuditError("service", "ListUsers returned the user without a CreateDate", "iam:ListUsers");
  // A row for a user of the same name that was deleted and created again describes someone else.
  const row =
    reportRow && Math.abs(reportRow.userCreated.getTime() - userCreated.getTime()) <= 1000 ? reportRow : undefined;
  if (!row) ctx.stats.usersNotInReport += 1;

  let calls = 0;
  let password: Promise<boolean> | undefined;
  let keys: Promise<AccessKeyFacts[] | null> | undefined;
  const lastUse = new Map<string, Promise<Date | null>>();
  const facts: UserFacts = {
    name: userName,
    arn: user.Arn ?? "",
    created: userCreated,
    accountId: account.id,
    reportRow: row,
    location: account.location,
    passwordEnabled: () => {
      if (row) return Promise.resolve(row.passwordEnabled === true);
      if (!password) {
        calls += 1;
        password = hasLoginProfile(iam, caller, userName);
      }
      return password;
    },
    api: {
      accessKeys: () => {
        if (!keys) {
          calls += 1;
          keys = listAccessKeys(iam, caller, userName).then((listed) => {
            if (listed === null) return null; // deleted while the audit ran
            ctx.stats.accessKeys += listed.length;
            const slots = matchSlots(listed, row);
            return listed
              .sort((a, b) => a.created.getTime() - b.created.getTime() || compareStrings(a.id, b.id))
              .map((k) => ({ ...k, reportSlot: slots.get(k.id) }));
          });
        }
        return keys;
      },
      keyLastUsed: (accessKeyId) => {
        let known = lastUse.get(accessKeyId);
        if (!known) {
          calls += 1;
          known = keyLastUsed(iam, caller, accessKeyId);
          lastUse.set(accessKeyId, known);
        }
        return known;
      },
    },
  };

  const judgement: Required<Judgement> = { findings: [], errors: [] };
  let inScope = false;
  for (const judge of ctx.judges) {
    const judged = judge.user ? await judge.user(facts, account) : null;
    if (!judged) continue;
    inScope = true;
    judgement.findings.push(...judged.findings);
    judgement.errors.push(...(judged.errors ?? []));
  }
  if (inScope) {
    ctx.stats.usersInScope += 1;
    // In scope, and the report answered every question the checks asked: no call was made.
    if (calls === 0) ctx.stats.usersSettledByReport += 1;
  }
  return judgement;
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

/** The account's password policy; null when it has none. */
async function accountPasswordPolicy(iam: IAMClient, caller: AwsCaller): Promise<PasswordPolicy | null> {
  try {
    const out = await caller.call("iam:GetAccountPasswordPolicy", () =>
      iam.send(new GetAccountPasswordPolicyCommand({})),
    );
    const p = out.PasswordPolicy;
    if (!p)
      throw new AwsAuditError(
        "service",
        "GetAccountPasswordPolicy returned no PasswordPolicy",
        "iam:GetAccountPasswordPolicy",
      );
    return {
      minimumPasswordLength: p.MinimumPasswordLength ?? null,
      requireSymbols: p.RequireSymbols ?? false,
      requireNumbers: p.RequireNumbers ?? false,
      requireUppercaseCharacters: p.RequireUppercaseCharacters ?? false,
      requireLowercaseCharacters: p.RequireLowercaseCharacters ?? false,
      maxPasswordAge: p.MaxPasswordAge ?? null,
      passwordReusePrevention: p.PasswordReusePrevention ?? null,
    };
  } catch (err) {
    if (err instanceof AwsAuditError && err.kind === "not-found") return null;
    throw err;
  }
}

/**
 * Pair API keys with report slots by creation time (which physical key is slot 1 is not
 * documented). A key is paired only when its time picks out exactly one slot and that slot's time
 * picks out only this key; two keys created in the same second stay unpaired.
 */
export function matchSlots(
  keys: readonly ApiAccessKey[],
  row: CredentialReportRow | undefined,
): Map<string, CredentialReportKeySlot> {
  const out = new Map<string, CredentialReportKeySlot>();
  if (!row) return out;
  const near = (a: Date, b: Date): boolean => Math.abs(a.getTime() - b.getTime()) <= 1000;
  for (const key of keys) {
    const slots = row.keys.filter((s) => s.lastRotated !== null && near(s.lastRotated, key.created));
    const [slot] = slots;
    if (slots.length !== 1 || !slot?.lastRotated) continue;
    const rivals = keys.filter((k) => slot.lastRotated && near(slot.lastRotated, k.created));
    if (rivals.length === 1) out.set(key.id, slot);
  }
  return out;
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
