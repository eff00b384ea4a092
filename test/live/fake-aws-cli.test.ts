/**
 * The fake AWS endpoint is only worth its tests if real clients parse it: drive it with the real
 * AWS CLI (botocore) through --endpoint-url, with dummy credentials and no user configuration.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditCredentialReport, type LiveKeyEvidence } from "../../src/live-audit.js";
import { MANAGEMENT_ACCOUNT, startFakeAws, type FakeAws } from "../support/fake-aws.js";
import { findOnPath } from "../support/path.js";

const run = promisify(execFile);
const awsCli = findOnPath("aws");

describe.skipIf(!awsCli)(
  `fake AWS endpoint driven by the real AWS CLI${awsCli ? "" : " (skipped: `aws` is not on PATH)"}`,
  () => {
    let fake: FakeAws;
    let home: string;

    /** Run `aws ARGS --endpoint-url FAKE --output json` isolated from the user's AWS setup. */
    async function aws(
      args: string[],
      opts: { credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } = {},
    ): Promise<{ code: number; stdout: string; stderr: string }> {
      const creds = opts.credentials ?? fake.baseCredentials;
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: home,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_CONFIG_FILE: join(home, "config"),
        AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_PAGER: "",
        AWS_MAX_ATTEMPTS: "1",
      };
      if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
      try {
        const { stdout, stderr } = await run(
          awsCli ?? "aws",
          [...args, "--endpoint-url", fake.url, ...(args.includes("--output") ? [] : ["--output", "json"])],
          { env, timeout: 30_000 },
        );
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
      }
    }

    /** Run a shell pipeline with the same isolated AWS environment (for `| base64 -d > file`). */
    async function shell(script: string): Promise<void> {
      await run("sh", ["-c", script], {
        env: {
          PATH: process.env.PATH,
          HOME: home,
          AWS_ACCESS_KEY_ID: fake.baseCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: fake.baseCredentials.secretAccessKey,
          AWS_DEFAULT_REGION: "us-east-1",
          AWS_CONFIG_FILE: join(home, "config"),
          AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
          AWS_EC2_METADATA_DISABLED: "true",
          FAKE: fake.url,
        },
        timeout: 30_000,
      });
    }

    async function awsJson(args: string[], opts?: Parameters<typeof aws>[1]): Promise<unknown> {
      const r = await aws(args, opts);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as unknown;
    }

    beforeAll(async () => {
      home = mkdtempSync(join(tmpdir(), "keygate-awscli-"));
      writeFileSync(join(home, "config"), "");
      writeFileSync(join(home, "credentials"), "");
      fake = await startFakeAws();
      const acct = fake.account();
      acct.addUser({
        name: "alice",
        created: "2024-03-01T10:00:00Z",
        password: true,
        keys: [
          { created: "2024-03-01T10:00:05Z" },
          { created: "2024-05-01T00:00:00Z", lastUsed: "2024-06-01T12:00:00Z", status: "Inactive" },
        ],
      });
      acct.addUser({ name: "bot", created: "2024-03-02T00:00:00Z", path: "/service/" });
      for (let i = 0; i < 5; i++) acct.addUser({ name: `user${i}`, created: `2024-04-0${i + 1}T00:00:00Z` });
      acct.addUser({ name: "a,b", created: "2024-04-09T00:00:00Z", password: true });
    });

    afterAll(async () => {
      await fake.close();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    it("lists users with exact creation times", async () => {
      const out = (await awsJson(["iam", "list-users"])) as { Users: Array<Record<string, string>> };
      expect(out.Users).toHaveLength(8);
      const alice = out.Users.find((u) => u.UserName === "alice");
      expect(alice).toMatchObject({ Path: "/", Arn: `arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/alice` });
      expect(new Date(alice?.CreateDate ?? "").toISOString()).toBe("2024-03-01T10:00:00.000Z");
      expect(out.Users.find((u) => u.UserName === "bot")?.Arn).toBe(
        `arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/service/bot`,
      );
    });

    it("paginates with Marker: --page-size drives several requests, --max-items truncates with a NextToken", async () => {
      fake.resetCalls();
      const all = (await awsJson(["iam", "list-users", "--page-size", "3"])) as { Users: unknown[] };
      expect(all.Users).toHaveLength(8);
      expect(fake.callCount("iam:ListUsers")).toBe(3);

      const first = (await awsJson(["iam", "list-users", "--max-items", "5", "--page-size", "2"])) as {
        Users: Array<{ UserName: string }>;
        NextToken?: string;
      };
      expect(first.Users).toHaveLength(5);
      expect(first.NextToken).toBeTruthy();
      const rest = (await awsJson([
        "iam",
        "list-users",
        "--starting-token",
        first.NextToken ?? "",
        "--page-size",
        "2",
      ])) as { Users: Array<{ UserName: string }> };
      expect([...first.Users, ...rest.Users].map((u) => u.UserName)).toEqual(
        [...all.Users].map((u) => (u as { UserName: string }).UserName),
      );

      const cap = (await awsJson(["iam", "list-users", "--path-prefix", "/service/"])) as {
        Users: Array<{ UserName: string }>;
      };
      expect(cap.Users.map((u) => u.UserName)).toEqual(["bot"]);
    });

    it("lists access keys with id, status and creation time, and their last use", async () => {
      const out = (await awsJson(["iam", "list-access-keys", "--user-name", "alice"])) as {
        AccessKeyMetadata: Array<Record<string, string>>;
      };
      expect(out.AccessKeyMetadata).toHaveLength(2);
      const [k1, k2] = out.AccessKeyMetadata;
      expect(k1).toMatchObject({ UserName: "alice", Status: "Active" });
      expect(k1?.AccessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
      expect(new Date(k1?.CreateDate ?? "").toISOString()).toBe("2024-03-01T10:00:05.000Z");
      expect(k2).toMatchObject({ Status: "Inactive" });

      const never = (await awsJson(["iam", "get-access-key-last-used", "--access-key-id", k1?.AccessKeyId ?? ""])) as {
        UserName: string;
        AccessKeyLastUsed: Record<string, string>;
      };
      expect(never).toEqual({ UserName: "alice", AccessKeyLastUsed: { ServiceName: "N/A", Region: "N/A" } });
      const used = (await awsJson(["iam", "get-access-key-last-used", "--access-key-id", k2?.AccessKeyId ?? ""])) as {
        AccessKeyLastUsed: Record<string, string>;
      };
      expect(new Date(used.AccessKeyLastUsed.LastUsedDate ?? "").toISOString()).toBe("2024-06-01T12:00:00.000Z");
    });

    it("answers get-login-profile, and 404 NoSuchEntity for a user without a password", async () => {
      const ok = (await awsJson(["iam", "get-login-profile", "--user-name", "alice"])) as {
        LoginProfile: Record<string, unknown>;
      };
      expect(ok.LoginProfile).toMatchObject({ UserName: "alice", PasswordResetRequired: false });
      const missing = await aws(["iam", "get-login-profile", "--user-name", "bot"]);
      expect([254, 255]).toContain(missing.code); // a service error: 254 in CLI v2, 255 in v1
      expect(missing.stderr).toContain(
        "An error occurred (NoSuchEntity) when calling the GetLoginProfile operation: Login Profile for User bot cannot be found.",
      );
      const unknownUser = await aws(["iam", "list-access-keys", "--user-name", "nobody"]);
      expect(unknownUser.stderr).toContain("(NoSuchEntity)");
    });

    it("walks the credential report states: not present, in progress, complete", async () => {
      const acct = fake.account();
      acct.report = { kind: "absent" };
      acct.reportGenerationPolls = 1;
      const notPresent = await aws(["iam", "get-credential-report"]);
      expect(notPresent.stderr).toContain("(ReportNotPresent)");

      expect(await awsJson(["iam", "generate-credential-report"])).toEqual({
        State: "STARTED",
        Description: "No report exists. Starting a new report generation task",
      });
      const inProgress = await aws(["iam", "get-credential-report"]);
      expect(inProgress.stderr).toContain("(ReportInProgress)");
      expect(await awsJson(["iam", "generate-credential-report"])).toEqual({ State: "COMPLETE" });

      const report = (await awsJson(["iam", "get-credential-report"])) as {
        Content: string;
        ReportFormat: string;
        GeneratedTime: string;
      };
      expect(report.ReportFormat).toBe("text/csv");
      expect(Number.isNaN(Date.parse(report.GeneratedTime))).toBe(false);
      const csv = Buffer.from(report.Content, "base64").toString("utf8");
      expect(csv.split("\n")[0]).toMatch(/^user,arn,user_creation_time,password_enabled,/);
      expect(csv).toContain(`<root_account>,arn:aws:iam::${MANAGEMENT_ACCOUNT}:root,`);
      expect(csv).toContain(`"a,b","arn:aws:iam::${MANAGEMENT_ACCOUNT}:user/a,b",`);

      // What the documented one-liner saves: `--query Content --output text | base64 -d`.
      const text = await aws(["iam", "get-credential-report", "--query", "Content", "--output", "text"]);
      expect(Buffer.from(text.stdout.trim(), "base64").toString("utf8")).toBe(csv);

      acct.report = { kind: "expired" };
      expect((await aws(["iam", "get-credential-report"])).stderr).toContain("(ReportExpired)");
    });

    it("saves reports in every documented form, and keygate audits each of them offline", async () => {
      fake.account().snapshotReport();
      await shell(
        `aws iam get-credential-report --endpoint-url "$FAKE" --query Content --output text | base64 -d > "$HOME/report.csv"`,
      );
      await shell(
        `aws iam get-credential-report --endpoint-url "$FAKE" --query Content --output text > "$HOME/report.b64"`,
      );
      await shell(`aws iam get-credential-report --endpoint-url "$FAKE" --output json > "$HOME/report.json"`);
      const audits = await Promise.all(
        ["report.csv", "report.b64", "report.json"].map((f) =>
          auditCredentialReport({ file: join(home, f), cwd: home }),
        ),
      );
      for (const a of audits) {
        expect(a.errors).toEqual([]);
        expect(
          a.findings.map((f) => [
            (f.evidence as unknown as LiveKeyEvidence).userName,
            (f.evidence as unknown as LiveKeyEvidence).case,
          ]),
        ).toEqual([["alice", "setup-key-never-used"]]);
      }
      expect(audits.map((a) => a.stats.encoding)).toEqual(["csv", "base64", "cli-json"]);
      expect(audits[2]?.stats.reportGeneratedTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

      // The offline remediation finds the key id by its creation time with the CLI's own --query.
      const lookup = (audits[0]?.findings[0]?.evidence as unknown as LiveKeyEvidence).remediation[0] ?? "";
      const query = /--query "([^"]+)"/.exec(lookup)?.[1] ?? "";
      const out = await aws(["iam", "list-access-keys", "--user-name", "alice", "--query", query, "--output", "text"]);
      expect(out.stdout.trim()).toBe(fake.account().users.get("alice")?.keys[0]?.id);
    });

    it("sends throttling and access denied as IAM does", async () => {
      fake.setThrottling({ rate: 1, actions: ["iam:ListUsers"] });
      const throttled = await aws(["iam", "list-users"]);
      fake.setThrottling(null);
      expect(throttled.stderr).toContain("An error occurred (Throttling) when calling the ListUsers operation");
      expect(throttled.stderr).toContain("Rate exceeded");

      fake.deny("iam:ListAccessKeys");
      const denied = await aws(["iam", "list-access-keys", "--user-name", "alice"]);
      fake.allow("iam:ListAccessKeys");
      expect(denied.stderr).toContain(
        "An error occurred (AccessDenied) when calling the ListAccessKeys operation: User: arn:aws:iam::111111111111:user/auditor is not authorized to perform: iam:ListAccessKeys",
      );
    });

    it("assumes a role with STS and routes the session's IAM calls to that account", async () => {
      fake.account("222222222222").roles.add("KeygateAudit");
      fake.account("222222222222").addUser({ name: "member-user", created: "2024-01-01T00:00:00Z" });
      const who = (await awsJson(["sts", "get-caller-identity"])) as Record<string, string>;
      expect(who).toMatchObject({ Account: MANAGEMENT_ACCOUNT, Arn: "arn:aws:iam::111111111111:user/auditor" });

      const out = (await awsJson([
        "sts",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::222222222222:role/KeygateAudit",
        "--role-session-name",
        "cli-test",
      ])) as {
        Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
        AssumedRoleUser: { Arn: string };
      };
      expect(out.AssumedRoleUser.Arn).toBe("arn:aws:sts::222222222222:assumed-role/KeygateAudit/cli-test");
      expect(out.Credentials.AccessKeyId).toMatch(/^ASIA/);
      const session = {
        accessKeyId: out.Credentials.AccessKeyId,
        secretAccessKey: out.Credentials.SecretAccessKey,
        sessionToken: out.Credentials.SessionToken,
      };
      const users = (await awsJson(["iam", "list-users"], { credentials: session })) as {
        Users: Array<{ UserName: string }>;
      };
      expect(users.Users.map((u) => u.UserName)).toEqual(["member-user"]);

      const refused = await aws([
        "sts",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::333333333333:role/KeygateAudit",
        "--role-session-name",
        "cli-test",
      ]);
      expect(refused.stderr).toContain(
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::111111111111:user/auditor is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/KeygateAudit",
      );
    });

    it("lists organization accounts over JSON 1.1 with NextToken pagination", async () => {
      for (let i = 0; i < 25; i++)
        fake.addOrgAccounts({
          id: String(400000000000 + i),
          name: `acct-${i}`,
          state: i === 3 ? "SUSPENDED" : "ACTIVE",
        });
      fake.resetCalls();
      const out = (await awsJson(["organizations", "list-accounts"])) as { Accounts: Array<Record<string, unknown>> };
      expect(out.Accounts).toHaveLength(25);
      expect(fake.callCount("organizations:ListAccounts")).toBe(2);
      expect(out.Accounts[3]).toMatchObject({ Id: "400000000003", State: "SUSPENDED", Name: "acct-3" });
      // JSON 1.1 sends epoch seconds; CLI v1 prints them as received, v2 as ISO 8601.
      const joined = out.Accounts[0]?.JoinedTimestamp;
      expect(typeof joined === "number" ? joined * 1000 : Date.parse(String(joined))).toBe(1.6e12);

      fake.deny("organizations:ListAccounts");
      const denied = await aws(["organizations", "list-accounts"]);
      fake.allow("organizations:ListAccounts");
      expect(denied.stderr).toContain(
        "An error occurred (AccessDeniedException) when calling the ListAccounts operation",
      );
    });

    it("rejects unknown and expired credentials as AWS does", async () => {
      const bad = await aws(["iam", "list-users"], {
        credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x".repeat(40) },
      });
      expect(bad.stderr).toContain("(InvalidClientTokenId)");
      fake.expireCredentials();
      const expired = await aws(["iam", "list-users"]);
      expect(expired.stderr).toContain("(ExpiredToken)");
    });
  },
);
