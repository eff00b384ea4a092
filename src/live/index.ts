/**
 * keygate's live mode as a library: audit AWS accounts (or a saved credential report) for access
 * keys created together with their user (CIS AWS Foundations 1.11 / 1.10 / 2.10). Findings are
 * KG001 findings with `source: "live"`; the CLI (`keygate live`) and the reporters do the rest.
 */
import { compareDiagnostics, compareFindings, compareStrings, type Finding, type InputError } from "../findings.js";
import { accountStats, auditAccount, type AccountAuditSettings, type AccountStats } from "./account.js";
import { AwsCaller, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./aws-call.js";
import { DEFAULT_WINDOW_SECONDS } from "./classify.js";
import { iamClient, organizationsClient, resolveRegion, stsClient, type ClientSettings, type Credentials } from "./clients.js";
import { AwsAuditError } from "./errors.js";
import { accountFile } from "./key-finding.js";
import { assumeAuditRole, callerIdentity, DEFAULT_AUDIT_ROLE_NAME, listOrganizationAccounts, roleArnOf, type CallerIdentity } from "./organization.js";
import { forEachLimited } from "./pool.js";

export { auditCredentialReport, type CredentialReportAudit, type CredentialReportAuditOptions, type CredentialReportAuditStats } from "./offline.js";
export type { LiveKeyCase, LiveKeyEvidence } from "./evidence.js";
export type { AccountStats } from "./account.js";
export type { Credentials } from "./clients.js";
export { classifyKey, DEFAULT_WINDOW_SECONDS, type KeyFacts, type KeyVerdict } from "./classify.js";
export { CREDENTIAL_REPORT_COLUMNS, decodeSavedReport, parseCredentialReport, type CredentialReport, type CredentialReportKeySlot, type CredentialReportRow, type ReportProblem } from "./credential-report.js";
export { REQUIRED_IAM_PERMISSIONS } from "./errors.js";
export { DEFAULT_AUDIT_ROLE_NAME, ROLE_SESSION_NAME } from "./organization.js";
export { RULE_ID, RULE_NAME } from "./key-finding.js";

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
  /** `--window`: seconds between a user's creation and a key's within which the key counts as created with the user (default 60). */
  windowSeconds?: number;
  /** `--all-users`: also users without a console password. */
  allUsers?: boolean;
  /** `--org`: every active account of the organization (needs `organizations:ListAccounts`). */
  org?: boolean;
  /** `--accounts`: these account ids. */
  accounts?: string[];
  /** `--role-name`: the role assumed in each account (default {@link DEFAULT_AUDIT_ROLE_NAME}). */
  roleName?: string;
  /** `--external-id` for AssumeRole, when the audit role's trust policy requires one. */
  externalId?: string;
  /** Concurrent calls per account (default 8). */
  concurrency?: number;
  /** Accounts audited at once (default 4). */
  accountConcurrency?: number;
  /** Attempts per call when throttled (default 10), with backoff from `retryBaseDelayMs` (default 200). */
  maxAttempts?: number;
  retryBaseDelayMs?: number;
  /** Give up connecting after this long (default 3000 ms), and on a silent endpoint after `requestTimeoutMs` (default 30000 ms). */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Pause between credential report polls (default 2000 ms) and the overall wait (default 120000 ms). */
  reportPollIntervalMs?: number;
  reportTimeoutMs?: number;
  /** Told how far the audit has come (the CLI draws a progress line on a terminal). */
  onProgress?: (progress: LiveProgress) => void;
}

/** How far an audit has come. */
export interface LiveProgress {
  accountsDone: number;
  /** Accounts to audit; known once they are listed (1 without --org/--accounts). */
  accounts: number;
  usersDone: number;
  /** Users listed so far over all accounts. */
  users: number;
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
  durationMs: number;
}

export interface LiveAuditResult {
  /** Sorted (file, line, column, rule, resource; then key creation). */
  findings: Finding[];
  /** Anything that kept an account, a user or the report from being audited: exit 2. */
  errors: InputError[];
  stats: LiveAuditStats;
}

/** Options that cannot work together or hold impossible values (a usage error: exit 2). */
export class LiveUsageError extends Error {
  override name = "LiveUsageError";
}

/**
 * Audit one AWS account (the credentials' own), or several (`org`, `accounts`) through an
 * assumed role. Read-only calls only. Throws only {@link LiveUsageError}; AWS failures are returned
 * in `errors`, and an account that fails does not stop the others.
 */
export async function auditLive(options: LiveOptions = {}): Promise<LiveAuditResult> {
  const started = performance.now();
  validate(options);
  const region = await resolveRegion(options.region, options.profile);
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
    maxSockets: (options.concurrency ?? 8) + 2,
  };
  const audit: AccountAuditSettings = {
    windowSeconds: options.windowSeconds ?? DEFAULT_WINDOW_SECONDS,
    allUsers: options.allUsers ?? false,
    concurrency: options.concurrency ?? 8,
    reportPollIntervalMs: options.reportPollIntervalMs ?? 2_000,
    reportTimeoutMs: options.reportTimeoutMs ?? 120_000,
  };
  const progress: LiveProgress = { accountsDone: 0, accounts: options.org ? 0 : (options.accounts ? new Set(options.accounts).size : 1), usersDone: 0, users: 0 };
  const tell = () => options.onProgress?.({ ...progress });
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
  const iamLabel = settings.endpoints.iam ?? "the IAM endpoint";
  const findings: Finding[] = [];
  const errors: InputError[] = [];
  const accounts: AccountStats[] = [];
  const callers: AwsCaller[] = [];
  const newCaller = (endpoint: string): AwsCaller => {
    const c = new AwsCaller(endpoint, policy, options.credentials ? undefined : options.profile);
    callers.push(c);
    return c;
  };
  const collect = (a: { findings: Finding[]; errors: InputError[]; stats: AccountStats }): void => {
    findings.push(...a.findings);
    errors.push(...a.errors);
    accounts.push(a.stats);
    progress.accountsDone += 1;
    tell();
  };

  if (!options.org && !options.accounts) {
    const iam = iamClient(settings);
    try {
      collect(await auditAccount({ iam, caller: newCaller(iamLabel) }, audit));
    } finally {
      iam.destroy();
    }
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
      let targets: Array<{ id: string; name?: string }>;
      if (options.org) {
        const org = organizationsClient(settings);
        try {
          const all = await listOrganizationAccounts(org, newCaller(settings.endpoints.organizations ?? "the Organizations endpoint"));
          targets = [];
          for (const a of all) {
            if (a.state === "ACTIVE") targets.push({ id: a.id, ...(a.name ? { name: a.name } : {}) });
            else accounts.push(skipped(a.id, a.name, `state ${a.state}`));
          }
          progress.accounts = targets.length;
          tell();
        } catch (err) {
          const hint = err instanceof AwsAuditError && err.kind === "access-denied" ? " (run --org from the management account or a delegated administrator)" : "";
          errors.push({ file: "aws://organizations", message: `cannot list the organization's accounts${hint}: ${messageOf(err)}` });
          return;
        } finally {
          org.destroy();
        }
      } else {
        targets = [...new Set(options.accounts)].map((id) => ({ id }));
      }
      const roleName = options.roleName ?? DEFAULT_AUDIT_ROLE_NAME;
      await forEachLimited(targets, options.accountConcurrency ?? 4, async (t) => {
        const caller = newCaller(iamLabel);
        const label = t.name ? `account ${t.id} (${t.name})` : `account ${t.id}`;
        let credentials: Credentials | undefined = settings.credentials;
        if (t.id !== identity.accountId) {
          const roleArn = roleArnOf({ accountId: t.id, roleName, partition: identity.partition });
          try {
            credentials = await assumeAuditRole(sts, caller, { accountId: t.id, roleName, partition: identity.partition, ...(options.externalId ? { externalId: options.externalId } : {}) });
          } catch (err) {
            const reason =
              err instanceof AwsAuditError && err.kind === "access-denied"
                ? `cannot assume ${roleArn}: the role must exist in the account and trust ${identity.arn}, which needs sts:AssumeRole on it. AWS said: ${err.detail ?? err.message}`
                : `cannot assume ${roleArn}: ${messageOf(err)}`;
            errors.push({ file: accountFile(t.id), message: `${label}: ${reason}` });
            const s = skipped(t.id, t.name, reason);
            s.status = "failed";
            s.apiCalls = Object.fromEntries(caller.calls);
            s.totalApiCalls = caller.total;
            accounts.push(s);
            progress.accountsDone += 1;
            tell();
            return;
          }
        }
        const iam = iamClient(settings, credentials);
        try {
          collect(await auditAccount({ iam, caller, accountId: t.id, ...(t.name ? { accountName: t.name } : {}) }, audit));
        } finally {
          iam.destroy();
        }
      });
    }
  }

  const apiCalls: Record<string, number> = {};
  let throttledRetries = 0;
  for (const c of callers) {
    for (const [action, n] of c.calls) apiCalls[action] = (apiCalls[action] ?? 0) + n;
    throttledRetries += c.throttledRetries;
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
      durationMs: Math.round(performance.now() - started),
    },
  };
}

/** Findings in the house order; within one user, keys by creation time, then id. */
export function sortFindings(findings: Finding[]): Finding[] {
  const keyOrder = (f: Finding): string => {
    const e = f.evidence;
    return e.kind === "live-key" ? `${e.keyCreated}\u0000${e.accessKeyId ?? e.slot ?? ""}` : "";
  };
  return findings.sort((a, b) => compareFindings(a, b) || compareStrings(keyOrder(a), keyOrder(b)));
}

function validate(o: LiveOptions): void {
  const problems: string[] = [];
  if (o.windowSeconds !== undefined && !(Number.isFinite(o.windowSeconds) && o.windowSeconds >= 0)) problems.push(`--window must be a number of seconds ≥ 0, got ${o.windowSeconds}`);
  for (const [name, v] of [["--concurrency", o.concurrency], ["account concurrency", o.accountConcurrency], ["max attempts", o.maxAttempts]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) problems.push(`${name} must be a whole number ≥ 1, got ${v}`);
  }
  if (o.org && o.accounts) problems.push("--org and --accounts cannot be used together");
  if (o.accounts) {
    if (o.accounts.length === 0) problems.push("--accounts needs at least one account id");
    const bad = o.accounts.filter((a) => !/^\d{12}$/.test(a));
    if (bad.length > 0) problems.push(`--accounts takes 12-digit account ids, got ${bad.map((b) => JSON.stringify(b)).join(", ")}`);
  }
  if (o.roleName !== undefined && !/^(\/?[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/.test(o.roleName)) problems.push(`--role-name is not a valid IAM role name: ${JSON.stringify(o.roleName)}`);
  if ((o.roleName !== undefined || o.externalId !== undefined) && !o.org && !o.accounts) problems.push("--role-name and --external-id apply only with --org or --accounts");
  for (const [name, url] of [["--endpoint-url", o.endpointUrl], ["IAM endpoint", o.endpoints?.iam], ["STS endpoint", o.endpoints?.sts], ["Organizations endpoint", o.endpoints?.organizations]] as const) {
    if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url)) problems.push(`${name} must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (problems.length > 0) throw new LiveUsageError(problems.join("; "));
}

function skipped(id: string, name: string | undefined, reason: string): AccountStats {
  return { ...accountStats(id, name || undefined, "skipped"), reason };
}

function pick<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
