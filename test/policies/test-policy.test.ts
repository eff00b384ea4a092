/**
 * A policy that only the tests have (test/support/test-policy.ts, KG900), registered through the
 * registry's one line, goes through everything KG001 goes through: the checks over a configuration
 * and a plan, the prefilter, every reporter, inline suppression and the baseline (change mode: in
 * test-policy-change.test.ts). No src/ file names it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREDENTIAL_REPORT_COLUMNS } from "../../src/live/credential-report.js";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies, policyFor, registerPolicy } from "../../src/policies/catalog.js";
import { definePolicy } from "../../src/policies/policy.js";
import { REPORTERS } from "../../src/report/index.js";
import { scan } from "../../src/scan.js";
import { hcl, policyTester } from "../support/policy-tester.js";
import { runCli, TODAY, writeTree } from "../support/scan-fixture.js";
import { registerTestPolicy, TEST_POLICY_ID } from "../support/test-policy.js";

const SHORT = hcl`
  resource "aws_iam_account_password_policy" "strict" {
    minimum_password_length = 8
    require_symbols         = true
  }
`;
const LONG = hcl`
  resource "aws_iam_account_password_policy" "strict" {
    minimum_password_length = 16
  }
`;
// KG001's pair beside it: both policies report in one run.
const PAIR = hcl`
  resource "aws_iam_user" "ci" {
    name = "ci"
  }

  resource "aws_iam_access_key" "ci" {
    user = aws_iam_user.ci.name
  }
`;

let unregister: () => void;
beforeAll(() => {
  unregister = registerTestPolicy();
});
afterAll(() => unregister());

policyTester(TEST_POLICY_ID).run("a password policy shorter than 14 characters", {
  valid: [
    { name: "16 characters", code: LONG },
    {
      name: "a variable's default of 14",
      code: hcl`
        variable "length" {
          default = 14
        }

        resource "aws_iam_account_password_policy" "p" {
          minimum_password_length = var.length
        }
      `,
    },
  ],
  invalid: [
    {
      name: "8 characters",
      code: SHORT,
      findings: [
        {
          resource: "aws_iam_account_password_policy.strict",
          line: 1,
          severity: "warning",
          message: "(minimum_password_length = 8)",
        },
      ],
    },
    {
      name: "no minimum at all (AWS's default is 8)",
      code: hcl`
        resource "aws_iam_account_password_policy" "p" {
          require_numbers = true
        }
      `,
      findings: [{ line: 1, message: "minimum_password_length not set: 8" }],
    },
    {
      name: "inside a local module: the module's file, the module-qualified address",
      files: {
        "main.tf": 'module "account" {\n  source = "./account"\n}\n',
        "account/main.tf": SHORT,
      },
      findings: [
        { resource: "module.account.aws_iam_account_password_policy.strict", file: "account/main.tf", line: 1 },
      ],
    },
  ],
});

describe("the registry", () => {
  it("knows the test policy while it is registered, in id order, with its data checked", () => {
    expect(loadPolicies().map((p) => p.id)).toEqual(["KG001", TEST_POLICY_ID]);
    expect(policyFor(TEST_POLICY_ID)?.reads.types).toEqual(["aws_iam_account_password_policy"]);
    const reads = () => ({ types: [], attributes: [], reportedOn: [] });
    const text = "long enough for the schema's minimum length";
    const base = { title: "A second policy", severity: "error" as const, rationale: text, remediation: text };
    const duplicate = registerPolicy(
      definePolicy({
        data: { ...base, id: "KG901", alias: "access-key-created-with-user" },
        reads,
        messages: { message: "x" },
      }),
    );
    try {
      expect(() => loadPolicies()).toThrow(/KG901 \(access-key-created-with-user\): the id or alias of KG001/);
    } finally {
      duplicate();
    }
    const invalid = registerPolicy(
      definePolicy({ data: { ...base, id: "kg902", alias: "lower-case-id" }, reads, messages: { message: "x" } }),
    );
    try {
      expect(() => loadPolicies()).toThrow(/^a policy's data: .*id/);
    } finally {
      invalid();
    }
    expect(loadPolicies().map((p) => p.id)).toEqual(["KG001", TEST_POLICY_ID]);
  });

  it("lists it in `keygate policies`, text and JSON", async () => {
    const root = await writeTree({});
    const text = await runCli(["policies"], root);
    expect(text.stdout).toContain(
      "KG900  password-policy-too-short  (warning)\n  Passwords must be at least 14 characters long\n  CIS: v1.5 1.8\n",
    );
    const json = JSON.parse((await runCli(["policies", "-f", "json"], root)).stdout) as { id: string }[];
    expect(json.map((p) => p.id)).toEqual(["KG001", TEST_POLICY_ID]);
  });

  it("takes its severity and its switch from the config, by id or alias", async () => {
    const root = await writeTree({
      "main.tf": SHORT,
      ".keygate.json": '{ "policies": { "password-policy-too-short": "error" } }',
    });
    const errorRun = JSON.parse((await runCli(["-f", "json", "."], root)).stdout) as {
      findings: { ruleId: string; severity: string }[];
    };
    expect(errorRun.findings.map((f) => [f.ruleId, f.severity])).toEqual([[TEST_POLICY_ID, "error"]]);
    const off = await writeTree({ "main.tf": SHORT, ".keygate.json": '{ "policies": { "KG900": "off" } }' });
    expect((await runCli(["-f", "json", "."], off)).code).toBe(0);
  });
});

describe("the prefilter asks the registry what the policies read", () => {
  const files = { "main.tf": SHORT };

  /** Scans the file with these policies on; the findings and what the prefilter did with each file. */
  async function scanLogged(policies: ReturnType<typeof loadPolicies>) {
    const root = await writeTree(files);
    const log: { file: string; status: string }[] = [];
    const settings = await loadSettings(policies, root);
    const result = await scan({
      paths: ["."],
      cwd: root,
      settings,
      policies,
      today: TODAY,
      onFiles: (e) => log.push(...e),
    });
    return { result, log };
  }

  it("parses a file that mentions only the test policy's resource type while it is registered", async () => {
    const { result, log } = await scanLogged(loadPolicies());
    expect(result.findings.map((f) => f.ruleId)).toEqual([TEST_POLICY_ID]);
    expect(log).toEqual([expect.objectContaining({ file: "main.tf", status: "read" })]);
  });

  it("skips that file when only KG001 is on", async () => {
    const { result, log } = await scanLogged(loadPolicies().filter((p) => p.id === "KG001"));
    expect(result.findings).toEqual([]);
    expect(log).toEqual([expect.objectContaining({ file: "main.tf", status: "skipped" })]);
  });
});

describe("every reporter shows its findings in its words", () => {
  const expected: Record<string, RegExp[]> = {
    text: [
      /^ {2}1:1 {2}warning {2}Password policy aws_iam_account_password_policy\.strict +KG900$/m,
      /^ +allows passwords shorter than 14 characters\n +\(minimum_password_length = 8\)\.$/m,
      /^ +fix: Set minimum_password_length = 14 or more\.$/m,
      /^ +suppress: put "# keygate:ignore KG900 -- <why>" on the line\n +above the password policy's block$/m,
    ],
    compact: [
      /^main\.tf:1:1: warning Password policy aws_iam_account_password_policy\.strict allows passwords shorter than 14 characters \(minimum_password_length = 8\)\. \[KG900\]$/m,
    ],
    json: [
      /"ruleId": "KG900"/,
      /"message": "Password policy aws_iam_account_password_policy\.strict \(main\.tf:1:1\) allows passwords shorter/,
      /"kind": "short-password-policy"/,
      /"remediation": "Set minimum_password_length = 14 or more\. A longer minimum is better still\."/,
    ],
    sarif: [
      /"id": "KG900"/,
      /"name": "PasswordPolicyTooShort"/,
      /"text": "Password policy aws_iam_account_password_policy\.strict \(main\.tf:1:1\) allows passwords shorter/,
      /"ruleId": "KG900"/,
    ],
    github: [
      /^::warning file=main\.tf,line=1,endLine=\d+,col=1,title=KG900 Passwords must be at least 14 characters long::Password policy aws_iam_account_password_policy\.strict \(main\.tf:1:1\) allows/m,
    ],
    gitlab: [
      /"check_name": "KG900"/,
      /"description": "Password policy aws_iam_account_password_policy\.strict allows passwords shorter/,
    ],
    markdown: [
      /\| 🟠 warning \| \[KG900\]\(http[^)]*\) \| `main\.tf:1` \| Password policy aws_iam_account_password_policy\.strict \(main\.tf:1:1\) allows/,
    ],
    junit: [/KG900/, /Password policy aws_iam_account_password_policy\.strict \(main\.tf:1:1\) allows/],
  };

  it("covers every format keygate has", () => {
    expect(Object.keys(expected).sort()).toEqual([...REPORTERS.keys()].sort());
  });

  for (const [format, patterns] of Object.entries(expected)) {
    it(format, async () => {
      const root = await writeTree({ "main.tf": SHORT, "pair.tf": PAIR });
      const { code, stdout } = await runCli(["-f", format, "."], root);
      expect(code).toBe(1);
      for (const pattern of patterns) expect(stdout).toMatch(pattern);
      // KG001 keeps its own words beside it.
      expect(stdout).toMatch(/Access key\s+aws_iam_access_key\.ci\b/);
      expect(stdout).toContain("KG001");
    });
  }
});

describe("suppressions", () => {
  it("an inline comment above its block suppresses it, with the reason", async () => {
    const root = await writeTree({
      "main.tf": `# keygate:ignore password-policy-too-short -- SSO only, no console passwords\n${SHORT}`,
    });
    const { code, stdout } = await runCli(["-f", "json", "."], root);
    const report = JSON.parse(stdout) as {
      findings: { ruleId: string; suppressed: { reason: string } | null }[];
      warnings: unknown[];
    };
    expect(code).toBe(0);
    expect(report.findings).toEqual([
      expect.objectContaining({
        ruleId: TEST_POLICY_ID,
        suppressed: expect.objectContaining({ kind: "inline", reason: "SSO only, no console passwords" }),
      }),
    ]);
    expect(report.warnings).toEqual([]);
  });

  it("a comment naming it above another block suppresses nothing, and says so", async () => {
    const root = await writeTree({
      "main.tf": `${SHORT}\n# keygate:ignore KG900 -- wrong block\nresource "aws_s3_bucket" "b" {}\n`,
    });
    const { code, stdout } = await runCli(["-f", "compact", "."], root);
    // A warning, and a finding of severity warning: neither fails the run by default.
    expect(code).toBe(0);
    expect(stdout).toContain(
      "keygate:ignore must stand on the line directly above an aws_iam_access_key or aws_iam_user or aws_iam_account_password_policy block, or a module block",
    );
  });

  it("the baseline accepts it, and reports the entry stale once fixed", async () => {
    const root = await writeTree({ "main.tf": SHORT });
    expect((await runCli(["--write-baseline", "baseline.json", "."], root)).code).toBe(0);
    const baseline = JSON.parse(readFileSync(join(root, "baseline.json"), "utf8")) as {
      findings: { ruleId: string; resource: string }[];
    };
    expect(baseline.findings).toEqual([
      expect.objectContaining({ ruleId: TEST_POLICY_ID, resource: "aws_iam_account_password_policy.strict" }),
    ]);
    const accepted = await runCli(["--baseline", "baseline.json", "-f", "json", "."], root);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout).findings[0].suppressed).toMatchObject({ kind: "baseline" });
    const fixed = await writeTree({
      "main.tf": LONG,
      "baseline.json": readFileSync(join(root, "baseline.json"), "utf8"),
    });
    const stale = await runCli(["--baseline", "baseline.json", "-f", "compact", "."], fixed);
    expect(stale.stdout).toContain("stale baseline entry: KG900 for aws_iam_account_password_policy.strict (main.tf)");
  });
});

describe("a plan", () => {
  it("is checked by its plan check, located in the plan", async () => {
    const plan = {
      format_version: "1.2",
      terraform_version: "1.11.0",
      resource_changes: [
        {
          address: "aws_iam_account_password_policy.strict",
          mode: "managed",
          type: "aws_iam_account_password_policy",
          name: "strict",
          change: { actions: ["create"], after: { minimum_password_length: 8 } },
        },
      ],
      configuration: { root_module: {} },
    };
    const root = await writeTree({ "tfplan.json": `${JSON.stringify(plan, null, 2)}\n` });
    const { stdout } = await runCli(["-f", "compact", "--plan", "tfplan.json"], root);
    expect(stdout).toMatch(
      /^tfplan\.json:6:7: warning Password policy aws_iam_account_password_policy\.strict allows passwords shorter than 14 characters \(minimum_password_length = 8\)\. \[KG900\]$/m,
    );
  });
});

describe("keygate live runs the policies that check an account, and only those", () => {
  // alice got an active key 5 s after she was created, never used: KG001's exact case.
  const values: Record<string, string> = {
    user: "alice",
    arn: "arn:aws:iam::123456789012:user/alice",
    user_creation_time: "2026-01-05T10:00:00+00:00",
    password_enabled: "true",
    mfa_active: "false",
    access_key_1_active: "true",
    access_key_2_active: "false",
    cert_1_active: "false",
    cert_2_active: "false",
    access_key_1_last_rotated: "2026-01-05T10:00:05+00:00",
  };
  const report = `${CREDENTIAL_REPORT_COLUMNS.join(",")}\n${CREDENTIAL_REPORT_COLUMNS.map((c) => values[c] ?? "N/A").join(",")}\n`;

  it("KG001 and the test policy on: KG001's finding (the test policy judges accounts, not a saved report)", async () => {
    const root = await writeTree({ "report.csv": report });
    const { code, stdout } = await runCli(["live", "--credential-report", "report.csv", "-f", "json"], root);
    expect(JSON.parse(stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(["KG001"]);
    expect(code).toBe(1);
  });

  it("KG001 off and the test policy on: a saved report holds no password policy, so nothing is found", async () => {
    const root = await writeTree({ "report.csv": report, ".keygate.json": '{ "policies": { "KG001": "off" } }' });
    const { code, stdout, stderr } = await runCli(["live", "--credential-report", "report.csv", "-f", "json"], root);
    expect(stderr).toBe("");
    expect(JSON.parse(stdout).findings).toEqual([]);
    expect(code).toBe(0);
  });

  it("KG001 off and only a policy without an account check on: nothing is audited, and it says why", async () => {
    // KG900 checks accounts (test/policies/test-policy-live.test.ts); KG901 checks only configurations.
    const text = "long enough for the schema's minimum length";
    const configOnly = registerPolicy(
      definePolicy({
        data: {
          id: "KG901",
          alias: "configuration-only",
          title: "Configurations only",
          severity: "error",
          rationale: text,
          remediation: text,
        },
        reads: () => ({ types: [], attributes: [], reportedOn: [] }),
        messages: { message: "x" },
      }),
    );
    try {
      const root = await writeTree({
        "report.csv": report,
        ".keygate.json": '{ "policies": { "KG001": "off", "KG900": "off" } }',
      });
      const { code, stdout, stderr } = await runCli(["live", "--credential-report", "report.csv", "-f", "json"], root);
      expect(stderr).toBe("keygate: no policy that checks a live account is on (on: KG901): nothing to audit\n");
      expect(JSON.parse(stdout).findings).toEqual([]);
      expect(code).toBe(0);
    } finally {
      configOnly();
    }
  });
});
