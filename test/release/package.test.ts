import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The npm package as users get it: what `npm pack` puts in the tarball (from the build `npm test`'s
 * pretest made), and the tarball installed in an empty project, run with `npx keygate`.
 */
const PACKAGE_ROOT = join(import.meta.dirname, "..", "..");
const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  exports: Record<string, Record<string, string> | string>;
};

/**
 * Packed size budget: about 684 kB packed, 2.5 MB unpacked at the end of 2026-12-01's first round
 * (690 kB at its start; code and docs grew, the bundle lost its whitespace); 751 kB, 2.8 MB after
 * its second (the speed work: early git answers, the commit walk, the replay in part, and their
 * docs), hence 800 kB. Test fixtures or source maps (megabytes) would blow it.
 */
const MAX_PACKED_BYTES = 800_000;
const MAX_UNPACKED_BYTES = 3_000_000;

interface Pack {
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

function dryRun(): Pack {
  // --ignore-scripts: `prepack` would build again; the build is there already.
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: PACKAGE_ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return (JSON.parse(out) as Pack[])[0]!;
}

/** Every file under a directory of the package, as package-relative paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(join(PACKAGE_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(PACKAGE_ROOT, join(entry.parentPath, entry.name)).split("\\").join("/"));
}

describe("the npm package", () => {
  const pack = dryRun();
  const paths = new Set(pack.files.map((f) => f.path));

  it("holds the licence, the changelog, the security policy, the README and the manifest", () => {
    for (const file of ["LICENSE", "CHANGELOG.md", "SECURITY.md", "README.md", "package.json"])
      expect(paths, file).toContain(file);
    const licence = readFileSync(join(PACKAGE_ROOT, "LICENSE"), "utf8");
    expect(licence).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
    expect(licence).toContain("END OF TERMS AND CONDITIONS");
    expect(licence).toContain("   Copyright 2026 The keygate Authors\n");
    expect(licence).not.toMatch(/\{yyyy\}|\[yyyy\]/);
  });

  it("holds the build: the bin, the CLI's bundle, the library with its types, the parse worker, the validators", () => {
    for (const file of [
      "dist/bin.js",
      "dist/bundle/cli.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/load/parse-worker.js",
      "dist/validators/config.schema.cjs",
    ]) {
      expect(paths, file).toContain(file);
    }
    for (const target of Object.values(manifest.bin)) expect(paths).toContain(target.replace(/^\.\//, ""));
    for (const entry of Object.values(manifest.exports)) {
      for (const target of typeof entry === "string" ? [entry] : Object.values(entry))
        expect(paths).toContain(target.replace(/^\.\//, ""));
    }
  });

  it("holds every schema, policy and policy document", () => {
    for (const dir of ["schemas", "policies", "docs"]) {
      const expected = filesUnder(dir);
      expect(expected.length, dir).toBeGreaterThan(0);
      for (const file of expected) expect(paths, file).toContain(file);
    }
  });

  it("holds no sources, source maps, tests, fixtures, examples, scripts, CI files or the Action's bundle", () => {
    const unwanted = [...paths].filter(
      (p) =>
        /^(src|test|examples|scripts|action|\.github|\.ci|node_modules)\//.test(p) ||
        p.endsWith(".map") ||
        (p.endsWith(".ts") && !p.endsWith(".d.ts")) ||
        p.endsWith(".tgz") ||
        /fixtures?\//.test(p),
    );
    expect(unwanted).toEqual([]);
  });

  it(`stays within its size budget (${MAX_PACKED_BYTES / 1000} kB packed, ${MAX_UNPACKED_BYTES / 1e6} MB unpacked)`, () => {
    console.log(
      `npm pack: ${pack.files.length} files, ${(pack.size / 1000).toFixed(0)} kB packed, ${(pack.unpackedSize / 1e6).toFixed(2)} MB unpacked`,
    );
    expect(pack.size).toBeLessThanOrEqual(MAX_PACKED_BYTES);
    expect(pack.unpackedSize).toBeLessThanOrEqual(MAX_UNPACKED_BYTES);
  });

  it("installs from its tarball into an empty project and runs as `npx keygate`, with no warning from npm or Node", () => {
    const work = mkdtempSync(join(tmpdir(), "keygate-pack-"));
    const tarball = execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", work], {
      cwd: PACKAGE_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
    expect(tarball).toBe(`${manifest.name}-${manifest.version}.tgz`);
    const project = join(work, "project");
    mkdirSync(join(project, "iam"), { recursive: true });
    writeFileSync(
      join(project, "package.json"),
      `${JSON.stringify({ name: "adopter", version: "1.0.0", private: true }, null, 2)}\n`,
    );
    writeFileSync(
      join(project, "iam", "main.tf"),
      'resource "aws_iam_user" "ci" {\n  name = "ci"\n}\n\nresource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n',
    );
    // The developer's npm settings would not be the adopter's: only the cache (offline first) is shared.
    const env = {
      ...process.env,
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    };
    const install = spawnSync("npm", ["install", "--save-dev", join(work, tarball)], {
      cwd: project,
      env,
      encoding: "utf8",
    });
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).toBe("");

    const scan = spawnSync("npx", ["keygate", "--no-cache"], { cwd: project, env, encoding: "utf8" });
    expect(scan.stderr).toBe("");
    expect(scan.status).toBe(1);
    expect(scan.stdout).toContain("iam/main.tf");
    expect(scan.stdout).toContain("aws_iam_access_key.ci");
    const version = spawnSync("npx", ["keygate", "--version"], { cwd: project, env, encoding: "utf8" });
    expect(version.stderr).toBe("");
    expect(version.stdout.trim()).toBe(manifest.version);
  }, 300_000);
});
