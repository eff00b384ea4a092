import { describe, expect, it } from "vitest";
import { loadPolicies } from "../../src/policies/catalog.js";
import { FINGERPRINT_KEY, sarifReporter } from "../../src/report/sarif.js";
import type { ScanResult } from "../../src/scan.js";
import { scanTree } from "../support/scan-fixture.js";
import { CONTEXT, scanScenario } from "./ci-scenario.js";

// A SARIF log is read here as plain JSON.
function sarif(result: ScanResult, context = CONTEXT): any {
  return JSON.parse(sarifReporter.render(result, context));
}

const PAIR = `resource "aws_iam_user" "deploy" {
  name = "ci-deploy"
}

resource "aws_iam_access_key" "deploy" {
  user = aws_iam_user.deploy.name
}
`;

describe("SARIF report", () => {
  it("describes the tool and each policy as a rule GitHub can show", async () => {
    const log = sarif(await scanScenario());
    expect(log.version).toBe("2.1.0");
    expect(log.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
    const driver = log.runs[0].tool.driver;
    expect(driver).toMatchObject({
      name: "keygate",
      version: "0.1.0",
      semanticVersion: "0.1.0",
      informationUri: "https://github.com/keygate-dev/keygate",
    });
    const policy = loadPolicies()[0]!;
    const rule = driver.rules[0];
    expect(rule).toMatchObject({
      id: "KG001",
      name: "AccessKeyCreatedWithUser",
      shortDescription: { text: `${policy.title}.` },
      fullDescription: { text: policy.rationale },
      helpUri: policy.docsUrl,
      defaultConfiguration: { level: "error" },
    });
    expect(rule.help.text).toContain(policy.remediation);
    expect(rule.help.markdown).toContain(`[Documentation](${policy.docsUrl})`);
    expect(rule.properties["security-severity"]).toBe("8.0");
    expect(rule.properties.tags).toEqual(
      expect.arrayContaining([
        "security",
        "external/cis-aws-foundations/v1.3.0-v4.0.0/1.11",
        "external/cis-aws-foundations/v5.0.0/1.10",
        "external/cis-aws-foundations/v6.0.0/2.10",
      ]),
    );
  });

  it("gives each finding a level, a full region, the user's block as a related location and its fingerprint", async () => {
    const result = await scanScenario();
    const log = sarif(result);
    const deploy = log.runs[0].results.find((r: any) => r.properties.resource === "aws_iam_access_key.deploy");
    expect(deploy).toMatchObject({
      ruleId: "KG001",
      ruleIndex: 0,
      level: "error",
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: "stacks/app/main.tf", uriBaseId: "%SRCROOT%" },
            region: { startLine: 10, startColumn: 1, endLine: 12, endColumn: 2 },
          },
        },
      ],
      partialFingerprints: {
        [FINGERPRINT_KEY]: result.findings.find((f) => f.resource === "aws_iam_access_key.deploy")!.fingerprint,
      },
    });
    expect(deploy.relatedLocations).toEqual([
      expect.objectContaining({
        id: 1,
        physicalLocation: expect.objectContaining({
          region: { startLine: 2, startColumn: 1, endLine: 4, endColumn: 2 },
        }),
        message: { text: "The user aws_iam_user.deploy." },
      }),
      expect.objectContaining({
        id: 2,
        message: { text: "The user's console password aws_iam_user_login_profile.deploy." },
      }),
    ]);
    // The related locations are linked from the message, which is how GitHub shows them.
    expect(deploy.message.text).toContain("[aws_iam_user.deploy](1)");
    expect(deploy.message.text).toContain("[aws_iam_user_login_profile.deploy](2)");
  });

  it("reports suppressed findings with their suppression: inline in source, the baseline external", async () => {
    const results = sarif(await scanScenario()).runs[0].results;
    const vendor = results.find((r: any) => r.properties.resource === "aws_iam_access_key.vendor");
    expect(vendor.suppressions).toEqual([
      {
        kind: "inSource",
        status: "accepted",
        justification: "vendor onboarding needs a key on day one, SEC-142 (until 2099-12-31)",
        properties: { until: "2099-12-31" },
      },
    ]);
    const runner = results.find((r: any) => r.properties.resource === "aws_iam_access_key.runner");
    expect(runner.suppressions).toEqual([
      {
        kind: "external",
        status: "accepted",
        justification: "runner key predates keygate; rotation tracked in SEC-200",
      },
    ]);
    expect(runner.baselineState).toBe("unchanged");
    const report = results.find((r: any) => r.properties.resource === "aws_iam_access_key.report");
    expect(report.suppressions).toBeUndefined();
    expect(report.baselineState).toBe("new");
    expect(report.message.text).toMatch(
      /Note: the suppression at stacks\/app\/legacy\.tf:14 does not apply: it gives no reason.*\.$/,
    );
  });

  it("turns input errors into failed-execution notifications and warnings into configuration notifications", async () => {
    const invocation = sarif(await scanScenario()).runs[0].invocations[0];
    expect(invocation.executionSuccessful).toBe(false);
    expect(invocation.toolExecutionNotifications).toEqual([
      {
        level: "error",
        message: { text: expect.stringMatching(/^Unclosed configuration block/) },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: "stacks/broken/main.tf", uriBaseId: "%SRCROOT%" },
              region: { startLine: 1, startColumn: 32 },
            },
          },
        ],
      },
    ]);
    expect(
      invocation.toolConfigurationNotifications.map((n: any) => [
        n.level,
        n.locations[0].physicalLocation.artifactLocation.uri,
        n.locations[0].physicalLocation.region.startLine,
      ]),
    ).toEqual([
      ["warning", "keygate-baseline.json", 12],
      ["warning", "stacks/app/legacy.tf", 19],
    ]);
  });

  it("is successful without input errors, and has no notifications then", async () => {
    const { root: _root, ...result } = await scanTree({ "main.tf": PAIR });
    const invocation = sarif(result).runs[0].invocations[0];
    expect(invocation).toEqual({ executionSuccessful: true });
  });

  it("gives paths relative to the repository root, whatever directory keygate ran in", async () => {
    const result = await scanScenario();
    const log = sarif(result, { color: false, cwd: "/repo/infra/live", repoRoot: "/repo" });
    expect(log.runs[0].originalUriBaseIds["%SRCROOT%"].uri).toBe("file:///repo/");
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({
      uri: "infra/live/stacks/app/legacy.tf",
      uriBaseId: "%SRCROOT%",
    });
  });

  it("keeps partialFingerprints when lines shift", async () => {
    const { root: _a, ...before } = await scanTree({ "main.tf": PAIR });
    const { root: _b, ...after } = await scanTree({
      "main.tf": `# a comment\n\nlocals {\n  team = "ci"\n}\n\n${PAIR}`,
    });
    const [b] = sarif(before).runs[0].results;
    const [a] = sarif(after).runs[0].results;
    expect(a.locations[0].physicalLocation.region.startLine).toBe(
      Number(b.locations[0].physicalLocation.region.startLine) + 6,
    );
    expect(a.partialFingerprints).toEqual(b.partialFingerprints);
  });

  it("follows a severity set in the config: level, security-severity and a rule configuration override", async () => {
    const { root: _root, ...result } = await scanTree({
      "main.tf": PAIR,
      ".keygate.json": JSON.stringify({ policies: { KG001: "warning" } }),
    });
    const run = sarif(result).runs[0];
    expect(run.results[0].level).toBe("warning");
    expect(run.tool.driver.rules[0].defaultConfiguration.level).toBe("error");
    expect(run.tool.driver.rules[0].properties["security-severity"]).toBe("5.0");
    expect(run.invocations[0].ruleConfigurationOverrides).toEqual([
      { descriptor: { id: "KG001", index: 0 }, configuration: { level: "warning" } },
    ]);
  });

  it("keeps a location that is already a URI (an AWS account) as it is", async () => {
    const result = await scanScenario();
    const finding = {
      ...result.findings[0]!,
      location: { file: "aws://123456789012/iam", line: 1, column: 1, endLine: 1, endColumn: 1 },
      related: [],
    };
    const log = sarif({ ...result, findings: [finding] });
    expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({
      uri: "aws://123456789012/iam",
    });
  });

  it("escapes literal brackets in messages, so that only the embedded links are links", async () => {
    const { root: _root, ...result } = await scanTree({
      "main.tf": `resource "aws_iam_user" "bot" {\n  name = "bot[1]"\n}\n\nresource "aws_iam_access_key" "bot" {\n  user = aws_iam_user.bot.name\n}\n`,
    });
    const text: string = sarif(result).runs[0].results[0].message.text;
    expect(text).toContain('[aws_iam_user.bot](1) "bot\\[1\\]"');
  });
});
