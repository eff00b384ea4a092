import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { defaultCacheKeyFile, writeSignedFile } from "../../src/load/parse-cache.js";
import { random } from "../../scripts/bench/generate-monorepo.mjs";
import { runCli } from "../support/scan-fixture.js";
import { GitHistory, tf } from "./git-history.js";

/**
 * The scoped change-aware evaluation (only the configurations a change touches are read before it)
 * against the full one (both sides whole), on seeded random histories over a small monorepo: edits,
 * renamed files, moved blocks, moved and re-pointed modules, deleted files and roots, new roots,
 * tfvars changes and broken files, each committed, staged or left in the working tree. Every run
 * goes through GitHistory.keygate, which makes it both ways and requires byte-identical reports.
 */

const ROOTS = ["envs/a", "envs/b", "envs/c", "envs/d", "stacks/e"];
const MODULES = ["modules/keys", "modules/user", "modules/bucket"];

const module: Record<string, string> = {
  "modules/keys": `variable "user_name" {}\n${tf.key("this", "", "var.user_name")}`,
  "modules/user":
    `${tf.user("this")}output "name" {\n  value = aws_iam_user.this.name\n}\n` + tf.call("nested", "../bucket"),
  "modules/bucket": `resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n`,
};

function initial(rand: () => number): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [dir, text] of Object.entries(module)) files[`${dir}/main.tf`] = text;
  ROOTS.forEach((root, i) => {
    files[`${root}/main.tf`] =
      rand() < 0.6 ? tf.call("user", "../../modules/user") : `resource "aws_sqs_queue" "q" {\n  name = "q${i}"\n}\n`;
    files[`${root}/iam.tf`] = tf.user(`u${i}`) + (rand() < 0.5 ? tf.key(`k${i}`, `u${i}`) : "");
    files[`${root}/other.tf`] = `resource "aws_route53_record" "r" {\n  name = "r${i}"\n}\n`;
    if (rand() < 0.4)
      files[`${root}/vars.tf`] =
        `variable "n" {\n  default = 0\n}\n${tf.user(`cu${i}`, "  count = var.n\n")}${tf.key(`ck${i}`, "", `aws_iam_user.cu${i}[0].name`).replace("{\n", "{\n  count = var.n\n")}`;
  });
  return files;
}

/** One random edit of the working tree; returns the paths it touched (for file arguments). */
function edit(repo: GitHistory, rand: () => number, step: number): string[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const dirs = (under: string) =>
    existsSync(join(repo.dir, under)) ? readdirSync(join(repo.dir, under)).map((d) => `${under}/${d}`) : [];
  const roots = [...dirs("envs"), ...dirs("stacks")].filter((d) =>
    readdirSync(join(repo.dir, d)).some((f) => f.endsWith(".tf")),
  );
  const tfFiles = (dir: string) =>
    readdirSync(join(repo.dir, dir))
      .filter((f) => f.endsWith(".tf"))
      .map((f) => `${dir}/${f}`);
  const read = (path: string) => (existsSync(join(repo.dir, path)) ? readFileSync(join(repo.dir, path), "utf8") : "");
  const root = roots.length ? pick(roots) : "envs/new";
  const n = `s${step}`;
  switch (Math.floor(rand() * 15)) {
    case 12:
    case 13:
    case 14: {
      // a module's own code changed: a pair, a user or a key added to it, or a block removed
      const dir = pick([...MODULES, ...dirs("modules")].filter((m) => existsSync(join(repo.dir, m, "main.tf"))));
      if (!dir) return [];
      const text = read(`${dir}/main.tf`);
      const choice = rand();
      const updated =
        choice < 0.6
          ? text + tf.user(n) + tf.key(n, n)
          : choice < 0.7
            ? text + tf.user(n)
            : choice < 0.8
              ? text + tf.key(n, "", `aws_iam_user.${n}.name`)
              : text.replace(/resource "\w+" "\w+" \{\n(?: .*\n)*\}\n/, "");
      repo.write({ [`${dir}/main.tf`]: updated });
      return [`${dir}/main.tf`];
    }
    case 0: // a new pair
      repo.write({ [`${root}/iam.tf`]: read(`${root}/iam.tf`) + tf.user(n) + tf.key(n, n) });
      return [`${root}/iam.tf`];
    case 1: {
      // a key for a user that exists (or not)
      const users = [...read(`${root}/iam.tf`).matchAll(/resource "aws_iam_user" "(\w+)"/g)].map((m) => m[1]!);
      const user = users.length ? pick(users) : n;
      repo.write({ [`${root}/keys.tf`]: read(`${root}/keys.tf`) + tf.key(`${n}_${user}`, user) });
      return [`${root}/keys.tf`];
    }
    case 2: {
      // a user renamed, with a moved block or without one
      const text = read(`${root}/iam.tf`);
      const user = /resource "aws_iam_user" "(\w+)"/.exec(text)?.[1];
      if (!user) return [];
      const renamed = text
        .replaceAll(`"${user}"`, `"${user}_${n}"`)
        .replaceAll(`aws_iam_user.${user}.`, `aws_iam_user.${user}_${n}.`);
      repo.write({
        [`${root}/iam.tf`]:
          renamed + (rand() < 0.6 ? tf.moved(`aws_iam_user.${user}`, `aws_iam_user.${user}_${n}`) : ""),
      });
      return [`${root}/iam.tf`];
    }
    case 3: {
      // a file renamed
      const file = pick(tfFiles(root));
      renameSync(join(repo.dir, file), join(repo.dir, `${root}/renamed_${n}.tf`));
      return [file, `${root}/renamed_${n}.tf`];
    }
    case 4: {
      // a block moved to another file of the module
      const text = read(`${root}/iam.tf`);
      const block = /resource "aws_iam_user" "\w+" \{\n(?: .*\n)*\}\n/.exec(text)?.[0];
      if (!block) return [];
      repo.write({
        [`${root}/iam.tf`]: text.replace(block, ""),
        [`${root}/other.tf`]: read(`${root}/other.tf`) + block,
      });
      return [`${root}/iam.tf`, `${root}/other.tf`];
    }
    case 5: {
      // a module moved to another directory, its callers re-pointed (or not: a broken call)
      const from = pick(MODULES.filter((m) => existsSync(join(repo.dir, m))).concat(dirs("modules")));
      if (!from || !existsSync(join(repo.dir, from))) return [];
      const to = `modules/moved_${n}`;
      renameSync(join(repo.dir, from), join(repo.dir, to));
      const touched = [`${from}/main.tf`, `${to}/main.tf`];
      if (rand() < 0.8) {
        for (const dir of [...roots, ...dirs("modules")]) {
          for (const file of existsSync(join(repo.dir, dir)) ? tfFiles(dir) : []) {
            const text = read(file);
            const depth = dir.split("/").length === 2 ? "../.." : "..";
            const updated = text
              .replaceAll(`"${depth}/${from}"`, `"${depth}/${to}"`)
              .replaceAll(`"../${from.slice("modules/".length)}"`, `"../${to.slice("modules/".length)}"`);
            if (updated !== text) {
              repo.write({ [file]: updated });
              touched.push(file);
            }
          }
        }
      }
      return touched;
    }
    case 6: {
      // a module call added, re-pointed or removed
      const target = pick([...MODULES, ...dirs("modules")]);
      const choice = rand();
      const text = read(`${root}/main.tf`);
      const updated =
        choice < 0.4
          ? text + tf.call(`m_${n}`, `../../${target}`, target.endsWith("keys") ? `  user_name = "x"\n` : "")
          : choice < 0.7
            ? text.replace(/source = "[^"]*"/, `source = "../../${target}"`)
            : text.replace(/module "\w+" \{\n(?: .*\n)*\}\n/, "");
      repo.write({ [`${root}/main.tf`]: updated });
      return [`${root}/main.tf`];
    }
    case 7: {
      // a file deleted
      const file = pick(tfFiles(root));
      repo.write({ [file]: null });
      return [file];
    }
    case 8:
      // a root deleted
      if (roots.length < 2) return [];
      rmSync(join(repo.dir, root), { recursive: true, force: true });
      return [`${root}/main.tf`];
    case 9: {
      // a new root, with a pair or through a module
      const dir = `envs/new_${n}`;
      repo.write({
        [`${dir}/main.tf`]:
          rand() < 0.5
            ? tf.user("x") + tf.key("x", "x")
            : tf.user("x") + tf.call("k", "../../modules/keys", "  user_name = aws_iam_user.x.name\n"),
      });
      return [`${dir}/main.tf`];
    }
    case 10:
      // root variables changed (count = var.n)
      repo.write({ [`${root}/terraform.tfvars`]: `n = ${Math.floor(rand() * 3)}\n` });
      return [`${root}/terraform.tfvars`];
    default: {
      // a broken file, or one repaired
      const file = `${root}/broken.tf`;
      repo.write({
        [file]: existsSync(join(repo.dir, file)) && rand() < 0.6 ? null : `resource "aws_iam_user" "b" {\n  name = \n`,
      });
      return [file];
    }
  }
}

describe("the scoped change-aware evaluation matches the full one", () => {
  it("when only a module changes, in every root that calls it", async () => {
    const repo = GitHistory.create();
    repo.commit("bucket", {
      "modules/user/main.tf": `resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n`,
      "envs/a/main.tf": tf.call("user", "../../modules/user"),
      "envs/b/main.tf": tf.user("b"),
    });
    repo.write({ "modules/user/main.tf": tf.user("x") + tf.key("x", "x") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["module.user.aws_iam_access_key.x"]);
  });

  it("when a changed module called a root before", async () => {
    const repo = GitHistory.create();
    repo.commit("nested", {
      "envs/a/main.tf": tf.call("b", "../b"),
      "envs/b/main.tf": tf.user("u") + tf.key("k", "u"),
    });
    repo.write({ "envs/a/main.tf": "# no more calls\n" });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.k"]);
  });

  it("reads and checks only the configurations the change touches; an untouched one's input error is not the change's", async () => {
    const repo = GitHistory.create();
    repo.commit("three roots", {
      "modules/keys/main.tf": `variable "user_name" {}\n${tf.key("this", "", "var.user_name")}`,
      "envs/a/main.tf": tf.user("a"),
      "envs/b/main.tf": tf.user("b") + tf.call("k", "../../modules/keys", "  user_name = aws_iam_user.b.name\n"),
      "envs/c/main.tf": tf.user("c") + tf.key("c", "c"),
      "envs/c/broken.tf": `resource "aws_iam_user" "x" {\n  name = \n`,
    });
    repo.write({ "envs/a/main.tf": tf.user("a") + tf.user("a2") + tf.key("a2", "a2") });
    // GitHistory.keygate also runs the full evaluation (both sides whole) and requires the same report.
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({
      code: 1,
      flagged: ["aws_iam_access_key.a2"],
      errors: [],
    });
    // A full scan reports envs/c's broken file; the change did not touch envs/c.
    expect((await repo.keygate([])).code).toBe(2);
    const debug = await runCli(["--base", "HEAD", "--debug", "-f", "json"], repo.dir, { ...process.env });
    expect(debug.stderr).toMatch(/debug: read +envs\/a\/main\.tf: the working tree: parsed/);
    for (const file of ["envs/b/main.tf", "envs/c/main.tf"])
      expect(debug.stderr).toMatch(
        new RegExp(`${file}: the working tree: .*not checked: its configuration is outside`),
      );
    // A module change reaches every root that calls it, and only those.
    repo.git("add", "-A");
    repo.git("commit", "-q", "-m", "a's key");
    repo.write({ "modules/keys/main.tf": `variable "user_name" {}\n${tf.key("that", "", "var.user_name")}` });
    expect(await repo.keygate(["--base", "HEAD"])).toMatchObject({ code: 0, flagged: [], errors: [] });
    repo.write({ "modules/keys/main.tf": `variable "user_name" {}\n${tf.user("n")}${tf.key("n", "n")}` });
    expect(await repo.keygate(["--staged", "modules/keys/main.tf"])).toMatchObject({ code: 0, flagged: [] });
    repo.git("add", "-A");
    expect(await repo.keygate(["--staged", "modules/keys/main.tf"])).toMatchObject({
      code: 1,
      flagged: ["module.k.aws_iam_access_key.n"],
    });
  });

  it("without a cache, surveys every file of a configuration in scope, and those of the others only for their calls", async () => {
    // Files that declare no module call are not skimmed while their configuration is only assembled: one the
    // change touches has them surveyed (and parsed when they look broken or declare more than resources) before
    // it is checked or reported on, whether it can hold a pair (envs/a) or not (envs/b, no IAM resource).
    const repo = GitHistory.create();
    const broken = `resource "aws_iam_user" "x" {\n  name = \n`;
    repo.commit("roots", {
      "modules/shared/main.tf": `resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n`,
      "modules/shared/locals.tf": `locals {\n  n = 1\n}\n`,
      "envs/a/main.tf": tf.user("a") + tf.call("shared", "../../modules/shared"),
      "envs/b/main.tf": `resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n`,
      "envs/c/main.tf": tf.user("c") + tf.key("c", "c"),
      "envs/c/broken.tf": broken,
      // Variable files that cannot be read: reported where the configuration is in scope (envs/b), as the root's
      // variable files are read before it is checked or reported on, and not where it is not (envs/c).
      "envs/b/terraform.tfvars": "n = \n",
      "envs/c/terraform.tfvars": "n = \n",
    });
    repo.write({
      "envs/a/iam.tf": tf.user("a2") + tf.key("a2", "a2"),
      "modules/shared/broken.tf": broken,
      "envs/b/broken.tf": broken.replace("aws_iam_user", "aws_sqs_queue"),
    });
    const errors = [
      "envs/b/broken.tf: Invalid expression: Expected the start of an expression, but found an invalid expression token.",
      expect.stringMatching(/^envs\/b\/terraform\.tfvars: /),
      "modules/shared/broken.tf: Invalid expression: Expected the start of an expression, but found an invalid expression token.",
    ];
    for (const args of [
      ["--base", "HEAD", "--no-cache"],
      ["--base", "HEAD", "--no-cache", "envs/b/broken.tf", "envs/a/iam.tf"],
    ]) {
      const run = await repo.keygate(args);
      expect({ args, code: run.code, flagged: run.flagged, errors: run.errors }).toEqual({
        args,
        code: 2,
        flagged: ["aws_iam_access_key.a2"],
        errors,
      });
    }
    repo.git("add", "-A");
    expect(await repo.keygate(["--staged", "--no-cache"])).toMatchObject({
      code: 2,
      flagged: ["aws_iam_access_key.a2"],
      errors,
    });
    // Untouched: envs/c's broken file is not the change's, as with the cache.
    repo.write({ "envs/b/broken.tf": null, "modules/shared/broken.tf": null });
    expect(await repo.keygate(["--base", "HEAD", "--no-cache"])).toMatchObject({
      code: 1,
      flagged: ["aws_iam_access_key.a2"],
      errors: [],
    });
  });

  for (const seed of [1, 2]) {
    it(`on a generated history (seed ${seed})`, { timeout: 600_000 }, async () => {
      const rand = random(seed);
      const repo = GitHistory.create();
      const first = repo.commit("initial", initial(rand));
      repo.commit("second");
      let flagged = 0;
      for (let step = 0; step < 10; step++) {
        const touched = edit(repo, rand, step);
        const fate = rand();
        if (fate < 0.4) {
          repo.git("add", "-A");
          repo.git("commit", "-q", "--allow-empty", "-m", `step ${step}`);
        } else if (fate < 0.7) repo.git("add", "-A");
        const files = [...new Set(touched)].filter((f) => f.endsWith(".tf") || f.endsWith(".tfvars")).slice(0, 3);
        const others: string[][] = [
          ["--base", first],
          ["--staged"],
          ["--base", first, "envs"],
          ["--staged", "--no-cache"],
          ["--base", first, "--no-cache"],
        ];
        if (files.length) others.push(["--staged", ...files], ["--base", first, ...files]);
        // This step's change alone, and one of the others at random: every kind comes up over the steps.
        for (const args of [
          fate < 0.4 ? ["--base", "HEAD~1"] : ["--base", "HEAD"],
          others[Math.floor(rand() * others.length)]!,
        ]) {
          // A run first, so that the one compared takes what it kept: the summaries, and the commit's walk
          // (change/walk.ts; the full evaluation, which keeps neither, drops them after it).
          if (!args.includes("--no-cache")) await runCli([...args, "-f", "json"], repo.dir, { ...process.env });
          const result = await repo.keygate(args);
          flagged += result.flagged.length;
        }
      }
      // The histories do make new pairs: the comparison is not between two empty reports.
      expect(flagged).toBeGreaterThan(0);
    });
  }
});

/**
 * The cache's module-call graph (model/call-graph.ts) stands for the directories a change does not
 * touch: a warm run assembles their configurations from it unread. Each case below warms the cache
 * on one state, then changes something the graph must not get wrong; GitHistory.keygate holds the
 * result to the full evaluation's (which reads both sides whole) and the test to the expected pair.
 */
describe("the cached module-call graph", () => {
  it("stands for the untouched configurations in a warm run, and never for the touched ones", async () => {
    const repo = GitHistory.create();
    repo.commit("two roots", {
      "modules/m/main.tf": `resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n`,
      "envs/a/main.tf": tf.call("m", "../../modules/m"),
      "envs/b/main.tf": tf.user("b") + tf.call("m", "../../modules/m"),
      "envs/c/main.tf": tf.user("c"),
    });
    await repo.keygate(["--base", "HEAD"]);
    repo.write({ "envs/c/main.tf": tf.user("c") + tf.user("c2") + tf.key("c2", "c2") });
    const debug = await runCli(["--base", "HEAD", "--debug", "-f", "json"], repo.dir, { ...process.env });
    for (const file of ["envs/a/main.tf", "envs/b/main.tf", "modules/m/main.tf"])
      expect(debug.stderr).toMatch(
        new RegExp(`${file}: the working tree: .*taken from the cache's call graph, not read`),
      );
    expect(debug.stderr).not.toMatch(/envs\/c\/main\.tf: the working tree: .*call graph/);
    expect(JSON.parse(debug.stdout)).toMatchObject({ summary: { files: 4, findings: 1 } });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.c2"]);
  });

  it("reads the unchanged modules of a touched configuration that names no IAM resource: their suppression comments count", async () => {
    const repo = GitHistory.create();
    repo.commit("a module with a misplaced suppression", {
      "modules/m/main.tf": `# keygate:ignore KG001 -- not above a key\nresource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n`,
      "envs/a/main.tf": tf.call("m", "../../modules/m"),
      "envs/b/main.tf": tf.user("b"),
    });
    await repo.keygate(["--base", "HEAD"]);
    repo.write({
      "envs/a/main.tf": tf.call("m", "../../modules/m") + `resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n`,
    });
    expect((await repo.keygate(["--base", "HEAD"])).warnings).toEqual([
      expect.stringMatching(/^modules\/m\/main\.tf: keygate:ignore must stand on the line directly above/),
    ]);
  });

  it("reaches a changed module through unchanged ones known from the graph", async () => {
    const repo = GitHistory.create();
    repo.commit("a chain", {
      "envs/r/main.tf": tf.call("m1", "../../modules/m1"),
      "modules/m1/main.tf": tf.call("m2", "../m2"),
      "modules/m2/main.tf": `resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n`,
      "envs/s/main.tf": tf.user("s"),
    });
    await repo.keygate(["--base", "HEAD"]);
    repo.write({ "modules/m2/main.tf": tf.user("x") + tf.key("x", "x") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["module.m1.module.m2.aws_iam_access_key.x"]);
    repo.git("add", "-A");
    expect((await repo.keygate(["--staged"])).flagged).toEqual(["module.m1.module.m2.aws_iam_access_key.x"]);
    expect((await repo.keygate(["--staged", "modules/m2/main.tf"])).flagged).toEqual([
      "module.m1.module.m2.aws_iam_access_key.x",
    ]);
  });

  it("is not fooled by a caller whose graph was cached for an older content", async () => {
    const repo = GitHistory.create();
    repo.commit("no calls yet", {
      "modules/m/main.tf": `resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n`,
      "envs/r/main.tf": tf.user("r"),
      "envs/s/main.tf": tf.user("s"),
    });
    // The cache learns that envs/r calls nothing ...
    await repo.keygate(["--base", "HEAD"]);
    await repo.keygate(["--staged"]);
    // ... then envs/r calls the module, committed without a run: only its old content is in the graph.
    repo.commit("r calls m", { "envs/r/main.tf": tf.user("r") + tf.call("m", "../../modules/m") });
    repo.stage({ "modules/m/main.tf": tf.user("x") + tf.key("x", "x") });
    expect((await repo.keygate(["--staged"])).flagged).toEqual(["module.m.aws_iam_access_key.x"]);
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["module.m.aws_iam_access_key.x"]);
  });

  it("takes no file git is told not to look at (skip-worktree, assume-unchanged) for what the commit holds", async () => {
    for (const flag of ["--skip-worktree", "--assume-unchanged"]) {
      const repo = GitHistory.create();
      repo.commit("no calls yet", {
        "envs/a/main.tf": `locals {\n  q = 1\n}\n`,
        "envs/a/other.tf": `locals {\n  r = 1\n}\n`,
        "modules/x/main.tf": `locals {\n  x = 1\n}\n`,
        "envs/b/main.tf": tf.call("bad", "../../modules/bad"),
        "modules/bad/main.tf": tf.user("u") + tf.key("k", "u"),
      });
      // The cache learns that envs/a calls nothing; then git stops looking at two of its files.
      await repo.keygate(["--base", "HEAD"]);
      repo.git("update-index", flag, "envs/a/main.tf", "envs/b/main.tf");
      // A call added where git does not look, to a module the change makes a pair in ...
      repo.write({
        "envs/a/main.tf": `locals {\n  q = 1\n}\n` + tf.call("x", "../../modules/x"),
        "modules/x/main.tf": tf.user("x") + tf.key("x", "x"),
      });
      expect((await repo.keygate(["--base", "HEAD"])).flagged, flag).toEqual(["module.x.aws_iam_access_key.x"]);
      // ... and a call removed there: modules/bad is a root of its own now, its pair new in the change.
      repo.write({
        "envs/b/main.tf": `locals {\n  z = 1\n}\n`,
        "modules/bad/main.tf": tf.user("u") + tf.key("k", "u") + "# touched\n",
      });
      expect((await repo.keygate(["--base", "HEAD"])).flagged, flag).toEqual([
        "aws_iam_access_key.k",
        "module.x.aws_iam_access_key.x",
      ]);
    }
  });

  it("takes a file rewritten in place with its size and modification time kept for changed, whatever git's stat settings", async () => {
    const key = tf.key("k", "b");
    const before = `${tf.user("a")}#${"-".repeat(key.length - 2)}\n`;
    for (const [name, value] of [
      ["core.trustctime", "false"],
      ["core.checkStat", "minimal"],
    ] as const) {
      const repo = GitHistory.create();
      repo.git("config", name, value);
      repo.commit("two users", { "envs/a/main.tf": before });
      // Older than git's index, so that git takes its metadata for the content's ("racily clean" files are read).
      const file = join(repo.dir, "envs/a/main.tf");
      const past = new Date(Date.now() - 60_000);
      utimesSync(file, past, past);
      repo.git("update-index", "--refresh");
      expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([]);
      // Git compares change times to the second (as built by most distributions): a second later, then
      // user a renamed b, with a key, in as many bytes (a comment gone); the modification time put back.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      writeFileSync(file, tf.user("b") + key);
      utimesSync(file, past, past);
      expect(repo.git("diff-index", "--name-only", "HEAD"), `git itself, ${name}=${value}`).toBe("");
      expect((await repo.keygate(["--base", "HEAD"])).flagged, `${name}=${value}`).toEqual(["aws_iam_access_key.k"]);
    }
  });

  it("follows module calls added and removed in the change, an unchanged root called by a changed one, and a new root", async () => {
    const repo = GitHistory.create();
    repo.commit("roots", {
      "modules/keys/main.tf": `variable "user_name" {}\n${tf.key("this", "", "var.user_name")}`,
      "envs/a/main.tf": tf.user("a"),
      "envs/b/main.tf": tf.user("b") + tf.key("b", "b"),
      "envs/c/main.tf": tf.user("c") + tf.call("k", "../../modules/keys", "  user_name = aws_iam_user.c.name\n"),
    });
    await repo.keygate(["--base", "HEAD"]);
    // A call added to an unchanged root: envs/b is no root any more, its pair is new in envs/a.
    repo.write({ "envs/a/main.tf": tf.user("a") + tf.call("b", "../b") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["module.b.aws_iam_access_key.b"]);
    repo.commit("a calls b", { "envs/a/main.tf": tf.user("a") + tf.call("b", "../b") });
    // A call removed: envs/b is a root again, with its pair, which is new there.
    repo.write({ "envs/a/main.tf": tf.user("a") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.b"]);
    // A new root calling a module the change also changes, beside an unchanged caller of that module.
    repo.write({
      "envs/a/main.tf": tf.user("a") + tf.call("b", "../b"),
      "envs/n/main.tf": tf.user("n") + tf.call("k", "../../modules/keys", "  user_name = aws_iam_user.n.name\n"),
      "modules/keys/main.tf": `variable "user_name" {}\n${tf.key("that", "", "var.user_name")}`,
    });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["module.k.aws_iam_access_key.that"]);
    repo.git("add", "-A");
    expect((await repo.keygate(["--staged", "modules/keys/main.tf"])).flagged).toEqual([
      "module.k.aws_iam_access_key.that",
    ]);
  });
});

/**
 * Summaries by git tree id (model/call-graph.ts, change/layout.ts): a warm `--staged` run over the
 * whole repository knows each directory the change left as it was in the commit by its tree id,
 * without listing its files. Each case warms the cache on one state (a scoped run alone: the full
 * evaluation keeps no summaries), then changes something a summary must not get wrong;
 * GitHistory.keygate holds the result to the full evaluation's.
 */
describe("the call graph's summaries by git tree id", () => {
  const bucket = `resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n`;
  const warm = (repo: GitHistory, ...args: string[]) =>
    runCli(["--staged", ...args, "-f", "json"], repo.dir, { ...process.env });
  const byTreeId = (file: string) =>
    new RegExp(`debug: cached +${file}: the index: unchanged \\(its directory's git tree id`);

  it("stand for the untouched directories of a warm --staged run, never for the touched ones", async () => {
    const repo = GitHistory.create();
    repo.commit("roots", {
      "modules/m/main.tf": bucket,
      "envs/a/main.tf": tf.call("m", "../../modules/m"),
      "envs/b/main.tf": tf.user("b") + tf.call("m", "../../modules/m"),
      "envs/c/main.tf": tf.user("c"),
      "envs/c/other.tf": bucket,
    });
    repo.stage({ "envs/c/main.tf": tf.user("c") + "# edited\n" });
    await warm(repo);
    repo.stage({ "envs/c/main.tf": tf.user("c") + tf.user("c2") + tf.key("c2", "c2") });
    const debug = await runCli(["--staged", "--debug", "-f", "json"], repo.dir, { ...process.env });
    for (const file of ["envs/a/main.tf", "envs/b/main.tf", "modules/m/main.tf"])
      expect(debug.stderr).toMatch(byTreeId(file));
    expect(debug.stderr).not.toMatch(/envs\/c\/(main|other)\.tf: the index: .*call graph/);
    expect(JSON.parse(debug.stdout)).toMatchObject({ summary: { files: 5, findings: 1 } });
    expect((await repo.keygate(["--staged"])).flagged).toEqual(["aws_iam_access_key.c2"]);
    await warm(repo);
    expect((await repo.keygate(["--staged", "envs/c/main.tf"])).flagged).toEqual(["aws_iam_access_key.c2"]);
    // A change to the module the summaries stand for reaches both its callers.
    await warm(repo);
    repo.stage({ "modules/m/main.tf": tf.user("x") + tf.key("x", "x") });
    // Once in each root that calls it (see KG001's per-instance findings).
    expect((await repo.keygate(["--staged"])).flagged).toEqual([
      "aws_iam_access_key.c2",
      "module.m.aws_iam_access_key.x",
      "module.m.aws_iam_access_key.x",
    ]);
  });

  it("are not taken for a directory whose tree id changed since (a newer commit), and still are for the others", async () => {
    const repo = GitHistory.create();
    repo.commit("no calls yet", {
      "modules/m/main.tf": bucket,
      "envs/r/main.tf": tf.user("r"),
      "envs/s/main.tf": tf.user("s"),
      "envs/t/main.tf": tf.user("t"),
    });
    repo.stage({ "envs/t/main.tf": tf.user("t") + "# edited\n" });
    await warm(repo);
    // envs/r calls the module, committed without a run: its summary is for its old tree id.
    repo.commit("r calls m", { "envs/r/main.tf": tf.user("r") + tf.call("m", "../../modules/m") });
    repo.stage({ "modules/m/main.tf": tf.user("x") + tf.key("x", "x") });
    const debug = await runCli(["--staged", "--debug", "-f", "json"], repo.dir, { ...process.env });
    expect(debug.stderr).toMatch(byTreeId("envs/s/main.tf"));
    expect(debug.stderr).not.toMatch(byTreeId("envs/r/main.tf"));
    expect((await repo.keygate(["--staged"])).flagged).toEqual(["module.m.aws_iam_access_key.x"]);
  });

  it("follow renamed and deleted directories, a deleted module, and a root directory (which has no tree id)", async () => {
    const repo = GitHistory.create();
    repo.commit("roots", {
      "main.tf": tf.call("m", "./modules/m") + tf.user("top"),
      "modules/m/main.tf": bucket,
      "envs/a/main.tf": tf.call("m", "../../modules/m"),
      "envs/b/main.tf": tf.user("b") + tf.key("b", "b"),
      "envs/c/main.tf": tf.user("c") + tf.call("sub", "./sub"),
      "envs/c/sub/main.tf": bucket,
    });
    repo.stage({ "envs/a/main.tf": tf.call("m", "../../modules/m") + "# edited\n" });
    await warm(repo);
    const debug = await runCli(["--staged", "--debug", "-f", "json"], repo.dir, { ...process.env });
    expect(debug.stderr).toMatch(byTreeId("envs/b/main.tf"));
    expect(debug.stderr).not.toMatch(byTreeId("main.tf"));
    // A root renamed: its pair is new in the new root directory.
    repo.git("mv", "envs/b", "envs/z");
    expect((await repo.keygate(["--staged"])).flagged).toEqual(["aws_iam_access_key.b"]);
    await warm(repo);
    // A root deleted, and a module its callers still call (an input error in each).
    repo.stage({ "envs/z/main.tf": null, "modules/m/main.tf": null });
    const gone = await repo.keygate(["--staged"]);
    expect(gone.code).toBe(2);
    expect(gone.errors).toEqual([
      expect.stringMatching(/^envs\/a\/main\.tf: module "m": source/),
      expect.stringMatching(/^main\.tf: module "m": source/),
    ]);
    // A nested module changed: its directory and its parent's tree ids both change.
    repo.git("reset", "-q", "--hard");
    await warm(repo);
    repo.stage({ "envs/c/sub/main.tf": tf.user("s") + tf.key("s", "s") });
    expect((await repo.keygate(["--staged"])).flagged).toEqual(["module.sub.aws_iam_access_key.s"]);
  });

  it("stand for the untouched directories of a warm --base run; a touched one is listed as git lists it", async () => {
    const repo = GitHistory.create();
    repo.commit("roots", {
      ".gitignore": "*.ignored.tf\n",
      "modules/m/main.tf": bucket,
      "envs/a/main.tf": tf.call("m", "../../modules/m"),
      "envs/b/main.tf": tf.user("b") + tf.key("b", "b"),
      "envs/c/main.tf": tf.user("c"),
    });
    repo.write({ "envs/c/main.tf": tf.user("c") + "# edited\n" });
    await runCli(["--base", "HEAD", "-f", "json"], repo.dir, { ...process.env });
    // An untracked file and an ignored one in the touched directory: git lists the first only, as discovery does.
    repo.write({
      "envs/c/new.tf": tf.user("c2") + tf.key("c2", "c2"),
      "envs/c/x.ignored.tf": tf.user("c3") + tf.key("c3", "c3"),
    });
    const debug = await runCli(["--base", "HEAD", "--debug", "-f", "json"], repo.dir, { ...process.env });
    for (const file of ["envs/a/main.tf", "envs/b/main.tf", "modules/m/main.tf"])
      expect(debug.stderr).toMatch(
        new RegExp(`debug: cached +${file}: the working tree: unchanged \\(its directory's git tree id`),
      );
    expect(debug.stderr).not.toMatch(/ignored/);
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.c2"]);
    // A root deleted from the working tree only, and the module its neighbour calls.
    await runCli(["--base", "HEAD", "-f", "json"], repo.dir, { ...process.env });
    repo.write({ "envs/b/main.tf": null, "modules/m/main.tf": tf.user("m") + tf.key("m", "m") });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([
      "aws_iam_access_key.c2",
      "module.m.aws_iam_access_key.m",
    ]);
    // A file git is told not to look at counts as changed: its directory is listed, not summarized.
    await runCli(["--base", "HEAD", "-f", "json"], repo.dir, { ...process.env });
    repo.git("update-index", "--skip-worktree", "envs/a/main.tf");
    repo.write({ "envs/a/main.tf": tf.user("a") + tf.key("a", "a") });
    // (envs/a calls the module no more: it is a root of its own, its pair new there.)
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual([
      "aws_iam_access_key.a",
      "aws_iam_access_key.c2",
      "aws_iam_access_key.m",
    ]);
  });

  it("leave an untouched configuration made of summarized directories unassembled, counted as the full evaluation counts it", async () => {
    const repo = GitHistory.create();
    const queue = (name: string) => `resource "aws_sqs_queue" "${name}" {\n  name = "${name}"\n}\n`;
    repo.commit("roots", {
      "modules/m/main.tf": bucket,
      "modules/m/queue.tf": queue("q"),
      "modules/chain/main.tf": tf.call("m", "../m"),
      // A module with a registry call has no summary: its callers are assembled.
      "modules/remote/main.tf": tf.call("vpc", "terraform-aws-modules/vpc/aws"),
      "modules/loop1/main.tf": tf.call("l2", "../loop2"),
      "modules/loop2/main.tf": tf.call("l1", "../loop1"),
      "envs/a/main.tf": tf.call("c", "../../modules/chain"),
      "envs/b/main.tf": tf.user("b") + tf.key("b", "b") + tf.call("r", "../../modules/remote"),
      "envs/c/main.tf": tf.user("c") + tf.call("m", "../../modules/m"),
      "envs/d/main.tf": tf.call("l", "../../modules/loop1"),
      "envs/e/main.tf": tf.user("e") + tf.key("e", "e"),
    });
    repo.stage({ "envs/c/main.tf": tf.user("c") + tf.call("m", "../../modules/m") + "# edited\n" });
    await warm(repo);
    // A new pair in envs/c, which shares its module with envs/a.
    repo.stage({
      "envs/c/main.tf": tf.user("c") + tf.user("c2") + tf.key("c2", "c2") + tf.call("m", "../../modules/m"),
    });
    const verbose = async (env: NodeJS.ProcessEnv) => {
      const run = await runCli(["--staged", "--verbose", "-f", "json"], repo.dir, { ...process.env, ...env });
      return { ...run, stderr: run.stderr.replace(/scanned in [\d.]+ s/, "") };
    };
    const scoped = await verbose({});
    expect(scoped.stderr).toMatch(/ 11 files read, 5 configurations;/);
    expect(scoped).toEqual(await verbose({ KEYGATE_CHANGE_EVALUATION: "full" }));
    expect((await repo.keygate(["--staged"])).flagged).toEqual(["aws_iam_access_key.c2"]);
    // An untouched root that a changed module called before: a root again, read and checked.
    repo.commit("c's key");
    await warm(repo);
    repo.commit("a calls e", { "envs/a/main.tf": tf.call("c", "../../modules/chain") + tf.call("e", "../e") });
    await warm(repo);
    repo.stage({ "envs/a/main.tf": tf.call("c", "../../modules/chain") });
    expect((await repo.keygate(["--staged", "--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.e"]);
  });

  it("read the module manifest of an untouched root that git tracks, as the full evaluation does", async () => {
    const repo = GitHistory.create();
    repo.commit("roots", {
      "envs/a/main.tf": tf.user("a"),
      "envs/b/main.tf": tf.user("b"),
      "envs/b/.terraform/modules/modules.json": "{ not json",
    });
    repo.stage({ "envs/a/main.tf": tf.user("a") + "# edited\n" });
    await warm(repo);
    repo.stage({ "envs/a/main.tf": tf.user("a") + tf.key("a", "a") });
    const run = await repo.keygate(["--staged"]);
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([expect.stringMatching(/^envs\/b\/\.terraform\/modules\/modules\.json: /)]);
  });

  it("take an untracked file in an untouched directory, and an untracked directory, for changes (--base)", async () => {
    const repo = GitHistory.create();
    repo.commit("roots", { "envs/a/main.tf": tf.user("a"), "envs/b/main.tf": tf.user("b") });
    repo.write({ "envs/a/main.tf": tf.user("a") + "# edited\n" });
    await runCli(["--base", "HEAD", "-f", "json"], repo.dir, { ...process.env });
    repo.write({
      "envs/b/new.tf": tf.user("b2") + tf.key("b2", "b2"),
      "envs/n/main.tf": tf.user("n") + tf.key("n", "n"),
    });
    expect((await repo.keygate(["--base", "HEAD"])).flagged).toEqual(["aws_iam_access_key.b2", "aws_iam_access_key.n"]);
  });

  it("are not used without the cache, or from a corrupt one", async () => {
    const repo = GitHistory.create();
    const cache = mkdtempSync(join(tmpdir(), "keygate-cache-"));
    repo.commit("roots", {
      "envs/a/main.tf": tf.user("a"),
      "envs/b/main.tf": tf.user("b"),
    });
    repo.stage({ "envs/a/main.tf": tf.user("a") + "# edited\n" });
    await warm(repo, "--cache-location", cache);
    repo.stage({ "envs/a/main.tf": tf.user("a") + tf.user("a2") + tf.key("a2", "a2") });
    for (const file of readdirSync(cache)) writeFileSync(join(cache, file), "not a cache");
    const debug = await runCli(["--staged", "--debug", "--cache-location", cache, "-f", "json"], repo.dir, {
      ...process.env,
    });
    expect(debug.stderr).not.toMatch(/git tree id/);
    expect((await repo.keygate(["--staged", "--cache-location", cache])).flagged).toEqual(["aws_iam_access_key.a2"]);
    const none = await runCli(["--staged", "--debug", "--no-cache", "-f", "json"], repo.dir, { ...process.env });
    expect(none.stderr).not.toMatch(/call graph/);
    expect((await repo.keygate(["--staged", "--no-cache"])).flagged).toEqual(["aws_iam_access_key.a2"]);
  });
});

/**
 * The walk of a commit's untouched configurations, kept in the cache (change/walk.ts): a warm run
 * over the whole repository reads the summaries of the commit's directories, and the shapes of the
 * configurations made only of them, from one record filed under a digest of the commit's tree.
 */
describe("the cached walk of a commit", () => {
  const bucket = `resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n`;
  const MAGIC = Buffer.from("keygate-cache-v3\n");
  const keyFile = defaultCacheKeyFile({
    XDG_STATE_HOME: join(tmpdir(), `keygate-test-state-${process.pid}`),
    ...process.env,
  });
  /** The cache file's sections (and the rest of it), to be rewritten and signed again, as keygate would. */
  const sectionsOf = (cache: string) => {
    const file = join(
      cache,
      readdirSync(cache).find((name) => name.startsWith("parse-"))!,
    );
    const payload = readFileSync(file).subarray(MAGIC.length + 32);
    const length = payload.readUInt32LE(0);
    const header = deserialize(payload.subarray(4, 4 + length)) as {
      sections: Map<string, [number, number]>;
      entries: Map<string, [number, number]>;
    };
    const data = payload.subarray(4 + length);
    // A record: its entries as one JSON text (see ParseCache.record).
    const read = (name: string) => {
      const [offset, size] = header.sections.get(name)!;
      return new Map(JSON.parse(deserialize(data.subarray(offset, offset + size)) as string) as [string, unknown][]);
    };
    const walks = [...header.sections.keys()].filter((name) => name.startsWith("record:walk:"));
    const rewrite = async (sections: Map<string, Map<string, unknown> | undefined>) => {
      const extra: Buffer[] = [];
      let end = data.length;
      for (const [name, value] of sections) {
        if (!value) {
          header.sections.delete(name);
          continue;
        }
        const bytes = serialize(JSON.stringify([...value]));
        header.sections.set(name, [end, bytes.length]);
        extra.push(bytes);
        end += bytes.length;
      }
      const rewritten = serialize(header);
      const size = Buffer.alloc(4);
      size.writeUInt32LE(rewritten.length);
      await writeSignedFile(file, keyFile, MAGIC, Buffer.concat([size, rewritten, data, ...extra]));
    };
    return { read, walks, rewrite };
  };
  const verbose = async (repo: GitHistory, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const run = await runCli([...args, "--verbose", "-f", "json"], repo.dir, { ...process.env, ...env });
    return { ...run, stderr: run.stderr.replace(/scanned in [\d.]+ s/, "") };
  };
  const byTreeId = (file: string) =>
    new RegExp(`debug: cached +${file}: the index: unchanged \\(its directory's git tree id`);

  it("stands for the untouched directories by itself, odd names included, and is used again on the same commit", async () => {
    const repo = GitHistory.create();
    const cache = mkdtempSync(join(tmpdir(), "keygate-cache-"));
    const odd = 'envs/odd "\\ dïr\n';
    repo.commit("roots", {
      "modules/m/main.tf": bucket,
      "envs/a/main.tf": tf.call("m", "../../modules/m"),
      "envs/b/main.tf": tf.user("b") + tf.call("m", "../../modules/m"),
      "envs/c/main.tf": tf.user("c"),
      [`${odd}/main.tf`]: tf.user("o") + tf.key("o", "o") + tf.call("m ", "../../modules/m"),
    });
    repo.stage({ "envs/c/main.tf": tf.user("c") + "# edited\n" });
    const args = ["--staged", "--cache-location", cache];
    await verbose(repo, args);
    expect(sectionsOf(cache).walks).toHaveLength(1);
    // Without the summaries it was made from, the walk alone knows the untouched directories by their tree ids.
    const { rewrite } = sectionsOf(cache);
    await rewrite(new Map([["record:calls", undefined]]));
    const debug = await runCli([...args, "--debug", "-f", "json"], repo.dir, { ...process.env });
    for (const file of ["envs/a/main.tf", "envs/b/main.tf", "modules/m/main.tf", `${odd}/main.tf`])
      expect(debug.stderr).toMatch(byTreeId(file.replace(/\\/g, "\\\\")));
    expect(debug.code).toBe(0);
    // The same report as the full evaluation's, a new pair in the touched root and the pair of the untouched one not.
    repo.stage({ "envs/c/main.tf": tf.user("c") + tf.user("c2") + tf.key("c2", "c2") });
    const scoped = await verbose(repo, args);
    expect(scoped.stderr).toMatch(/ 5 files read, 4 configurations;/);
    expect(scoped).toEqual(await verbose(repo, args, { KEYGATE_CHANGE_EVALUATION: "full" }));
    expect((await repo.keygate(args)).flagged).toEqual(["aws_iam_access_key.c2"]);
  });

  it("takes no root it knows as a shape that a directory the change touches now calls", async () => {
    const repo = GitHistory.create();
    const cache = mkdtempSync(join(tmpdir(), "keygate-cache-"));
    repo.commit("roots", {
      "modules/m/main.tf": bucket,
      "envs/a/main.tf": tf.user("a"),
      "envs/r/main.tf": tf.user("r") + tf.key("r", "r") + tf.call("m", "../../modules/m"),
      "envs/s/main.tf": tf.call("m", "../../modules/m"),
    });
    const args = ["--staged", "--cache-location", cache];
    repo.stage({ "envs/a/main.tf": tf.user("a") + "# edited\n" });
    await verbose(repo, args);
    await verbose(repo, args);
    // envs/r, a root in the commit, is a module of envs/a now: its pair is new there, and it is no root of its own.
    repo.stage({ "envs/a/main.tf": tf.user("a") + tf.call("r", "../r") });
    const scoped = await verbose(repo, args);
    expect(scoped.stderr).toMatch(/ 4 files read, 2 configurations;/);
    expect(scoped).toEqual(await verbose(repo, args, { KEYGATE_CHANGE_EVALUATION: "full" }));
    await verbose(repo, args);
    expect((await repo.keygate(args)).flagged).toEqual(["module.r.aws_iam_access_key.r"]);
  });

  it("is the commit's: a call added or removed in an untouched root since, on another commit, is followed", async () => {
    const repo = GitHistory.create();
    const cache = mkdtempSync(join(tmpdir(), "keygate-cache-"));
    const first = repo.commit("no calls yet", {
      "modules/m/main.tf": bucket,
      "envs/a/main.tf": tf.user("a"),
      "envs/r/main.tf": tf.user("r"),
      "envs/s/main.tf": tf.call("m", "../../modules/m"),
    });
    const args = ["--staged", "--cache-location", cache];
    repo.stage({ "envs/a/main.tf": tf.user("a") + "# edited\n" });
    await verbose(repo, args);
    // envs/r calls the module, committed without a run: the walk of the first commit does not know it.
    repo.git("reset", "-q", "--hard");
    repo.commit("r calls m", { "envs/r/main.tf": tf.user("r") + tf.call("m", "../../modules/m") });
    repo.stage({ "envs/a/main.tf": tf.user("a") + "# edited\n" });
    await verbose(repo, args);
    await verbose(repo, [...args, "--base", first]);
    expect(sectionsOf(cache).walks).toHaveLength(2);
    repo.stage({ "modules/m/main.tf": tf.user("x") + tf.key("x", "x") });
    expect((await repo.keygate(args)).flagged).toEqual([
      "module.m.aws_iam_access_key.x",
      "module.m.aws_iam_access_key.x",
    ]);
    await verbose(repo, [...args, "--base", first]);
    expect((await repo.keygate([...args, "--base", first])).flagged).toEqual([
      "module.m.aws_iam_access_key.x",
      "module.m.aws_iam_access_key.x",
    ]);
    // And removed again: envs/s stops calling it.
    repo.git("reset", "-q", "--hard");
    repo.commit("s calls nothing", { "envs/s/main.tf": tf.user("s") });
    repo.stage({ "envs/a/main.tf": tf.user("a") + "# edited\n" });
    await verbose(repo, args);
    repo.stage({ "modules/m/main.tf": tf.user("x") + tf.key("x", "x") });
    const scoped = await verbose(repo, args);
    expect(scoped).toEqual(await verbose(repo, args, { KEYGATE_CHANGE_EVALUATION: "full" }));
    await verbose(repo, args);
    expect((await repo.keygate(args)).flagged).toEqual(["module.m.aws_iam_access_key.x"]);
  });

  it("is ignored when malformed, and made again", async () => {
    const repo = GitHistory.create();
    const cache = mkdtempSync(join(tmpdir(), "keygate-cache-"));
    repo.commit("roots", {
      "modules/m/main.tf": bucket,
      "envs/a/main.tf": tf.user("a"),
      "envs/b/main.tf": tf.user("b") + tf.call("m", "../../modules/m"),
      "envs/c/main.tf": tf.call("m", "../../modules/m") + tf.call("b", "../b"),
    });
    const args = ["--staged", "--cache-location", cache];
    repo.stage({ "envs/a/main.tf": tf.user("a") + "# edited\n" });
    await verbose(repo, args);
    const { read, walks } = sectionsOf(cache);
    const [key, stored] = [...read(walks[0]!)][0]! as [string, Record<string, unknown>];
    const expected = await verbose(repo, args);
    const malformed: unknown[] = [
      "not a walk",
      42,
      null,
      [],
      { ...stored, files: [0, 1, 1, 1] },
      { ...stored, manifests: "2222" },
      { ...stored, ends: (stored.ends as number[]).slice(1) },
      { ...stored, calls: (stored.calls as string).replace("../", "/") },
      { ...stored, calls: (stored.calls as string).replace(/,1,/, ",1.5,") },
      { ...stored, shapes: [...(stored.shapes as number[]), 99] },
      { ...stored, shapes: (stored.shapes as number[]).map((n) => n + 1) },
      { ...stored, dirs: "" },
    ];
    for (const value of malformed) {
      const shown = JSON.stringify(value);
      await sectionsOf(cache).rewrite(new Map([[walks[0]!, new Map([[key, value]])]]));
      expect(await verbose(repo, args), shown).toEqual(expected);
      // Made again, as it was.
      expect([...sectionsOf(cache).read(walks[0]!)], shown).toEqual([[key, stored]]);
    }
    repo.stage({ "envs/a/main.tf": tf.user("a") + tf.user("a2") + tf.key("a2", "a2") });
    expect((await repo.keygate(args)).flagged).toEqual(["aws_iam_access_key.a2"]);
  });
});
