import { describe, expect, it } from "vitest";
import { BadPattern, glob, matchComponent } from "../../src/model/functions/glob.js";
import type { DirectoryEntry } from "../../src/load/tree.js";

/** A directory tree in memory: a path ending in `/` is a directory; `@` marks a refused entry. */
function treeOf(paths: string[]) {
  const dirs = new Map<string, DirectoryEntry[]>([["/r", []]]);
  const add = (dir: string, entry: DirectoryEntry) => {
    if (!dirs.has(dir)) dirs.set(dir, []);
    if (!dirs.get(dir)!.some((e) => e.name === entry.name)) dirs.get(dir)!.push(entry);
  };
  for (const path of paths) {
    const parts = path.replace(/\/$/, "").split("/");
    for (let i = 0; i < parts.length; i++) {
      const dir = ["/r", ...parts.slice(0, i)].join("/");
      const name = parts[i]!.replace(/^@/, "");
      const isLast = i === parts.length - 1;
      if (!isLast || path.endsWith("/")) {
        add(dir, { name, kind: "dir" });
        if (!dirs.has(`${dir}/${name}`)) dirs.set(`${dir}/${name}`, []);
      } else add(dir, parts[i]!.startsWith("@") ? { name, kind: "refused", reason: "x" } : { name, kind: "file" });
    }
  }
  const list = async (dir: string) => dirs.get(dir);
  const kindOf = async (path: string) => {
    if (dirs.has(path)) return "dir" as const;
    const slash = path.lastIndexOf("/");
    return dirs.get(path.slice(0, slash))?.find((e) => e.name === path.slice(slash + 1))?.kind;
  };
  return async (pattern: string) =>
    (await glob(pattern, "/r", list, kindOf)).map((p) => p.replace(/^\/r\//, "")).sort();
}

describe("fileset's glob: doublestar v1.1.5 as Terraform pins it", () => {
  const files = treeOf([
    "users/alice.yaml",
    "users/bob.yml",
    "users/.hidden.yaml",
    "users/README.md",
    "users/team/carol.yaml",
    "users/team/deep/dave.yaml",
    "users/empty/",
    "users/x1.json",
    "users/x2.json",
    "users/xa.json",
    "users/a,b.txt",
  ]);

  it("* and ? stay within a path component; dot files are not special", async () => {
    expect(await files("users/*.yaml")).toEqual(["users/.hidden.yaml", "users/alice.yaml"]);
    expect(await files("users/x?.json")).toEqual(["users/x1.json", "users/x2.json", "users/xa.json"]);
    expect(await files("*/*/*.yaml")).toEqual(["users/team/carol.yaml"]);
  });

  it("** is any number of directories, none included; at the end, every file and directory below", async () => {
    expect(await files("users/**/*.yaml")).toEqual([
      "users/.hidden.yaml",
      "users/alice.yaml",
      "users/team/carol.yaml",
      "users/team/deep/dave.yaml",
    ]);
    expect(await files("users/team/**")).toEqual([
      "users/team/carol.yaml",
      "users/team/deep",
      "users/team/deep/dave.yaml",
    ]);
  });

  it("classes, negated classes, ranges, alternatives and escapes", async () => {
    expect(await files("users/x[0-9].json")).toEqual(["users/x1.json", "users/x2.json"]);
    expect(await files("users/x[^0-9].json")).toEqual(["users/xa.json"]);
    expect(await files("users/*.{yml,md}")).toEqual(["users/README.md", "users/bob.yml"]);
    expect(await files("users/a\\,b.txt")).toEqual(["users/a,b.txt"]);
    expect(matchComponent("{a\\,b,c}.txt", "a,b.txt")).toBe(true);
    expect(matchComponent("\\*", "*")).toBe(true);
    expect(matchComponent("\\*", "x")).toBe(false);
  });

  it("a literal path is looked up, not matched; nothing there is no match", async () => {
    expect(await files("users/alice.yaml")).toEqual(["users/alice.yaml"]);
    expect(await files("nothing/*.yaml")).toEqual([]);
  });

  it("a malformed pattern is an error, as in Terraform", async () => {
    await expect(files("users/[.yaml")).rejects.toBeInstanceOf(BadPattern);
    await expect(files("users/{a,b")).rejects.toBeInstanceOf(BadPattern);
    await expect(files("users/x[].json")).rejects.toBeInstanceOf(BadPattern);
  });

  it("an entry the tree refuses to follow is returned wherever the glob meets it, for fileset to report", async () => {
    const linked = treeOf(["data/a.yaml", "data/@elsewhere"]);
    expect(await linked("data/*.yaml")).toEqual(["data/a.yaml"]);
    expect(await linked("data/**/*.yaml")).toEqual(["data/a.yaml", "data/elsewhere"]);
    expect(await linked("data/*")).toEqual(["data/a.yaml", "data/elsewhere"]);
  });
});
