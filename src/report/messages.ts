import type { Finding, InputError, SourceLocation, Warning } from "../findings.js";

/** The sentence that says what is wrong with a finding and why it matters; every reporter uses it. */
export function findingMessage(finding: Finding): string {
  const evidence = finding.evidence;
  const userRelated = finding.related.find((r) => r.role === "user");
  const name = evidence.userName !== undefined ? ` "${evidence.userName}"` : "";
  const userAt = userRelated?.location ? ` (${at(userRelated.location)})` : "";
  const parts = [
    `Access key ${evidence.key} (${at(finding.location)}) is created in the same change as its user ${evidence.user}${name}${userAt}, so the key is issued during the user's initial setup instead of as a separate, later step.`,
  ];
  const others = finding.related.filter((r) => r.role === "user" && r.address !== evidence.user);
  if (others.length) parts.push(`Its user argument may also name ${others.map((o) => o.address).join(", ")}.`);
  if (evidence.loginProfile) {
    parts.push(`The user also gets a console password (${evidence.loginProfile}): exactly the population the CIS control names.`);
  }
  if (evidence.undecided.length) {
    parts.push(`Assumed to be created, since keygate cannot decide: ${evidence.undecided.join("; ")}.`);
  }
  return parts.join(" ");
}

/** `file:line:column` of a location. */
export function at(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** `file:line:column: message` of an input error or warning. */
export function diagnosticText(diagnostic: InputError | Warning): string {
  const position = diagnostic.line !== undefined ? `:${diagnostic.line}${diagnostic.column !== undefined ? `:${diagnostic.column}` : ""}` : "";
  return `${diagnostic.file}${position}: ${diagnostic.message}`;
}
