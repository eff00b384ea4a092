import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";

/**
 * The sample outputs of the README and docs/ are generated, never hand-written: each ```text block preceded by
 * `<!-- output: DIR ARGS... -->` holds `$ keygate ARGS...` and what keygate prints for it when run
 * in DIR (relative to the repository; no colour, 80 columns, as when piped). `UPDATE_EXPECTED=1`
 * rewrites the blocks from the current output.
 */
const ROOT = join(import.meta.dirname, "..", "..");
/** The README and the docs/ pages that show sample outputs. */
const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const BLOCK = /<!-- output: (\S+) (.+?) -->\n```text\n[\s\S]*?```/g;

async function sample(dir: string, args: string): Promise<string> {
  const { stdout, stderr } = await runCli(args.split(" "), join(ROOT, dir));
  return `<!-- output: ${dir} ${args} -->\n\`\`\`text\n$ keygate ${args}\n${stdout}${stderr}\`\`\``;
}

describe("README and docs", () => {
  it("show what keygate prints today", async () => {
    let count = 0;
    for (const page of PAGES) {
      const file = join(ROOT, page);
      const text = readFileSync(file, "utf8");
      const blocks = [...text.matchAll(BLOCK)];
      count += blocks.length;
      let updated = text;
      for (const block of blocks) {
        const current = await sample(block[1]!, block[2]!);
        if (process.env.UPDATE_EXPECTED === "1") updated = updated.replace(block[0], current);
        else expect(block[0], page).toBe(current);
      }
      if (updated !== text) writeFileSync(file, updated);
    }
    expect(count).toBeGreaterThanOrEqual(2);
  });
});
