/**
 * keygate's live audit as a library: live/ gathers the facts of AWS accounts (or a saved credential
 * report), and the policies that check accounts judge them, all in one audit. `keygate live` runs
 * the policies its config switches on; {@link auditLive} and {@link auditCredentialReport} (the
 * programmatic API) run every policy that checks accounts, at its default severity.
 */
import type { Severity } from "./findings.js";
import {
  auditCredentialReport as auditSavedReport,
  auditLive as auditAccounts,
  type AccountJudge,
  type CredentialReportAudit,
  type CredentialReportAuditOptions,
  type LiveAuditResult,
  type LiveOptions,
} from "./live/index.js";
import { loadPolicies, type Policy } from "./policies/catalog.js";
import type { AccountCheckOptions } from "./policies/policy.js";

export type { LiveKeyCase, LiveKeyEvidence } from "./policies/KG001/live-evidence.js";
export { isLiveKeyEvidence } from "./policies/KG001/live-evidence.js";

/** The options of a live audit, with the account checks' own (`windowSeconds`, `allUsers`). */
export type LiveAuditOptions = LiveOptions & AccountCheckOptions;
/** The options of a saved report's audit, with the account checks' own. */
export type CredentialReportOptions = CredentialReportAuditOptions & AccountCheckOptions;

/** A policy that checks accounts, at the severity of this run. */
export interface AccountPolicy {
  policy: Policy;
  severity: Severity;
}

/** Every registered policy that checks accounts, at its default severity. */
export function accountPolicies(): AccountPolicy[] {
  return loadPolicies()
    .filter((policy) => policy.checkAccount !== undefined)
    .map((policy) => ({ policy, severity: policy.severity }));
}

/** The policies' account checks, bound to the options (throws LiveUsageError for options a check cannot take). */
export function accountJudges(policies: readonly AccountPolicy[], options: AccountCheckOptions): AccountJudge[] {
  return policies.flatMap(({ policy, severity }) =>
    policy.checkAccount ? [policy.checkAccount(options, severity)] : [],
  );
}

/**
 * Audit one AWS account (the credentials' own), or several (`org`, `accounts`), with the policies'
 * account checks (default: every policy that has one). See live/index.ts for the schedule.
 */
export async function auditLive(
  options: LiveAuditOptions = {},
  policies: readonly AccountPolicy[] = accountPolicies(),
): Promise<LiveAuditResult> {
  return auditAccounts(options, accountJudges(policies, checkOptions(options)));
}

/** Audit a saved credential report (no AWS calls) with the policies' account checks. */
export async function auditCredentialReport(
  options: CredentialReportOptions,
  policies: readonly AccountPolicy[] = accountPolicies(),
): Promise<CredentialReportAudit> {
  return auditSavedReport(options, accountJudges(policies, checkOptions(options)));
}

function checkOptions(options: AccountCheckOptions): AccountCheckOptions {
  return {
    ...(options.windowSeconds !== undefined ? { windowSeconds: options.windowSeconds } : {}),
    ...(options.allUsers !== undefined ? { allUsers: options.allUsers } : {}),
  };
}
