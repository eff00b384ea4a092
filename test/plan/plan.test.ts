import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StaticPairEvidence } from "../../src/policies/KG001/evidence.js";
import { configAddress } from "../../src/model/plan.js";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import { scan, type ScanResult } from "../../src/scan.js";
import { runCli, TODAY, writeTree } from "../support/scan-fixture.js";

/** Real `terraform show -json` output (Terraform 1.11, hashicorp/aws 5.100): see test/fixtures/plans/README.md. */
const PLANS = join(import.meta.dirname, "..", "fixtures", "plans");
const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");

interface Expected {
  ruleId: string;
  resource: string;
}

async function scanPaths(
  cwd: string,
  paths: string[],
  extra: { plans?: string[]; source?: string } = {},
): Promise<ScanResult> {
  const policies = loadPolicies();
  const settings = await loadSettings(policies, cwd);
  return scan({ paths, cwd, settings, policies, today: TODAY, ...extra });
}

const verdict = (result: ScanResult) => result.findings.map((f) => `${f.ruleId} ${f.resource}`).sort();
const expectedVerdict = (expected: Expected[]) => expected.map((e) => `${e.ruleId} ${e.resource}`).sort();

const exampleExpectations = JSON.parse(readFileSync(join(PLANS, "examples.expect.json"), "utf8")) as Record<
  string,
  Expected[]
>;
const examplePlans = readdirSync(join(PLANS, "examples"))
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.replace(/\.json$/, ""));
const scenarios = readdirSync(join(PLANS, "scenarios")).filter((d) =>
  statSync(join(PLANS, "scenarios", d)).isDirectory(),
);

describe("plan mode on real Terraform plans", () => {
  it("has a plan for every example configuration (those Terraform refuses are in examples-input-errors/)", () => {
    const exampleDirs = readdirSync(EXAMPLES).filter((d) => statSync(join(EXAMPLES, d)).isDirectory() && d !== "ci");
    expect(examplePlans.sort()).toEqual(exampleDirs.sort());
  });

  it.each(examplePlans)("examples/%s.json: findings as expected", async (name) => {
    const result = await scanPaths(PLANS, [`examples/${name}.json`]);
    expect(result.errors).toEqual([]);
    expect(verdict(result)).toEqual(expectedVerdict(exampleExpectations[name]!));
    for (const finding of result.findings) expect(finding.source).toBe("plan");
  });

  it.each(scenarios)("scenarios/%s: findings as case.json expects", async (name) => {
    const spec = JSON.parse(readFileSync(join(PLANS, "scenarios", name, "case.json"), "utf8")) as {
      expect: Expected[];
    };
    const result = await scanPaths(PLANS, [`scenarios/${name}/plan.json`]);
    expect(result.errors).toEqual([]);
    expect(verdict(result)).toEqual(expectedVerdict(spec.expect));
  });

  it.each(examplePlans)("examples/%s: the plan verdict equals the HCL verdict", async (name) => {
    const hcl = await scanPaths(EXAMPLES, [name]);
    const plan = await scanPaths(PLANS, [`examples/${name}.json`]);
    const keys = (r: ScanResult) => [...new Set(r.findings.map((f) => configAddress(f.resource)))].sort();
    expect(keys(plan)).toEqual(keys(hcl));
  });

  it("points at the resource change in the plan's text", async () => {
    const result = await scanPaths(PLANS, ["examples/direct-reference.json"]);
    const finding = result.findings[0]!;
    const line = readFileSync(join(PLANS, "examples", "direct-reference.json"), "utf8").split("\n")[
      finding.location.line - 1
    ]!;
    expect(line.slice(finding.location.column - 1)).toMatch(/^"address": "aws_iam_access_key\.deploy"/);
    expect(finding.location.file).toBe("examples/direct-reference.json");
    expect(finding.related.find((r) => r.role === "user")?.address).toBe("aws_iam_user.deploy");
    expect(finding.evidence).toMatchObject({
      userName: "ci-deploy",
      loginProfile: "aws_iam_user_login_profile.deploy",
    });
  });

  it("addresses module instances with their keys", async () => {
    const result = await scanPaths(PLANS, ["scenarios/module-for-each/plan.json"]);
    expect(result.findings.map((f) => [f.resource, (f.evidence as StaticPairEvidence).user])).toEqual([
      ['module.team["a"].aws_iam_access_key.this', 'module.team["a"].aws_iam_user.this'],
      ['module.team["b"].aws_iam_access_key.this', 'module.team["b"].aws_iam_user.this'],
    ]);
  });

  it("with --source, also points at the .tf block and honours keygate:ignore comments there", async () => {
    const result = await scanPaths(PLANS, [], {
      plans: ["examples/suppressed.json"],
      source: "../../../examples/suppressed",
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.findings.map((f) => [f.resource, f.suppressed?.kind])).toEqual([
      ["aws_iam_access_key.sftp_bridge", "inline"],
      ["aws_iam_access_key.vendor_sync", "inline"],
    ]);
    const source = result.findings[0]!.related.find(
      (r) => r.role === "source" && r.address === "aws_iam_access_key.sftp_bridge",
    );
    expect(source?.location).toMatchObject({ file: "../../../examples/suppressed/main.tf", line: 41, column: 1 });
  });

  it("without sources, plan findings cannot be suppressed inline", async () => {
    const result = await scanPaths(PLANS, ["examples/suppressed.json"]);
    expect(result.findings.every((f) => f.suppressed === null)).toBe(true);
  });

  it("mixes a plan and an HCL directory in one run", async () => {
    const result = await scanPaths(join(PLANS, ".."), [
      "plans/examples/literal-name.json",
      "../../examples/literal-name",
    ]);
    expect(result.findings.map((f) => `${f.source} ${f.resource}`).sort()).toEqual([
      "hcl aws_iam_access_key.reporting",
      "plan aws_iam_access_key.reporting",
    ]);
  });

  it("reads a plan from stdin with -", async () => {
    const text = readFileSync(join(PLANS, "examples", "literal-name.json"));
    const { code, stdout } = await runCli(["-", "-f", "json"], PLANS, {}, text);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { findings: { resource: string; location: { file: string } }[] };
    expect(report.findings.map((f) => [f.resource, f.location.file])).toEqual([
      ["aws_iam_access_key.reporting", "<stdin>"],
    ]);
  });

  it("--plan alone does not scan the working directory", async () => {
    const { code, stdout } = await runCli(
      ["--plan", "scenarios/existing-user-in-state/plan.json", "-f", "json"],
      PLANS,
    );
    expect(JSON.parse(stdout).summary).toMatchObject({ findings: 0, errors: 0 });
    expect(code).toBe(0);
  });
});

describe("plan format versions", () => {
  it.each(["0.1", "0.2", "1.0", "1.1"])("reads format_version %s", async (version) => {
    const result = await scanPaths(PLANS, [`special/format-${version}.json`]);
    expect(result.errors).toEqual([]);
    expect(verdict(result)).toEqual(["KG001 aws_iam_access_key.deploy"]);
  });

  it("refuses an unknown major version", async () => {
    const result = await scanPaths(PLANS, ["special/format-2.0.json"]);
    expect(result.errors.map((e) => e.message)).toEqual([
      expect.stringContaining("format_version 2.0 is not supported"),
    ]);
  });
});

describe("plans re-encoded by Windows PowerShell", () => {
  const planBytes = readFileSync(join(PLANS, "examples", "direct-reference.json"));
  const planText = planBytes.toString("utf8");
  const utf16be = (text: string) => Buffer.from(text, "utf16le").swap16();
  const utf32 = (text: string, littleEndian: boolean) => {
    const points = Array.from(text, (c) => c.codePointAt(0)!);
    const out = Buffer.alloc(points.length * 4);
    points.forEach((p, i) => (littleEndian ? out.writeUInt32LE(p, i * 4) : out.writeUInt32BE(p, i * 4)));
    return out;
  };
  const encodings: [string, Buffer][] = [
    [
      "UTF-8 with a byte order mark (Out-File -Encoding utf8)",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), planBytes]),
    ],
    [
      "UTF-16LE with a byte order mark (PowerShell 5.1's >)",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(planText, "utf16le")]),
    ],
    ["UTF-16BE with a byte order mark", Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(planText)])],
    ["UTF-32LE with a byte order mark", Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32(planText, true)])],
    ["UTF-32BE with a byte order mark", Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), utf32(planText, false)])],
    ["UTF-16LE without a byte order mark", Buffer.from(planText, "utf16le")],
  ];

  it.each(encodings)("%s: the same findings at the same places as the UTF-8 plan", async (_name, bytes) => {
    const dir = await writeTree({ "plan.json": bytes as unknown as string, "utf8.json": planText });
    const { code, stdout } = await runCli(["plan.json", "utf8.json", "-f", "json"], dir);
    const report = JSON.parse(stdout) as {
      errors: unknown[];
      findings: { resource: string; location: { file: string; line: number; column: number } }[];
    };
    expect(report.errors).toEqual([]);
    expect(code).toBe(1);
    const at = (file: string) =>
      report.findings
        .filter((f) => f.location.file === file)
        .map((f) => [f.resource, f.location.line, f.location.column]);
    expect(at("plan.json")).toEqual(at("utf8.json"));
    expect(at("plan.json")).toHaveLength(1);
  });

  it("reads a UTF-16 plan from stdin", async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(planText, "utf16le")]);
    const { code, stdout } = await runCli(["-", "-f", "json"], PLANS, {}, bytes);
    expect(JSON.parse(stdout).findings.map((f: { resource: string }) => f.resource)).toEqual([
      "aws_iam_access_key.deploy",
    ]);
    expect(code).toBe(1);
  });

  it("a .tf file stays UTF-8 only, as Terraform requires", async () => {
    const tf = 'resource "aws_iam_user" "u" {\n  name = "u"\n}\n';
    const dir = await writeTree({
      "main.tf": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tf, "utf16le")]) as unknown as string,
    });
    const { code, stdout } = await runCli(["-f", "json", "."], dir);
    expect(JSON.parse(stdout).errors).toEqual([
      expect.objectContaining({
        file: "main.tf",
        message: expect.stringMatching(/UTF-16 encoded; Terraform reads UTF-8 only/),
      }),
    ]);
    expect(code).toBe(2);
  });
});

describe("bad plan input: one clear error each, exit 2", () => {
  const planText = readFileSync(join(PLANS, "examples", "direct-reference.json"), "utf8");
  const cases: [string, Record<string, string | Buffer>, string, RegExp][] = [
    [
      "a state, not a plan",
      { "state.json": readFileSync(join(PLANS, "special", "state.json"), "utf8") },
      "state.json",
      /is a Terraform state .* not a plan/,
    ],
    [
      "a binary plan file",
      { tfplan: readFileSync(join(PLANS, "special", "tfplan.bin")) },
      "tfplan",
      /zip archive .*terraform show -json tfplan/,
    ],
    ["truncated JSON", { "plan.json": planText.slice(0, 5000) }, "plan.json", /Invalid JSON: .*truncated/],
    [
      "UTF-16 cut in the middle of a character",
      {
        "plan.json": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(planText, "utf16le"), Buffer.from([0x7d])]),
      },
      "plan.json",
      /UTF-16LE .*truncated/,
    ],
    [
      "UTF-16 with a lone surrogate",
      {
        "plan.json": Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          Buffer.from('{"a": "', "utf16le"),
          Buffer.from([0x00, 0xd8]),
          Buffer.from('"}', "utf16le"),
        ]),
      },
      "plan.json",
      /not valid UTF-16LE/,
    ],
    [
      "an errored plan",
      { "plan.json": readFileSync(join(PLANS, "special", "errored.json"), "utf8") },
      "plan.json",
      /marked errored/,
    ],
    ["an empty file", { "plan.json": "" }, "plan.json", /the file is empty/],
    [
      "JSON that is neither a plan nor configuration",
      { "package.json": '{"name": "x", "version": "1.0.0"}' },
      "package.json",
      /neither a Terraform plan/,
    ],
    [
      "configuration JSON not named .tf.json",
      { "main.json": '{"resource": {"aws_iam_user": {"u": {"name": "u"}}}}' },
      "main.json",
      /only reads from files named `\*\.tf\.json`/,
    ],
  ];

  it.each(cases)("%s", async (_name, files, arg, message) => {
    const dir = await writeTree(files as Record<string, string>);
    const { code, stdout } = await runCli([arg, "-f", "json"], dir);
    const report = JSON.parse(stdout) as { errors: { file: string; message: string }[] };
    expect(code).toBe(2);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]!.file).toBe(arg);
    expect(report.errors[0]!.message).toMatch(message);
    expect(report.errors[0]!.message).not.toContain("\n");
  });
});

describe("plans carry secrets", () => {
  const secrets = ["AKIAFIXTUREFIXTURE00", '"fixture"', "wJalrXUtnFEMI"];
  const allPlans = [
    ...examplePlans.map((n) => `examples/${n}.json`),
    ...scenarios.map((s) => `scenarios/${s}/plan.json`),
  ];

  it.each(["json", "text"])("no report (%s) echoes provider credentials or sensitive values", async (format) => {
    const { stdout } = await runCli([...allPlans, "-f", format], PLANS);
    expect(stdout.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(stdout).not.toContain(secret);
  });
});
