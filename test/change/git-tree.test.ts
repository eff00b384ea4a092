import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BlobReader } from "../../src/change/blob-reader.js";
import { openRepository } from "../../src/change/git.js";
import { GitTree, indexChanges } from "../../src/change/git-tree.js";
import { SAFE_GIT_OPTIONS } from "../../src/load/git.js";
import { GitHistory } from "./git-history.js";

/** The git-backed SourceTree: a commit's tree or the index, read from git's objects. */

const readers: BlobReader[] = [];
afterEach(() => {
  for (const reader of readers.splice(0)) reader.close();
});

async function snapshot(repo: GitHistory, side: "HEAD" | "index" = "HEAD"): Promise<GitTree> {
  const repository = await openRepository(repo.dir);
  const reader = new BlobReader(repository.toplevel);
  readers.push(reader);
  return side === "index" ? GitTree.ofIndex(repository, reader) : GitTree.ofCommit(repository, "HEAD", "HEAD", reader);
}

describe("GitTree", () => {
  it("lists, reads and tells files from directories like the file system does", async () => {
    const repo = GitHistory.create();
    repo.commit("files", {
      "main.tf": "a",
      "modules/x/main.tf": "b",
      "modules/x/README.md": "c",
      "café dir/naïve file.tf": "d",
    });
    repo.write({ "main.tf": "changed on disk" });
    const tree = await snapshot(repo);
    const at = (p: string) => join(repo.dir, p);

    expect(Buffer.from(await tree.read(at("main.tf"))).toString()).toBe("a");
    expect(Buffer.from(await tree.read(at("café dir/naïve file.tf"))).toString()).toBe("d");
    expect(await tree.files(at("modules/x"))).toEqual(["README.md", "main.tf"]);
    // A commit's directories have their tree ids (the root's is not listed); the index's have none.
    expect(tree.treeId(at("modules/x"))).toBe(repo.git("rev-parse", "HEAD:modules/x").trim());
    expect(tree.treeId(at("café dir"))).toBe(repo.git("rev-parse", "HEAD:café dir").trim());
    expect(tree.treeId(at("modules/x/main.tf"))).toBeUndefined();
    expect(tree.treeId(repo.dir)).toBeUndefined();
    expect((await snapshot(repo, "index")).treeId(at("modules/x"))).toBeUndefined();
    expect(tree.special).toEqual([]);
    expect(await tree.files(at("modules"))).toEqual([]);
    expect(tree.kind(at("modules"))).toBe("dir");
    expect(tree.kind(repo.dir)).toBe("dir");
    expect(tree.kind(at("main.tf"))).toBe("file");
    expect(tree.kind(at("nope"))).toBeUndefined();
    await expect(tree.read(at("nope.tf"))).rejects.toMatchObject({ code: "ENOENT" });
    await expect(tree.read(at("modules"))).rejects.toMatchObject({ code: "EISDIR" });
    await expect(tree.files(at("main.tf"))).rejects.toMatchObject({ code: "ENOTDIR" });
    await expect(tree.files(at("nope"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("names a commit's whole tree by a digest of its top records: the same for the same tree, another for any change below", async () => {
    const repo = GitHistory.create();
    repo.commit("files", { "main.tf": "a", "envs/a/main.tf": "b", "envs/a/sub/x.tf": "c", "modules/m/main.tf": "d" });
    const digest = (await snapshot(repo)).rootDigest;
    expect(digest).toMatch(/^[0-9a-f]{40}$/);
    expect((await snapshot(repo, "index")).rootDigest).toBeUndefined();
    // Another commit of the same tree.
    repo.git("commit", "-q", "--allow-empty", "-m", "same tree");
    expect((await snapshot(repo)).rootDigest).toBe(digest);
    const seen = new Set([digest]);
    const changes: Record<string, string | null>[] = [
      { "envs/a/sub/x.tf": "changed" },
      { "envs/a/sub/y.tf": "added" },
      { "modules/m/main.tf": null },
      { "main.tf": "changed" },
    ];
    for (const files of changes) {
      repo.commit("a change", files);
      const changed = (await snapshot(repo)).rootDigest;
      expect(seen.has(changed)).toBe(false);
      seen.add(changed);
    }
    repo.git("update-index", "--chmod=+x", "envs/a/main.tf");
    repo.git("commit", "-q", "-m", "mode");
    expect(seen.has((await snapshot(repo)).rootDigest)).toBe(false);
  });

  it("lists a directory for fileset as the working tree does: files, subdirectories, links and submodules refused", async () => {
    const repo = GitHistory.create();
    repo.commit("files", { "data/a.yaml": "a", "data/sub/b.yaml": "b", "data/deep/er/c.yaml": "c" });
    symlinkSync("a.yaml", join(repo.dir, "data", "link.yaml"));
    repo.git("add", "-A");
    repo.git("commit", "-qm", "link");
    repo.write({ "data/staged.yaml": "s" });
    repo.git("add", "-A");
    const at = (p: string) => join(repo.dir, p);
    const refused = {
      name: "link.yaml",
      kind: "refused",
      reason: expect.stringContaining("is a symbolic link or a submodule in HEAD"),
    };
    expect(await (await snapshot(repo)).list(at("data"))).toEqual([
      { name: "a.yaml", kind: "file" },
      { name: "deep", kind: "dir" },
      refused,
      { name: "sub", kind: "dir" },
    ]);
    const index = await snapshot(repo, "index");
    expect((await index.list(at("data"))).map((e) => `${e.name} ${e.kind}`)).toEqual([
      "a.yaml file",
      "deep dir",
      "link.yaml refused",
      "staged.yaml file",
      "sub dir",
    ]);
    expect(await index.list(at("data/deep"))).toEqual([{ name: "er", kind: "dir" }]);
    await expect(index.list(at("data/a.yaml"))).rejects.toMatchObject({ code: "ENOTDIR" });
    await expect(index.list(at("nope"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("discovers the tracked Terraform files under the paths, with the config's exclude, like the working tree", async () => {
    const repo = GitHistory.create();
    repo.commit("files", {
      "a/main.tf": "",
      "a/vars.tf.json": "{}",
      "a/.terraform/modules/m/main.tf": "",
      "a/node_modules/x/main.tf": "",
      "b/main.tofu": "",
      "b/skip/main.tf": "",
      "notes.txt": "",
    });
    repo.write({ "a/untracked.tf": "" });
    symlinkSync("main.tf", join(repo.dir, "a", "link.tf"));
    repo.git("add", "a/link.tf");
    repo.git("commit", "-q", "-m", "link");
    const tree = await snapshot(repo);
    const found = await tree.discover([".", "notes.txt", "b/main.tofu", "gone", "../outside"], repo.dir, {
      base: repo.dir,
      patterns: ["b/skip/**"],
    });
    const rel = (paths: string[]) => paths.map((p) => p.slice(repo.dir.length + 1));
    expect(rel(found.files)).toEqual(["a/main.tf", "a/vars.tf.json", "b/main.tofu"]);
    expect(rel(found.namedFiles)).toEqual(["b/main.tofu"]);
    expect(rel(found.otherFiles)).toEqual(["notes.txt"]);
    expect(found.errors.map((e) => e.message)).toEqual([
      "path does not exist in HEAD: gone",
      `outside the git repository (${repo.dir}): ../outside`,
    ]);
  });

  it("is the index when made from a commit's listing and git's diff of the two, as when the index is listed whole", async () => {
    const repo = GitHistory.create();
    repo.commit("files", {
      "main.tf": "a",
      "keep/main.tf": "k",
      "gone/only.tf": "g",
      "deep/er/only.tf": "d",
      "deep/other.txt": "o",
      "mixed/a.tf": "a",
      "mixed/b.tf": "b",
      "mode.sh": "#!/bin/sh\n",
    });
    symlinkSync("main.tf", join(repo.dir, "link.tf"));
    repo.git("add", "link.tf");
    repo.git("commit", "-q", "-m", "link");
    repo.stage({
      "main.tf": "changed",
      "gone/only.tf": null,
      "deep/er/only.tf": null,
      "mixed/a.tf": null,
      "mixed/c.tf": "c",
      "new/dir/x.tf": "x",
      "link.tf": null,
    });
    symlinkSync("keep", join(repo.dir, "mixed", "link"));
    repo.git("add", "mixed/link");
    repo.git("update-index", "--chmod=+x", "mode.sh");
    writeFileSync(join(repo.dir, "intent.tf"), "i");
    repo.git("add", "-N", "intent.tf");
    const repository = await openRepository(repo.dir);
    const reader = new BlobReader(repository.toplevel);
    readers.push(reader);
    const head = await GitTree.ofCommit(repository, "HEAD", "HEAD", reader);
    const changes = indexChanges(
      Buffer.from(repo.git("diff-index", "--cached", "--raw", "-z", "--no-renames", "HEAD", "--"), "utf8"),
    )!;
    // A mode change alone is no change of content.
    expect(changes.map((c) => c.path)).not.toContain("mode.sh");
    const made = head.withChanges("the index", changes);
    const listed = await GitTree.ofIndex(repository, reader);
    expect(new Map(made.entries)).toEqual(new Map(listed.entries));
    expect([...made.special].sort()).toEqual([...listed.special].sort());
    const dirs = (tree: GitTree) => new Map([...tree.directories()].map(([d, names]) => [d, [...names].sort()]));
    expect(dirs(made)).toEqual(dirs(listed));
    for (const path of ["gone", "deep", "deep/er", "mixed", "new", "new/dir", "main.tf", "link.tf", "intent.tf"])
      expect(made.kind(join(repo.dir, path)), path).toBe(listed.kind(join(repo.dir, path)));
    expect(await made.list(join(repo.dir, "mixed"))).toEqual(await listed.list(join(repo.dir, "mixed")));
    expect(Buffer.from(await made.read(join(repo.dir, "main.tf"))).toString()).toBe("changed");
    expect(made.blobIds.get(join(repo.dir, "new/dir/x.tf"))).toBe(listed.blobIds.get(join(repo.dir, "new/dir/x.tf")));
    expect(made.blobIds.has(join(repo.dir, "gone/only.tf"))).toBe(false);
    // Unmerged paths: the diff does not say which stage is read; the index is listed whole instead.
    expect(indexChanges(Buffer.from(":000000 000000 " + "0".repeat(40) + " " + "0".repeat(40) + " U\0a.tf\0"))).toBe(
      undefined,
    );
  });

  it("finds in a commit's listing, read directory by directory, what the index lists of the same tree", async () => {
    // Names that sort around "/" (git orders a subtree as "name/"), subtrees nested and side by side,
    // directories holding only links or submodules (no directory to scan), names with spaces, tabs,
    // newlines and beyond ASCII: a directory's files are picked out of the listing, its subdirectories'
    // records skipped, and both ways must agree on every question.
    const repo = GitHistory.create();
    const files: Record<string, string> = {
      "main.tf": "r",
      "a.tf": "1",
      "a-b.tf": "2",
      "a/x.tf": "3",
      "a/b/y.tf": "4",
      "a/b/c/z.tf": "5",
      "a/b.tf": "6",
      "a/b0/w.tf": "7",
      "a0.tf": "8",
      "a.b/v.tf": "9",
      "only-dirs/one/deep/u.tf": "10",
      "only-dirs/two/t.tf": "11",
      "tab\there/s.tf": "12",
      "new\nline/q.tf": "13",
      "café/naïve.tf": "14",
      "spaced dir/p q.tf": "15",
      "links/target.txt": "16",
      "z/last.tf": "17",
    };
    repo.write(files);
    symlinkSync("../main.tf", join(repo.dir, "links", "link.tf"));
    symlinkSync("../main.tf", join(repo.dir, "a", "b", "link.tf"));
    repo.write({ "only-link/placeholder": "x" });
    symlinkSync("../main.tf", join(repo.dir, "only-link", "l.tf"));
    repo.git("add", "-A");
    repo.git("rm", "-q", "--cached", "only-link/placeholder");
    repo.git("update-index", "--add", "--cacheinfo", `160000,${"1".repeat(40)},vendor/sub`);
    repo.git("update-index", "--add", "--cacheinfo", `160000,${"2".repeat(40)},a/b/sub`);
    repo.git("commit", "-q", "-m", "tree");
    const commit = await snapshot(repo);
    const index = await snapshot(repo, "index");
    const at = (p: string) => (p === "" ? repo.dir : join(repo.dir, p));
    // Asked one by one first (each directory listed when asked), then as a whole.
    const paths = [
      ...Object.keys(files),
      ...["a", "a/b", "a/b/c", "a/b0", "a.b", "only-dirs", "only-dirs/one", "only-dirs/one/deep", "links", "only-link"],
      ...["vendor", "vendor/sub", "a/b/sub", "a/b/link.tf", "links/link.tf", "only-link/l.tf", "nope", "a/nope.tf", ""],
    ];
    for (const path of [...paths].reverse()) {
      expect(commit.kind(at(path)), path).toBe(index.kind(at(path)));
      expect(commit.blobId(at(path)), path).toBe(index.blobId(at(path)));
      if (index.kind(at(path)) === "dir") {
        expect(await commit.files(at(path)), path).toEqual(await index.files(at(path)));
        // (A refusal's reason names the snapshot.)
        const listed = async (tree: GitTree) => (await tree.list(at(path))).map((e) => `${e.name} ${e.kind}`);
        expect(await listed(commit), path).toEqual(await listed(index));
        if (path !== "") expect(commit.treeId(at(path)), path).toBe(repo.git("rev-parse", `HEAD:${path}`).trim());
      }
    }
    expect(commit.kind(at("only-link"))).toBeUndefined();
    expect(commit.kind(at("vendor"))).toBeUndefined();
    expect(Buffer.from(await commit.read(at("a/b/c/z.tf"))).toString()).toBe("5");
    const sorted = (tree: GitTree) => new Map([...tree.directories()].map(([d, names]) => [d, [...names].sort()]));
    expect(sorted(commit)).toEqual(sorted(index));
    expect(new Map(commit.entries)).toEqual(new Map(index.entries));
    // Made once from the listing (a comparison looks it up for every file of the other side: see diff.ts).
    expect(commit.entries).toBe(commit.entries);
    expect([...commit.special].sort()).toEqual([...index.special].sort());
    const everything = await commit.discover(["."], repo.dir);
    expect(everything).toEqual(await index.discover(["."], repo.dir));
    expect(await commit.discover(["a/b", "only-dirs"], repo.dir)).toEqual(
      await index.discover(["a/b", "only-dirs"], repo.dir),
    );
    expect(everything.files.length).toBe(Object.keys(files).filter((f) => f.endsWith(".tf")).length);
  });

  it("reads the index: staged content, not the working tree's", async () => {
    const repo = GitHistory.create();
    repo.commit("one", { "main.tf": "committed" });
    repo.stage({ "main.tf": "staged", "new.tf": "new" });
    repo.write({ "main.tf": "on disk", "new.tf": null });
    const index = await snapshot(repo, "index");
    expect(Buffer.from(await index.read(join(repo.dir, "main.tf"))).toString()).toBe("staged");
    expect(Buffer.from(await index.read(join(repo.dir, "new.tf"))).toString()).toBe("new");
    expect(index.label).toBe("the index");
  });

  it("reads large and binary blobs whole, across pipe chunks, in order", async () => {
    const repo = GitHistory.create();
    const big = "x".repeat(3_000_000);
    const binary = Buffer.from([0, 10, 255, 10, 0, 13, 10]);
    writeFileSync(join(repo.dir, "bin.tf"), binary);
    repo.git("add", "bin.tf");
    repo.commit("blobs", { "big.tf": big, "small.tf": "s" });
    const tree = await snapshot(repo);
    const [a, b, c, d] = await Promise.all(
      ["small.tf", "big.tf", "bin.tf", "small.tf"].map((p) => tree.read(join(repo.dir, p))),
    );
    expect(Buffer.from(a!).toString()).toBe("s");
    expect(Buffer.from(b!).length).toBe(big.length);
    expect(Buffer.from(c!)).toEqual(binary);
    expect(Buffer.from(d!).toString()).toBe("s");
  });

  it("reads thousands of files through one git process", async () => {
    const repo = GitHistory.create();
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) files[`stacks/s${i % 100}/f${i}.tf`] = `# file ${i}\n`;
    repo.commit("many", files);
    // One git process per file would be 3,000.
    const calls = await gitCalls(async () => {
      const tree = await snapshot(repo);
      const found = await tree.discover(["."], repo.dir);
      for (const file of found.files) await tree.read(file);
      expect(found.files).toHaveLength(3000);
    });
    // keygate's own -c settings come first (see SAFE_GIT_OPTIONS): the command is found among the arguments.
    expect(calls.filter((call) => /(^| )cat-file( |$)/.test(call))).toHaveLength(1);
    expect(calls.length).toBeLessThanOrEqual(5);
  });

  it("starts every git process with keygate's -c settings, the synchronous read included", async () => {
    const repo = GitHistory.create();
    repo.commit("two", { "stack/main.tf": "# main\n", "stack/other.tf": "# other\n" });
    const calls = await gitCalls(async () => {
      const tree = await snapshot(repo);
      expect(Buffer.from(tree.readNow(join(repo.dir, "stack", "main.tf"))).toString()).toBe("# main\n");
      await tree.read(join(repo.dir, "stack", "other.tf"));
    });
    expect(calls.filter((call) => / cat-file --batch$/.test(call)).length).toBeGreaterThanOrEqual(1);
    for (const call of calls) expect(call.startsWith(`${SAFE_GIT_OPTIONS.join(" ")} `), call).toBe(true);
  });
});

/** The arguments of every git that `run` starts (through a logging wrapper first on PATH), one line each. */
async function gitCalls(run: () => Promise<void>): Promise<string[]> {
  const bin = mkdtempSync(join(tmpdir(), "keygate-git-calls-"));
  const log = join(bin, "calls.log");
  const realGit = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  writeFileSync(join(bin, "git"), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
  const path = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${path ?? ""}`;
  try {
    await run();
    return readFileSync(log, "utf8").trim().split("\n");
  } finally {
    process.env.PATH = path;
    rmSync(bin, { recursive: true, force: true });
  }
}
