import { pathToFileURL } from "node:url";
import type { Finding, InputError, Severity, SourceLocation, Warning } from "../findings.js";
import { REPOSITORY_URL, TOOL } from "../package.js";
import type { CisReference, PolicyInfo } from "../policy-info.js";
import type { ScanResult } from "../scan-result.js";
import { jsonWithLongArray } from "./json-stream.js";
import { findingMessage, relatedText } from "./messages.js";
import { RepositoryPaths, SOURCE_ROOT } from "./paths.js";
import type { ReportContext, Reporter } from "./types.js";

export { isUri, RepositoryPaths, SOURCE_ROOT } from "./paths.js";

/** The key of keygate's fingerprint in `partialFingerprints`: name and version, as SARIF §3.27.17 advises. */
export const FINGERPRINT_KEY = "keygateFingerprint/v1";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };

/**
 * GitHub's `security-severity` (a CVSS-like score; 9.0+ critical, 7.0–8.9 high, 4.0–6.9 medium,
 * below 4.0 low). An `error` is a long-lived credential issued without intent: a real path to a
 * compromised identity, but not an exposure by itself, so high rather than critical. A policy
 * configured down to `warning` or `info` lands in the middle of the medium and low bands.
 */
const SECURITY_SEVERITY: Record<Severity, string> = { error: "8.0", warning: "5.0", info: "2.0" };

/** SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. */
export const sarifReporter: Reporter = {
  name: "sarif",
  usesRepositoryRoot: true,
  description: "SARIF 2.1.0, for GitHub code scanning (upload-sarif) and other SARIF viewers",
  render(result: ScanResult, context: ReportContext): string {
    return [...sarifPieces(result, context)].join("");
  },
  pieces: sarifPieces,
};

/** The log's text, its results rendered one at a time (see json-stream.ts). */
function sarifPieces(result: ScanResult, context: ReportContext): Iterable<string> {
  const paths = new RepositoryPaths(context);
  const policies = [...result.policies];
  const ruleIndex = new Map(policies.map((p, i) => [p.id, i]));
  // The severity the config gave a policy shows on its findings; without findings it does not matter.
  const effective = (p: PolicyInfo): Severity => result.findings.find((f) => f.ruleId === p.id)?.severity ?? p.severity;
  const overrides = policies
    .filter((p) => effective(p) !== p.severity)
    .map((p) => ({
      descriptor: { id: p.id, index: ruleIndex.get(p.id)! },
      configuration: { level: LEVEL[effective(p)] },
    }));

  const baselined = result.baseline && new Set(result.baseline.matched);
  // The config used and what it turned off, before the warnings: a reader must see what decided the run.
  const configFile = result.config?.file;
  const configuration = [
    ...(configFile
      ? [
          {
            level: "note",
            message: { text: `Configuration read from ${configFile}.` },
            locations: [{ physicalLocation: { artifactLocation: paths.artifact(configFile) } }],
          },
        ]
      : []),
    ...(result.config?.off ?? []).map((p) => ({
      level: "warning",
      message: { text: `Policy ${p.id} (${p.alias}) is turned off by ${configFile}: its findings are not reported.` },
      associatedRule: { id: p.id },
      ...(configFile ? { locations: [{ physicalLocation: { artifactLocation: paths.artifact(configFile) } }] } : {}),
    })),
    ...result.warnings.map((w) => notification(w, "warning", paths)),
  ];
  const invocation = {
    executionSuccessful: result.errors.length === 0,
    ...(overrides.length ? { ruleConfigurationOverrides: overrides } : {}),
    ...(result.errors.length
      ? { toolExecutionNotifications: result.errors.map((e) => notification(e, "error", paths)) }
      : {}),
    ...(configuration.length ? { toolConfigurationNotifications: configuration } : {}),
  };

  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: TOOL.name,
            version: TOOL.version,
            semanticVersion: TOOL.version,
            informationUri: REPOSITORY_URL,
            rules: policies.map((p) => rule(p, effective(p))),
          },
        },
        invocations: [invocation],
        originalUriBaseIds: {
          [SOURCE_ROOT]: {
            uri: directoryUri(paths.root),
            description: {
              text: "The root of the repository (git rev-parse --show-toplevel), or the working directory outside a repository.",
            },
          },
        },
        columnKind: "utf16CodeUnits",
        results: [],
      },
    ],
  };
  // results: the run's last property, two levels down (runs, then the run).
  return jsonWithLongArray(log, "results", 2, result.findings, (f) =>
    sarifResult(f, ruleIndex.get(f.ruleId), paths, baselined),
  );
}

function rule(policy: PolicyInfo, severity: Severity) {
  const cis = policy.cis.map(cisLabel);
  return {
    id: policy.id,
    name: pascalCase(policy.alias),
    shortDescription: { text: `${policy.title}.` },
    fullDescription: { text: policy.rationale },
    help: {
      text: [policy.remediation, ...(cis.length ? [cis.join("\n")] : []), `Documentation: ${policy.docsUrl}`].join(
        "\n\n",
      ),
      markdown: [
        `**${policy.title}** (\`${policy.id}\` \`${policy.alias}\`)`,
        `**Why:** ${policy.rationale}`,
        `**How to fix:** ${policy.remediation}`,
        ...(cis.length ? [`**Benchmarks:**\n\n${cis.map((c) => `- ${c}`).join("\n")}`] : []),
        `[Documentation](${policy.docsUrl})`,
      ].join("\n\n"),
    },
    helpUri: policy.docsUrl,
    defaultConfiguration: { level: LEVEL[policy.severity] },
    properties: {
      tags: ["security", "iam", "aws", "terraform", ...policy.cis.map(cisTag)],
      precision: "high",
      "security-severity": SECURITY_SEVERITY[severity],
      cis: policy.cis,
    },
  };
}

/** `baselined`: the fingerprints the baseline matched, when a baseline was given (SARIF's baselineState). */
function sarifResult(
  finding: Finding,
  ruleIndex: number | undefined,
  paths: RepositoryPaths,
  baselined: ReadonlySet<string> | undefined,
) {
  const related = finding.related.filter((r) => r.location !== undefined);
  let text = escapeBrackets(findingMessage(finding));
  related.forEach((r, i) => {
    text = linkFirst(text, escapeBrackets(r.address), i + 1);
  });
  for (const note of finding.notes) text += ` Note: ${sentence(escapeBrackets(note))}`;
  const suppression = finding.suppressed;
  return {
    ruleId: finding.ruleId,
    ...(ruleIndex !== undefined ? { ruleIndex } : {}),
    level: LEVEL[finding.severity],
    message: { text },
    locations: [
      {
        physicalLocation: physicalLocation(finding.location, paths),
        logicalLocations: [{ fullyQualifiedName: finding.resource, kind: "resource" }],
      },
    ],
    ...(related.length
      ? {
          relatedLocations: related.map((r, i) => ({
            id: i + 1,
            physicalLocation: physicalLocation(r.location!, paths),
            message: {
              text: escapeBrackets(`${relatedText(finding, r.role)} ${r.address}.`),
            },
          })),
        }
      : {}),
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    ...(baselined ? { baselineState: baselined.has(finding.fingerprint) ? "unchanged" : "new" } : {}),
    ...(suppression
      ? {
          suppressions: [
            {
              kind: suppression.kind === "inline" ? "inSource" : "external",
              status: "accepted",
              justification: suppression.until
                ? `${suppression.reason} (until ${suppression.until})`
                : suppression.reason,
              ...(suppression.until ? { properties: { until: suppression.until } } : {}),
            },
          ],
        }
      : {}),
    properties: {
      resource: finding.resource,
      source: finding.source,
      ...(finding.configuration !== undefined ? { configuration: finding.configuration } : {}),
    },
  };
}

function notification(diagnostic: InputError | Warning, level: "error" | "warning", paths: RepositoryPaths) {
  const region =
    diagnostic.line !== undefined
      ? { startLine: diagnostic.line, ...(diagnostic.column !== undefined ? { startColumn: diagnostic.column } : {}) }
      : undefined;
  return {
    level,
    message: { text: sentence(escapeBrackets(diagnostic.message)) },
    locations: [
      { physicalLocation: { artifactLocation: paths.artifact(diagnostic.file), ...(region ? { region } : {}) } },
    ],
  };
}

function physicalLocation(location: SourceLocation, paths: RepositoryPaths) {
  return {
    artifactLocation: paths.artifact(location.file),
    region: {
      startLine: location.line,
      startColumn: location.column,
      endLine: location.endLine,
      endColumn: location.endColumn,
    },
  };
}

function directoryUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith("/") ? href : `${href}/`;
}

/** `CIS AWS Foundations 1.11 (v1.3.0–v4.0.0)`. */
export function cisLabel(ref: CisReference): string {
  const first = ref.versions[0];
  const last = ref.versions[ref.versions.length - 1];
  const versions = first === last ? `v${first}` : `v${first}–v${last}`;
  return `${ref.benchmark.replace("Amazon Web Services", "AWS")} ${ref.control} (${versions})`;
}

/** `external/cis-aws-foundations/v1.3.0-v4.0.0/1.11`, in the manner of CodeQL's `external/cwe/cwe-798`. */
function cisTag(ref: CisReference): string {
  const first = ref.versions[0];
  const last = ref.versions[ref.versions.length - 1];
  return `external/cis-aws-foundations/${first === last ? `v${first}` : `v${first}-v${last}`}/${ref.control}`;
}

function pascalCase(alias: string): string {
  return alias.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c: string) => c.toUpperCase());
}

/** SARIF §3.11.6: literal brackets in a plain-text message are escaped, so that only embedded links remain. */
function escapeBrackets(text: string): string {
  return text.replace(/[\\[\]]/g, (c) => `\\${c}`);
}

/** Turns the first mention of `target` (as a whole address) into an embedded link to related location `id`. */
function linkFirst(text: string, target: string, id: number): string {
  let from = 0;
  for (;;) {
    const at = text.indexOf(target, from);
    if (at === -1) return text;
    const before = text[at - 1];
    const after = text.slice(at + target.length, at + target.length + 2);
    const wholeBefore = before === undefined || !/[\w.-]/.test(before);
    const wholeAfter = !/^([\w\-\\]|\.\w)/.test(after);
    if (wholeBefore && wholeAfter) return `${text.slice(0, at)}[${target}](${id})${text.slice(at + target.length)}`;
    from = at + 1;
  }
}

/** Ends a message with a period, as SARIF viewers expect of a sentence. */
function sentence(text: string): string {
  return /[.!?]$/.test(text.trimEnd()) ? text.trimEnd() : `${text.trimEnd()}.`;
}
