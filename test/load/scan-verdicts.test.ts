import { execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import { forgetAskedGit, gitAnswerFor, gitFiles, unchangedBlobIds } from "../../src/load/git.js";
import {
  configurationKey,
  directoryKey,
  indexVouches,
  shapeKey,
  shapeMetadata,
  verdictScope,
} from "../../src/scan-verdicts.js";
import { runCli, writeTree } from "../support/scan-fixture.js";

/*
 * A full scan whose files are all unchanged since an earlier scan kept its verdicts takes them
 * (see src/scan-verdicts.ts): the report must be the one checking gives, and any change to what
 * decides a verdict must make the scan check again.
 */

const PAIR = (name: string, count?: string) =>
  `resource "aws_iam_user" "${name}" {\n  name = "${name}"\n}\n\nresource "aws_iam_access_key" "${name}" {\n${count ? `  count = ${count}\n` : ""}  user = aws_iam_user.${name}.name\n}\n`;

/** Three roots: one with a tfvars-controlled key, one calling a local module, one with suppressions. */
const FILES: Record<string, string> = {
  "envs/a/main.tf": `variable "issue" {\n  type    = bool\n  default = false\n}\n\n${PAIR("a", "var.issue ? 1 : 0")}`,
  "envs/a/terraform.tfvars": "issue = false\n",
  "envs/a/queue.tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n',
  "envs/b/main.tf": 'module "svc" {\n  source = "../../modules/svc"\n}\n',
  "modules/svc/main.tf": `variable "with_key" {\n  type    = bool\n  default = false\n}\n\n${PAIR("svc", "var.with_key ? 1 : 0")}`,
  "envs/c/main.tf": `${PAIR("plain")}\n${PAIR("kept").replace('resource "aws_iam_access_key"', '# keygate:ignore KG001 -- approved in SEC-2\nresource "aws_iam_access_key"')}\n# keygate:ignore KG999 -- unknown rule\nresource "aws_sqs_queue" "w" {\n  name = "w"\n}\n`,
  "envs/d/main.tf": `variable "d_key" {\n  type    = bool\n  default = false\n}\n\n${PAIR("d", "var.d_key ? 1 : 0")}`,
};

/** Said of every file by --debug when the scan took the verdicts. */
const REPLAYED = "its configuration's findings taken from the cache";
/** …when git compared the files with its index, which keeps the metadata keygate checked them by. */
const BY_INDEX = "git finds it as its index says";
/** …when keygate compared each file's metadata itself. */
const BY_METADATA = "its size and times as when keygate last checked its git blob id";
/** …when some configurations were checked again (files changed in place, a root's variable files), and the others' verdicts taken. */
const PARTLY = "the configurations of the files that changed are checked again";

/** The files --debug does not say were taken with their configuration's verdict (checked again), sorted. */
function checkedAgain(run: { stderr: string }): string[] {
  return run.stderr
    .split("\n")
    .filter((line) => line.startsWith("keygate: debug: ") && !line.includes(REPLAYED))
    .map((line) => /^keygate: debug: \S+\s+(.*?): /.exec(line)![1]!)
    .sort();
}

function git(dir: string, ...args: string[]): void {
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, stdio: "ignore" });
}

/** Committed repositories of FILES, one per test, old enough for metadata to vouch for their files (see ParseCache.vouch). */
const repositories: string[] = [];
beforeAll(async () => {
  for (let i = 0; i < 18; i++) {
    const dir = await writeTree(FILES);
    git(dir, "init", "-q");
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "stacks");
    // Whole seconds, so that a test can set a file's modification time back exactly.
    const minuteAgo = Math.floor(Date.now() / 1000) - 60;
    utimesSync(join(dir, "envs/c/main.tf"), minuteAgo, minuteAgo);
    // The index keeps each file's metadata as it is now (see BY_INDEX).
    git(dir, "update-index", "-q", "--refresh");
    repositories.push(dir);
  }
  // Files and directories changed in the last 3 s are never vouched for by their metadata.
  await new Promise((done) => setTimeout(done, 3_200));
}, 60_000);

/** A repository of its own, with a cache of its own; `scan` scans it whole, `scanOf` one directory of it. */
function repository(): {
  dir: string;
  cache: string;
  scan: (extra?: string[], env?: NodeJS.ProcessEnv) => ReturnType<typeof runCli>;
  scanOf: (path: string) => ReturnType<typeof runCli>;
} {
  const dir = repositories.pop()!;
  const cache = mkdtempSync(join(tmpdir(), "keygate-verdicts-cache-"));
  const state = mkdtempSync(join(tmpdir(), "keygate-verdicts-state-"));
  const scanOf = (path: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    runCli(
      [path, "--cache-location", cache, "--debug", ...(extra.includes("-f") ? [] : ["-f", "json"]), ...extra],
      dir,
      {
        XDG_STATE_HOME: state,
        ...env,
      },
    );
  return { dir, cache, scan: (extra, env) => scanOf(".", extra, env), scanOf: (path) => scanOf(path) };
}

/** The same scan without the cache: what checking every configuration reports. */
async function checked(dir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return runCli([".", "--no-cache", "-f", "json", ...extra], dir, env);
}

/** What a report says, without the run's timing (the --verbose summary is not asked for: none). */
function report(run: { code: number; stdout: string }) {
  return { code: run.code, stdout: run.stdout };
}

/** Runs the scan until it takes the verdicts (the first learns the facts, the next vouches for the files' metadata). */
async function untilReplayed(scan: () => ReturnType<typeof runCli>, how = REPLAYED) {
  for (let i = 0; i < 4; i++) {
    const run = await scan();
    if (run.stderr.includes(how)) return run;
  }
  throw new Error(`the scan never took the cached verdicts (${how})`);
}

const flaggedOf = (run: { stdout: string }) =>
  (JSON.parse(run.stdout) as { findings: { resource: string; suppressed: unknown }[] }).findings
    .filter((f) => !f.suppressed)
    .map((f) => f.resource)
    .sort();

describe("verdicts of unchanged configurations", () => {
  it("are taken once every file is vouched for, and the reports are those checking gives, in every format", async () => {
    const { dir, scan } = repository();
    const first = await scan();
    expect(first.stderr).not.toContain(REPLAYED);
    const replayed = await untilReplayed(scan);
    // Every file is said to be taken so, and the summary's counts are the same.
    const debugLines = replayed.stderr.split("\n").filter((l) => l.startsWith("keygate: debug: "));
    expect(debugLines.filter((l) => l.includes(REPLAYED))).toHaveLength(6);
    expect(report(replayed)).toStrictEqual(report(first));
    expect(report(replayed)).toStrictEqual(report(await checked(dir)));
    expect(flaggedOf(replayed)).toEqual(["aws_iam_access_key.plain"]);
    // Suppressed findings and the warning about an unknown rule come back too.
    const json = JSON.parse(replayed.stdout) as { findings: { suppressed: unknown }[]; warnings: unknown[] };
    expect(json.findings.filter((f) => f.suppressed)).toHaveLength(1);
    expect(json.warnings).toHaveLength(1);
    for (const format of ["text", "sarif", "junit", "gitlab", "github", "markdown", "compact"]) {
      const cached = await scan(["-f", format, "--verbose"]);
      expect(cached.stderr, format).toContain(REPLAYED);
      const fresh = await runCli([".", "--no-cache", "-f", format, "--verbose"], dir);
      expect(cached.stdout, format).toBe(fresh.stdout);
      expect(cached.code, format).toBe(fresh.code);
      // "N files read, M configurations": the same counts.
      const summary = (stderr: string) => /\d+ files? read, \d+ configurations?/.exec(stderr)?.[0];
      expect(summary(cached.stderr), format).toBe(summary(fresh.stderr));
      expect(summary(cached.stderr), format).toBeDefined();
    }
  }, 120_000);

  it("are not taken once a root's variable file holds other values (same size, directory unchanged)", async () => {
    const { dir, scan } = repository();
    await untilReplayed(scan);
    writeFileSync(join(dir, "envs/a/terraform.tfvars"), "issue = true \n");
    const run = await scan();
    // That root's configuration is checked again, the others' verdicts taken.
    expect(run.stderr).toContain(PARTLY);
    expect(checkedAgain(run)).toEqual(["envs/a/main.tf", "envs/a/queue.tf"]);
    expect(flaggedOf(run)).toEqual(["aws_iam_access_key.a", "aws_iam_access_key.plain"]);
    expect(report(run)).toStrictEqual(report(await checked(dir)));
  }, 120_000);

  it("are not taken once a root gets a variable file", async () => {
    const { dir, scan } = repository();
    await untilReplayed(scan);
    writeFileSync(join(dir, "envs/a/keys.auto.tfvars"), "issue = true\n");
    const run = await scan();
    expect(checkedAgain(run)).toEqual(["envs/a/main.tf", "envs/a/queue.tf"]);
    expect(flaggedOf(run)).toEqual(["aws_iam_access_key.a", "aws_iam_access_key.plain"]);
    expect(report(run)).toStrictEqual(report(await checked(dir)));
  }, 120_000);

  it("are not taken once a module a root calls changes, nor once the root itself does", async () => {
    const { dir, scan } = repository();
    await untilReplayed(scan);
    const module = join(dir, "modules/svc/main.tf");
    writeFileSync(module, readFileSync(module, "utf8").replace("default = false", "default = true "));
    const run = await scan();
    // The configuration that includes the module is checked again, the others' verdicts taken.
    expect(checkedAgain(run)).toEqual(["envs/b/main.tf", "modules/svc/main.tf"]);
    expect(flaggedOf(run)).toEqual(["aws_iam_access_key.plain", "module.svc.aws_iam_access_key.svc"]);
    expect(report(run)).toStrictEqual(report(await checked(dir)));
    const root = join(dir, "envs/c/main.tf");
    writeFileSync(root, readFileSync(root, "utf8").replace(/resource "aws_iam_user" "plain"[^}]*}\n/, ""));
    const again = await scan();
    expect(checkedAgain(again)).toEqual(["envs/b/main.tf", "envs/c/main.tf", "modules/svc/main.tf"]);
    expect(report(again)).toStrictEqual(report(await checked(dir)));
  }, 120_000);

  it("are not taken once a file is written, even with its size and modification time as they were", async () => {
    const { dir, scan } = repository();
    // Settings of the repository's that would have git look at the modification time and size only.
    git(dir, "config", "core.checkStat", "minimal");
    git(dir, "config", "core.trustctime", "false");
    // No entry racily clean (git would compare those by content): the index is newer than every file.
    const minuteLater = Math.floor(Date.now() / 1000) + 60;
    utimesSync(join(dir, ".git", "index"), minuteLater, minuteLater);
    // Taken as git compares the files with its index (git diff-files): it must see the write.
    expect((await untilReplayed(scan, BY_INDEX)).stderr).not.toContain(BY_METADATA);
    const root = join(dir, "envs/c/main.tf");
    const before = statSync(root);
    const text = readFileSync(root, "utf8");
    const renamed = text.replace('"aws_iam_access_key" "plain"', '"aws_iam_access_key" "plaiN"');
    expect(renamed.length).toBe(text.length);
    writeFileSync(root, renamed);
    utimesSync(root, before.atimeMs / 1000, before.mtimeMs / 1000);
    expect(statSync(root).mtimeMs).toBe(before.mtimeMs);
    const run = await scan();
    expect(checkedAgain(run)).toEqual(["envs/c/main.tf"]);
    expect(flaggedOf(run)).toEqual(["aws_iam_access_key.plaiN"]);
    expect(report(run)).toStrictEqual(report(await checked(dir)));
  }, 120_000);

  it("are not taken once the settings change: a policy's severity, an excluded path", async () => {
    const { dir, scan } = repository();
    const before = await untilReplayed(scan);
    writeFileSync(join(dir, ".keygate.json"), JSON.stringify({ policies: { KG001: "warning" } }));
    const warning = await scan();
    expect(warning.stdout).not.toBe(before.stdout);
    expect(report(warning)).toStrictEqual(report(await checked(dir)));
    writeFileSync(join(dir, ".keygate.json"), JSON.stringify({ exclude: ["envs/c/**"] }));
    const excluded = await scan();
    expect(flaggedOf(excluded)).toEqual([]);
    expect(report(excluded)).toStrictEqual(report(await checked(dir)));
  }, 120_000);

  it("are not taken with other variables from the environment or the command line", async () => {
    const { dir, scan } = repository();
    await untilReplayed(scan);
    const env = { TF_VAR_d_key: "true" };
    const fromEnvironment = await scan([], env);
    expect(flaggedOf(fromEnvironment)).toEqual(["aws_iam_access_key.d", "aws_iam_access_key.plain"]);
    expect(report(fromEnvironment)).toStrictEqual(report(await checked(dir, [], env)));
    // Kept under the environment's scope: with it again, taken; without it, not.
    expect((await untilReplayed(() => scan([], env))).stdout).toBe(fromEnvironment.stdout);
    const without = await scan();
    expect(flaggedOf(without)).toEqual(["aws_iam_access_key.plain"]);
    // --var wins over terraform.tfvars.
    const fromCommandLine = await scan(["--var", "issue=true"]);
    expect(flaggedOf(fromCommandLine)).toEqual(["aws_iam_access_key.a", "aws_iam_access_key.plain"]);
    expect(report(fromCommandLine)).toStrictEqual(report(await checked(dir, ["--var", "issue=true"])));
  }, 120_000);
});

describe("verdicts and the list of files", () => {
  it("are not taken once git lists other files: a new one nobody checked, one it ignores since", async () => {
    const { dir, scan } = repository();
    const before = await untilReplayed(scan);
    // A new root, not tracked: none of the files the verdicts were taken from changed.
    mkdirSync(join(dir, "envs/e"));
    writeFileSync(join(dir, "envs/e/main.tf"), PAIR("e"));
    const added = await scan();
    expect(added.stderr).not.toContain(REPLAYED);
    expect(flaggedOf(added)).toEqual(["aws_iam_access_key.e", "aws_iam_access_key.plain"]);
    expect(report(added)).toStrictEqual(report(await checked(dir)));
    // Tracked (untracked files are never vouched for by their metadata), and a tracked file that
    // .gitignore names is still listed: the verdicts are taken again.
    git(dir, "add", "envs/e/main.tf");
    writeFileSync(join(dir, ".gitignore"), "envs/d/\n");
    // Files changed in the last 3 s are not vouched for by their metadata: the next scans take the verdicts again.
    await new Promise((done) => setTimeout(done, 3_200));
    const ignoredButTracked = await untilReplayed(scan);
    expect(report(ignoredButTracked)).toStrictEqual(report(await checked(dir)));
    // Untracked, it is ignored: git no longer lists it, though the file is as it was.
    git(dir, "rm", "-q", "--cached", "envs/d/main.tf");
    const ignored = await scan();
    expect(ignored.stderr).not.toContain(REPLAYED);
    const files = (run: { stdout: string }) => (JSON.parse(run.stdout) as { summary: { files: number } }).summary.files;
    expect(files(ignored)).toBe(files(before));
    expect(files(ignoredButTracked)).toBe(files(before) + 1);
    expect(report(ignored)).toStrictEqual(report(await checked(dir)));
  }, 120_000);

  it("are not taken once a git submodule is added under the scanned directory", async () => {
    const { dir, scan } = repository();
    await untilReplayed(scan);
    // Git lists a submodule as one entry, not a Terraform file: its files are listed apart.
    const library = await writeTree({ "main.tf": PAIR("sub") });
    git(library, "init", "-q");
    git(library, "add", "-A");
    git(library, "commit", "-qm", "library");
    git(dir, "-c", "protocol.file.allow=always", "submodule", "add", "-q", library, "vendor/library");
    const run = await scan();
    expect(run.stderr).not.toContain(REPLAYED);
    expect(flaggedOf(run)).toEqual(["aws_iam_access_key.plain", "aws_iam_access_key.sub"]);
    expect(report(run)).toStrictEqual(report(await checked(dir)));
  }, 120_000);

  it("are kept for each directory scanned: a scan of one root does not drop the whole repository's", async () => {
    const { dir, scan, scanOf } = repository();
    const whole = await untilReplayed(scan);
    const root = await untilReplayed(() => scanOf("envs/a"));
    expect(report(root)).toStrictEqual(report(await runCli(["envs/a", "--no-cache", "-f", "json"], dir)));
    const again = await scan();
    expect(again.stderr).toContain(REPLAYED);
    expect(again.stdout).toBe(whole.stdout);
  }, 120_000);

  it("are not taken from a verdicts file that is not signed with this account's key", async () => {
    const { dir, cache, scan } = repository();
    const before = await untilReplayed(scan);
    // A forged file: every verdict without its findings, signed with another key.
    const name = readdirSync(cache).find((file) => file.startsWith("verdicts-"))!;
    const raw = readFileSync(join(cache, name));
    const magic = raw.subarray(0, raw.indexOf(10) + 1);
    const stored = deserialize(raw.subarray(magic.length + 32)) as { verdicts: Map<string, { findings: unknown[] }> };
    expect(stored.verdicts.size).toBeGreaterThan(0);
    for (const verdict of stored.verdicts.values()) verdict.findings = [];
    const payload = serialize(stored);
    const mac = createHmac("sha256", randomBytes(32)).update(magic).update(payload).digest();
    writeFileSync(join(cache, name), Buffer.concat([magic, mac, payload]));
    const run = await scan();
    expect(run.stderr).toContain("was not written by keygate under this account");
    expect(run.stderr).not.toContain(REPLAYED);
    expect(report(run)).toStrictEqual(report(before));
    expect(report(run)).toStrictEqual(report(await checked(dir)));
    // Replaced by the verdicts of that run.
    expect((await untilReplayed(scan)).stdout).toBe(before.stdout);
  }, 120_000);
});

/** Sets a file's text to `text` (the same length), keeping its modification time. */
function rewrite(file: string, from: string, to: string): void {
  const before = statSync(file);
  const text = readFileSync(file, "utf8");
  const edited = text.replace(from, to);
  expect(edited).not.toBe(text);
  expect(edited.length).toBe(text.length);
  writeFileSync(file, edited);
  utimesSync(file, before.atimeMs / 1000, before.mtimeMs / 1000);
}

/** A script that leaves a marker file when git runs it, and passes its input through. */
function trap(): { script: string; ran: () => boolean } {
  const dir = mkdtempSync(join(tmpdir(), "keygate-verdicts-trap-"));
  const script = join(dir, "filter.sh");
  writeFileSync(script, `#!/bin/sh\ntouch "${join(dir, "ran")}"\ncat\n`, { mode: 0o755 });
  return { script, ran: () => existsSync(join(dir, "ran")) };
}

describe("verdicts and git's index", () => {
  it("are taken by git's word on the files, in C, running none of the repository's filters for racily clean files", async () => {
    // A driver's name with "=" cannot be given to git as a setting (-c name=value): then keygate compares the files itself.
    for (const [driver, how] of [
      ["trap", BY_INDEX],
      ["a=b.c", BY_METADATA],
    ] as const) {
      const { dir, scan } = repository();
      const { script, ran } = trap();
      // A clean filter for every .tf file, defined by the repository's own configuration.
      writeFileSync(join(dir, ".gitattributes"), `*.tf filter=${driver}\n`);
      writeFileSync(
        join(dir, ".git", "config"),
        `${readFileSync(join(dir, ".git", "config"), "utf8")}\n[filter "${driver}"]\n\tclean = ${script}\n\tprocess = ${script}\n`,
      );
      // Every entry racily clean: written no earlier than the index (whose time git compares them with).
      const twoMinutesAgo = Math.floor(Date.now() / 1000) - 120;
      utimesSync(join(dir, ".git", "index"), twoMinutesAgo, twoMinutesAgo);
      const replayed = await untilReplayed(scan, how);
      expect(replayed.stderr, driver).not.toContain(how === BY_INDEX ? BY_METADATA : BY_INDEX);
      expect(report(replayed), driver).toStrictEqual(report(await checked(dir)));
      expect(ran(), driver).toBe(false);
      // The trap is armed: git's own diff-files, without keygate's settings, reads those files through the filter.
      execFileSync("git", ["diff-files", "--quiet"], { cwd: dir, stdio: "ignore" });
      expect(ran(), driver).toBe(true);
    }
  }, 120_000);

  it("are not taken once git's index vouches for a file by other metadata: a clean filter that makes the edit invisible to git", async () => {
    const { dir, scan } = repository();
    await untilReplayed(scan, BY_INDEX);
    // To git, "plaiN" is "plain": once git refreshes its index, the file is as its index says.
    writeFileSync(join(dir, ".gitattributes"), "envs/c/main.tf filter=lower\n");
    git(dir, "config", "filter.lower.clean", "tr N n");
    const root = join(dir, "envs/c/main.tf");
    rewrite(root, '"aws_iam_access_key" "plain"', '"aws_iam_access_key" "plaiN"');
    // Not racily clean: written a second before the index.
    await new Promise((done) => setTimeout(done, 1_100));
    git(dir, "update-index", "-q", "--refresh");
    execFileSync("git", ["diff-files", "--quiet"], { cwd: dir, stdio: "ignore" });
    const run = await scan();
    // Git's answer differs in that directory (the index's stat data of the file): its files are read again.
    expect(checkedAgain(run)).toEqual(["envs/c/main.tf"]);
    expect(flaggedOf(run)).toEqual(["aws_iam_access_key.plaiN"]);
    expect(report(run)).toStrictEqual(report(await checked(dir)));
  }, 120_000);

  it("are not taken once a file git is told not to look at is edited: assume-unchanged, skip-worktree", async () => {
    for (const flag of ["--assume-unchanged", "--skip-worktree"]) {
      const { dir, scan } = repository();
      await untilReplayed(scan, BY_INDEX);
      git(dir, "update-index", flag, "envs/c/main.tf");
      rewrite(join(dir, "envs/c/main.tf"), '"aws_iam_access_key" "plain"', '"aws_iam_access_key" "plaiN"');
      execFileSync("git", ["diff-files", "--quiet"], { cwd: dir, stdio: "ignore" });
      // Git lists the file with another tag: its directory's files are read again.
      for (const run of [await scan(), await scan(), await scan()]) {
        expect(checkedAgain(run), flag).toContain("envs/c/main.tf");
        expect(flaggedOf(run), flag).toEqual(["aws_iam_access_key.plaiN"]);
        expect(report(run), flag).toStrictEqual(report(await checked(dir)));
      }
    }
  }, 120_000);

  it("are not taken after racy edits: a file staged and written again at once, to the same size", async () => {
    const { dir, scan } = repository();
    await untilReplayed(scan, BY_INDEX);
    const root = join(dir, "envs/c/main.tf");
    rewrite(root, '"aws_iam_access_key" "plain"', '"aws_iam_access_key" "plaiN"');
    git(dir, "add", "envs/c/main.tf");
    rewrite(root, '"aws_iam_access_key" "plaiN"', '"aws_iam_access_key" "plaiM"');
    const runs = [await scan()];
    // Later, when the file's times are old enough to vouch for a content: not the index's (git's
    // word is not taken for it), but the one keygate reads then, before and after which its
    // metadata is the same (see vouchedRow).
    await new Promise((done) => setTimeout(done, 3_200));
    runs.push(await scan(), await scan());
    // Git's answer differs in that directory: its files are read again.
    expect(checkedAgain(runs[0]!)).toEqual(["envs/c/main.tf"]);
    expect(checkedAgain(runs[1]!)).toEqual(["envs/c/main.tf"]);
    expect(checkedAgain(runs[2]!)).toEqual([]);
    for (const run of runs) {
      expect(flaggedOf(run)).toEqual(["aws_iam_access_key.plaiM"]);
      expect(report(run)).toStrictEqual(report(await checked(dir)));
    }
  }, 120_000);

  it("are taken but for the configuration of a file written again while the index keeps older metadata, and by git's word once it is refreshed", async () => {
    const { dir, scan } = repository();
    const before = await untilReplayed(scan, BY_INDEX);
    // The same content, written again: git's index no longer keeps its metadata.
    const queue = join(dir, "envs/a/queue.tf");
    writeFileSync(queue, readFileSync(queue));
    const touched = await scan();
    expect(checkedAgain(touched)).toEqual(["envs/a/main.tf", "envs/a/queue.tf"]);
    expect(report(touched)).toStrictEqual(report(before));
    await new Promise((done) => setTimeout(done, 3_200));
    // Its configuration is checked again, and its verdict kept with the file's metadata, old enough now.
    const later = await scan();
    expect(checkedAgain(later)).toEqual(["envs/a/main.tf", "envs/a/queue.tf"]);
    expect(report(later)).toStrictEqual(report(before));
    // Then taken: that file compared by its metadata (the index keeps the older), the others by git.
    const byMetadata = await scan();
    expect(byMetadata.stderr).toContain(BY_METADATA);
    expect(byMetadata.stderr).not.toContain(PARTLY);
    expect(checkedAgain(byMetadata)).toEqual([]);
    expect(report(byMetadata)).toStrictEqual(report(before));
    git(dir, "update-index", "-q", "--refresh");
    expect(report(await untilReplayed(scan, BY_INDEX))).toStrictEqual(report(before));
  }, 120_000);

  it("keep the index's stat data of each file from git's listing, as Node gives a file's metadata", async () => {
    const dir = await writeTree({
      "a.tf": "# a\n",
      "with space/b c.tf": "# b\n",
      "  ctime: 1:2.tf": "# c\n",
      "flags\tx.tf.json": "{}\n",
      "gone.tf": "# gone\n",
      "linked.tf": "# target\n",
    });
    git(dir, "init", "-q");
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "files");
    git(dir, "rm", "-q", "--cached", "linked.tf");
    rmSync(join(dir, "linked.tf"));
    symlinkSync("a.tf", join(dir, "linked.tf"));
    git(dir, "add", "linked.tf");
    rmSync(join(dir, "gone.tf"));
    writeFileSync(join(dir, "untracked.tf"), "# new\n");
    git(dir, "update-index", "-q", "--refresh");
    const answer = await gitAnswerFor(dir);
    forgetAskedGit(dir);
    const index = answer!.indexMetadata();
    // Tracked regular files present or not (gone.tf), no link, nothing untracked.
    expect([...index.keys()].sort()).toEqual([
      "  ctime: 1:2.tf",
      "a.tf",
      "flags\tx.tf.json",
      "gone.tf",
      "with space/b c.tf",
    ]);
    for (const path of ["a.tf", "with space/b c.tf", "  ctime: 1:2.tf", "flags\tx.tf.json"]) {
      const info = lstatSync(join(dir, path));
      const metadata = new Float64Array([info.size, info.mtimeMs, info.ctimeMs, info.ino, info.dev]);
      expect(indexVouches(index, [path], metadata), path).toBe(true);
    }
    // The listing read past the index's stat data: the same files and ids as without it.
    const files = (await gitFiles(dir))!.files.map((file) => file.slice(dir.length + 1)).sort();
    expect(files).toEqual([
      "  ctime: 1:2.tf",
      "a.tf",
      "flags\tx.tf.json",
      "linked.tf",
      "untracked.tf",
      "with space/b c.tf",
    ]);
    const ids = await unchangedBlobIds(dir);
    expect([...ids!.keys()].map((file) => file.slice(dir.length + 1)).sort()).toEqual([
      "  ctime: 1:2.tf",
      "a.tf",
      "flags\tx.tf.json",
      "with space/b c.tf",
    ]);
  });
});

describe("the keys of verdicts", () => {
  it("differ with each ingredient of the scope: version, build, settings, policies, variables; none with a --var-file", async () => {
    const policies = loadPolicies();
    const dir = await writeTree({});
    const settings = await loadSettings(policies, dir);
    const base = { version: "1.0.0", build: "scan-A.js", cwd: dir, settings, policies, variables: {} };
    const scopes = [
      verdictScope(base),
      verdictScope({ ...base, version: "1.0.1" }),
      verdictScope({ ...base, build: "scan-B.js" }),
      verdictScope({ ...base, cwd: join(dir, "x") }),
      verdictScope({ ...base, settings: { ...settings, severities: new Map([["KG001", "warning"]]) } }),
      verdictScope({ ...base, settings: { ...settings, exclude: { base: dir, patterns: ["x/**"] } } }),
      verdictScope({ ...base, settings: { ...settings, allowInlineSuppressions: !settings.allowInlineSuppressions } }),
      verdictScope({ ...base, policies: policies.map((p) => ({ ...p, data: { ...p.data, title: "other" } })) }),
      verdictScope({ ...base, variables: { env: { TF_VAR_issue: "true" } } }),
      verdictScope({ ...base, variables: { cli: [{ kind: "var", name: "issue", value: "true" }] } }),
    ];
    expect(scopes.every((s) => typeof s === "string")).toBe(true);
    expect(new Set(scopes).size).toBe(scopes.length);
    // Variables of the environment that are not Terraform's do not count.
    expect(verdictScope({ ...base, variables: { env: { HOME: "/elsewhere" } } })).toBe(scopes[0]);
    expect(verdictScope({ ...base, variables: { cli: [{ kind: "file", path: "prod.tfvars" }] } })).toBeUndefined();
  });

  it("differ with each file's name and blob id, each module directory, the root, and the scanned directory", () => {
    const ids = new Map([
      ["/r/m/a.tf", "1".repeat(40)],
      ["/r/m/b.tf", "2".repeat(40)],
    ]);
    const key = (paths: string[], idOf = (p: string) => ids.get(p)) => directoryKey("/r/m", paths, idOf);
    const plain = key(["/r/m/a.tf", "/r/m/b.tf"]);
    expect(plain).toBeDefined();
    expect(key(["/r/m/a.tf"])).not.toBe(plain);
    expect(key(["/r/m/a.tf", "/r/m/b.tf"], (p) => (p.endsWith("b.tf") ? "3".repeat(40) : ids.get(p)))).not.toBe(plain);
    expect(directoryKey("/r/n", ["/r/m/a.tf", "/r/m/b.tf"], (p) => ids.get(p))).not.toBe(plain);
    expect(key(["/r/m/a.tf", "/r/m/c.tf"])).toBeUndefined();
    const configuration = configurationKey("scope", "/r/root", ["k1", "k2"]);
    expect(configurationKey("scope", "/r/root", ["k2", "k1"])).toBe(configuration);
    expect(configurationKey("scope", "/r/root", ["k1", "k3"])).not.toBe(configuration);
    expect(configurationKey("scope", "/r/other", ["k1", "k2"])).not.toBe(configuration);
    expect(configurationKey("other", "/r/root", ["k1", "k2"])).not.toBe(configuration);
    // A scan's shape is filed under its scope and the directory scanned.
    const shape = shapeKey("scope", "/r");
    expect(shapeKey("other", "/r")).not.toBe(shape);
    expect(shapeKey("scope", "/r/m")).not.toBe(shape);
    // A shape keeps each file's metadata as the cache vouched for the content the run used, or NaN (never the same).
    const record = (id: string) => `${id} 10 1000.5 2000.25 77 3`;
    const metadata = shapeMetadata(
      ["/r/m/a.tf"],
      () => record("1".repeat(40)),
      () => "1".repeat(40),
    );
    expect([...metadata]).toEqual([10, 1000.5, 2000.25, 77, 3]);
    expect(
      shapeMetadata(
        ["/r/m/a.tf"],
        () => record("1".repeat(40)),
        () => "2".repeat(40),
      ).every(Number.isNaN),
    ).toBe(true);
    expect(
      shapeMetadata(
        ["/r/m/a.tf"],
        () => undefined,
        () => "1".repeat(40),
      ).every(Number.isNaN),
    ).toBe(true);
    expect(
      shapeMetadata(
        ["/r/m/a.tf"],
        () => record("1".repeat(40)),
        () => undefined,
      ).every(Number.isNaN),
    ).toBe(true);
  });

  it("leave the files to git's comparison only when the index keeps each one's very metadata", () => {
    const index = new Map([
      ["m/a.tf", "10 1000.5 2000.25 77 3"],
      ["m/b.tf", "20 3000 4000 88 3"],
    ]);
    const metadata = [10, 1000.5, 2000.25, 77, 3, 20, 3000, 4000, 88, 3];
    expect(indexVouches(index, ["m/a.tf", "m/b.tf"], new Float64Array(metadata))).toBe(true);
    // Each number, for each file, must be the one the index keeps.
    for (let i = 0; i < metadata.length; i++) {
      const other = [...metadata];
      other[i]! += 0.5;
      expect(indexVouches(index, ["m/a.tf", "m/b.tf"], new Float64Array(other)), String(i)).toBe(false);
    }
    expect(indexVouches(index, ["m/a.tf", "m/c.tf"], new Float64Array(metadata))).toBe(false);
    expect(indexVouches(index, ["m/a.tf"], new Float64Array(metadata))).toBe(false);
    expect(indexVouches(index, [], new Float64Array())).toBe(false);
    // The index keeps the low 32 bits of the size, inode and device.
    const high = [10 + 2 ** 32, 1000.5, 2000.25, 77 + 2 ** 33, 3 + 2 ** 32];
    expect(indexVouches(index, ["m/a.tf"], new Float64Array(high))).toBe(true);
  });
});

/**
 * Nine roots: three calling a shared module, one calling a module of its own, a flagged one, one
 * with a suppression, one whose key is decided by a file it reads (file()), two plain ones.
 */
const MANY: Record<string, string> = {
  ...Object.fromEntries(
    ["r1", "r2", "r3"].map((root) => [
      `envs/${root}/main.tf`,
      'module "shared" {\n  source = "../../modules/shared"\n}\n',
    ]),
  ),
  "modules/shared/main.tf": `variable "with_key" {\n  type    = bool\n  default = false\n}\n\n${PAIR("shared", "var.with_key ? 1 : 0")}`,
  "envs/r4/main.tf": PAIR("r4"),
  "envs/r5/main.tf": 'module "lib" {\n  source = "../../modules/lib"\n}\n',
  "modules/lib/main.tf": 'resource "aws_sqs_queue" "lib" {\n  name = "lib"\n}\n',
  "envs/r6/main.tf": PAIR("r6").replace(
    'resource "aws_iam_access_key"',
    '# keygate:ignore KG001 -- approved in SEC-3\nresource "aws_iam_access_key"',
  ),
  "envs/r7/main.tf": PAIR("r7", "0"),
  "envs/r7/flag.txt": "off\n",
  "envs/r8/main.tf": 'resource "aws_sqs_queue" "r8" {\n  name = "r8"\n}\n',
  "envs/r9/main.tf": 'resource "aws_sns_topic" "r9" {\n  name = "r9"\n}\n',
};

describe("verdicts of the configurations a change leaves as they were", () => {
  const pool: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 10; i++) {
      const dir = await writeTree(MANY);
      git(dir, "init", "-q");
      git(dir, "add", "-A");
      git(dir, "commit", "-qm", "roots");
      pool.push(dir);
    }
    await new Promise((done) => setTimeout(done, 3_200));
  }, 60_000);

  /** A repository of MANY whose verdicts are taken, its scan, and a check that a scan reports what checking everything does. */
  async function prepared() {
    repositories.push(pool.pop()!);
    const { dir, scan } = repository();
    const before = await untilReplayed(scan, BY_INDEX);
    expect(flaggedOf(before)).toEqual(["aws_iam_access_key.r4"]);
    const same = async (run: Awaited<ReturnType<typeof scan>>) =>
      expect(report(run)).toStrictEqual(report(await checked(dir)));
    const edit = (path: string, from: string | RegExp, to: string) =>
      writeFileSync(join(dir, path), readFileSync(join(dir, path), "utf8").replace(from, to));
    return { dir, scan, before, same, edit };
  }

  it("take the others' verdicts when a file of a root changes, its findings as checking gives them", async () => {
    const { scan, same, edit } = await prepared();
    edit("envs/r8/main.tf", 'resource "aws_sqs_queue"', `${PAIR("r8")}\nresource "aws_sqs_queue"`);
    for (const run of [await scan(), await scan()]) {
      expect(run.stderr).toContain(PARTLY);
      expect(checkedAgain(run)).toEqual(["envs/r8/main.tf"]);
      expect(flaggedOf(run)).toEqual(["aws_iam_access_key.r4", "aws_iam_access_key.r8"]);
      await same(run);
    }
    // And when a finding goes away.
    edit("envs/r4/main.tf", /resource "aws_iam_access_key"[^}]*}\n/, "");
    const run = await scan();
    expect(checkedAgain(run)).toEqual(["envs/r4/main.tf", "envs/r8/main.tf"]);
    expect(flaggedOf(run)).toEqual(["aws_iam_access_key.r8"]);
    await same(run);
  }, 120_000);

  it("check again every configuration that includes a changed module, and only those", async () => {
    const { scan, same, edit } = await prepared();
    edit("modules/shared/main.tf", "default = false", "default = true ");
    const run = await scan();
    expect(checkedAgain(run)).toEqual([
      "envs/r1/main.tf",
      "envs/r2/main.tf",
      "envs/r3/main.tf",
      "modules/shared/main.tf",
    ]);
    expect(flaggedOf(run)).toEqual([
      "aws_iam_access_key.r4",
      "module.shared.aws_iam_access_key.shared",
      "module.shared.aws_iam_access_key.shared",
      "module.shared.aws_iam_access_key.shared",
    ]);
    await same(run);
  }, 120_000);

  it("check everything when a change adds or removes a module call (which configurations there are changes)", async () => {
    const { dir, scan, same, edit } = await prepared();
    // r9 calls r8: r8 is a root no longer.
    edit("envs/r9/main.tf", "resource", 'module "r8" {\n  source = "../r8"\n}\n\nresource');
    const configurations = (run: { stderr: string }) => /(\d+) configurations/.exec(run.stderr)?.[1];
    const added = await scan(["--verbose"]);
    expect(added.stderr).not.toContain(REPLAYED);
    expect(configurations(added)).toBe("8");
    await same(added);
    await same(await scan());
    git(dir, "checkout", "-q", "--", "envs/r9/main.tf");
    // r5 calls lib no longer: lib is a root of its own.
    edit("envs/r5/main.tf", /module "lib" \{[^}]*\}\n/, 'resource "aws_sqs_queue" "r5" {\n  name = "r5"\n}\n');
    const removed = await scan(["--verbose"]);
    expect(removed.stderr).not.toContain(PARTLY);
    expect(configurations(removed)).toBe("10");
    await same(removed);
    await same(await scan());
  }, 120_000);

  it("check a new untracked file's configuration, and a deleted file's, and keep the others' verdicts for the next scan", async () => {
    const { dir, scan, same } = await prepared();
    writeFileSync(join(dir, "envs/r9/keys.tf"), PAIR("new"));
    // Git lists another file: everything is checked, and the verdicts kept with that file's.
    const first = await scan();
    expect(first.stderr).not.toContain(REPLAYED);
    await same(first);
    const next = await scan();
    expect(checkedAgain(next)).toEqual(["envs/r9/keys.tf", "envs/r9/main.tf"]);
    expect(flaggedOf(next)).toEqual(["aws_iam_access_key.new", "aws_iam_access_key.r4"]);
    await same(next);
    // Untracked, it is read again by every scan: git does not say when it changes.
    writeFileSync(join(dir, "envs/r9/keys.tf"), PAIR("newer"));
    const newer = await scan();
    expect(flaggedOf(newer)).toEqual(["aws_iam_access_key.newer", "aws_iam_access_key.r4"]);
    await same(newer);
    rmSync(join(dir, "envs/r4/main.tf"));
    writeFileSync(join(dir, "envs/r4/other.tf"), 'resource "aws_sqs_queue" "r4" {\n  name = "r4"\n}\n');
    const gone = await scan();
    expect(gone.stderr).not.toContain(REPLAYED);
    await same(gone);
    const after = await scan();
    expect(checkedAgain(after)).toEqual(["envs/r4/other.tf", "envs/r9/keys.tf", "envs/r9/main.tf"]);
    expect(flaggedOf(after)).toEqual(["aws_iam_access_key.newer"]);
    await same(after);
  }, 120_000);

  it("report a broken file of a changed configuration as checking does, and the others' findings", async () => {
    const { scan, same, edit } = await prepared();
    edit("envs/r8/main.tf", "resource", 'resource "aws_iam_user" {\n');
    const run = await scan();
    expect(run.code).toBe(2);
    expect(checkedAgain(run)).toContain("envs/r8/main.tf");
    expect(flaggedOf(run)).toEqual(["aws_iam_access_key.r4"]);
    await same(run);
    await same(await scan());
  }, 120_000);

  it("report suppressions, used and unused, of changed and unchanged files as checking does", async () => {
    const { scan, same, edit } = await prepared();
    // An unused suppression in a changed file; r6's (unchanged) still suppresses its finding.
    edit(
      "envs/r8/main.tf",
      "resource",
      '# keygate:ignore KG001 -- nothing here\nresource "aws_iam_user" "lonely" {\n  name = "lonely"\n}\n\nresource',
    );
    const run = await scan();
    expect(run.stderr).toContain(PARTLY);
    const json = JSON.parse(run.stdout) as { findings: { suppressed: unknown }[]; warnings: { file: string }[] };
    expect(json.findings.filter((f) => f.suppressed)).toHaveLength(1);
    expect(json.warnings.map((w) => w.file)).toEqual(["envs/r8/main.tf"]);
    await same(run);
    // r6's suppression goes: its finding is reported.
    edit("envs/r6/main.tf", "# keygate:ignore KG001 -- approved in SEC-3\n", "");
    const unsuppressed = await scan();
    expect(flaggedOf(unsuppressed)).toEqual(["aws_iam_access_key.r4", "aws_iam_access_key.r6"]);
    await same(unsuppressed);
  }, 120_000);

  it("check a changed configuration that reads a file with a file function again at every scan", async () => {
    const { dir, scan, same, edit } = await prepared();
    edit("envs/r7/main.tf", '"0"', 'trimspace(file("${path.module}/flag.txt")) == "on" ? 1 : 0');
    edit("envs/r7/main.tf", "count = 0", 'count = trimspace(file("${path.module}/flag.txt")) == "on" ? 1 : 0');
    const off = await scan();
    expect(flaggedOf(off)).toEqual(["aws_iam_access_key.r4"]);
    await same(off);
    writeFileSync(join(dir, "envs/r7/flag.txt"), "on\n");
    const on = await scan();
    expect(checkedAgain(on)).toContain("envs/r7/main.tf");
    expect(flaggedOf(on)).toEqual(["aws_iam_access_key.r4", "aws_iam_access_key.r7"]);
    await same(on);
  }, 120_000);

  it("keep the verdicts anew once a changed file's metadata can vouch for its content, and check it again when it changes again", async () => {
    const { dir, scan, same, edit } = await prepared();
    edit("envs/r8/main.tf", 'resource "aws_sqs_queue"', `${PAIR("r8")}\nresource "aws_sqs_queue"`);
    // Written seconds ago: its metadata cannot vouch for it yet.
    expect(checkedAgain(await scan())).toEqual(["envs/r8/main.tf"]);
    await new Promise((done) => setTimeout(done, 3_200));
    const kept = await scan();
    expect(checkedAgain(kept)).toEqual(["envs/r8/main.tf"]);
    await same(kept);
    const taken = await scan();
    expect(taken.stderr).not.toContain(PARTLY);
    expect(checkedAgain(taken)).toEqual([]);
    expect(flaggedOf(taken)).toEqual(["aws_iam_access_key.r4", "aws_iam_access_key.r8"]);
    await same(taken);
    // Written again, to the same size and modification time: checked again.
    const file = join(dir, "envs/r8/main.tf");
    const { atimeMs, mtimeMs } = statSync(file);
    edit("envs/r8/main.tf", '"aws_iam_access_key" "r8"', '"aws_iam_access_key" "R8"');
    utimesSync(file, atimeMs / 1000, mtimeMs / 1000);
    const again = await scan();
    expect(checkedAgain(again)).toEqual(["envs/r8/main.tf"]);
    expect(flaggedOf(again)).toEqual(["aws_iam_access_key.R8", "aws_iam_access_key.r4"]);
    await same(again);
  }, 120_000);

  it("take the others' verdicts when a file is staged (git lists the same files), and not when git lists another", async () => {
    const { dir, scan, same, edit } = await prepared();
    edit("envs/r8/main.tf", 'resource "aws_sqs_queue"', `${PAIR("r8")}\nresource "aws_sqs_queue"`);
    git(dir, "add", "envs/r8/main.tf");
    const staged = await scan();
    expect(staged.stderr).toContain(PARTLY);
    expect(checkedAgain(staged)).toEqual(["envs/r8/main.tf"]);
    expect(flaggedOf(staged)).toEqual(["aws_iam_access_key.r4", "aws_iam_access_key.r8"]);
    await same(staged);
    // Staged, then written again: what is read is the working tree's.
    edit("envs/r4/main.tf", '"aws_iam_access_key" "r4"', '"aws_iam_access_key" "R4"');
    git(dir, "add", "envs/r4/main.tf");
    edit("envs/r4/main.tf", '"aws_iam_access_key" "R4"', '"aws_iam_access_key" "Q4"');
    const rewritten = await scan();
    expect(checkedAgain(rewritten)).toContain("envs/r4/main.tf");
    expect(flaggedOf(rewritten)).toEqual(["aws_iam_access_key.Q4", "aws_iam_access_key.r8"]);
    await same(rewritten);
    // A file staged that git did not list: everything is checked.
    writeFileSync(join(dir, "envs/r9/extra.tf"), PAIR("extra"));
    git(dir, "add", "envs/r9/extra.tf");
    const added = await scan();
    expect(added.stderr).not.toContain(REPLAYED);
    await same(added);
    // Nor when a file is staged in a directory another file of which is no longer listed (ignored since).
    writeFileSync(join(dir, ".gitignore"), "envs/r6/main.tf\n");
    git(dir, "rm", "-q", "--cached", "envs/r6/main.tf");
    const ignored = await scan();
    expect(ignored.stderr).not.toContain(PARTLY);
    await same(ignored);
  }, 120_000);

  it("check a root again whose variable file changes, with the others' verdicts taken", async () => {
    const { dir, scan, same } = await prepared();
    writeFileSync(join(dir, "envs/r1/terraform.tfvars"), "unused = 1\n");
    const run = await scan();
    expect(checkedAgain(run)).toEqual(["envs/r1/main.tf", "modules/shared/main.tf"]);
    await same(run);
  }, 120_000);
});
