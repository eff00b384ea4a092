import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/scan-fixture.js";
import { GitHistory, tf } from "./git-history.js";

/**
 * Change-aware gating on scripted git histories: `--base REF` compares REF with the working tree,
 * `--staged` HEAD with the index. A finding only for a pair whose key and user are both new.
 */

describe("--base REF", () => {
  it("passes a key added later for a user that existed at REF, which a full scan flags", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("deploy") });
    repo.write({ "keys.tf": tf.key("deploy", "deploy") });

    expect((await repo.keygate([])).flagged).toEqual(["aws_iam_access_key.deploy"]);
    const change = await repo.keygate(["--base", "HEAD"]);
    expect(change).toMatchObject({ code: 0, flagged: [], errors: [] });
  });

  it("flags a user and its key created together, with the same JSON contract as a full scan", async () => {
    const repo = GitHistory.create();
    repo.commit("unrelated", { "main.tf": tf.user("old") });
    repo.write({ "ci.tf": tf.user("ci") + tf.key("ci", "ci") });

    const full = await repo.keygate([]);
    const change = await repo.keygate(["--base", "main"]);
    expect(change.code).toBe(1);
    expect(change.flagged).toEqual(["aws_iam_access_key.ci"]);
    // The same contract, plus what the change was compared with (issue 13: the base in the JSON report).
    const { base, ...report } = change.report as typeof change.report & { base?: unknown };
    expect(report).toEqual(full.report);
    expect(base).toEqual({
      commit: repo.git("rev-parse", "main").trim(),
      description: `main (${repo.git("rev-parse", "--short=7", "main").trim()})`,
    });
  });

  it("passes a pair that already existed at REF, and flags one added since, in the same file", async () => {
    const repo = GitHistory.create();
    const base = repo.commit("pair", { "main.tf": tf.user("a") + tf.key("a", "a") });
    repo.commit("another pair", { "main.tf": tf.user("a") + tf.key("a", "a") + tf.user("b") + tf.key("b", "b") });

    expect((await repo.keygate(["--base", base])).flagged).toEqual(["aws_iam_access_key.b"]);
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);
    expect((await repo.keygate(["--base", "HEAD~1"])).flagged).toEqual(["aws_iam_access_key.b"]);
  });

  it("passes a new key whose user was only renamed with a moved block, and flags the rename without one", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("old") });
    repo.write({
      "main.tf": tf.user("renamed") + tf.moved("aws_iam_user.old", "aws_iam_user.renamed") + tf.key("k", "renamed"),
    });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);

    repo.write({ "main.tf": tf.user("renamed") + tf.key("k", "renamed") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.k"]);
  });

  it("follows chains of moved blocks, moved module calls and instance keys", async () => {
    const repo = GitHistory.create();
    repo.commit("users", {
      "main.tf": tf.call("people", "./modules/user") + tf.user("first"),
      "modules/user/main.tf": tf.user("this") + `output "name" {\n  value = aws_iam_user.this.name\n}\n`,
    });
    repo.write({
      "main.tf":
        tf.call("team", "./modules/user") +
        tf.moved("module.people", "module.team") +
        tf.user("third", "  count = 1\n") +
        tf.moved("aws_iam_user.first", "aws_iam_user.second") +
        tf.moved("aws_iam_user.second", "aws_iam_user.third[0]") +
        tf.key("team", "", "module.team.name") +
        tf.key("third", "", "aws_iam_user.third[0].name"),
    });
    expect((await repo.keygate([])).flagged).toEqual(["aws_iam_access_key.team", "aws_iam_access_key.third"]);
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);
  });

  it("judges for_each instances: a user added to the set whose key follows the set is a new pair", async () => {
    const users = (...names: string[]) =>
      `resource "aws_iam_user" "bots" {\n  for_each = toset(${JSON.stringify(names)})\n  name     = each.key\n}\n`;
    const keysFor = (collection: string) =>
      `resource "aws_iam_access_key" "bots" {\n  for_each = ${collection}\n  user     = aws_iam_user.bots[each.key].name\n}\n`;
    const repo = GitHistory.create();
    repo.commit("bots with keys", { "main.tf": users("alice") + keysFor("aws_iam_user.bots") });

    repo.write({ "main.tf": users("alice", "carol") + keysFor("aws_iam_user.bots") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.bots"]);

    // A new user without a key, and keys only for the users that existed: compliant.
    repo.write({ "main.tf": users("alice", "carol") + keysFor('toset(["alice"])') });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);

    // The key set grows to an existing user only.
    repo.commit("carol without a key", { "main.tf": users("alice", "carol") + keysFor('toset(["alice"])') });
    repo.write({ "main.tf": users("alice", "carol") + keysFor('toset(["alice", "carol"])') });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);
  });

  it("links a key in a changed file to a user in an unchanged one (whole configurations on both sides)", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "users.tf": tf.user("svc"), "keys.tf": "# keys\n" });
    repo.write({ "keys.tf": tf.key("svc", "svc") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);
    expect((await repo.keygate(["--base", "HEAD", "keys.tf"])).flagged).toEqual([]);

    // The user's file unchanged in this step, but the user is new since the base.
    repo.commit("empty keys", { "users.tf": null, "keys.tf": "# keys\n" });
    repo.commit("user again", { "users.tf": tf.user("svc") });
    repo.write({ "keys.tf": tf.key("svc", "svc") });
    expect((await repo.keygate(["--base", "HEAD~1", "keys.tf"])).flagged).toEqual(["aws_iam_access_key.svc"]);
    expect((await repo.keygate(["--base", "HEAD", "keys.tf"])).flagged).toEqual([]);
  });

  it("judges users and keys in different files and modules by their module-qualified addresses", async () => {
    const repo = GitHistory.create();
    const credentials = `variable "user_name" {}\n${tf.key("this", "", "var.user_name")}`;
    repo.commit("module and a user", {
      "stack/main.tf": tf.user("ingest"),
      "modules/credentials/main.tf": credentials,
    });
    // A key (through a module) for the existing user: compliant.
    repo.write({
      "stack/keys.tf": tf.call("creds", "../modules/credentials", "  user_name = aws_iam_user.ingest.name\n"),
    });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);
    expect((await repo.keygate(["--base", "HEAD", "modules/credentials/main.tf"])).flagged).toEqual([]);

    // A new user in another file, its key through the module: flagged, also when only the module's file is named.
    repo.write({
      "stack/more.tf":
        tf.user("export") +
        tf.call("export_creds", "../modules/credentials", "  user_name = aws_iam_user.export.name\n"),
    });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["module.export_creds.aws_iam_access_key.this"]);
    expect((await repo.keygate(["--base", "HEAD", "modules/credentials/main.tf"])).flagged).toEqual([
      "module.export_creds.aws_iam_access_key.this",
    ]);
    expect((await repo.keygate(["--base", "HEAD", "stack/more.tf"])).flagged).toEqual([
      "module.export_creds.aws_iam_access_key.this",
    ]);
  });

  it("judges each root module on its own: a pair moved into another root is new there", async () => {
    const repo = GitHistory.create();
    repo.commit("pair in a", { "a/main.tf": tf.user("u") + tf.key("k", "u"), "b/main.tf": tf.user("other") });
    repo.write({ "a/main.tf": "# moved to b\n", "b/main.tf": tf.user("other") + tf.user("u") + tf.key("k", "u") });
    const result = await repo.keygate(["--base", "HEAD"]);
    expect(result.flagged).toEqual(["aws_iam_access_key.k"]);
    expect(result.report?.findings[0]?.location.file).toBe("b/main.tf");
  });

  it("treats deleted and recreated files by what they declare, not by the file", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "users.tf": tf.user("ops"), "old.tf": tf.user("gone") });
    repo.write({ "users.tf": null, "old.tf": null, "iam.tf": tf.user("ops") + tf.key("ops", "ops") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);
    // A deleted file named on the command line stands for its configuration.
    expect(await repo.keygate(["--base", "HEAD", "users.tf"])).toMatchObject({ code: 0, flagged: [], errors: [] });

    repo.write({ "iam.tf": tf.user("ops") + tf.user("fresh") + tf.key("fresh", "fresh") });
    expect((await repo.keygate(["--base", "HEAD", "old.tf"])).flagged).toEqual(["aws_iam_access_key.fresh"]);
  });

  it("reads REF from git objects: the working tree and the index stay as they were", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("a") });
    repo.stage({ "staged.tf": tf.key("a", "a") });
    repo.write({ "unstaged.tf": tf.user("b") + tf.key("b", "b") });
    const index = readFileSync(join(repo.dir, ".git", "index"));
    const status = repo.git("status", "--porcelain");

    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.b"]);
    expect(readFileSync(join(repo.dir, ".git", "index"))).toEqual(index);
    expect(repo.git("status", "--porcelain")).toBe(status);
  });

  it("works from a subdirectory, with paths relative to it", async () => {
    const repo = GitHistory.create();
    repo.commit("users", { "infra/prod/main.tf": tf.user("a"), "infra/dev/main.tf": tf.user("d") });
    repo.write({
      "infra/prod/keys.tf": tf.key("a", "a") + tf.user("n") + tf.key("n", "n"),
      "infra/dev/keys.tf": tf.user("e") + tf.key("e", "e"),
    });
    const result = await repo.keygate(["--base", "HEAD", "prod"], "infra");
    expect(result.flagged).toEqual(["aws_iam_access_key.n"]);
    expect(result.report?.findings[0]?.location.file).toBe("prod/keys.tf");
  });

  it("honours the config's exclude on both sides", async () => {
    const repo = GitHistory.create();
    repo.commit("config", { ".keygate.json": JSON.stringify({ exclude: ["sandbox/**"] }) });
    repo.write({ "sandbox/main.tf": tf.user("s") + tf.key("s", "s"), "prod/main.tf": tf.user("p") + tf.key("p", "p") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.p"]);
  });

  it("counts what an unreadable file at REF declared as new, and says so", async () => {
    const repo = GitHistory.create();
    repo.commit("broken user file", { "main.tf": `${tf.user("a")}resource "aws_iam_user" {\n` });
    repo.write({ "main.tf": tf.user("a") + tf.key("a", "a") });
    const result = await repo.keygate(["--base", "HEAD"]);
    expect(result.flagged).toEqual(["aws_iam_access_key.a"]);
    expect(result.errors).toEqual([]);
    expect(result.warnings.join("\n")).toMatch(/^main\.tf: in HEAD: .*counts as new/);
  });
});

describe("--base REF without a cache", () => {
  it("has git list the working tree while it lists the change, for this run only: a later scan sees the tree as it is then", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("deploy"), "gone.tf": tf.user("old") });
    repo.write({ "keys.tf": tf.key("deploy", "deploy") });
    const cached = ["--no-cache"];
    expect(await repo.keygate(["--base", "HEAD", ...cached])).toMatchObject({ code: 0, flagged: [] });
    // A pair added since is seen by the next run in the same process (the earlier run's listing is not taken).
    repo.write({ "ci.tf": tf.user("ci") + tf.key("ci", "ci") });
    expect((await repo.keygate(["--base", "HEAD", ...cached])).flagged).toEqual(["aws_iam_access_key.ci"]);
    // Files named: the repository is listed early, and taken by discovery.
    expect((await repo.keygate(["--base", "HEAD", "ci.tf", ...cached])).flagged).toEqual(["aws_iam_access_key.ci"]);
  });

  it("leaves nothing it asked git early for a later scan when the run fails", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("deploy"), "sub/main.tf": tf.user("sub") });
    // A tree object missing from the repository: the commit cannot be listed, and the run stops (exit 2) after
    // git was asked about the working tree.
    const tree = repo.git("rev-parse", "HEAD:sub").trim();
    const object = join(repo.dir, ".git", "objects", tree.slice(0, 2), tree.slice(2));
    const kept = readFileSync(object);
    rmSync(object);
    const failed = await runCli(["--base", "HEAD", "--no-cache", "-f", "json"], repo.dir, { ...process.env });
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining("git ls-tree failed") });
    writeFileSync(object, kept);
    // An index git cannot read: git's own message, under the name of the command that failed.
    const index = join(repo.dir, ".git", "index");
    const staged = readFileSync(index);
    writeFileSync(index, "not an index");
    const unreadable = await runCli(["--base", "HEAD", "--no-cache", "-f", "json"], repo.dir, { ...process.env });
    expect(unreadable.stderr).toMatch(/^keygate: git diff-index failed: .*index file/);
    writeFileSync(index, staged);
    // A pair added since: a scan of the same directory asks git again, and finds it.
    repo.write({ "ci.tf": tf.user("ci") + tf.key("ci", "ci") });
    expect((await repo.keygate([".", "--no-cache"])).flagged).toEqual(["aws_iam_access_key.ci"]);
  });
});

describe("--staged", () => {
  it("judges what is staged, not what is only in the working tree (partially staged changes)", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("a") });
    // The new user is staged; its key is written afterwards and not staged.
    repo.stage({ "main.tf": tf.user("a") + tf.user("b") });
    repo.write({ "main.tf": tf.user("a") + tf.user("b") + tf.key("b", "b") });
    expect((await repo.keygate(["--staged"])).flagged).toEqual([]);
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.b"]);

    // Staged pair, and the key deleted again in the working tree only: the commit would still add it.
    repo.stage({ "main.tf": tf.user("a") + tf.user("b") + tf.key("b", "b") });
    repo.write({ "main.tf": tf.user("a") + tf.user("b") });
    expect((await repo.keygate(["--staged"])).flagged).toEqual(["aws_iam_access_key.b"]);
    expect((await repo.keygate(["--staged", "main.tf"])).flagged).toEqual(["aws_iam_access_key.b"]);
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);
  });

  it("passes a staged key for a committed user; flags a user and key staged together", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "users.tf": tf.user("svc") });
    repo.stage({ "keys.tf": tf.key("svc", "svc") });
    expect(await repo.keygate(["--staged", "keys.tf"])).toMatchObject({ code: 0, flagged: [] });

    repo.stage({ "users.tf": tf.user("svc") + tf.user("new") });
    repo.stage({ "keys.tf": tf.key("svc", "svc") + tf.key("new", "new") });
    // pre-commit passes only the changed files; the user's file is linked all the same.
    expect(await repo.keygate(["--staged", "keys.tf"])).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.new"] });
  });

  it("compares against an empty tree in a repository without commits", async () => {
    const repo = GitHistory.create();
    repo.stage({ "main.tf": tf.user("first") + tf.key("first", "first") });
    expect(await repo.keygate(["--staged"])).toMatchObject({ code: 1, flagged: ["aws_iam_access_key.first"] });
    expect((await repo.keygate(["--staged", "main.tf"])).flagged).toEqual(["aws_iam_access_key.first"]);
  });

  it("expands file arguments to the configurations that contain or call their directory, and reports only those", async () => {
    const repo = GitHistory.create();
    repo.commit("empty", {});
    const module = `variable "name" {}\n${tf.key("this", "", "var.name")}`;
    repo.stage({
      "modules/key/main.tf": module,
      "stacks/one/main.tf": tf.user("one") + tf.call("key", "../../modules/key", "  name = aws_iam_user.one.name\n"),
      "stacks/two/main.tf": tf.user("two") + tf.call("key", "../../modules/key", "  name = aws_iam_user.two.name\n"),
      "stacks/three/main.tf": tf.user("three") + tf.key("three", "three"),
    });
    const all = await repo.keygate(["--staged"]);
    expect(all.flagged).toEqual([
      "aws_iam_access_key.three",
      "module.key.aws_iam_access_key.this",
      "module.key.aws_iam_access_key.this",
    ]);

    const viaModule = await repo.keygate(["--staged", "modules/key/main.tf"]);
    expect(viaModule.flagged).toEqual(["module.key.aws_iam_access_key.this", "module.key.aws_iam_access_key.this"]);
    expect(viaModule.report?.findings.map((f) => (f.related as string[])[0]).sort()).toEqual([
      "aws_iam_user.one",
      "aws_iam_user.two",
    ]);

    const viaRoot = await repo.keygate(["--staged", "stacks/three/main.tf"]);
    expect(viaRoot.flagged).toEqual(["aws_iam_access_key.three"]);
  });

  it("handles staged deletions and a deleted file among the arguments", async () => {
    const repo = GitHistory.create();
    repo.commit("users", { "users.tf": tf.user("a"), "legacy.tf": tf.user("legacy") + tf.key("legacy", "legacy") });
    repo.git("rm", "-q", "legacy.tf");
    repo.stage({ "users.tf": null, "iam.tf": tf.user("a") + tf.key("a", "a") });
    expect(await repo.keygate(["--staged", "users.tf", "legacy.tf", "iam.tf"])).toMatchObject({
      code: 0,
      flagged: [],
      errors: [],
    });

    // Everything deleted: nothing left to check is not an error.
    repo.commit("moved into iam.tf");
    repo.git("rm", "-q", "iam.tf");
    expect(await repo.keygate(["--staged", "iam.tf"])).toMatchObject({ code: 0, flagged: [], errors: [] });
  });

  it("reads the index that git names in GIT_INDEX_FILE (git commit -a runs hooks with a temporary one)", async () => {
    const repo = GitHistory.create();
    repo.commit("user", { "main.tf": tf.user("a") });
    repo.write({ "main.tf": tf.user("a") + tf.user("b") + tf.key("b", "b") });
    const index = join(repo.dir, ".git", "other-index");
    repo.git("read-tree", `--index-output=${index}`, "HEAD");
    const before = process.env.GIT_INDEX_FILE;
    process.env.GIT_INDEX_FILE = index;
    try {
      repo.git("add", "main.tf");
      expect((await repo.keygate(["--staged"])).flagged).toEqual(["aws_iam_access_key.b"]);
    } finally {
      if (before === undefined) delete process.env.GIT_INDEX_FILE;
      else process.env.GIT_INDEX_FILE = before;
    }
    // The repository's own index has nothing staged.
    expect((await repo.keygate(["--staged"])).flagged).toEqual([]);
  });

  it("applies inline suppressions of the staged content", async () => {
    const repo = GitHistory.create();
    repo.stage({
      "main.tf": `${tf.user("v")}# keygate:ignore KG001 -- vendor needs it at creation, SEC-142\n${tf.key("v", "v")}`,
    });
    const result = await repo.keygate(["--staged"]);
    expect(result.code).toBe(0);
    expect(result.report?.findings).toHaveLength(1);
    expect(result.report?.findings[0]?.suppressed).toMatchObject({ kind: "inline" });
  });
});

describe("errors (exit 2)", () => {
  it("outside a git repository", async () => {
    const outside = mkdtempSync(join(tmpdir(), "keygate-plain-"));
    writeFileSync(join(outside, "main.tf"), tf.user("a"));
    // Even when the temporary directory lies inside some repository.
    process.env.GIT_CEILING_DIRECTORIES = tmpdir();
    try {
      for (const flag of [["--staged"], ["--base", "main"]]) {
        const { code, stderr } = await runCli(flag, outside, { ...process.env });
        expect(code).toBe(2);
        expect(stderr).toBe(
          `keygate: ${outside} is not in a git repository: --base and --staged compare git snapshots. Run keygate inside the repository, or run a full scan without them.\n`,
        );
      }
    } finally {
      delete process.env.GIT_CEILING_DIRECTORIES;
    }
  });

  it("an unknown REF", async () => {
    const repo = GitHistory.create();
    repo.commit("one", { "main.tf": tf.user("a") });
    const result = await repo.keygate(["--base", "no-such-branch"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "keygate: --base no-such-branch: unknown revision: no commit, branch or tag of that name in this repository (a remote branch is origin/NAME; fetch it first).\n",
    );
    expect((await repo.keygate(["--base", "mian"])).stderr).toBe(
      "keygate: --base mian: unknown revision: no commit, branch or tag of that name in this repository (a remote branch is origin/NAME; fetch it first). Did you mean main?\n",
    );
    expect((await repo.keygate(["--base", "HEAD"])).code).toBe(0);
    expect((await repo.keygate(["--base", "--staged"])).code).toBe(2);
  });

  it("--base HEAD in a repository without commits", async () => {
    const repo = GitHistory.create();
    repo.write({ "main.tf": tf.user("a") });
    const result = await repo.keygate(["--base", "HEAD"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--base HEAD: unknown revision/);
  });

  it("a shallow clone that lacks REF: says to fetch more history", async () => {
    const origin = GitHistory.create();
    const first = origin.commit("one", { "main.tf": tf.user("a") });
    origin.commit("two", { "main.tf": tf.user("a") + tf.user("b") });
    const clone = GitHistory.create();
    clone.git("fetch", "-q", "--depth=1", `file://${origin.dir}`, "main");
    clone.git("checkout", "-q", "FETCH_HEAD");
    const result = await clone.keygate(["--base", first]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`--base ${first}: not found in this shallow clone\\. Fetch more history: .*fetch-depth: 0`),
    );
  });

  it("a shallow clone and a REF that names no branch: names the ref (did you mean?), not the clone's depth", async () => {
    const origin = GitHistory.create();
    origin.commit("one", { "main.tf": tf.user("a") });
    origin.commit("two", { "main.tf": tf.user("a") + tf.user("b") });
    const clone = GitHistory.create();
    clone.git("fetch", "-q", "--depth=1", `file://${origin.dir}`, "main:refs/remotes/origin/main");
    clone.git("checkout", "-q", "origin/main");
    const result = await clone.keygate(["--base", "origin/mian"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "keygate: --base origin/mian: no branch or tag named origin/mian in this repository. Did you mean origin/main? If it exists on the remote, this shallow clone has not fetched it: `git fetch origin mian:refs/remotes/origin/mian`, or check out every branch (actions/checkout with `fetch-depth: 0`; in GitLab CI, GIT_DEPTH: 0).\n",
    );
    // A revision whose name is known but whose history is cut off still says to fetch more history.
    expect((await clone.keygate(["--base", "origin/main~1"])).stderr).toMatch(
      /^keygate: --base origin\/main~1: not found in this shallow clone\. Fetch more history: /,
    );
    expect((await clone.keygate(["--base", "origin/main"])).code).toBe(0);
  });

  it("git not installed", async () => {
    const repo = GitHistory.create();
    repo.commit("one", { "main.tf": tf.user("a") });
    const path = process.env.PATH;
    process.env.PATH = join(repo.dir, "no-bin");
    try {
      const result = await repo.keygate(["--staged"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^keygate: git is not installed \(or not on PATH\)/);
    } finally {
      process.env.PATH = path;
    }
  });

  it("bad usage: --staged with a plan, a file that exists nowhere", async () => {
    const repo = GitHistory.create();
    repo.commit("one", { "main.tf": tf.user("a"), "plan.json": "{}" });
    // --staged --base REF names the base of --staged (issue 13: hook = gate).
    expect((await repo.keygate(["--base", "HEAD", "--staged"])).code).toBe(0);
    expect((await repo.keygate(["--staged", "--plan", "plan.json"])).code).toBe(2);
    const plan = await repo.keygate(["--staged", "plan.json"]);
    expect(plan.code).toBe(2);
    expect(plan.errors).toEqual([
      expect.stringMatching(/^plan\.json: not a Terraform file: --base and --staged compare Terraform sources/),
    ]);
    const missing = await repo.keygate(["--staged", "main.tf", "nowhere.tf"]);
    expect(missing.code).toBe(2);
    expect(missing.errors).toEqual(["nowhere.tf: path exists neither in the index nor in HEAD: nowhere.tf"]);
  });
});
