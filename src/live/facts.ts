/**
 * What an audit knows about an account and its users, and what the policies' account checks judge.
 * live/ gathers the facts (the credential report, ListUsers, and the per-user and per-account calls
 * the checks ask for); it knows no policy. Each accessor that costs a call asks AWS at most once per
 * user (or account), whichever checks ask, so all the policies that check accounts share one audit
 * and its calls.
 */
import type { Finding, InputError, SourceLocation } from "../findings.js";
import type { CredentialReportKeySlot, CredentialReportRow } from "./credential-report.js";

/** An access key as ListAccessKeys returns it. */
export interface ApiAccessKey {
  id: string;
  status: "Active" | "Inactive";
  created: Date;
}

/** An access key of a user, with its column group of the credential report when it could be told. */
export interface AccessKeyFacts extends ApiAccessKey {
  /** The report's slot with the same creation time (see `matchSlots`); undefined when none or ambiguous. */
  reportSlot: CredentialReportKeySlot | undefined;
}

/** One IAM user: what the credential report and ListUsers say, and AWS's answers on demand. */
export interface UserFacts {
  name: string;
  arn: string;
  /** The user's creation time (ListUsers, exact; or the report's `user_creation_time`). */
  created: Date;
  /** The account the user belongs to: its id, or "unknown" (a saved report without any ARN). */
  accountId: string;
  /**
   * The user's row in the credential report; undefined when the user is not in it (created after
   * the report, a row that did not parse, or an earlier user of the same name).
   */
  reportRow: CredentialReportRow | undefined;
  /** Where findings about the user stand: `aws://ACCOUNT/iam` (line 1), or the user's line of a saved report. */
  location: SourceLocation;
  /** Whether the user has a console password: the report's answer, else GetLoginProfile (asked once). */
  passwordEnabled(): Promise<boolean>;
  /** AWS's answers about the user; absent when the input is a saved report (no AWS calls). */
  api?: UserApi;
}

/** The per-user calls, made only when a check asks, each at most once. */
export interface UserApi {
  /** ListAccessKeys, sorted by creation time, then id; null: the user was deleted while the audit ran. */
  accessKeys(): Promise<readonly AccessKeyFacts[] | null>;
  /** GetAccessKeyLastUsed: when the key was last used; null: never. */
  keyLastUsed(accessKeyId: string): Promise<Date | null>;
}

/** An account's password policy (GetAccountPasswordPolicy), as far as the checks need it. */
export interface PasswordPolicy {
  minimumPasswordLength: number | null;
  requireSymbols: boolean;
  requireNumbers: boolean;
  requireUppercaseCharacters: boolean;
  requireLowercaseCharacters: boolean;
  /** Days; null: passwords do not expire. */
  maxPasswordAge: number | null;
  /** Earlier passwords that cannot be used again; null: not set. */
  passwordReusePrevention: number | null;
}

/** One account, as far as an audit knows it. */
export interface AccountFacts {
  /** The 12-digit account id, or "unknown" (a saved report without any ARN). */
  id: string;
  /** Its name in the organization, when audited with `--org`. */
  name?: string;
  /** Where findings about the account stand: `aws://ACCOUNT/iam` line 1, or a saved report's first line. */
  location: SourceLocation;
  report: {
    /** When the credential report was generated; null for a saved CSV without that time. */
    generatedTime: Date | null;
    /** IAM generated it during this run (so "never used" in it is minutes old at most). */
    generatedDuringRun: boolean;
  };
  /** AWS's answers about the account; absent when the input is a saved report. */
  api?: AccountApi;
}

/** The per-account calls, made only when a check asks, each at most once. */
export interface AccountApi {
  /** GetAccountPasswordPolicy; null: the account has none (IAM's defaults apply). */
  passwordPolicy(): Promise<PasswordPolicy | null>;
}

/** What a check says about a user or an account: its findings, and what kept it from judging. */
export interface Judgement {
  findings: Finding[];
  errors?: InputError[];
}

/**
 * A policy's account check, as the audit runs it (live/ knows no policy: it is handed these).
 * Exceptions from the accessors (AWS errors) are the audit's to report, by user or account.
 */
export interface AccountJudge {
  /**
   * Judges one user; null when the user is outside the check's scope (the audit counts users in
   * the scope of some check). Findings about one user come back in the check's order.
   */
  user?(user: UserFacts, account: AccountFacts): Promise<Judgement | null>;
  /** Judges the account as a whole, once, after its users. */
  account?(account: AccountFacts): Promise<Judgement>;
}
