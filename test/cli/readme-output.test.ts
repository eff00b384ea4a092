import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";

/**
 * The README's sample outputs are generated, never hand-written: each ```text block preceded by
 * `<!-- output: DIR ARGS... -->` holds `$ keygate ARGS...` and what keygate prints for it when run
 * in DIR (relative to the repository; no colour, 80 columns, as when piped). `UPDATE_EXPECTED=1`
 * rewrites the blocks from the current output.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const README = join(ROOT, "README.md");
const BLOCK = /<!-- output: (\S+) (.+?) -->\n```text\n[\s\S]*?```/g;

async function sample(dir: string, args: string): Promise<string> {
  const { stdout, stderr } = await runCli(args.split(" "), join(ROOT, dir));
  return `<!-- output: ${dir} ${args} -->\n\`\`\`text\n$ keygate ${args}\n${stdout}${stderr}\`\`\``;
}

describe("README", () => {
  it("shows what keygate prints today", async () => {
    const text = readFileSync(README, "utf8");
    const blocks = [...text.matchAll(BLOCK)];
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    let updated = text;
    for (const block of blocks) {
      const current = await sample(block[1]!, block[2]!);
      if (process.env.UPDATE_EXPECTED === "1") updated = updated.replace(block[0], current);
      else expect(block[0]).toBe(current);
    }
    if (updated !== text) writeFileSync(README, updated);
  });
});
