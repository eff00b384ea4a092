/**
 * Credentials and region as AWS users expect them: the SDK's default chain (environment,
 * profiles), `--profile`, `--region`. Each test sets its own environment (this file runs in its
 * own process) and shared config files.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { partitionOf, resolveRegion, signingRegion } from "../../src/live/clients.js";
import { auditLive } from "../../src/live-audit.js";
import { startFakeAws, type FakeAws } from "../support/fake-aws.js";
import { at, T0 } from "../support/live-scenario.js";

const AWS_VARS = Object.keys(process.env).filter((k) => k.startsWith("AWS_"));
const saved = { ...process.env };
let dir: string;
let fake: FakeAws;
let n = 0;

/** Fresh shared config and credentials files (fresh paths: the SDK caches files it has read). */
function sharedFiles(config: string, credentials: string): void {
  n += 1;
  const configFile = join(dir, `config${n}`);
  const credentialsFile = join(dir, `credentials${n}`);
  writeFileSync(configFile, config);
  writeFileSync(credentialsFile, credentials);
  process.env.AWS_CONFIG_FILE = configFile;
  process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keygate-creds-"));
  fake = await startFakeAws();
  fake.account().addUser({ name: "a", created: T0, password: true, keys: [{ created: at(1) }] });
  fake.account().snapshotReport();
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  for (const k of AWS_VARS) delete process.env[k];
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  sharedFiles("", "");
});
afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
  Object.assign(process.env, saved);
});

const fast = () => ({ endpointUrl: fake.url, reportPollIntervalMs: 5 });

describe("credentials", () => {
  it("uses the default chain: environment variables", async () => {
    process.env.AWS_ACCESS_KEY_ID = fake.baseCredentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = fake.baseCredentials.secretAccessKey;
    const { findings, errors } = await auditLive(fast());
    expect(errors).toEqual([]);
    expect(findings).toHaveLength(1);
  });

  it("uses --profile from the shared credentials file, and AWS_PROFILE alike", async () => {
    sharedFiles(
      "[profile audit]\nregion = eu-west-1\n",
      `[audit]\naws_access_key_id = ${fake.baseCredentials.accessKeyId}\naws_secret_access_key = ${fake.baseCredentials.secretAccessKey}\n`,
    );
    const withFlag = await auditLive({ ...fast(), profile: "audit" });
    expect(withFlag.errors).toEqual([]);
    expect(withFlag.findings).toHaveLength(1);
    process.env.AWS_PROFILE = "audit";
    const withEnv = await auditLive(fast());
    expect(withEnv.errors).toEqual([]);
  });

  it("says so when there are no credentials anywhere", async () => {
    const started = Date.now();
    const { errors } = await auditLive(fast());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(
      /^no AWS credentials: .*keygate uses the AWS SDK's default chain \(environment variables, SSO, shared config and credentials files, container or instance metadata\); pass --profile NAME or set AWS_PROFILE, or run `aws sso login`$/,
    );
  });

  it("names a profile that does not exist", async () => {
    const { errors } = await auditLive({ ...fast(), profile: "nope" });
    expect(errors[0]?.message).toMatch(/^no AWS credentials for the profile "nope": /);
  });

  it("never puts a secret in a message", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAUNKNOWNUNKNOWN00";
    process.env.AWS_SECRET_ACCESS_KEY = "verySecretValueThatMustNeverBePrinted00";
    const { errors } = await auditLive(fast());
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors)).not.toContain("verySecretValue");
  });
});

describe("region", () => {
  it("takes --region, else the SDK's (AWS_REGION, the profile's), else AWS_DEFAULT_REGION, else us-east-1", async () => {
    expect(await resolveRegion("eu-central-1", undefined)).toBe("eu-central-1");
    expect(await resolveRegion(undefined, undefined)).toBe("us-east-1");
    process.env.AWS_DEFAULT_REGION = "ap-south-1";
    expect(await resolveRegion(undefined, undefined)).toBe("ap-south-1");
    sharedFiles("[profile audit]\nregion = eu-west-3\n", "");
    expect(await resolveRegion(undefined, "audit")).toBe("eu-west-3");
    process.env.AWS_REGION = "sa-east-1";
    expect(await resolveRegion(undefined, undefined)).toBe("sa-east-1");
  });

  it("signs IAM for the partition's region", () => {
    expect(signingRegion("eu-west-1")).toBe("us-east-1");
    expect(signingRegion("cn-northwest-1")).toBe("cn-north-1");
    expect(signingRegion("us-gov-east-1")).toBe("us-gov-west-1");
    expect(partitionOf("cn-north-1")).toBe("aws-cn");
    expect(partitionOf("us-gov-west-1")).toBe("aws-us-gov");
    expect(partitionOf("ap-southeast-2")).toBe("aws");
  });
});
