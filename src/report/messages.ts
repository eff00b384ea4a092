import { locationText, type Finding, type InputError, type SourceLocation, type Warning } from "../findings.js";
import { firstSentence } from "../policies/policy.js";
import { policyFor } from "../policies/catalog.js";
import type { ConfigUsed } from "../scan-result.js";
import type { PolicyInfo } from "../policy-info.js";

// Every reporter takes a finding's words from here, and this module from the policy that found it
// (see src/policies/policy.ts): no reporter knows a policy's wording.

/** The sentence that says what is wrong with a finding and why it matters; every reporter uses it. */
export function findingMessage(finding: Finding): string {
  return policyFor(finding.ruleId)?.message(finding) ?? unknownRule(finding);
}

/**
 * The finding in one sentence for the terminal (text, compact and GitLab formats): without the
 * file and line the report already shows beside it. Everything keygate assumed stays in it.
 */
export function shortFindingMessage(finding: Finding): string {
  return policyFor(finding.ruleId)?.shortMessage(finding) ?? unknownRule(finding);
}

/** A finding of a rule that no registered policy has (a bug): said plainly rather than in another policy's words. */
function unknownRule(finding: Finding): string {
  return `${finding.ruleId} (${finding.ruleName}): ${finding.resource}.`;
}

/**
 * How to suppress a finding in code, or undefined where there is no code (a live finding: the
 * baseline is the way).
 */
export function suppressionHint(finding: Finding): string | undefined {
  if (finding.source === "live") return undefined;
  const policy = policyFor(finding.ruleId);
  const above = policy ? policy.suppressAbove(finding) : "the resource's block";
  if (above === undefined) return undefined;
  // A resource in a shared local module: above it silences every caller, above the call only this one.
  const call = finding.related.find((r) => r.role === "module-call");
  const only = call?.location
    ? ` (every caller), or above ${call.address}'s block at ${call.location.file}:${call.location.line} (this call only)`
    : "";
  return `put "# keygate:ignore ${finding.ruleId} -- <why>" on the line above ${above}${only}`;
}

/**
 * How to fix this very finding: what the policy says for it (commands for a deployed key, a
 * module input), else the policy's remediation (its first sentence when `short`).
 */
export function findingFix(finding: Finding, policy: PolicyInfo | undefined, short = false): string | undefined {
  const own = policyFor(finding.ruleId)?.fix(finding, short);
  if (own !== undefined) return own;
  if (!policy) return undefined;
  return short ? firstSentence(policy.remediation) : policy.remediation;
}

/** Extra lines a policy shows under a finding in the text report (`inputs: …`). */
export function findingDetails(finding: Finding): { label: string; text: string }[] {
  return policyFor(finding.ruleId)?.details(finding) ?? [];
}

/** How a related location is described (SARIF): the engine's own roles, else the policy's words. */
export function relatedText(finding: Finding, role: string): string {
  if (role === "module-call") return "Instantiated by the module call";
  return policyFor(finding.ruleId)?.relatedText(role) ?? "A related resource";
}

/** `file:line:column` of a location. */
export function at(location: SourceLocation): string {
  return locationText(location);
}

/** `file:line:column: message` of an input error or warning. */
export function diagnosticText(diagnostic: InputError | Warning): string {
  const position =
    diagnostic.line !== undefined
      ? `:${diagnostic.line}${diagnostic.column !== undefined ? `:${diagnostic.column}` : ""}`
      : "";
  return `${diagnostic.file}${position}: ${diagnostic.message}`;
}

/** The words every text-like report uses for the config (undefined: the defaults, nothing to say). */
export function describeConfigUsed(config: ConfigUsed | undefined): string | undefined {
  if (!config?.file) return undefined;
  const off = config.off.map((p) => `${p.id} (${p.alias})`);
  return `config ${config.file}${off.length ? `; turned off: ${off.join(", ")}` : ""}`;
}
