import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * check-dist, as GitHub's action templates do it: the committed bundle (action/dist/index.mjs, run
 * by the Action and the pre-commit hook) must be exactly what `npm run build:action` makes of the
 * current source, and that build must be reproducible. Built from dist/, which `npm test`'s
 * pretest has just built.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const COMMITTED = join(ROOT, "action", "dist", "index.mjs");

function freshBuild(): Buffer {
  const outfile = join(mkdtempSync(join(tmpdir(), "keygate-action-build-")), "index.mjs");
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-action.mjs"), "--outfile", outfile], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  return readFileSync(outfile);
}

describe("action/dist/index.mjs", () => {
  const fresh = freshBuild();

  it("is what `npm run build:action` makes of the current source (check-dist)", () => {
    const committed = readFileSync(COMMITTED);
    expect(
      fresh.equals(committed),
      "action/dist/index.mjs is stale: the source changed since it was built. Run `npm run build:action` and commit action/dist/ (the Action and the pre-commit hook run that file).",
    ).toBe(true);
  });

  it("is reproducible: a second build is byte for byte the same and names no path of this machine", () => {
    expect(freshBuild().equals(fresh)).toBe(true);
    const text = fresh.toString("utf8");
    expect(text).not.toContain(ROOT);
    expect(text).not.toContain(tmpdir());
    // esbuild names each module's path relative to the repository: one outside it (a symlinked
    // node_modules, say) would make the bundle differ from a build in any other checkout.
    expect(text.match(/^\/\/ \.\.\/.*$/gm) ?? []).toEqual([]);
  });

  it("holds keygate and hcl2json's parser, and leaves out the AWS SDK", () => {
    const text = fresh.toString("utf8");
    expect(text).toContain("aws_iam_access_key");
    expect(text).toContain("keygate live is not part of the GitHub Action or the pre-commit hook");
    expect(text).not.toMatch(/from "@aws-sdk\//);
    console.log(`action/dist/index.mjs: ${(fresh.length / 1e6).toFixed(2)} MB`);
  });
});
