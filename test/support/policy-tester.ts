/**
 * Policy tests as valid and invalid configurations, the way ESLint's `RuleTester` reads: each case
 * is HCL written as it would be in a file (a multi-line template, indentation removed with
 * {@link hcl}), scanned in-process with the default settings, and only the policy under test's
 * findings are compared.
 *
 *   policyTester("KG001").run("user and key together", {
 *     valid: [{ name: "a data source is an existing user", code: hcl`...` }],
 *     invalid: [{ name: "the pair", code: hcl`...`, findings: [{ resource: "aws_iam_access_key.k", line: 5 }] }],
 *   });
 */
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/findings.js";
import { findingMessage } from "../../src/report/messages.js";
import { scanTree } from "./scan-fixture.js";

/** One configuration: `code` is main.tf; `files` adds (or replaces) other files by path. */
interface PolicyCase {
  name: string;
  code?: string;
  files?: Record<string, string>;
  /** Paths given to the scan (default: the whole tree). */
  paths?: string[];
}

/** What one expected finding must match; each property given is compared, the rest is not. */
export interface ExpectedFinding {
  resource?: string;
  /** `main.tf` unless said. */
  file?: string;
  line?: number;
  column?: number;
  severity?: Finding["severity"];
  /** Compared with the finding's message (a RegExp or a part of it). */
  message?: RegExp | string;
  suppressed?: boolean;
}

export interface PolicyCases {
  valid: PolicyCase[];
  invalid: Array<PolicyCase & { findings: ExpectedFinding[] }>;
}

/** Removes the indentation common to a template's lines and its first empty line: HCL as in a file. */
export function hcl(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = strings.reduce((text, part, i) => text + part + (i < values.length ? String(values[i]) : ""), "");
  const lines = raw
    .replace(/^\n/, "")
    .replace(/\n[ \t]*$/, "\n")
    .split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length));
  return lines.map((l) => l.slice(Math.min(indent, /^[ \t]*/.exec(l)![0].length))).join("\n");
}

export function policyTester(policyId: string) {
  const scanCase = async (c: PolicyCase) => {
    const files = { ...(c.code !== undefined ? { "main.tf": c.code } : {}), ...c.files };
    const result = await scanTree(files, c.paths);
    // A case that cannot be read proves nothing about the policy.
    expect(result.errors, `${c.name}: input errors`).toEqual([]);
    return result.findings.filter((f) => f.ruleId === policyId);
  };
  return {
    run(title: string, cases: PolicyCases): void {
      describe(`${policyId}: ${title}`, () => {
        for (const c of cases.valid) {
          it(`valid: ${c.name}`, async () => {
            const findings = await scanCase(c);
            expect(findings.map(describeFinding), "no finding expected").toEqual([]);
          });
        }
        for (const c of cases.invalid) {
          it(`invalid: ${c.name}`, async () => {
            const findings = [...(await scanCase(c))].sort(
              (a, b) => a.location.file.localeCompare(b.location.file) || a.location.line - b.location.line,
            );
            expect(findings.map(describeFinding), "one finding per expected entry").toHaveLength(c.findings.length);
            c.findings.forEach((want, i) => matchFinding(findings[i]!, want, i));
          });
        }
      });
    },
  };
}

function matchFinding(f: Finding, want: ExpectedFinding, i: number): void {
  const at = `finding ${i + 1} (${describeFinding(f)})`;
  if (want.resource !== undefined) expect(f.resource, at).toBe(want.resource);
  expect(f.location.file, at).toBe(want.file ?? "main.tf");
  if (want.line !== undefined) expect(f.location.line, at).toBe(want.line);
  if (want.column !== undefined) expect(f.location.column, at).toBe(want.column);
  if (want.severity !== undefined) expect(f.severity, at).toBe(want.severity);
  if (want.suppressed !== undefined) expect(Boolean(f.suppressed), at).toBe(want.suppressed);
  if (want.message !== undefined) {
    const message = findingMessage(f);
    if (typeof want.message === "string") expect(message, at).toContain(want.message);
    else expect(message, at).toMatch(want.message);
  }
}

function describeFinding(f: Finding): string {
  return `${f.location.file}:${f.location.line}:${f.location.column} ${f.resource}`;
}
