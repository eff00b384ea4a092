import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli.js";
import { runCli, writeTree } from "../support/scan-fixture.js";

const PAIR = (name: string) =>
  `resource "aws_iam_user" "${name}" {\n  name = "${name}"\n}\n\nresource "aws_iam_access_key" "${name}" {\n  user = aws_iam_user.${name}.name\n}\n`;
const TREE = { "app/main.tf": PAIR("app"), "legacy/main.tf": PAIR("legacy") };

describe("flags users reach for", () => {
  it("--quiet reports error-severity findings only; the exit code still judges them all", async () => {
    const root = await writeTree({
      ...TREE,
      ".keygate.json": '{ "policies": { "KG001": "warning" }, "failOn": "warning" }',
    });
    const quiet = await runCli(["-f", "compact", "--quiet", "."], root);
    expect(quiet.stdout).toBe("0 findings in 2 files; config .keygate.json\n");
    expect(quiet.code).toBe(1);
  });

  it("--max-warnings N fails a run with more warnings than N", async () => {
    const root = await writeTree(TREE);
    expect((await runCli(["--policy", "KG001=warning", "--max-warnings", "2", "-f", "compact", "."], root)).code).toBe(
      0,
    );
    const over = await runCli(["--policy", "KG001=warning", "--max-warnings", "1", "-f", "compact", "."], root);
    expect(over.code).toBe(1);
    expect(over.stderr).toBe("keygate: 2 warnings, more than --max-warnings 1 allows\n");
    const bad = await runCli(["--max-warnings", "-1", "."], root);
    expect(bad.stderr).toBe(
      "keygate: --max-warnings -1: not a whole number of 0 or more\nWrite --max-warnings 0 to fail on any warning.\n",
    );
    expect(bad.code).toBe(2);
  });

  it("--exclude adds globs (repeatable) to the config's", async () => {
    const root = await writeTree({
      ...TREE,
      "other/main.tf": PAIR("other"),
      ".keygate.json": '{ "exclude": ["other/**"] }',
    });
    const { stdout } = await runCli(["--exclude", "legacy/**", "-f", "json", "."], root);
    expect(JSON.parse(stdout).findings.map((f: { resource: string }) => f.resource)).toEqual([
      "aws_iam_access_key.app",
    ]);
    // From a subdirectory, relative to it.
    const sub = await runCli(["--exclude", "main.tf", "-f", "json", "."], join(root, "app"));
    expect(JSON.parse(sub.stdout).findings).toEqual([]);
  });

  it("--policy ID=off|severity overrides the config, by id or alias; a bad one is a usage error", async () => {
    const root = await writeTree(TREE);
    expect((await runCli(["--policy", "access-key-created-with-user=off", "."], root)).code).toBe(0);
    const info = await runCli(["--policy", "KG001=info", "-f", "json", "."], root);
    expect(JSON.parse(info.stdout).findings.map((f: { severity: string }) => f.severity)).toEqual(["info", "info"]);
    const unknown = await runCli(["--policy", "KG009=off", "."], root);
    expect(unknown.stderr).toBe(
      'keygate: --policy KG009=off: unknown policy "KG009"\nKnown policies: KG001 (access-key-created-with-user).\n',
    );
    expect(unknown.code).toBe(2);
    const malformed = await runCli(["--policy", "KG001", "."], root);
    expect(malformed.stderr).toBe(
      "keygate: --policy KG001: not ID=LEVEL\nWrite --policy KG001=off, or a severity: --policy KG001=warning (levels: error, warning, info, off).\n",
    );
  });

  it("an empty --exclude glob is a usage error, said before anything is read", async () => {
    const root = await writeTree(TREE);
    for (const argv of [
      ["--exclude", "", "."],
      ["scan", "--exclude", "x/**", "--exclude=", "."],
    ]) {
      const run = await runCli(argv, root);
      expect(run.stderr, argv.join(" ")).toBe(
        "keygate: --exclude '': an empty glob, which names no file\nGive a glob of files not to scan, relative to the working directory: --exclude 'modules/legacy/**'.\n",
      );
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
    }
  });

  it("what keygate did not expect is one line and exit 2, the stack only with KEYGATE_DEBUG", async () => {
    const root = await writeTree(TREE);
    const failing = (env: NodeJS.ProcessEnv) => {
      let stderr = "";
      const io = {
        stdout: () => {
          throw new Error("the report could not be written");
        },
        stderr: (t: string) => (stderr += t),
        cwd: root,
        env: { XDG_CACHE_HOME: join(root, ".cache"), XDG_STATE_HOME: join(root, ".state"), ...env },
        stdoutIsTTY: false,
        today: "2026-01-01",
        readStdin: async () => new Uint8Array(),
      };
      return run(["--no-cache", "."], io).then((code) => ({ code, stderr }));
    };
    const plain = await failing({});
    expect(plain).toEqual({
      code: 2,
      stderr:
        "keygate: internal error: the report could not be written\nSet KEYGATE_DEBUG=1 for the stack trace, and please report it.\n",
    });
    const debug = await failing({ KEYGATE_DEBUG: "1" });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/^keygate: internal error: the report could not be written\nError: the report/);
  });

  it("--print-config prints the configuration in effect and scans nothing", async () => {
    const root = await writeTree({ ...TREE, ".keygate.json": '{ "exclude": ["legacy/**"], "failOn": "warning" }' });
    // The config is searched up to the repository root (outside git, the working directory only).
    execFileSync("git", ["init", "-q"], { cwd: root });
    const { code, stdout } = await runCli(
      ["--print-config", "--policy", "KG001=warning", "--exclude", "x/*.tf", "--fail-on", "info"],
      join(root, "app"),
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      configFile: "../.keygate.json",
      policies: { KG001: "warning" },
      exclude: ["legacy/**", "app/x/*.tf"],
      excludeRelativeTo: "..",
      failOn: "info",
      allowInlineSuppressions: true,
    });
  });

  it("--init writes a commented .keygate.json that keygate reads, never over one, and the pre-commit hook", async () => {
    const root = await writeTree(TREE);
    const first = await runCli(["--init", "--pre-commit"], root);
    expect(first.stderr).toBe(
      "keygate: wrote .keygate.json\nkeygate: wrote .pre-commit-config.yaml; run `pre-commit install` to use it\n",
    );
    expect(first.code).toBe(0);
    const config = await readFile(join(root, ".keygate.json"), "utf8");
    expect(config).toContain('"KG001": "error" // access-key-created-with-user');
    expect(await readFile(join(root, ".pre-commit-config.yaml"), "utf8")).toContain("      - id: keygate\n");
    expect(JSON.parse((await runCli(["--print-config"], root)).stdout).configFile).toBe(".keygate.json");
    expect((await runCli(["-f", "compact", "."], root)).code).toBe(1);
    const again = await runCli(["--init"], root);
    expect(again.stderr).toBe(
      "keygate: .keygate.json exists already; --init does not overwrite it\n`keygate --print-config` shows the configuration in use.\n",
    );
    expect(again.code).toBe(2);
  });

  it("--init --pre-commit prints the hook for an existing .pre-commit-config.yaml", async () => {
    const root = await writeTree({ ".pre-commit-config.yaml": "repos: []\n" });
    const { stdout, code } = await runCli(["--init", "--pre-commit"], root);
    expect(code).toBe(0);
    expect(stdout).toBe(
      "  - repo: https://github.com/keygate-dev/keygate\n    rev: v0.1.0\n    hooks:\n      - id: keygate\n",
    );
    expect(await readFile(join(root, ".pre-commit-config.yaml"), "utf8")).toBe("repos: []\n");
  });

  it("--verbose says on stderr what was read and how long it took", async () => {
    const root = await writeTree(TREE);
    const { stderr } = await runCli(["--verbose", "--no-cache", "-f", "compact", "."], root);
    expect(stderr).toMatch(
      /^keygate: config none \(defaults\); policies KG001=error; 2 files read, 2 configurations; prefilter on; cache off; scanned in \d+\.\d\d s\n$/,
    );
  });

  it("--list-policies is `keygate policies`", async () => {
    const root = await writeTree({});
    expect((await runCli(["--list-policies"], root)).stdout).toBe((await runCli(["policies"], root)).stdout);
    expect(JSON.parse((await runCli(["--list-policies", "-f", "json"], root)).stdout)[0].id).toBe("KG001");
  });
});
