import { compareStrings, type Finding, type InputError, type Warning } from "../findings.js";
import type { PolicyInfo } from "../policy-info.js";
import type { ScanResult } from "../scan-result.js";
import { at, diagnosticText, findingMessage } from "./messages.js";
import type { Reporter } from "./types.js";

/** The suite for what belongs to no configuration: input errors and warnings elsewhere, the baseline. */
const RUN_SUITE = "keygate";
/** Its key among the configurations' (a configuration is never the empty path). */
const RUN_KEY = "";

/**
 * JUnit XML for CI test tabs (GitLab, Jenkins, Azure DevOps, the JUnit report actions): a test
 * suite per configuration (root module directory) and in it a test case per policy, failing with
 * every unsuppressed finding. An input error is a test case with an `<error>` in the suite of the
 * configuration it belongs to, whose policies are then skipped rather than passed: they could not
 * be checked completely. Warnings and suppressed or baselined findings go to `<system-out>`, since
 * JUnit has no level between pass and fail.
 */
export const junitReporter: Reporter = {
  name: "junit",
  description: "JUnit XML for CI test tabs: a test case per policy and configuration",
  render(result: ScanResult): string {
    const configurations = [
      ...new Set([
        ...(result.configurations ?? []),
        ...result.findings.flatMap((f) => (f.configuration !== undefined ? [f.configuration] : [])),
      ]),
    ].sort(compareStrings);
    const owner = (file: string) => owningConfiguration(file, configurations) ?? RUN_KEY;
    const errorsOf = groupBy(result.errors, (e) => owner(e.file));
    const warningsOf = groupBy(result.warnings, (w) => owner(w.file));

    const suites: Suite[] = configurations.map((configuration) => {
      const findings = result.findings.filter((f) => f.configuration === configuration);
      const errors = errorsOf.get(configuration) ?? [];
      return {
        name: configuration,
        cases: [
          ...result.policies.map((p) =>
            policyCase(
              p,
              configuration,
              findings.filter((f) => f.ruleId === p.id),
              errors.length,
            ),
          ),
          ...errors.map((e) => errorCase(e, configuration)),
        ],
        out: (warningsOf.get(configuration) ?? []).map(warningLine),
      };
    });
    const unowned = result.findings.filter((f) => f.configuration === undefined);
    const runErrors = errorsOf.get(RUN_KEY) ?? [];
    const runOut = [
      ...(warningsOf.get(RUN_KEY) ?? []).map(warningLine),
      ...(result.baseline
        ? [
            `baseline ${result.baseline.file}: ${result.baseline.matched.length} of ${result.baseline.entries} entries matched, ${result.baseline.stale.length} stale`,
          ]
        : []),
    ];
    if (unowned.length || runErrors.length || runOut.length) {
      suites.push({
        name: RUN_SUITE,
        cases: [
          ...result.policies.flatMap((p) => {
            const mine = unowned.filter((f) => f.ruleId === p.id);
            return mine.length ? [policyCase(p, RUN_SUITE, mine, 0)] : [];
          }),
          ...runErrors.map((e) => errorCase(e, RUN_SUITE)),
        ],
        out: runOut,
      });
    }

    const count = (cases: Case[], kind: Outcome["kind"]) => cases.filter((c) => c.outcome?.kind === kind).length;
    const all = suites.flatMap((s) => s.cases);
    const lines = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="keygate" tests="${all.length}" failures="${count(all, "failure")}" errors="${count(all, "error")}" skipped="${count(all, "skipped")}">`,
    ];
    for (const suite of suites) {
      lines.push(
        `  <testsuite name="${attr(suite.name)}" tests="${suite.cases.length}" failures="${count(suite.cases, "failure")}" errors="${count(suite.cases, "error")}" skipped="${count(suite.cases, "skipped")}">`,
      );
      const properties = [
        ...(result.config?.file ? [["keygate.config", result.config.file]] : []),
        ...(result.config?.off ?? []).map((p) => [`keygate.policy.${p.id}`, "off"]),
      ];
      if (properties.length)
        lines.push(
          "    <properties>",
          ...properties.map(([name, value]) => `      <property name="${attr(name!)}" value="${attr(value!)}"/>`),
          "    </properties>",
        );
      for (const c of suite.cases) {
        const location =
          c.file !== undefined ? ` file="${attr(c.file)}"${c.line !== undefined ? ` line="${c.line}"` : ""}` : "";
        const open = `    <testcase name="${attr(c.name)}" classname="${attr(c.classname)}"${location}`;
        if (!c.outcome && !c.out.length) {
          lines.push(`${open}/>`);
          continue;
        }
        lines.push(`${open}>`);
        if (c.outcome?.kind === "skipped") lines.push(`      <skipped message="${attr(c.outcome.message)}"/>`);
        else if (c.outcome)
          lines.push(
            `      <${c.outcome.kind} type="${attr(c.outcome.type)}" message="${attr(c.outcome.message)}">${text(c.outcome.body)}</${c.outcome.kind}>`,
          );
        if (c.out.length) lines.push(`      <system-out>${text(c.out.join("\n"))}</system-out>`);
        lines.push("    </testcase>");
      }
      if (suite.out.length) lines.push(`    <system-out>${text(suite.out.join("\n"))}</system-out>`);
      lines.push("  </testsuite>");
    }
    lines.push("</testsuites>");
    return `${lines.join("\n")}\n`;
  },
};

interface Outcome {
  kind: "failure" | "error" | "skipped";
  type: string;
  message: string;
  body: string;
}

interface Case {
  name: string;
  classname: string;
  file?: string;
  line?: number;
  outcome?: Outcome;
  out: string[];
}

interface Suite {
  name: string;
  cases: Case[];
  out: string[];
}

function policyCase(policy: PolicyInfo, configuration: string, findings: Finding[], inputErrors: number): Case {
  const active = findings.filter((f) => !f.suppressed);
  const first = active[0];
  const out = findings
    .filter((f) => f.suppressed)
    .map(
      (f) =>
        `${f.suppressed!.kind === "baseline" ? "baselined" : "suppressed"}: ${at(f.location)} ${f.resource} -- ${f.suppressed!.reason}${f.suppressed!.until ? ` (until ${f.suppressed!.until})` : ""}`,
    );
  const name = `${policy.id} ${policy.alias}`;
  if (!first) {
    const skipped = inputErrors
      ? {
          outcome: {
            kind: "skipped" as const,
            type: "",
            message: `not checked completely: ${inputErrors} input error${inputErrors === 1 ? "" : "s"} in this configuration`,
            body: "",
          },
        }
      : {};
    return { name, classname: configuration, ...skipped, out };
  }
  return {
    name,
    classname: configuration,
    file: first.location.file,
    line: first.location.line,
    outcome: {
      kind: "failure",
      type: policy.id,
      message:
        active.length === 1
          ? `${first.resource}: ${policy.title} (${at(first.location)})`
          : `${active.length} findings: ${active.map((f) => f.resource).join(", ")}`,
      body: [
        ...active.map((f) =>
          [`${at(f.location)} ${f.severity} ${findingMessage(f)}`, ...f.notes.map((n) => `  note: ${n}`)].join("\n"),
        ),
        `fix: ${policy.remediation}`,
        `docs: ${policy.docsUrl}`,
      ].join("\n\n"),
    },
    out,
  };
}

function errorCase(error: InputError, classname: string): Case {
  return {
    name: `read ${error.file}`,
    classname,
    file: error.file,
    ...(error.line !== undefined ? { line: error.line } : {}),
    outcome: { kind: "error", type: "InputError", message: error.message, body: diagnosticText(error) },
    out: [],
  };
}

function warningLine(warning: Warning): string {
  return `warning: ${diagnosticText(warning)}`;
}

/** The configuration a file belongs to: the deepest root module directory that holds it. */
function owningConfiguration(file: string, configurations: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const c of configurations) {
    const holds = c === "." ? !file.startsWith("../") && !file.startsWith("/") : file === c || file.startsWith(`${c}/`);
    if (holds && (best === undefined || best === "." || c.length > best.length)) best = c;
  }
  return best;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** Escapes an attribute value; newlines become character references so that parsers keep them. */
function attr(value: string): string {
  return text(value).replace(/"/g, "&quot;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}

/** Escapes element text, and replaces characters XML 1.0 cannot carry at all. */
function text(value: string): string {
  // XML 1.0 cannot carry these characters at all, escaped or not.
  // eslint-disable-next-line no-control-regex
  const carried = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "\ufffd");
  return carried.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
