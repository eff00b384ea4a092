import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The documentation's shape: a short README for users, the rest under docs/, and no link or comment that
 * points at a file the repository does not have.
 */
const ROOT = join(import.meta.dirname, "..", "..");

/** README.md, CONTRIBUTING.md and every Markdown page under docs/. */
function pages(): string[] {
  const docs = readdirSync(join(ROOT, "docs"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f));
  return ["README.md", "CONTRIBUTING.md", ...docs.sort()];
}

/** The relative link targets of a Markdown page, outside code blocks, without their #fragment. */
function relativeLinks(text: string): string[] {
  const prose = text.replace(/^```[\s\S]*?^```/gm, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^(https?:|mailto:|#)/.test(target))
    .map((target) => target.replace(/#.*$/, ""));
}

/** The starting sketch's name, spelt so that this file does not name it. */
const GONE = ["DESIGN", "md"].join(".");

describe("the documentation", () => {
  it("keeps the README short: what, install, how to run, formats, exit codes, suppression, links", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
    for (const heading of ["## Quick start", "## Install", "## Output formats", "## Exit codes", "## Suppressing"])
      expect(readme).toContain(heading);
  });

  it("links only to files that exist", () => {
    const broken: string[] = [];
    for (const page of pages()) {
      const text = readFileSync(join(ROOT, page), "utf8");
      for (const target of relativeLinks(text)) {
        const file = join(ROOT, dirname(page), decodeURIComponent(target));
        if (!existsSync(file)) broken.push(`${page}: ${target}`);
      }
    }
    expect(pages().length).toBeGreaterThan(8);
    expect(broken).toEqual([]);
  });

  it("names no design document that does not exist, in the source, tests or scripts", () => {
    const stale: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          if (name !== "fixtures" && name !== "node_modules") walk(path);
        } else if (/\.(ts|mts|mjs)$/.test(name) && readFileSync(path, "utf8").includes(GONE))
          stale.push(relative(ROOT, path));
      }
    };
    for (const dir of ["src", "test", "scripts"]) walk(join(ROOT, dir));
    expect(stale).toEqual([]);
  });
});
