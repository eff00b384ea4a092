/** Building KG001 findings from live evidence. */
import { fingerprintOf, type Finding, type SourceLocation } from "../findings.js";
import type { KeyVerdict } from "./classify.js";
import type { LiveKeyEvidence } from "./evidence.js";

export const RULE_ID = "KG001";
export const RULE_NAME = "access-key-created-with-user";

/**
 * The pseudo-location of findings from an AWS account: `aws://ACCOUNT/iam`, line 1, column 1.
 * An account has no file; this names where the finding lives, keeps `location.file` non-empty for
 * reporters, and keeps fingerprints stable across runs (they hash the file, the user ARN and the
 * key id, never a line).
 */
export function accountLocation(accountId: string): SourceLocation {
  return { file: accountFile(accountId), line: 1, column: 1, endLine: 1, endColumn: 1 };
}

/** `aws://ACCOUNT/iam`, or `aws://iam` while the account is not known. */
export function accountFile(accountId: string | null | undefined): string {
  return accountId ? `aws://${accountId}/iam` : "aws://iam";
}

/** The finding for one key. */
export function keyFinding(evidence: LiveKeyEvidence, verdict: KeyVerdict, location: SourceLocation): Finding {
  const keyAddress = evidence.accessKeyId ?? `${evidence.userArn}#access_key_${evidence.slot ?? "?"}`;
  const related = [{ role: "key" as const, address: keyAddress }];
  return {
    ruleId: RULE_ID,
    ruleName: RULE_NAME,
    severity: verdict.severity,
    source: "live",
    resource: evidence.userArn,
    location,
    related,
    evidence,
    fingerprint: fingerprintOf({
      ruleId: RULE_ID,
      file: location.file,
      resource: evidence.userArn,
      related: related.map((r) => r.address),
    }),
    suppressed: null,
    notes: [],
  };
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

/** ISO 8601 at second precision: `2024-03-01T10:00:00Z`. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function shellWord(s: string): string {
  return /^[\w+=,.@/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
