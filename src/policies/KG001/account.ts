/**
 * KG001's check of a live account (`keygate live`): which users it looks at (console password, or
 * all with `--all-users`), which calls it asks for (`live-call-plan.ts`), how it classifies a key
 * (`live-classify.ts`), and the evidence and remediation of its findings. The audit (live/) hands
 * it each user's facts; it asks only for what the credential report cannot answer.
 */
import { compareStrings, type Finding, type InputError, type SourceLocation } from "../../findings.js";
import type { AccountFacts, AccountJudge, Judgement, UserApi, UserFacts } from "../../live/facts.js";
import { isoSeconds } from "../../live/locations.js";
import { LiveUsageError } from "../../live/usage-error.js";
import type { AccountCheckOptions, CheckContext } from "../policy.js";
import type { KG001Data } from "./data.js";
import type { KG001Evidence } from "./evidence.js";
import { lastUseSource, needsKeyListing } from "./live-call-plan.js";
import { classifyKey, DEFAULT_WINDOW_SECONDS, type KeyVerdict } from "./live-classify.js";
import type { LiveKeyEvidence } from "./live-evidence.js";

interface Judging {
  windowSeconds: number;
  allUsers: boolean;
  context: CheckContext<KG001Data, KG001Evidence>;
}

/** KG001's account check, bound to `--window` and `--all-users`. */
export function checkAccount(
  options: AccountCheckOptions,
  context: CheckContext<KG001Data, KG001Evidence>,
): AccountJudge {
  const { windowSeconds = DEFAULT_WINDOW_SECONDS, allUsers = false } = options;
  if (!(Number.isFinite(windowSeconds) && windowSeconds >= 0))
    throw new LiveUsageError(`--window must be a number of seconds ≥ 0, got ${windowSeconds}`);
  const judging: Judging = { windowSeconds, allUsers, context };
  return {
    async user(user, account) {
      // In scope: users with a console password (all users with --all-users).
      const passwordEnabled = await user.passwordEnabled();
      if (!passwordEnabled && !allUsers) return null;
      return user.api
        ? { findings: await judgeKeys(user, user.api, account, passwordEnabled, judging) }
        : judgeReportRow(user, account, passwordEnabled, judging);
    },
  };
}

/** A user of an account: the report's answers where they settle it, ListAccessKeys and GetAccessKeyLastUsed where not. */
async function judgeKeys(
  user: UserFacts,
  api: UserApi,
  account: AccountFacts,
  passwordEnabled: boolean,
  { windowSeconds, context }: Judging,
): Promise<Finding[]> {
  const row = user.reportRow;
  if (row && !needsKeyListing(row, user.created, account.report.generatedTime, windowSeconds)) return [];
  const keys = await api.accessKeys();
  if (keys === null) return []; // deleted while the audit ran
  const findings: Finding[] = [];
  for (const key of keys) {
    const slot = key.reportSlot;
    const source = lastUseSource(key, slot, user.created, windowSeconds, account.report.generatedDuringRun);
    if (source === "none") continue;
    const lastUsed = source === "report" ? (slot?.lastUsed ?? null) : await api.keyLastUsed(key.id);
    const verdict = classifyKey({
      userCreated: user.created,
      keyCreated: key.created,
      status: key.status,
      neverUsed: lastUsed === null,
      windowSeconds,
    });
    if (!verdict) continue;
    const evidence: LiveKeyEvidence = {
      kind: "live-key",
      case: verdict.case,
      accountId: user.accountId,
      ...(account.name !== undefined ? { accountName: account.name } : {}),
      userName: user.name,
      userArn: user.arn,
      userCreated: isoSeconds(user.created),
      passwordEnabled,
      accessKeyId: key.id,
      slot: slot?.slot ?? null,
      keyCreated: isoSeconds(key.created),
      keyCreatedFrom: "api",
      status: key.status,
      gapSeconds: verdict.gapSeconds,
      windowSeconds,
      lastUsed: lastUsed ? isoSeconds(lastUsed) : null,
      lastUsedFrom: source,
      reportGeneratedTime: reportTime(account),
      remediation: [],
    };
    findings.push(keyFinding(evidence, verdict, user.location, context));
  }
  // By creation second, then id: the order of a user's keys in every report.
  return findings.sort((a, b) => compareStrings(keyOrder(a), keyOrder(b)));
}

function keyOrder(f: Finding): string {
  const e = f.evidence as LiveKeyEvidence;
  return `${e.keyCreated}\u0000${e.accessKeyId ?? ""}`;
}

/**
 * A user of a saved report: the report's slots are all there is (a key's creation time is its
 * slot's `access_key_N_last_rotated`; no key id). Findings in slot order.
 */
function judgeReportRow(
  user: UserFacts,
  account: AccountFacts,
  passwordEnabled: boolean,
  { windowSeconds, context }: Judging,
): Judgement {
  const findings: Finding[] = [];
  const errors: InputError[] = [];
  for (const slot of user.reportRow?.keys ?? []) {
    // An empty slot has no time and is not active. An active key without a time (IAM writes
    // one for every key it has) cannot be placed in the window, but is never dropped silently.
    if (slot.lastRotated === null && !slot.active) continue;
    const status = slot.active ? "Active" : "Inactive";
    const verdict = slot.lastRotated
      ? classifyKey({
          userCreated: user.created,
          keyCreated: slot.lastRotated,
          status,
          neverUsed: slot.lastUsed === null,
          windowSeconds,
        })
      : undatedKey(slot.lastUsed === null);
    if (!verdict) {
      if (slot.lastRotated === null) {
        errors.push({
          file: user.location.file,
          line: user.location.line,
          message: `access_key_${slot.slot} of user ${user.name} is active but its access_key_${slot.slot}_last_rotated is N/A, so keygate cannot tell whether it was created with the user: generate the report again (aws iam generate-credential-report), or audit the account with \`keygate live\``,
        });
      }
      continue;
    }
    const evidence: LiveKeyEvidence = {
      kind: "live-key",
      case: verdict.case,
      accountId: user.accountId,
      userName: user.name,
      userArn: user.arn,
      userCreated: isoSeconds(user.created),
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
      reportGeneratedTime: reportTime(account),
      remediation: [],
    };
    findings.push(keyFinding(evidence, verdict, user.location, context));
  }
  return { findings, errors };
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

function reportTime(account: AccountFacts): string | null {
  return account.report.generatedTime ? isoSeconds(account.report.generatedTime) : null;
}

/** The finding for one key: on the user, related to the key (its id, or `USER_ARN#access_key_N`), at the verdict's severity. */
function keyFinding(
  evidence: LiveKeyEvidence,
  verdict: KeyVerdict,
  location: SourceLocation,
  context: Judging["context"],
): Finding {
  evidence.remediation = remediationCommands(evidence);
  const keyAddress = evidence.accessKeyId ?? `${evidence.userArn}#access_key_${evidence.slot ?? "?"}`;
  return context.report({
    source: "live",
    resource: evidence.userArn,
    location,
    related: [{ role: "key", address: keyAddress }],
    evidence,
    severity: verdict.severity,
  });
}

/**
 * The commands that fix a key, in order: for a key in use, issue its replacement first; an active
 * key is deactivated before it is deleted (the safer order, easy to undo). Without a key id (a
 * saved report), the first command finds it by its creation time.
 */
export function remediationCommands(
  e: Pick<LiveKeyEvidence, "case" | "userName" | "accessKeyId" | "keyCreated" | "status">,
): string[] {
  const user = shellWord(e.userName);
  const commands: string[] = [];
  let keyId: string;
  if (e.accessKeyId) keyId = e.accessKeyId;
  else if (e.keyCreated === null) {
    // No creation time to find it by: the active key(s) of the user; two of them make the commands fail rather than guess.
    commands.push(
      `KEY_ID=$(aws iam list-access-keys --user-name ${user} --query "AccessKeyMetadata[?Status=='Active'].AccessKeyId" --output text)`,
    );
    keyId = '"$KEY_ID"';
  } else {
    const second = e.keyCreated.slice(0, 19);
    commands.push(
      `KEY_ID=$(aws iam list-access-keys --user-name ${user} --query "AccessKeyMetadata[?starts_with(CreateDate, '${second}')].AccessKeyId" --output text)`,
    );
    keyId = '"$KEY_ID"';
  }
  if (e.case === "setup-key-in-use") commands.push(`aws iam create-access-key --user-name ${user}`);
  if (e.status === "Active")
    commands.push(`aws iam update-access-key --user-name ${user} --access-key-id ${keyId} --status Inactive`);
  commands.push(`aws iam delete-access-key --user-name ${user} --access-key-id ${keyId}`);
  return commands;
}

function shellWord(s: string): string {
  return /^[\w+=,.@/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
