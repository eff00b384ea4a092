import type { Finding, InputError, Severity, SourceLocation, Warning } from "../findings.js";
import type { PolicyInfo } from "../policy-info.js";
import type { ScanResult } from "../scan-result.js";
import { describeConfigUsed, findingMessage } from "./messages.js";
import { isUri, RepositoryPaths } from "./paths.js";
import type { ReportContext, Reporter } from "./types.js";

const COMMAND: Record<Severity, "error" | "warning" | "notice"> = {
  error: "error",
  warning: "warning",
  info: "notice",
};

/**
 * GitHub Actions workflow commands: one annotation per unsuppressed finding, input error and
 * warning, shown on the pull request's diff and the run's summary; then a plain summary line.
 * Paths are relative to the repository root, as GitHub expects, whatever directory keygate ran in.
 */
export const githubReporter: Reporter = {
  name: "github",
  description: "GitHub Actions workflow commands (::error file=…): annotations on the pull request",
  render(result: ScanResult, context: ReportContext): string {
    const paths = new RepositoryPaths(context);
    // An annotation needs a file in the repository; one on an AWS account (`aws://…`) goes without.
    const file = (f: string): Record<string, string> => (isUri(f) ? {} : { file: paths.relative(f) ?? f });
    const policies = new Map(result.policies.map((p) => [p.id, p]));
    const lines: string[] = [];
    for (const finding of result.findings.filter((f) => !f.suppressed)) {
      const policy = policies.get(finding.ruleId);
      const title = `${finding.ruleId} ${policy?.title ?? finding.ruleName}`;
      lines.push(
        command(
          COMMAND[finding.severity],
          { ...range(finding.location, file), title },
          annotationText(finding, policy),
        ),
      );
    }
    for (const error of result.errors)
      lines.push(
        command(
          "error",
          { ...position(error, file), title: "keygate: input error (the check is incomplete)" },
          error.message,
        ),
      );
    for (const warning of result.warnings)
      lines.push(command("warning", { ...position(warning, file), title: "keygate: warning" }, warning.message));
    for (const policy of result.config?.off ?? []) {
      lines.push(
        command(
          "warning",
          { title: "keygate: policy turned off" },
          `${policy.id} (${policy.alias}) is turned off by ${result.config!.file}: its findings are not reported.`,
        ),
      );
    }
    lines.push(summary(result));
    return `${lines.join("\n")}\n`;
  },
};

function annotationText(finding: Finding, policy: PolicyInfo | undefined): string {
  return [
    findingMessage(finding),
    ...finding.notes.map((n) => `Note: ${n}`),
    ...(policy ? [`Fix: ${policy.remediation}`, `Docs: ${policy.docsUrl}`] : []),
  ].join("\n");
}

function range(l: SourceLocation, file: (f: string) => Record<string, string>): Record<string, string | number> {
  if (isUri(l.file)) return {};
  // GitHub ignores columns on an annotation that spans lines; the end column is given only on one line.
  const columns: Record<string, number> =
    l.line === l.endLine ? { col: l.column, endColumn: l.endColumn } : { col: l.column };
  return { ...file(l.file), line: l.line, endLine: l.endLine, ...columns };
}

function position(
  diagnostic: InputError | Warning,
  file: (f: string) => Record<string, string>,
): Record<string, string | number> {
  return {
    ...file(diagnostic.file),
    ...(diagnostic.line !== undefined ? { line: diagnostic.line } : {}),
    ...(diagnostic.column !== undefined ? { col: diagnostic.column } : {}),
  };
}

function summary(result: ScanResult): string {
  const active = result.findings.filter((f) => !f.suppressed).length;
  const inline = result.findings.filter((f) => f.suppressed?.kind === "inline").length;
  const baselined = result.findings.filter((f) => f.suppressed?.kind === "baseline").length;
  const parts = [
    `${active} finding${active === 1 ? "" : "s"}`,
    `${inline} suppressed`,
    ...(result.baseline
      ? [
          `${baselined} baselined`,
          `${result.baseline.stale.length} stale baseline entr${result.baseline.stale.length === 1 ? "y" : "ies"}`,
        ]
      : []),
    `${result.errors.length} input error${result.errors.length === 1 ? "" : "s"}`,
    `${result.warnings.length} warning${result.warnings.length === 1 ? "" : "s"}`,
  ];
  const config = describeConfigUsed(result.config);
  return `keygate: ${parts.join(", ")} in ${result.files} file${result.files === 1 ? "" : "s"}${config ? `; ${config}` : ""}`;
}

/** `::name key=value,…::message`, escaped as the Actions runner unescapes it. */
function command(name: string, properties: Record<string, string | number>, message: string): string {
  const props = Object.entries(properties)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(",");
  return `::${name} ${props}::${escapeData(message)}`;
}

function escapeData(value: string): string {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
