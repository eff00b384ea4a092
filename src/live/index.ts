/**
 * keygate's live mode: audit AWS accounts (or a saved credential report) with the policies' account
 * checks. live/ gathers the facts (accounts, credential reports, users, keys; see `facts.ts`) and
 * hands each user and account to the checks it is given; it knows no policy. `src/live-audit.ts`
 * binds the policies to it; the CLI (`keygate live`) and the reporters do the rest.
 */
import { compareDiagnostics, compareFindings, compareStrings, type Finding, type InputError } from "../findings.js";
import {
  accountStats,
  auditAccount,
  awaitCredentialReport,
  startReportWait,
  type AccountAuditSettings,
  type AccountStats,
} from "./account.js";
import { AwsCaller, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./aws-call.js";
import {
  iamClient,
  organizationsClient,
  resolveRegion,
  stsClient,
  type ClientSettings,
  type Credentials,
} from "./clients.js";
import { AwsAuditError } from "./errors.js";
import type { AccountJudge } from "./facts.js";
import { accountFile } from "./locations.js";
import {
  assumeAuditRole,
  callerIdentity,
  DEFAULT_AUDIT_ROLE_NAME,
  listOrganizationAccounts,
  roleArnOf,
  type CallerIdentity,
} from "./organization.js";
import { AccountRate, Slots } from "./rate.js";

export {
  auditCredentialReport,
  type CredentialReportAudit,
  type CredentialReportAuditOptions,
  type CredentialReportAuditStats,
} from "./offline.js";
import { LiveUsageError } from "./usage-error.js";

export type { AccountStats } from "./account.js";
export type { Credentials } from "./clients.js";
export type * from "./facts.js";
export { accountFile, accountLocation, isoSeconds } from "./locations.js";
export { LiveUsageError } from "./usage-error.js";
export {
  CREDENTIAL_REPORT_COLUMNS,
  decodeSavedReport,
  parseCredentialReport,
  type CredentialReport,
  type CredentialReportKeySlot,
  type CredentialReportRow,
  type ReportProblem,
} from "./credential-report.js";
export { REQUIRED_IAM_PERMISSIONS } from "./errors.js";
export { DEFAULT_AUDIT_ROLE_NAME, ROLE_SESSION_NAME } from "./organization.js";

/** What `keygate live` passes in; every field is optional. */
export interface LiveOptions {
  /** `--profile`: a profile of the shared config/credentials files (else the SDK's default chain, `AWS_PROFILE`). */
  profile?: string;
  /** `--region`: for STS; IAM is global and signs for its partition's region. Default: the SDK's, else `us-east-1`. */
  region?: string;
  /** `--endpoint-url`: IAM's endpoint; also STS's and Organizations' unless `endpoints` names theirs. */
  endpointUrl?: string;
  endpoints?: { iam?: string; sts?: string; organizations?: string };
  /** Credentials to use instead of the default chain (embedding, tests). */
  credentials?: Credentials;
  /** `--org`: every active account of the organization (needs `organizations:ListAccounts`). */
  org?: boolean;
  /** `--accounts`: these account ids. */
  accounts?: string[];
  /** `--role-name`: the role assumed in each account (default {@link DEFAULT_AUDIT_ROLE_NAME}). */
  roleName?: string;
  /** `--external-id` for AssumeRole, when the audit role's trust policy requires one. */
  externalId?: string;
  /** `--concurrency`: calls in flight per account at most (default 8); throttling lowers it for the account. */
  concurrency?: number;
  /** `--account-concurrency`: accounts whose users are audited at once (default {@link DEFAULT_ACCOUNT_CONCURRENCY}); waiting for reports takes no slot. */
  accountConcurrency?: number;
  /** `--max-calls-in-flight`: calls in flight over all accounts at most (default {@link DEFAULT_MAX_CALLS_IN_FLIGHT}). */
  maxCallsInFlight?: number;
  /** Attempts per call when throttled (default 10); 5xx answers back off from `retryBaseDelayMs` (default 200). */
  maxAttempts?: number;
  retryBaseDelayMs?: number;
  /** Give up connecting after this long (default 3000 ms), and on a silent endpoint after `requestTimeoutMs` (default 30000 ms). */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Pause between credential report polls (default 2000 ms). */
  reportPollIntervalMs?: number;
  /** `--report-timeout` (in ms here): how long after its request an account's report may take (default 120000 ms); then that account fails. */
  reportTimeoutMs?: number;
  /** Told how far the audit has come, on every change (the CLI draws it, or prints a line now and then). */
  onProgress?: (progress: LiveProgress) => void;
  /** Told each time an account is finished: audited or failed (not the skipped, listed in the stats). */
  onAccountDone?: (account: AccountStats) => void;
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_ACCOUNT_CONCURRENCY = 4;
export const DEFAULT_MAX_CALLS_IN_FLIGHT = 32;
export const DEFAULT_REPORT_TIMEOUT_MS = 120_000;

/** How far an audit has come. */
export interface LiveProgress {
  /** What the run is doing now. */
  phase: "listing accounts" | "requesting reports" | "auditing" | "waiting for reports" | "done";
  /** Accounts finished (audited or failed); skipped accounts are not counted. */
  accountsDone: number;
  accountsFailed: number;
  /** Accounts to audit; known once they are listed (1 without --org/--accounts). */
  accounts: number;
  /** Accounts (ids) whose credential report IAM is still generating, sorted. */
  waitingForReport: string[];
  /** Accounts whose users are being audited now. */
  accountsAuditing: number;
  usersDone: number;
  /** Users listed so far over all accounts. */
  users: number;
  /** Calls answered with a throttling error so far. */
  throttledCalls: number;
}

export interface LiveAuditStats {
  /** One entry per account: audited, failed (with the reason) or skipped (not `ACTIVE`). */
  accounts: AccountStats[];
  users: number;
  usersInScope: number;
  accessKeys: number;
  /** Calls per action over all accounts (`iam:ListUsers`, `sts:AssumeRole`…), retries included. */
  apiCalls: Record<string, number>;
  totalApiCalls: number;
  /** `totalApiCalls` divided by the users listed. */
  apiCallsPerUser: number;
  throttledRetries: number;
  /** Calls AWS answered with a throttling error (each slowed its account down). */
  throttledCalls: number;
  /** The most calls in flight at once over the run. */
  peakCallsInFlight: number;
  durationMs: number;
}

export interface LiveAuditResult {
  /** Sorted (file, line, column, rule, resource; then in each check's order). */
  findings: Finding[];
  /** Anything that kept an account, a user or the report from being audited: exit 2. */
  errors: InputError[];
  stats: LiveAuditStats;
}

/** Re-assume an account's role when its credentials would expire within this long of its audit. */
const CREDENTIALS_MARGIN_MS = 15 * 60_000;

/**
 * Audit one AWS account (the credentials' own), or several (`org`, `accounts`) through an
 * assumed role, with the given checks (all share the audit and its calls). Read-only calls only. Throws only {@link LiveUsageError}; AWS failures are returned
 * in `errors`, and an account that fails does not stop the others.
 *
 * The schedule: each account's role is assumed and its credential report requested as soon as the
 * account is known; the polls that wait for reports hold no account slot. An account whose report
 * is ready takes one of `accountConcurrency` slots for its users; one whose report is not ready
 * `reportTimeoutMs` after the request fails alone. All calls share `maxCallsInFlight` slots, and
 * each account has its own {@link AccountRate}, which throttling slows down.
 */
export async function auditLive(options: LiveOptions, judges: readonly AccountJudge[]): Promise<LiveAuditResult> {
  const started = performance.now();
  validate(options);
  const region = await resolveRegion(options.region, options.profile);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const settings: ClientSettings = {
    region,
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    endpoints: {
      ...pick("iam", options.endpoints?.iam ?? options.endpointUrl),
      ...pick("sts", options.endpoints?.sts ?? options.endpointUrl),
      ...pick("organizations", options.endpoints?.organizations ?? options.endpointUrl),
    },
    connectTimeoutMs: options.connectTimeoutMs ?? 3_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    maxSockets: concurrency + 2,
  };
  const audit: AccountAuditSettings = {
    judges,
    concurrency,
    reportPollIntervalMs: options.reportPollIntervalMs ?? 2_000,
    reportTimeoutMs: options.reportTimeoutMs ?? DEFAULT_REPORT_TIMEOUT_MS,
  };
  const multi = Boolean(options.org || options.accounts);
  const progress: LiveProgress = {
    phase: options.org ? "listing accounts" : "requesting reports",
    accountsDone: 0,
    accountsFailed: 0,
    accounts: options.org ? 0 : options.accounts ? new Set(options.accounts).size : 1,
    waitingForReport: [],
    accountsAuditing: 0,
    usersDone: 0,
    users: 0,
    throttledCalls: 0,
  };
  const waiting = new Set<string>();
  const tell = () => {
    if (!options.onProgress) return;
    progress.throttledCalls = callers.reduce((n, c) => n + c.throttledCalls, 0);
    progress.waitingForReport = [...waiting].sort(compareStrings);
    if (progress.phase !== "listing accounts") {
      progress.phase =
        progress.accountsAuditing > 0
          ? "auditing"
          : waiting.size > 0
            ? "waiting for reports"
            : progress.accountsDone >= progress.accounts
              ? "done"
              : "requesting reports";
    }
    options.onProgress({ ...progress, waitingForReport: [...progress.waitingForReport] });
  };
  if (options.onProgress) {
    audit.progress = {
      usersListed: (count) => {
        progress.users += count;
        tell();
      },
      userDone: () => {
        progress.usersDone += 1;
        tell();
      },
    };
  }
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.retryBaseDelayMs !== undefined ? { baseDelayMs: options.retryBaseDelayMs } : {}),
  };
  const callSlots = new Slots(options.maxCallsInFlight ?? DEFAULT_MAX_CALLS_IN_FLIGHT);
  const accountSlots = new Slots(options.accountConcurrency ?? DEFAULT_ACCOUNT_CONCURRENCY);
  const iamLabel = settings.endpoints.iam ?? "the IAM endpoint";
  const findings: Finding[] = [];
  const errors: InputError[] = [];
  const accounts: AccountStats[] = [];
  const callers: AwsCaller[] = [];
  const newCaller = (endpoint: string, rate?: AccountRate): AwsCaller => {
    const c = new AwsCaller(
      endpoint,
      policy,
      options.credentials ? undefined : options.profile,
      Math.random,
      rate ?? newRate(),
      callSlots,
    );
    callers.push(c);
    return c;
  };
  // A throttled call's first pause at one call in flight: a quarter of the 5xx backoff.
  const newRate = () => new AccountRate(concurrency, policy.baseDelayMs / 4, policy.maxDelayMs);
  const finished = (stats: AccountStats): void => {
    accounts.push(stats);
    if (stats.status !== "skipped") {
      progress.accountsDone += 1;
      if (stats.status === "failed") progress.accountsFailed += 1;
    }
    options.onAccountDone?.(stats);
    tell();
  };
  const collect = (a: { findings: Finding[]; errors: InputError[]; stats: AccountStats }): void => {
    for (const f of a.findings) findings.push(f);
    for (const e of a.errors) errors.push(e);
    finished(a.stats);
  };
  /** An account that failed before its users were listed (its role, its report); `id` undefined: the credentials' own, not known yet. */
  const failed = (
    id: string | undefined,
    name: string | undefined,
    caller: AwsCaller,
    reason: string,
    started: number,
  ): void => {
    const label = id === undefined ? "" : name ? `account ${id} (${name}): ` : `account ${id}: `;
    errors.push({ file: accountFile(id ?? null), message: `${label}${reason}` });
    const s = skipped(id ?? null, name, reason);
    s.status = "failed";
    s.apiCalls = Object.fromEntries([...caller.calls.entries()].sort(([a], [b]) => compareStrings(a, b)));
    s.totalApiCalls = caller.total;
    s.throttledRetries = caller.throttledRetries;
    s.throttledCalls = caller.throttledCalls;
    s.lowestConcurrency = caller.rate?.lowestLimit ?? concurrency;
    s.durationMs = Math.round(performance.now() - started);
    finished(s);
  };

  /**
   * One account: its report requested and awaited outside the account slots, then its users
   * audited in one. `assume`: how to get its credentials (undefined: the caller's own).
   */
  const runAccount = async (
    target: { id?: string; name?: string },
    assume: ((caller: AwsCaller) => Promise<AssumedCredentials>) | undefined,
  ): Promise<void> => {
    const accountStarted = performance.now();
    const caller = newCaller(iamLabel);
    let credentials: Credentials | undefined = settings.credentials;
    let expiration: Date | undefined;
    if (assume) {
      try {
        const assumed = await assume(caller);
        credentials = assumed;
        expiration = assumed.expiration;
      } catch (err) {
        failed(target.id, target.name, caller, messageOf(err), accountStarted);
        return;
      }
    }
    const key = target.id ?? "this account";
    const wait = startReportWait(audit.reportTimeoutMs);
    waiting.add(key);
    tell();
    let iam = iamClient(settings, credentials);
    try {
      try {
        await awaitCredentialReport(iam, caller, audit, wait);
      } catch (err) {
        waiting.delete(key);
        failed(target.id, target.name, caller, messageOf(err), accountStarted);
        return;
      }
      waiting.delete(key);
      tell();
    } finally {
      // A waiting account keeps no client (nor its sockets) until it has a slot.
      iam.destroy();
    }
    await accountSlots.acquire();
    progress.accountsAuditing += 1;
    tell();
    try {
      if (assume && expiration && expiration.getTime() - Date.now() < CREDENTIALS_MARGIN_MS) {
        try {
          credentials = await assume(caller);
        } catch (err) {
          failed(target.id, target.name, caller, messageOf(err), accountStarted);
          return;
        }
      }
      iam = iamClient(settings, credentials);
      try {
        const done = await auditAccount(
          {
            iam,
            caller,
            ...(target.id ? { accountId: target.id } : {}),
            ...(target.name ? { accountName: target.name } : {}),
          },
          audit,
          { wait, ready: true },
        );
        done.stats.durationMs = Math.round(performance.now() - accountStarted);
        collect(done);
      } finally {
        iam.destroy();
      }
    } finally {
      progress.accountsAuditing -= 1;
      accountSlots.release();
      tell();
    }
  };

  if (!multi) {
    await runAccount({}, undefined);
  } else {
    const sts = stsClient(settings);
    const base = newCaller(settings.endpoints.sts ?? "the STS endpoint");
    try {
      await auditAccounts();
    } finally {
      sts.destroy();
    }

    async function auditAccounts(): Promise<void> {
      let identity: CallerIdentity;
      try {
        identity = await callerIdentity(sts, base);
      } catch (err) {
        errors.push({ file: "aws://sts", message: `cannot tell whose credentials these are: ${messageOf(err)}` });
        return;
      }
      const roleName = options.roleName ?? DEFAULT_AUDIT_ROLE_NAME;
      const assumeIn =
        (t: { id: string; name?: string }) =>
        async (caller: AwsCaller): Promise<AssumedCredentials> => {
          const roleArn = roleArnOf({ accountId: t.id, roleName, partition: identity.partition });
          try {
            return await assumeAuditRole(sts, caller, {
              accountId: t.id,
              roleName,
              partition: identity.partition,
              ...(options.externalId ? { externalId: options.externalId } : {}),
            });
          } catch (err) {
            throw new Error(
              err instanceof AwsAuditError && err.kind === "access-denied"
                ? `cannot assume ${roleArn}: the role must exist in the account and trust ${identity.arn}, which needs sts:AssumeRole on it. AWS said: ${err.detail ?? err.message}`
                : `cannot assume ${roleArn}: ${messageOf(err)}`,
              { cause: err },
            );
          }
        };
      const start = (t: { id: string; name?: string }) =>
        runAccount(t, t.id === identity.accountId ? undefined : assumeIn(t));
      const running: Array<Promise<void>> = [];
      if (options.org) {
        const org = organizationsClient(settings);
        try {
          // Each account starts (role, report request) as soon as its page of ListAccounts arrives.
          await listOrganizationAccounts(
            org,
            newCaller(settings.endpoints.organizations ?? "the Organizations endpoint"),
            (page) => {
              for (const a of page) {
                if (a.state === "ACTIVE") {
                  progress.accounts += 1;
                  running.push(start({ id: a.id, ...(a.name ? { name: a.name } : {}) }));
                } else accounts.push(skipped(a.id, a.name, `state ${a.state}`));
              }
              tell();
            },
          );
          progress.phase = "requesting reports";
          tell();
        } catch (err) {
          const hint =
            err instanceof AwsAuditError && err.kind === "access-denied"
              ? " (run --org from the management account or a delegated administrator)"
              : "";
          errors.push({
            file: "aws://organizations",
            message: `cannot list the organization's accounts${hint}: ${messageOf(err)}`,
          });
        } finally {
          org.destroy();
        }
      } else {
        for (const id of new Set(options.accounts)) running.push(start({ id }));
      }
      await Promise.all(running);
    }
  }
  progress.phase = "done";
  tell();

  const apiCalls: Record<string, number> = {};
  let throttledRetries = 0;
  let throttledCalls = 0;
  for (const c of callers) {
    for (const [action, n] of c.calls) apiCalls[action] = (apiCalls[action] ?? 0) + n;
    throttledRetries += c.throttledRetries;
    throttledCalls += c.throttledCalls;
  }
  const totalApiCalls = Object.values(apiCalls).reduce((a, b) => a + b, 0);
  const users = accounts.reduce((n, a) => n + a.users, 0);
  accounts.sort((a, b) => compareStrings(a.accountId ?? "", b.accountId ?? ""));
  return {
    findings: sortFindings(findings),
    errors: errors.sort(compareDiagnostics),
    stats: {
      accounts,
      users,
      usersInScope: accounts.reduce((n, a) => n + a.usersInScope, 0),
      accessKeys: accounts.reduce((n, a) => n + a.accessKeys, 0),
      apiCalls: Object.fromEntries(Object.entries(apiCalls).sort(([a], [b]) => compareStrings(a, b))),
      totalApiCalls,
      apiCallsPerUser: users === 0 ? 0 : totalApiCalls / users,
      throttledRetries,
      throttledCalls,
      peakCallsInFlight: callSlots.peak,
      durationMs: Math.round(performance.now() - started),
    },
  };
}

type AssumedCredentials = Awaited<ReturnType<typeof assumeAuditRole>>;

/**
 * Findings in the house order. The sort is stable: a check's findings about one user (the same
 * location, rule and resource) stay in the order the check gave them (KG001: keys by creation).
 */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(compareFindings);
}

function validate(o: LiveOptions): void {
  const problems: string[] = [];
  for (const [name, v] of [
    ["--concurrency", o.concurrency],
    ["--account-concurrency", o.accountConcurrency],
    ["--max-calls-in-flight", o.maxCallsInFlight],
    ["max attempts", o.maxAttempts],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      problems.push(`${name} must be a whole number ≥ 1, got ${v}`);
  }
  if (o.reportTimeoutMs !== undefined && !(Number.isFinite(o.reportTimeoutMs) && o.reportTimeoutMs > 0))
    problems.push(`--report-timeout must be a number of seconds > 0, got ${o.reportTimeoutMs / 1000}`);
  if (o.reportPollIntervalMs !== undefined && !(Number.isFinite(o.reportPollIntervalMs) && o.reportPollIntervalMs >= 0))
    problems.push(`the report poll interval must be a number of ms ≥ 0, got ${o.reportPollIntervalMs}`);
  if (o.org && o.accounts) problems.push("--org and --accounts cannot be used together");
  if (o.accounts) {
    if (o.accounts.length === 0) problems.push("--accounts needs at least one account id");
    const bad = o.accounts.filter((a) => !/^\d{12}$/.test(a));
    if (bad.length > 0)
      problems.push(`--accounts takes 12-digit account ids, got ${bad.map((b) => JSON.stringify(b)).join(", ")}`);
  }
  if (o.roleName !== undefined && !/^(\/?[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/.test(o.roleName))
    problems.push(`--role-name is not a valid IAM role name: ${JSON.stringify(o.roleName)}`);
  if ((o.roleName !== undefined || o.externalId !== undefined) && !o.org && !o.accounts)
    problems.push("--role-name and --external-id apply only with --org or --accounts");
  for (const [name, url] of [
    ["--endpoint-url", o.endpointUrl],
    ["IAM endpoint", o.endpoints?.iam],
    ["STS endpoint", o.endpoints?.sts],
    ["Organizations endpoint", o.endpoints?.organizations],
  ] as const) {
    if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url))
      problems.push(`${name} must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (problems.length > 0) throw new LiveUsageError(problems.join("; "));
}

function skipped(id: string | null, name: string | undefined, reason: string): AccountStats {
  return { ...accountStats(id, name || undefined, "skipped"), reason };
}

function pick<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
