/**
 * A policy that exists only in the tests (never shipped): KG900, an account password policy that
 * lets passwords be shorter than 14 characters (CIS AWS Foundations 1.8). It is written as a
 * shipped policy is, with definePolicy, and registered through the same registry
 * (`registerPolicy`), to prove that a policy needs nothing outside its own module: the engine, the
 * prefilter, suppressions, the baseline, change mode, `keygate live` and every reporter take it as
 * they take KG001. It reads a resource type KG001 does not, so that the prefilter's part is
 * visible, and its account check reads an account-level fact (the password policy) that KG001 does not.
 */
import type { Finding, SourceLocation } from "../../src/findings.js";
import { locateResourceChanges } from "../../src/load/plan.js";
import { newTrace } from "../../src/model/expressions.js";
import { createdResources } from "../../src/model/links.js";
import { writtenText } from "../../src/model/written.js";
import { registerPolicy } from "../../src/policies/catalog.js";
import { definePolicy, type PolicyData } from "../../src/policies/policy.js";

export const TEST_POLICY_ID = "KG900";
const TYPE = "aws_iam_account_password_policy";
const MINIMUM = 14;

/** The facts behind a KG900 finding. */
interface ShortPasswordEvidence {
  kind: "short-password-policy";
  /** The password policy's address. */
  policy: string;
  /** What the minimum length is, as written (or that it is not set). */
  written: string;
}

const data: PolicyData = {
  id: TEST_POLICY_ID,
  alias: "password-policy-too-short",
  title: "Passwords must be at least 14 characters long",
  severity: "warning",
  cis: [{ benchmark: "CIS Amazon Web Services Foundations Benchmark", versions: ["1.5.0"], control: "1.8" }],
  rationale: "Short passwords are guessed and cracked sooner than long ones.",
  remediation: "Set minimum_password_length = 14 or more. A longer minimum is better still.",
};

export const testPolicy = definePolicy<PolicyData, ShortPasswordEvidence>({
  data,
  reads: () => ({ types: [TYPE], attributes: ["minimum_password_length"], reportedOn: [TYPE] }),
  async checkConfiguration(configuration, evaluator, context) {
    const findings: Finding<ShortPasswordEvidence>[] = [];
    for (const placed of await createdResources(configuration, TYPE, evaluator)) {
      const argument = placed.resource.body.minimum_password_length;
      const value = argument
        ? await evaluator.evaluate(argument, { instance: placed.instance }, newTrace())
        : { kind: "known" as const, value: 8 };
      // Fail closed: a length that cannot be decided is not known to be long enough.
      if (value.kind === "known" && typeof value.value === "number" && value.value >= MINIMUM) continue;
      findings.push(
        context.report({
          source: "hcl",
          resource: placed.address,
          location: placed.resource.location,
          evidence: {
            kind: "short-password-policy",
            policy: placed.address,
            written: argument
              ? `minimum_password_length = ${writtenText(argument)}`
              : "minimum_password_length not set: 8",
          },
        }),
      );
    }
    return findings;
  },
  checkPlan(plan, context) {
    const changes = plan.plan.resource_changes.filter((c) => c.type === TYPE && c.change.actions.includes("create"));
    const positions = locateResourceChanges(
      plan.text,
      changes.map((c) => c.address),
    );
    return changes.flatMap((c) => {
      const length = c.change.after?.minimum_password_length;
      if (typeof length === "number" && length >= MINIMUM) return [];
      const p = positions.get(c.address);
      const location: SourceLocation = {
        file: plan.file,
        line: p?.line ?? 1,
        column: p?.column ?? 1,
        endLine: p?.endLine ?? 1,
        endColumn: p?.endColumn ?? 1,
      };
      return [
        context.report({
          source: "plan",
          resource: c.address,
          location,
          evidence: {
            kind: "short-password-policy",
            policy: c.address,
            written: `minimum_password_length = ${JSON.stringify(length ?? null)}`,
          },
        }),
      ];
    });
  },
  // The account's own password policy, from the facts the live audit gathers (one call per
  // account, made only because this check asks). A saved credential report holds none: nothing to judge.
  checkAccount: (_options, context) => ({
    async account(account) {
      if (!account.api) return { findings: [] };
      const policy = await account.api.passwordPolicy();
      const length = policy?.minimumPasswordLength ?? null;
      if (length !== null && length >= MINIMUM) return { findings: [] };
      const address = `arn:aws:iam::${account.id}:account-password-policy`;
      return {
        findings: [
          context.report({
            source: "live",
            resource: address,
            location: account.location,
            evidence: {
              kind: "short-password-policy",
              policy: `of account ${account.id}`,
              written: policy
                ? `MinimumPasswordLength = ${length ?? "not set"}`
                : "no password policy: IAM's default, 8",
            },
          }),
        ],
      };
    },
  }),
  messages: {
    message:
      "Password policy {policy} ({at}) allows passwords shorter than 14 characters ({written}), so they are guessed and cracked sooner.",
    short: "Password policy {policy} allows passwords shorter than 14 characters ({written}).",
    suppressAbove: () => "the password policy's block",
  },
});

/** Registers KG900 for the tests of a file; returns what unregisters it. */
export function registerTestPolicy(): () => void {
  return registerPolicy(testPolicy);
}
