import { execFile } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { generateMonorepo } from "../../scripts/bench/generate-monorepo.mjs";
import { runCli, writeTree } from "../support/scan-fixture.js";
import { checkPrintedReport } from "../support/report-schemas.js";

/**
 * The built bin as users run it, from its bundle. It asks git for the listing and the unchanged
 * files before it loads the CLI, and parses what its own parser declines on worker threads; the
 * in-process CLI of the tests does neither: both must give the very same report.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "dist", "bin.js");
/** Loaded into the bin to log the processes it starts (see io-spy.mjs). */
const SPY = join(ROOT, "test", "support", "io-spy.mjs");
const run = promisify(execFile);
const PAIR =
  'resource "aws_iam_user" "u" {\n  name = "u"\n}\nresource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n}\n';

async function bin(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, NO_COLOR: "1" },
      timeout: 60_000,
    });
    checkPrintedReport(stdout);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    checkPrintedReport(e.stdout);
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("the bin", () => {
  it("reports on the examples exactly as the in-process CLI does: the README's first command, exit 1 (findings)", async () => {
    const spawned = await bin(["scan", "examples/", "-f", "json", "--no-cache"], ROOT);
    const inProcess = await runCli(["scan", "examples/", "-f", "json", "--no-cache", "--no-prefilter"], ROOT);
    expect(spawned.stderr).toBe("");
    expect(spawned.code).toBe(1);
    expect(JSON.parse(spawned.stdout)).toEqual(JSON.parse(inProcess.stdout));
    expect(JSON.parse(spawned.stdout).errors).toEqual([]);
  });

  it("reports the input-error examples with exit 2, and their findings still", async () => {
    const spawned = await bin(["scan", "examples-input-errors/", "-f", "json", "--no-cache"], ROOT);
    expect(spawned.stderr).toBe("");
    expect(spawned.code).toBe(2);
    const report = JSON.parse(spawned.stdout);
    expect(report.errors.map((e: { file: string }) => e.file)).toEqual([
      "examples-input-errors/template-outside-vars/main.tf",
      "examples-input-errors/undeclared-reference/main.tf",
    ]);
    expect(report.findings.length).toBeGreaterThan(0);
  });

  it("scans a git work tree as the in-process CLI does, cold and warm (git asked early, files known from the cache)", async () => {
    const dir = await writeTree({});
    generateMonorepo(dir, { files: 400, violations: 4 });
    const git = (...args: string[]) =>
      run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir });
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "generated");
    const cache = await writeTree({});
    const expected = JSON.parse((await runCli([".", "-f", "json", "--no-cache"], dir)).stdout);
    expect(expected.findings).toHaveLength(4);
    for (const pass of ["cold", "warm"]) {
      const spawned = await bin([".", "-f", "json", "--cache-location", cache], dir);
      expect(spawned.code, pass).toBe(1);
      expect(JSON.parse(spawned.stdout), pass).toEqual(expected);
    }
  });

  it("asks git only where there is a repository: outside one it starts no process, inside one it lists once", async () => {
    const dir = await writeTree({ "main.tf": PAIR, "stack/main.tf": PAIR });
    const log = `${dir}.spy.log`;
    const spied = async (args = [".", "-f", "json", "--no-cache"]) => {
      rmSync(log, { force: true });
      const { stdout } = await run(process.execPath, ["--import", SPY, BIN, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH, KEYGATE_SPY_ROOT: dir, KEYGATE_SPY_LOG: log },
        timeout: 60_000,
      }).catch((error: unknown) => error as { stdout: string });
      const started = existsSync(log) ? readFileSync(log, "utf8").split("\n") : [];
      return { report: JSON.parse(stdout) as unknown, processes: started.filter((line) => /^(spawn|exec)/.test(line)) };
    };
    const outside = await spied();
    expect(outside.processes).toEqual([]);
    await run("git", ["init", "-q"], { cwd: dir });
    const inside = await spied();
    expect(inside.processes).toEqual([expect.stringMatching(/^(execFile|spawn) git .* ls-files /)]);
    expect(inside.report).toEqual(outside.report);
    // One directory named, with the cache or without: asked before the CLI loads, the one listing used.
    for (const args of [
      ["stack", "-f", "json", "--no-cache"],
      ["stack/", "-f", "json", "--cache-location", `${dir}.cache`],
    ]) {
      const named = await spied(args);
      expect(named.processes, args.join(" ")).toEqual([expect.stringMatching(/^(execFile|spawn) git .* ls-files /)]);
      expect((named.report as { summary: unknown }).summary, args.join(" ")).toEqual({
        files: 1,
        findings: 1,
        suppressed: 0,
        errors: 0,
        warnings: 0,
      });
    }
  });

  it("loads none of Node's modules a scan of a directory does not need (worker threads, v8, perf_hooks)", async () => {
    const dir = await writeTree({ "stack/main.tf": PAIR });
    const hook = join(dir, "loaded.mjs");
    writeFileSync(
      hook,
      'process.on("exit", () => process.stderr.write(JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")))));\n',
    );
    const { stderr } = await run(process.execPath, ["--import", hook, BIN, "stack", "-f", "json", "--no-cache"], {
      cwd: dir,
      env: { PATH: process.env.PATH },
      timeout: 60_000,
    }).catch((error: unknown) => error as { stderr: string });
    const loaded = JSON.parse(stderr) as string[];
    // The check is worth something: a scan does load child_process (git) and crypto (fingerprints).
    expect(loaded).toContain("NativeModule child_process");
    expect(loaded).toContain("NativeModule crypto");
    for (const module of ["NativeModule worker_threads", "NativeModule v8", "NativeModule perf_hooks"])
      expect(loaded).not.toContain(module);
  });

  it("makes no require function in a scan of a directory (Node's createRequire, on first use only)", async () => {
    const dir = await writeTree({ "stack/main.tf": PAIR });
    // In a git work tree (outside one, discovery walks the tree with globby, which requires Node's modules).
    await run("git", ["init", "-q"], { cwd: dir });
    const hook = join(dir, "count.mjs");
    writeFileSync(
      hook,
      'import module, { syncBuiltinESMExports } from "node:module";\n' +
        "const { createRequire } = module;\n" +
        "let made = 0;\n" +
        "module.createRequire = (...args) => (made++, createRequire(...args));\n" +
        "syncBuiltinESMExports();\n" +
        'process.on("exit", () => process.stderr.write(`made: ${made}\\n`));\n',
    );
    const made = async (args: string[]) => {
      const { stderr } = await run(process.execPath, ["--import", hook, BIN, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH },
        timeout: 60_000,
      }).catch((error: unknown) => error as { stderr: string });
      return Number(/^made: (\d+)$/m.exec(stderr)![1]);
    };
    expect(await made(["stack", "-f", "json", "--no-cache"])).toBe(0);
    // The check is worth something: yargs makes one (--help).
    expect(await made(["--help"])).toBeGreaterThan(0);
  });

  it("loads, for a scan of a directory, the bin's early file, the CLI and the chunks it shares: none of the lazy parts", async () => {
    const dir = await writeTree({ "stack/main.tf": PAIR, "stack/skipped.tf": "locals {}\n" });
    // In a git work tree, as the benchmark's monorepo (outside one, discovery walks the tree with globby).
    await run("git", ["init", "-q"], { cwd: dir });
    // Module hooks (they run on a thread of their own) log every file Node loads.
    const log = join(dir, "loaded.log");
    writeFileSync(
      join(dir, "hooks.mjs"),
      'import { appendFileSync } from "node:fs";\n' +
        "export async function load(url, context, next) {\n" +
        "  appendFileSync(process.env.KEYGATE_LOAD_LOG, `${url}\\n`);\n" +
        "  return next(url, context);\n" +
        "}\n",
    );
    writeFileSync(
      join(dir, "register.mjs"),
      'import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n',
    );
    let report = "";
    const loaded = async (args: string[]) => {
      rmSync(log, { force: true });
      ({ stdout: report } = await run(process.execPath, ["--import", join(dir, "register.mjs"), BIN, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH, KEYGATE_LOAD_LOG: log },
        timeout: 60_000,
      }).catch((error: unknown) => error as { stdout: string }));
      return readFileSync(log, "utf8")
        .split("\n")
        .filter((url) => url.includes("/dist/bundle/"))
        .map((url) => url.slice(url.lastIndexOf("/") + 1));
    };
    // The lazy parts are files of their own, named after what they hold (see scripts/bundle.mjs).
    const bundle = readdirSync(join(ROOT, "dist", "bundle"));
    for (const lazy of ["yargs-", "live-", "scan-change-", "globby-", "picomatch-"])
      expect(
        bundle.some((f) => f.startsWith(lazy)),
        lazy,
      ).toBe(true);
    const scan = await loaded(["stack", "-f", "json", "--no-cache"]);
    expect(scan.slice(0, 2)).toEqual(["early.js", "cli.js"]);
    // cli.js holds the scan command; the chunks are what it shares with `live` and the change-aware scan.
    const chunks = scan.slice(2);
    expect(chunks.length).toBeLessThanOrEqual(4);
    for (const file of chunks) expect(file).toMatch(/^chunk-[A-Z0-9]+\.js$/);
    // Node's own modules are taken with process.getBuiltinModule, not imported: an import builds an ES
    // module facade of each, reading all its exports (see scripts/bundle.mjs). Only the banner's
    // createRequire, in the files that need it, is imported.
    for (const file of scan) {
      const imported = readFileSync(join(ROOT, "dist", "bundle", file), "utf8").match(/\bfrom ?"node:[^"]+"/g) ?? [];
      expect(
        imported.filter((i) => !i.endsWith('"node:module"')),
        file,
      ).toEqual([]);
    }
    // Exclude globs load picomatch, and exclude.
    expect(JSON.parse(report).summary.files).toBe(2);
    const excluding = await loaded(["stack", "-f", "json", "--no-cache", "--exclude", "stack/skipped.tf"]);
    expect(excluding.filter((f) => !scan.includes(f)).map((f) => f.replace(/-[A-Z0-9]+\.js$/, ""))).toEqual([
      "picomatch",
    ]);
    expect(JSON.parse(report).summary.files).toBe(1);
    // The change-aware scan loads its own part, and still neither yargs nor live.
    const staged = (await loaded(["--staged", "-f", "json", "--no-cache"])).map((f) =>
      f.replace(/-[A-Z0-9]+\.js$/, ""),
    );
    expect(staged).toContain("scan-change");
    expect(staged.filter((f) => ["yargs", "live"].includes(f))).toEqual([]);
  });

  it("checks the policies' data against their schema when it differs from what the build checked, only then", async () => {
    // A copy of the package, whose policies/KG001.json can be edited as an install could be.
    const pkg = await writeTree({});
    for (const part of ["dist", "policies", "schemas", "package.json"])
      cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"));
    const dir = await writeTree({ "stack/main.tf": PAIR });
    // What CommonJS modules the run loaded (the precompiled validators are CommonJS).
    const hook = join(dir, "required.mjs");
    writeFileSync(
      hook,
      'import { createRequire } from "node:module";\n' +
        "const { cache } = createRequire(import.meta.url);\n" +
        'process.on("exit", () => process.stderr.write(`required: ${JSON.stringify(Object.keys(cache))}\\n`));\n',
    );
    const scan = async () => {
      const { stdout, stderr, code } = await run(
        process.execPath,
        ["--import", hook, join(pkg, "dist", "bin.js"), "stack", "-f", "json", "--no-cache"],
        { cwd: dir, env: { PATH: process.env.PATH }, timeout: 60_000 },
      ).then(
        (ok) => ({ ...ok, code: 0 }),
        (error: unknown) => error as { stdout: string; stderr: string; code: number },
      );
      const required = JSON.parse(/^required: (.*)$/m.exec(stderr)![1]!) as string[];
      return {
        code,
        stdout,
        stderr: stderr.replace(/^required: .*\n/m, ""),
        validated: required.some((file) => file.endsWith("policy.schema.cjs")),
      };
    };
    const data = join(pkg, "policies", "KG001.json");
    const shipped = readFileSync(data, "utf8");
    const asBuilt = await scan();
    expect(asBuilt).toMatchObject({ code: 1, stderr: "", validated: false });
    // Valid, but not as built (reformatted): checked, and the same report.
    writeFileSync(data, JSON.stringify(JSON.parse(shipped)));
    const reformatted = await scan();
    expect(reformatted).toMatchObject({ code: 1, stderr: "", validated: true });
    expect(JSON.parse(reformatted.stdout)).toEqual(JSON.parse(asBuilt.stdout));
    // Invalid: refused, as before.
    writeFileSync(data, shipped.replace('"severity": "error"', '"severity": "fatal"'));
    const invalid = await scan();
    expect(invalid.code).toBe(2);
    expect(invalid.validated).toBe(true);
    expect(`${invalid.stdout}${invalid.stderr}`).toContain("KG001.json");
  });

  it("sets the exit code 2 for an input error and prints no stack trace", async () => {
    const { code, stdout, stderr } = await bin(["scan", "test/cli/cases/parse-error/input"], ROOT);
    expect(code).toBe(2);
    expect(stdout).toContain("Invalid expression");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("prints its version and help", async () => {
    expect((await bin(["--version"], ROOT)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await bin(["--help"], ROOT);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Full scan or change-aware");
  });
});
