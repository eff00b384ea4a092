import {
  fingerprintOf,
  locationText,
  type Evidence,
  type EvidenceSource,
  type Finding,
  type RelatedResource,
  type Severity,
  type SourceLocation,
} from "../findings.js";
import type { AccountJudge } from "../live/facts.js";
import type { PlanFile } from "../load/plan.js";
import type { Configuration } from "../model/configuration.js";
import type { Evaluator } from "../model/expressions.js";
import type { CisReference, PolicyInfo } from "../policy-info.js";

// A policy is one module under src/policies/ that calls definePolicy, registered with one line in
// catalog.ts. Nothing outside it knows its id, its resource types or its wording: the engine runs
// its checks, the prefilter and reference validation ask what it reads, change mode asks it what is
// new, and the reporters ask it for its words.

/** A policy's data (`policies/<id>.json`, or written in its module), checked against policies/policy.schema.json. */
export interface PolicyData {
  /** Stable rule id: `KG001`. */
  id: string;
  /** Readable rule name in kebab-case: `access-key-created-with-user`. */
  alias: string;
  title: string;
  severity: Severity;
  /** The CIS benchmark controls it implements (none: an empty list or absent). */
  cis?: CisReference[];
  /** Why it matters. */
  rationale: string;
  /** How to fix a finding, in general (a finding may say it better: see PolicyMessages.fix). */
  remediation: string;
}

/** What a policy's checks read, so that keygate reads, validates and suppresses exactly that. */
export interface PolicyReads {
  /** Resource types its checks look at: a file that mentions none of them (nor a module call) is not parsed. */
  types: string[];
  /** Attributes of those resources it evaluates: a reference in them to something undeclared is an input error. */
  attributes: string[];
  /** Resource types its findings are reported on or related to: where a `keygate:ignore` comment may stand (besides `module` blocks). */
  reportedOn: string[];
}

/**
 * What `keygate live`'s command line says to the account checks (`--window`, `--all-users`); each
 * check reads the options it has and ignores the others.
 */
export interface AccountCheckOptions {
  /** `--window`: seconds between a user's creation and a key's within which the key counts as created with the user. */
  windowSeconds?: number;
  /** `--all-users`: also users without a console password. */
  allUsers?: boolean;
}

/** Finds where a resource (by configuration address, no instance keys) is declared in the Terraform sources. */
export type SourceLocator = (configAddress: string) => SourceLocation | undefined;

/**
 * What is new about a block after a change: nothing ("none"), all of it ("block"), some of its
 * instances (their keys), or "unknown" when they cannot be told (see change/inventory.ts).
 */
export type Novelty = "none" | "block" | Set<string> | "unknown";

/** A finding as a check knows it; {@link CheckContext.report} fills in the rest. */
export interface FindingDraft<E extends Evidence> {
  source: EvidenceSource;
  /** The offending resource's address. */
  resource: string;
  location: SourceLocation;
  related?: RelatedResource[];
  evidence: E;
  /**
   * What identifies the finding in its fingerprint besides the rule and the resource (default: the
   * location's file and the related addresses). Never a line number: a baseline must survive edits.
   */
  identity?: { file?: string; related?: string[] };
  /** Default: the severity the run gives the policy. */
  severity?: Severity;
}

/** What every check is given: its policy's data, the severity of this run, and the helper that makes findings. */
export interface CheckContext<D extends PolicyData, E extends Evidence> {
  data: D;
  severity: Severity;
  /** A finding of this policy: rule id and name, severity, fingerprint, no suppression, no notes. */
  report(draft: FindingDraft<E>): Finding<E>;
}

/** A message: a template whose `{placeholders}` name the finding's fields or its evidence's, or a function. */
export type MessageTemplate<E extends Evidence> = string | ((finding: Finding<E>) => string);

/** A policy's words; the reporters ask for them, and know no policy's wording themselves. */
export interface PolicyMessages<E extends Evidence> {
  /** What is wrong and why, in full (JSON, SARIF, GitHub, Markdown, JUnit). */
  message: MessageTemplate<E>;
  /** The same for the terminal (text, compact, GitLab), without the location shown beside it (default: `message`). */
  short?: MessageTemplate<E>;
  /** How to fix this very finding, when the policy's remediation does not say it (a module input, commands). */
  fix?(finding: Finding<E>, short: boolean): string | undefined;
  /** Extra lines under the finding in the text report: `inputs: create = true`. */
  details?(finding: Finding<E>): { label: string; text: string }[];
  /** The block a `keygate:ignore` comment goes above (`the key's block`); undefined where there is no code (default: `the resource's block`). */
  suppressAbove?(finding: Finding<E>): string | undefined;
  /** How a related location is described in SARIF, by role (`user`: `The user`); the engine's own roles are known already. */
  related?: Record<string, string>;
}

/** Everything a policy module declares; {@link definePolicy} checks and keeps it. */
export interface PolicyDefinition<D extends PolicyData, E extends Evidence> {
  /** Its data: the name of its JSON file in the package's `policies/` directory, or the data itself. */
  data: string | D;
  /** What its checks read. */
  reads(data: D): PolicyReads;
  /** Its check over a configuration (a root module and the modules it calls). */
  checkConfiguration?(
    configuration: Configuration,
    evaluator: Evaluator,
    context: CheckContext<D, E>,
  ): Promise<Finding<E>[]>;
  /** Its check over a plan (`terraform show -json`); `locateSource` points at the `.tf` lines when the sources are at hand. */
  checkPlan?(plan: PlanFile, context: CheckContext<D, E> & { locateSource: SourceLocator | undefined }): Finding<E>[];
  /**
   * Its check over live AWS accounts (or a saved credential report), run by `keygate live`: given
   * the command line's options, what judges each user and each account from the facts the audit
   * gathers (live/facts.ts). All checks share one audit, and each call it makes. Throws
   * LiveUsageError (live/usage-error.ts) for options it cannot take.
   */
  checkAccount?(options: AccountCheckOptions, context: CheckContext<D, E>): AccountJudge;
  /**
   * Whether a finding of the configuration after a change is new in the change, given what is new
   * about each address (default: its resource is new). A pair is new only when both ends are.
   */
  isNew?(finding: Finding<E>, novelty: (address: string) => Novelty): boolean;
  messages: PolicyMessages<E>;
}

/** A policy as the engine, change mode and the reporters use it: its data loaded and checked, its checks bound. */
export interface Policy extends PolicyInfo {
  /** Its data as written, with its docs link: what `keygate policies --format json` prints. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly reads: Readonly<PolicyReads>;
  checkConfiguration?(configuration: Configuration, evaluator: Evaluator, severity: Severity): Promise<Finding[]>;
  checkPlan?(plan: PlanFile, severity: Severity, locateSource: SourceLocator | undefined): Finding[];
  checkAccount?(options: AccountCheckOptions, severity: Severity): AccountJudge;
  isNew(finding: Finding, novelty: (address: string) => Novelty): boolean;
  message(finding: Finding): string;
  shortMessage(finding: Finding): string;
  /** How to fix this finding: its own fix, else the policy's remediation (its first sentence when `short`). */
  fix(finding: Finding, short?: boolean): string;
  details(finding: Finding): { label: string; text: string }[];
  suppressAbove(finding: Finding): string | undefined;
  relatedText(role: string): string | undefined;
}

/** A policy module's export: its definition, kept as written until the catalog loads its data. */
export interface PolicyModule {
  readonly definition: PolicyDefinition<PolicyData, Evidence>;
}

/**
 * Declares a policy. The definition is typed by the policy's own data and evidence; the catalog
 * (catalog.ts) loads its data, checks it against the schema and binds it (see {@link bindPolicy}).
 */
export function definePolicy<D extends PolicyData, E extends Evidence>(
  definition: PolicyDefinition<D, E>,
): PolicyModule {
  // The one place where a policy's own types are forgotten: from here on it is handled through
  // Policy, whose methods hand each policy only its own findings (by rule id) and its own data.
  return { definition: definition as unknown as PolicyDefinition<PolicyData, Evidence> };
}

/** Binds a definition to its loaded data (`docsUrl` added): the Policy everything else uses. */
export function bindPolicy(
  definition: PolicyDefinition<PolicyData, Evidence>,
  data: PolicyData,
  docsUrl: string,
): Policy {
  const info: PolicyInfo = {
    id: data.id,
    alias: data.alias,
    title: data.title,
    severity: data.severity,
    cis: data.cis ?? [],
    rationale: data.rationale,
    remediation: data.remediation,
    docsUrl,
  };
  const context = (severity: Severity): CheckContext<PolicyData, Evidence> => ({
    data,
    severity,
    report: (draft) => reportFinding(info, severity, draft),
  });
  const { messages } = definition;
  const check = definition.checkConfiguration?.bind(definition);
  const checkPlan = definition.checkPlan?.bind(definition);
  const checkAccount = definition.checkAccount?.bind(definition);
  return {
    ...info,
    data: { ...data, docsUrl },
    reads: definition.reads(data),
    ...(check
      ? {
          checkConfiguration: (configuration, evaluator, severity) =>
            check(configuration, evaluator, context(severity)),
        }
      : {}),
    ...(checkPlan
      ? { checkPlan: (plan, severity, locateSource) => checkPlan(plan, { ...context(severity), locateSource }) }
      : {}),
    ...(checkAccount ? { checkAccount: (options, severity) => checkAccount(options, context(severity)) } : {}),
    isNew: (finding, novelty) =>
      definition.isNew ? definition.isNew(finding, novelty) : novelty(finding.resource) !== "none",
    message: (finding) => render(messages.message, finding),
    shortMessage: (finding) => render(messages.short ?? messages.message, finding),
    fix: (finding, short = false) =>
      messages.fix?.(finding, short) ?? (short ? firstSentence(info.remediation) : info.remediation),
    details: (finding) => messages.details?.(finding) ?? [],
    suppressAbove: (finding) => (messages.suppressAbove ? messages.suppressAbove(finding) : "the resource's block"),
    relatedText: (role) => messages.related?.[role],
  };
}

/** A finding of a policy from a check's draft: what identifies it hashed into its fingerprint, never a line. */
export function reportFinding<E extends Evidence>(
  policy: PolicyInfo,
  severity: Severity,
  draft: FindingDraft<E>,
): Finding<E> {
  const related = draft.related ?? [];
  return {
    ruleId: policy.id,
    ruleName: policy.alias,
    severity: draft.severity ?? severity,
    source: draft.source,
    resource: draft.resource,
    location: draft.location,
    related,
    evidence: draft.evidence,
    fingerprint: fingerprintOf({
      ruleId: policy.id,
      file: draft.identity?.file ?? draft.location.file,
      resource: draft.resource,
      related: draft.identity?.related ?? related.map((r) => r.address),
    }),
    suppressed: null,
    notes: [],
  };
}

/**
 * A message for a finding: a function's result, or the template with each `{name}` replaced by
 * the finding's field or its evidence's (`{resource}`, `{ruleId}`, `{userName}`; `{at}`: its
 * `file:line:column`). A name that is
 * neither is a mistake in the policy, never printed as it is.
 */
export function render<E extends Evidence>(template: MessageTemplate<E>, finding: Finding<E>): string {
  if (typeof template === "function") return template(finding);
  const fields = new Map<string, unknown>([
    ...Object.entries(finding.evidence),
    ...Object.entries(finding),
    ["at", locationText(finding.location)],
  ]);
  return template.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (_match, name: string) => {
    const value = fields.get(name);
    if (typeof value === "string" || typeof value === "number") return String(value);
    throw new Error(`policy ${finding.ruleId}: the message placeholder {${name}} names no text field of the finding`);
  });
}

/** The first sentence of a text (the whole text when it has one sentence). */
export function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}
