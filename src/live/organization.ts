/**
 * Several accounts: the organization's active accounts (Organizations ListAccounts, JSON 1.1) and
 * a role assumed in each (STS AssumeRole).
 *
 * The role should be a dedicated read-only audit role, deployed to every member account (a
 * CloudFormation StackSet or Terraform), trusting the principal that runs keygate and allowing
 * only the six read-only IAM actions in `REQUIRED_IAM_PERMISSIONS` (or the AWS-managed
 * `SecurityAudit` policy). `OrganizationAccountAccessRole` works but is an administrator role and
 * exists only in accounts the organization created; keygate does not default to it.
 */
import { ListAccountsCommand, type OrganizationsClient } from "@aws-sdk/client-organizations";
import { AssumeRoleCommand, GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import type { AwsCaller } from "./aws-call.js";
import { AwsAuditError } from "./errors.js";

/** The role name `--role-name` defaults to: a read-only audit role the organization deploys. */
export const DEFAULT_AUDIT_ROLE_NAME = "KeygateAudit";
/** The session name, visible in CloudTrail of each audited account. */
export const ROLE_SESSION_NAME = "keygate-live-audit";

export interface OrganizationAccount {
  id: string;
  name?: string;
  /** The account's `State` (`ACTIVE`, `SUSPENDED`…); `Status` when an older endpoint has no `State`. */
  state: string;
}

export interface CallerIdentity {
  accountId: string;
  arn: string;
  /** The ARN partition (`aws`, `aws-cn`, `aws-us-gov`). */
  partition: string;
}

/** Who the credentials belong to (needs no permission). */
export async function callerIdentity(sts: STSClient, caller: AwsCaller): Promise<CallerIdentity> {
  const out = await caller.call("sts:GetCallerIdentity", () => sts.send(new GetCallerIdentityCommand({})));
  if (!out.Account || !out.Arn)
    throw new AwsAuditError("service", "GetCallerIdentity returned no account", "sts:GetCallerIdentity");
  return { accountId: out.Account, arn: out.Arn, partition: out.Arn.split(":")[1] ?? "aws" };
}

/** All accounts of the organization, in the order Organizations lists them; `onPage` is told each page as it arrives. */
export async function listOrganizationAccounts(
  org: OrganizationsClient,
  caller: AwsCaller,
  onPage?: (accounts: OrganizationAccount[]) => void,
): Promise<OrganizationAccount[]> {
  const accounts: OrganizationAccount[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const out = await caller.call("organizations:ListAccounts", () =>
      org.send(new ListAccountsCommand(token ? { NextToken: token } : {})),
    );
    const listed: OrganizationAccount[] = [];
    for (const a of out.Accounts ?? []) {
      if (!a.Id) continue;
      listed.push({ id: a.Id, ...(a.Name ? { name: a.Name } : {}), state: a.State ?? a.Status ?? "UNKNOWN" });
    }
    accounts.push(...listed);
    onPage?.(listed);
    if (!out.NextToken || out.NextToken === token) return accounts;
    token = out.NextToken;
  }
  throw new AwsAuditError("service", "ListAccounts did not finish", "organizations:ListAccounts");
}

/** Temporary credentials for `roleName` in `accountId`. */
export async function assumeAuditRole(
  sts: STSClient,
  caller: AwsCaller,
  target: { accountId: string; roleName: string; partition: string; externalId?: string; durationSeconds?: number },
): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration?: Date }> {
  const roleArn = roleArnOf(target);
  const out = await caller.call("sts:AssumeRole", () =>
    sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: ROLE_SESSION_NAME,
        DurationSeconds: target.durationSeconds ?? 3600,
        ...(target.externalId ? { ExternalId: target.externalId } : {}),
      }),
    ),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
    throw new AwsAuditError("service", `AssumeRole ${roleArn} returned no credentials`, "sts:AssumeRole");
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    ...(c.Expiration ? { expiration: c.Expiration } : {}),
  };
}

export function roleArnOf(t: { accountId: string; roleName: string; partition: string }): string {
  return `arn:${t.partition}:iam::${t.accountId}:role/${t.roleName.replace(/^\/+/, "")}`;
}
