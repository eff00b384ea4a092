import { createHash } from "node:crypto";
import type { Severity } from "../findings.js";
import type { ScanResult } from "../scan-result.js";
import { shortFindingMessage } from "./messages.js";
import { isUri, RepositoryPaths } from "./paths.js";
import type { Reporter } from "./types.js";

/** GitLab's severities for keygate's: an incomplete check (an input error) blocks. */
const SEVERITY: Record<Severity, "major" | "minor" | "info"> = { error: "major", warning: "minor", info: "info" };

interface Issue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: "info" | "minor" | "major" | "critical" | "blocker";
  location: { path: string; lines: { begin: number } };
}

/**
 * GitLab Code Quality (`artifacts:reports:codequality`): a JSON array with an issue per unsuppressed
 * finding, input error and warning, in the fields GitLab documents (schemas/gitlab-codequality.schema.json).
 * Paths are relative to the repository root, as GitLab expects, whatever directory keygate ran in.
 */
export const gitlabReporter: Reporter = {
  name: "gitlab",
  description: "GitLab Code Quality report (artifacts:reports:codequality): findings in the merge request",
  usesRepositoryRoot: true,
  render(result: ScanResult, context): string {
    const paths = new RepositoryPaths(context);
    const path = (file: string) => (isUri(file) ? file : (paths.relative(file) ?? file));
    const issues: Issue[] = [];
    for (const f of result.findings.filter((x) => !x.suppressed)) {
      issues.push({
        description: shortFindingMessage(f),
        check_name: f.ruleId,
        fingerprint: f.fingerprint,
        severity: SEVERITY[f.severity],
        location: { path: path(f.location.file), lines: { begin: f.location.line } },
      });
    }
    for (const [kind, list] of [
      ["input-error", result.errors],
      ["warning", result.warnings],
    ] as const) {
      for (const d of list) {
        const file = path(d.file);
        issues.push({
          description: d.message,
          check_name: `keygate/${kind}`,
          fingerprint: createHash("sha256")
            .update([kind, file, d.line ?? "", d.column ?? "", d.message].join("\u0000"))
            .digest("hex")
            .slice(0, 32),
          severity: kind === "input-error" ? "blocker" : "minor",
          location: { path: file, lines: { begin: d.line ?? 1 } },
        });
      }
    }
    return `${JSON.stringify(issues, null, 2)}\n`;
  },
};
