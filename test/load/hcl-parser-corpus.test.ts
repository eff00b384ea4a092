import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { globbySync } from "globby";
import { afterAll, describe, expect, it } from "vitest";
import { compare, corpusFiles, ROOT, VALID, type Outcome } from "./hcl-differential.js";

// mulberry32, so that every run writes the same trees and tries the same mutants.
import { generateMonorepo, random } from "../../scripts/bench/generate-monorepo.mjs";

// keygate's parser against hcl2json (see hcl-differential.ts) over whole corpora: every Terraform
// file of the repository, a generated monorepo and 3,000 mutants of them. End-to-end tier (they
// take seconds); the hand-written fragments are in hcl-parser.test.ts.

describe("the repository's Terraform files", () => {
  it("finds a corpus to compare", () => {
    expect(corpusFiles.length).toBeGreaterThan(50);
  });

  it.each(corpusFiles.map((file) => [relative(ROOT, file), file] as const))("%s", async (_name, file) => {
    const outcome = await compare(readFileSync(file, "utf8"));
    expect(outcome).not.toBe("declined");
  });
});

describe("a generated monorepo", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ["mixed resources", { files: 400 }],
    ["IAM only", { files: 200, allIam: true }],
  ] as const)("%s: every file is accepted and identical", async (_name, options) => {
    const dir = mkdtempSync(join(tmpdir(), "keygate-hcl-parser-"));
    dirs.push(dir);
    generateMonorepo(dir, options);
    const files = globbySync("**/*.tf", { cwd: dir, absolute: true });
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) expect(await compare(readFileSync(file, "utf8"))).toBe("accepted");
  });
});

const INSERTIONS = [
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  '"',
  "=",
  ",",
  ".",
  ":",
  "?",
  "$",
  "%",
  "~",
  "\n",
  "#",
  "/*",
  "*/",
  "<<EOF\n",
  "${",
  "%{",
  "\\",
  "<<-EOT\n",
  "EOT\n",
  "~}",
  "\r\n",
  "-",
  "!",
  "...",
  "=>",
  "for ",
  " if ",
];

function mutate(text: string, rand: () => number): string {
  const lineAround = (at: number): [number, number] => {
    const start = text.lastIndexOf("\n", at - 1) + 1;
    const end = text.indexOf("\n", at);
    return [start, end < 0 ? text.length : end + 1];
  };
  const count = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < count; i++) {
    const at = Math.floor(rand() * (text.length + 1));
    switch (Math.floor(rand() * 6)) {
      case 0:
        text = text.slice(0, at) + text.slice(at + 1);
        break;
      case 1: {
        const [start, end] = lineAround(at);
        text = text.slice(0, start) + text.slice(end);
        break;
      }
      case 2: {
        const [start, end] = lineAround(at);
        text = text.slice(0, end) + text.slice(start, end) + text.slice(end);
        break;
      }
      case 3:
      case 4:
        text = text.slice(0, at) + INSERTIONS[Math.floor(rand() * INSERTIONS.length)]! + text.slice(at);
        break;
      default:
        if (at + 1 < text.length) text = text.slice(0, at) + text[at + 1]! + text[at]! + text.slice(at + 2);
    }
  }
  return text;
}

describe("mutation fuzz", () => {
  it("never accepts what hcl2json rejects, and agrees whenever it accepts", async () => {
    const seeds = [...corpusFiles.map((file) => readFileSync(file, "utf8")), ...VALID.map(([, text]) => text)].filter(
      (text) => text.length < 20_000,
    );
    const rand = random(20240611);
    const tally: Record<Outcome, number> = { accepted: 0, declined: 0, rejected: 0 };
    for (let i = 0; i < 3000; i++) {
      const mutant = mutate(seeds[Math.floor(rand() * seeds.length)]!, rand);
      tally[await compare(mutant)]++;
    }
    // Both kinds of mutant must be well represented for the comparison to mean anything.
    expect(tally.accepted).toBeGreaterThan(500);
    expect(tally.rejected).toBeGreaterThan(500);
    expect(tally.declined).toBeLessThan(0.05 * (tally.accepted + tally.declined));
  });
});
