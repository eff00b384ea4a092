import { locationText as at, type Finding, type SourceLocation } from "../../findings.js";
import { isLiveKeyEvidence, type LiveKeyEvidence } from "./live-evidence.js";
import type { KG001Evidence, ModuleCallEvidence, StaticPairEvidence } from "./evidence.js";

// KG001's words: every reporter shows them, none of them knows them.

/** What is wrong with a finding and why it matters, in full. */
export function message(finding: Finding<KG001Evidence>): string {
  const e = finding.evidence;
  if (isLiveKeyEvidence(e)) return liveMessage(e);
  return e.kind === "module-call" ? moduleCallMessage(finding, e) : staticPairMessage(finding, e);
}

/**
 * The finding in one sentence for the terminal (text and compact formats): the key, its user and
 * why it matters, without the file and line the report already shows beside it. A location in
 * the same file is given as its line only. Everything keygate assumed stays in it.
 */
export function shortMessage(finding: Finding<KG001Evidence>): string {
  const e = finding.evidence;
  if (isLiveKeyEvidence(e)) return liveMessage(e);
  const userRelated = finding.related.find((r) => r.role === "user");
  const name = e.userName !== undefined ? ` "${e.userName}"` : "";
  const where = userRelated?.location ? ` (${nearby(userRelated.location, finding.location)})` : "";
  const password = e.loginProfile ? `, who also gets a console password (${e.loginProfile})` : "";
  const why = "so the key is issued at the user's setup, not as a separate, later step";
  let sentence: string;
  if (e.kind === "module-call") {
    const version = e.version !== undefined ? ` ${e.version}` : "";
    sentence = e.user.startsWith(`${e.module}.`)
      ? `Module call ${e.module} (${e.source}${version}) creates IAM user ${e.user}${name} together with an access key for it, ${why}${e.loginProfile ? `; the user also gets a console password (${e.loginProfile})` : ""}.`
      : `Module call ${e.module} (${e.source}${version}) creates access key ${e.key} for user ${e.user}${name}${where}${password}, which this configuration also creates, ${why}.`;
  } else {
    const others = finding.related.filter((r) => r.role === "user" && r.address !== e.user);
    const alternatives = others.length ? ` (or ${others.map((o) => o.address).join(", ")})` : "";
    // A key in a local module: the call that makes this instance (a shared module has a finding per call).
    const call = finding.related.find((r) => r.role === "module-call");
    const instantiated = call?.location
      ? ` (${call.address}, called at ${nearby(call.location, finding.location)})`
      : "";
    sentence = `Access key ${e.key}${instantiated} is created together with its user ${e.user}${name}${where}${alternatives}${password}, ${why}.`;
  }
  return e.undecided.length
    ? `${sentence} Assumed created, as keygate cannot decide: ${e.undecided.join("; ")}.`
    : sentence;
}

/** A related location as seen from the finding's: `line 2` in the same file, else `file:line`. */
function nearby(location: SourceLocation, from: SourceLocation): string {
  return location.file === from.file ? `line ${location.line}` : `${location.file}:${location.line}`;
}

/** The block a `keygate:ignore` comment goes above: the module call's, or the key's. */
export function suppressAbove(finding: Finding<KG001Evidence>): string {
  return finding.evidence.kind === "module-call" ? "the module block" : "the key's block";
}

/**
 * How to fix this very finding, when the remediation does not say it: for a deployed key, the
 * commands (deactivate, then delete); for a module call, the input that turns the key off.
 */
export function fix(finding: Finding<KG001Evidence>, short: boolean): string | undefined {
  const e = finding.evidence;
  if (isLiveKeyEvidence(e)) return e.remediation.join(" && ");
  if (e.kind === "module-call" && e.fix) {
    const { input, value } = e.fix;
    const first = `Set ${input} = ${JSON.stringify(value)} on ${e.module} so that the module creates no access key.`;
    return short
      ? first
      : `${first} If the user needs a key at all, create it in a later, separate change (an aws_iam_access_key for the module's user), so that it shows intent and can be traced.`;
  }
  return undefined;
}

/** What made a module create the pair, under the finding in the text report: the inputs the fix is about. */
export function details(finding: Finding<KG001Evidence>): { label: string; text: string }[] {
  const e = finding.evidence;
  if (e.kind !== "module-call" || !e.inputs.length) return [];
  return [
    {
      label: "inputs:",
      text: e.inputs.map((i) => `${i.name} = ${i.value}${i.from === "default" ? " (default)" : ""}`).join(", "),
    },
  ];
}

/** How SARIF describes KG001's related locations (the plan's source locations as before). */
export const RELATED = {
  user: "The user",
  "login-profile": "The user's console password",
  key: "A related access key",
  source: "A related access key",
};

function staticPairMessage(finding: Finding<KG001Evidence>, evidence: StaticPairEvidence): string {
  const userRelated = finding.related.find((r) => r.role === "user");
  const name = evidence.userName !== undefined ? ` "${evidence.userName}"` : "";
  const userAt = userRelated?.location ? ` (${at(userRelated.location)})` : "";
  const parts = [
    `Access key ${evidence.key} (${at(finding.location)}) is created in the same change as its user ${evidence.user}${name}${userAt}, so the key is issued during the user's initial setup instead of as a separate, later step.`,
  ];
  const others = finding.related.filter((r) => r.role === "user" && r.address !== evidence.user);
  if (others.length) parts.push(`Its user argument may also name ${others.map((o) => o.address).join(", ")}.`);
  if (evidence.loginProfile) {
    parts.push(
      `The user also gets a console password (${evidence.loginProfile}): exactly the population the CIS control names.`,
    );
  }
  if (evidence.undecided.length) {
    parts.push(`Assumed to be created, since keygate cannot decide: ${evidence.undecided.join("; ")}.`);
  }
  return parts.join(" ");
}

function moduleCallMessage(finding: Finding<KG001Evidence>, e: ModuleCallEvidence): string {
  const userRelated = finding.related.find((r) => r.role === "user");
  const name = e.userName !== undefined ? ` "${e.userName}"` : "";
  const version = e.version !== undefined ? ` ${e.version}` : "";
  const how =
    e.analysis === "catalog"
      ? `described by the module catalog${e.catalogEntry ? ` as ${e.catalogEntry}` : ""}`
      : "read from its downloaded code";
  const own = e.user.startsWith(`${e.module}.`);
  const parts = [
    own
      ? `Module call ${e.module} (${at(finding.location)}; ${e.source}${version}, ${how}) creates IAM user ${e.user}${name} together with an access key for it (${e.key}), so the key is issued during the user's initial setup instead of as a separate, later step.`
      : `Module call ${e.module} (${at(finding.location)}; ${e.source}${version}, ${how}) creates access key ${e.key} for user ${e.user}${name}${userRelated?.location ? ` (${at(userRelated.location)})` : ""}, which this configuration also creates, so the key is issued during the user's initial setup instead of as a separate, later step.`,
  ];
  if (e.inputs.length)
    parts.push(
      `Inputs: ${e.inputs.map((i) => `${i.name} = ${i.value}${i.from === "default" ? " (default)" : ""}`).join(", ")}.`,
    );
  if (e.loginProfile)
    parts.push(
      `The user also gets a console password (${e.loginProfile}): exactly the population the CIS control names.`,
    );
  if (e.undecided.length) parts.push(`Assumed to be created, since keygate cannot decide: ${e.undecided.join("; ")}.`);
  return parts.join(" ");
}

function liveMessage(e: LiveKeyEvidence): string {
  const key = `${e.accessKeyId ? `Access key ${e.accessKeyId}` : `The access key in slot ${e.slot}`}${e.accessKeyId && e.slot ? ` (slot ${e.slot})` : ""}`;
  const account = e.accountName ? `${e.accountId} (${e.accountName})` : e.accountId;
  const who = `IAM user ${e.userName} in account ${account}${e.passwordEnabled ? ", who has a console password," : ""}`;
  const created =
    e.keyCreated === null || e.gapSeconds === null
      ? `creation time not in the credential report (access_key_${e.slot}_last_rotated is N/A), so it may be the key issued with the user (${e.userCreated})`
      : `created ${e.keyCreated}, ${formatGap(e.gapSeconds)} after the user (${e.userCreated})`;
  const used = e.lastUsed ? `last used ${e.lastUsed}` : "never used";
  const basis =
    e.keyCreatedFrom === "report" && e.keyCreated !== null
      ? " Key creation time from the credential report's access_key_N_last_rotated."
      : "";
  switch (e.case) {
    case "setup-key-never-used":
      return `${key} of ${who} was ${created}, within the ${e.windowSeconds} s window, and has never been used: it was issued during the user's initial setup, exactly the case the CIS control names. Delete it.${basis}`;
    case "setup-key-in-use":
      return `${key} of ${who} was ${created}, within the ${e.windowSeconds} s window, and is in use (${used}): it was issued during the user's initial setup. Replace it with a separately issued key, then delete it.${basis}`;
    case "setup-key-inactive":
      return `${key} of ${who} was ${created}, within the ${e.windowSeconds} s window, and is inactive (${used}): a leftover setup key. Delete it.${basis}`;
    case "active-key-never-used":
      return `${key} of ${who} is active and has never been used (${created}): the CIS command-line audit flags it. Deactivate and delete it unless someone needs it.${basis}`;
  }
}

function formatGap(seconds: number): string {
  if (Math.abs(seconds) < 120) return `${seconds} s`;
  if (Math.abs(seconds) < 7200) return `${Math.round(seconds / 60)} min`;
  if (Math.abs(seconds) < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}
