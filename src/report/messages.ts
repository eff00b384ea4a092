import type {
  Finding,
  InputError,
  ModuleCallEvidence,
  SourceLocation,
  StaticPairEvidence,
  Warning,
} from "../findings.js";
import type { LiveKeyEvidence } from "../live/evidence.js";
import type { ConfigUsed } from "../scan-result.js";
import type { PolicyInfo } from "../policy-info.js";

/** The sentence that says what is wrong with a finding and why it matters; every reporter uses it. */
export function findingMessage(finding: Finding): string {
  switch (finding.evidence.kind) {
    case "live-key":
      return liveMessage(finding.evidence);
    case "module-call":
      return moduleCallMessage(finding, finding.evidence);
    default:
      return staticPairMessage(finding, finding.evidence);
  }
}

/**
 * The finding in one sentence for the terminal (text and compact formats): the key, its user and
 * why it matters, without the file and line the report already shows beside it. A location in
 * the same file is given as its line only. Everything keygate assumed stays in it.
 */
export function shortFindingMessage(finding: Finding): string {
  const e = finding.evidence;
  if (e.kind === "live-key") return liveMessage(e);
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

/**
 * How to suppress a finding of this policy in code, or undefined where there is no code (a live
 * finding: the baseline is the way).
 */
export function suppressionHint(finding: Finding): string | undefined {
  if (finding.source === "live") return undefined;
  const above = finding.evidence.kind === "module-call" ? "the module block" : "the key's block";
  // A key in a shared local module: above the key silences every caller, above the call only this one.
  const call = finding.related.find((r) => r.role === "module-call");
  const only = call?.location
    ? ` (every caller), or above ${call.address}'s block at ${call.location.file}:${call.location.line} (this call only)`
    : "";
  return `put "# keygate:ignore ${finding.ruleId} -- <why>" on the line above ${above}${only}`;
}

/**
 * How to fix this very finding: for a deployed key, the commands (deactivate, then delete); for
 * code, the policy's remediation (its first sentence when `short`).
 */
export function findingFix(finding: Finding, policy: PolicyInfo | undefined, short = false): string | undefined {
  if (finding.evidence.kind === "live-key") return finding.evidence.remediation.join(" && ");
  if (finding.evidence.kind === "module-call" && finding.evidence.fix) {
    const { input, value } = finding.evidence.fix;
    const first = `Set ${input} = ${JSON.stringify(value)} on ${finding.evidence.module} so that the module creates no access key.`;
    return short
      ? first
      : `${first} If the user needs a key at all, create it in a later, separate change (an aws_iam_access_key for the module's user), so that it shows intent and can be traced.`;
  }
  if (!policy) return undefined;
  if (!short) return policy.remediation;
  const end = policy.remediation.search(/\.(\s|$)/);
  return end === -1 ? policy.remediation : policy.remediation.slice(0, end + 1);
}

function staticPairMessage(finding: Finding, evidence: StaticPairEvidence): string {
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

function moduleCallMessage(finding: Finding, e: ModuleCallEvidence): string {
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

/** `file:line:column` of a location. */
export function at(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
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
