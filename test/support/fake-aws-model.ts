/**
 * The mutable in-memory account model behind the fake AWS endpoint (test/support/fake-aws.ts):
 * users with exact creation times, console passwords, access keys and their last use, roles that
 * can be assumed, and a credential report whose state machine a test scripts.
 *
 * Times are kept as `Date`s and written at second precision, as IAM does.
 */

export type KeyStatus = "Active" | "Inactive";

export interface FakeAccessKey {
  id: string;
  status: KeyStatus;
  createDate: Date;
  /** Absent: never used. */
  lastUsed?: { date: Date; service: string; region: string };
}

export interface FakeUser {
  name: string;
  id: string;
  path: string;
  arn: string;
  createDate: Date;
  /** Present when the user has a console password. */
  loginProfile?: { createDate: Date; passwordLastUsed?: Date };
  keys: FakeAccessKey[];
}

/** What a test says about a user; dates may be ISO strings. */
export interface UserSpec {
  name: string;
  created: Date | string;
  path?: string;
  /** `true`: a password set when the user was created; a date: set then; absent/false: none. */
  password?: boolean | Date | string;
  keys?: KeySpec[];
}

export interface KeySpec {
  created: Date | string;
  status?: KeyStatus;
  /** `null`/absent: never used. */
  lastUsed?: Date | string | null;
  id?: string;
}

/**
 * The credential report's state. `generating.pollsLeft` counts the report calls
 * (GenerateCredentialReport or GetCredentialReport) that still see it in progress; `Infinity`
 * never completes.
 */
/** An account password policy, with IAM's field names. */
export interface FakePasswordPolicy {
  MinimumPasswordLength: number;
  RequireSymbols?: boolean;
  RequireNumbers?: boolean;
  RequireUppercaseCharacters?: boolean;
  RequireLowercaseCharacters?: boolean;
  AllowUsersToChangePassword?: boolean;
  MaxPasswordAge?: number;
  PasswordReusePrevention?: number;
  HardExpiry?: boolean;
}

export type ReportState =
  | { kind: "absent" }
  | { kind: "generating"; pollsLeft: number }
  | { kind: "complete"; generatedAt: Date; csv: string }
  | { kind: "expired" };

const REPORT_HEADER =
  "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed," +
  "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated," +
  "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
  "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date," +
  "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active," +
  "cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/** IAM regenerates a report only when the last one is older than this. */
const REPORT_MAX_AGE_MS = 4 * 3600 * 1000;

export class FakeAccount {
  readonly users = new Map<string, FakeUser>();
  /** Role names that `sts:AssumeRole` may assume in this account. */
  readonly roles = new Set<string>();
  report: ReportState = { kind: "absent" };
  /** How many report calls see a new report "in progress" before it completes. */
  reportGenerationPolls = 1;
  /** Put the newer key in slot 1 of the report (slot order is not documented by AWS). */
  reverseSlots = false;
  /** The account's password policy (GetAccountPasswordPolicy); none: IAM answers NoSuchEntity. */
  passwordPolicy: FakePasswordPolicy | undefined;
  /** An access key of the root user, shown in the `<root_account>` row. */
  rootKey: { created: Date; active: boolean; lastUsed?: Date } | undefined;
  readonly rootCreated: Date;
  private serial = 0;

  constructor(
    readonly id: string,
    private readonly clock: () => Date,
    readonly partition = "aws",
  ) {
    this.rootCreated = new Date("2015-01-01T00:00:00Z");
  }

  /** Add a user (with its password and keys) and return it. */
  addUser(spec: UserSpec): FakeUser {
    if (this.users.has(spec.name)) throw new Error(`fake: user ${spec.name} already exists`);
    const path = spec.path ?? "/";
    const createDate = toDate(spec.created);
    const user: FakeUser = {
      name: spec.name,
      id: `AIDA${this.id.slice(-4)}${String(++this.serial).padStart(13, "0")}`,
      path,
      arn: `arn:${this.partition}:iam::${this.id}:user${path}${spec.name}`,
      createDate,
      keys: [],
    };
    if (spec.password !== undefined && spec.password !== false) {
      user.loginProfile = { createDate: spec.password === true ? createDate : toDate(spec.password) };
    }
    this.users.set(spec.name, user);
    for (const k of spec.keys ?? []) this.addKey(spec.name, k);
    return user;
  }

  /** Add an access key to an existing user (IAM allows two). */
  addKey(userName: string, spec: KeySpec): FakeAccessKey {
    const user = this.users.get(userName);
    if (!user) throw new Error(`fake: no user ${userName}`);
    if (user.keys.length >= 2) throw new Error(`fake: ${userName} already has two access keys`);
    const key: FakeAccessKey = {
      id: spec.id ?? `AKIA${this.id.slice(-4)}${String(++this.serial).padStart(12, "0")}`,
      status: spec.status ?? "Active",
      createDate: toDate(spec.created),
    };
    if (spec.lastUsed !== undefined && spec.lastUsed !== null) {
      key.lastUsed = { date: toDate(spec.lastUsed), service: "s3", region: "us-east-1" };
    }
    user.keys.push(key);
    return key;
  }

  findKey(accessKeyId: string): { user: FakeUser; key: FakeAccessKey } | undefined {
    for (const user of this.users.values()) {
      const key = user.keys.find((k) => k.id === accessKeyId);
      if (key) return { user, key };
    }
    return undefined;
  }

  /** Make a complete report of the account as it is now (generated at `at`, default the clock). */
  snapshotReport(at?: Date | string): void {
    const generatedAt = at === undefined ? this.clock() : toDate(at);
    this.report = { kind: "complete", generatedAt, csv: this.renderCredentialReport() };
  }

  /** GenerateCredentialReport: returns the state IAM would report. */
  generateReport(): "STARTED" | "INPROGRESS" | "COMPLETE" {
    const r = this.report;
    if (r.kind === "generating") return this.advanceReport() ? "COMPLETE" : "INPROGRESS";
    if (r.kind === "complete" && this.clock().getTime() - r.generatedAt.getTime() < REPORT_MAX_AGE_MS)
      return "COMPLETE";
    this.report = { kind: "generating", pollsLeft: this.reportGenerationPolls };
    return "STARTED";
  }

  /** One report call while generating; true when the report is complete after it. */
  advanceReport(): boolean {
    const r = this.report;
    if (r.kind !== "generating") return r.kind === "complete";
    if (r.pollsLeft > 0) {
      r.pollsLeft -= 1;
      return false;
    }
    this.snapshotReport();
    return true;
  }

  /** The credential report CSV of the account as it is now, as IAM writes it. */
  renderCredentialReport(): string {
    const lines = [REPORT_HEADER];
    const rk = this.rootKey;
    lines.push(
      [
        "<root_account>",
        `arn:${this.partition}:iam::${this.id}:root`,
        reportTime(this.rootCreated),
        "not_supported",
        "no_information",
        "not_supported",
        "not_supported",
        "false",
        rk ? String(rk.active) : "false",
        rk ? reportTime(rk.created) : "N/A",
        rk?.lastUsed ? reportTime(rk.lastUsed) : "N/A",
        rk?.lastUsed ? "us-east-1" : "N/A",
        rk?.lastUsed ? "s3" : "N/A",
        "false",
        "N/A",
        "N/A",
        "N/A",
        "N/A",
        "false",
        "N/A",
        "false",
        "N/A",
      ].join(","),
    );
    for (const u of this.users.values()) {
      const keys = [...u.keys].sort(
        (a, b) => a.createDate.getTime() - b.createDate.getTime() || (a.id < b.id ? -1 : 1),
      );
      if (this.reverseSlots) keys.reverse();
      const slot = (k: FakeAccessKey | undefined): string[] =>
        k
          ? [
              String(k.status === "Active"),
              reportTime(k.createDate),
              k.lastUsed ? reportTime(k.lastUsed.date) : "N/A",
              k.lastUsed ? k.lastUsed.region : "N/A",
              k.lastUsed ? k.lastUsed.service : "N/A",
            ]
          : ["false", "N/A", "N/A", "N/A", "N/A"];
      const lp = u.loginProfile;
      lines.push(
        [
          csvField(u.name),
          csvField(u.arn),
          reportTime(u.createDate),
          String(lp !== undefined),
          lp ? (lp.passwordLastUsed ? reportTime(lp.passwordLastUsed) : "no_information") : "N/A",
          lp ? reportTime(lp.createDate) : "N/A",
          "N/A",
          "false",
          ...slot(keys[0]),
          ...slot(keys[1]),
          "false",
          "N/A",
          "false",
          "N/A",
        ].join(","),
      );
    }
    return lines.join("\n") + "\n";
  }
}

/** `2015-04-16T15:14:00+00:00`, as the credential report writes times. */
export function reportTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

/** `2015-04-16T15:14:00Z`, as IAM's XML writes times (second precision). */
export function xmlTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toDate(d: Date | string): Date {
  const out = typeof d === "string" ? new Date(d) : d;
  if (Number.isNaN(out.getTime())) throw new Error(`fake: bad date ${String(d)}`);
  return out;
}
