import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ParseCache } from "../../src/load/parse-cache.js";
import { CallGraph, stubModule } from "../../src/model/call-graph.js";
import { resolveLocal } from "../../src/model/configuration.js";
import { buildModule } from "../../src/model/module.js";
import { readSourceFile } from "../../src/load/sources.js";
import { writeTree } from "../support/scan-fixture.js";

const ID_A = "a".repeat(40);
const ID_B = "b".repeat(40);

async function cacheIn(dir: string, state: string): Promise<ParseCache> {
  const cache = new ParseCache(dir, { cwd: dir, policies: ["KG001"], keyFile: join(state, "key") });
  await cache.load();
  return cache;
}

describe("the module-call graph kept in the cache", () => {
  it("is keyed by the directory and each file's name and blob id", () => {
    const ids = new Map([
      ["/r/envs/a/main.tf", ID_A],
      ["/r/envs/a/vars.tf", ID_B],
    ]);
    const key = CallGraph.key("/r/envs/a", [...ids.keys()], (p) => ids.get(p));
    expect(key).toBeDefined();
    // Another content, another file, another directory, or an id not known: another key, or none.
    expect(CallGraph.key("/r/envs/a", [...ids.keys()], (p) => (p.endsWith("vars.tf") ? ID_A : ids.get(p)))).not.toBe(
      key,
    );
    expect(CallGraph.key("/r/envs/a", ["/r/envs/a/main.tf"], (p) => ids.get(p))).not.toBe(key);
    expect(CallGraph.key("/r/envs/b", ["/r/envs/b/main.tf", "/r/envs/b/vars.tf"], () => ID_A)).not.toBe(
      CallGraph.key("/r/envs/a", ["/r/envs/a/main.tf", "/r/envs/a/vars.tf"], () => ID_A),
    );
    expect(CallGraph.key("/r/envs/a", [...ids.keys()], (p) => (p.endsWith("vars.tf") ? undefined : ID_A))).toBe(
      undefined,
    );
  });

  it("keeps a module's local calls across runs (signed with the cache), drops what a run did not use, and refuses what it did not write", async () => {
    const dir = await writeTree({
      "envs/a/main.tf": 'module "m" {\n  source = "../../modules/m"\n}\n\nmodule "n" {\n  source = "./n"\n}\n',
      "envs/b/main.tf": 'module "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "5.0.0"\n}\n',
    });
    const state = await writeTree({});
    const source = async (path: string) => {
      const read = await readSourceFile(join(dir, path), dir);
      if (!read.ok) throw new Error("unreadable");
      return read.source;
    };
    const a = buildModule(join(dir, "envs/a"), [await source("envs/a/main.tf")]);
    const b = buildModule(join(dir, "envs/b"), [await source("envs/b/main.tf")]);
    const first = await cacheIn(dir, state);
    const graph = new CallGraph(first);
    graph.remember("a", a);
    graph.remember("b", b);
    graph.remember("unused", a);
    expect(graph.calls("a")).toBeUndefined(); // what this run wrote is read by the next one
    await first.save();

    const second = await cacheIn(dir, state);
    const again = new CallGraph(second);
    const calls = again.calls("a");
    expect(calls).toEqual([
      ["m", "../../modules/m", "envs/a/main.tf", 1, 1, 3, 2],
      ["n", "./n", "envs/a/main.tf", 5, 1, 7, 2],
    ]);
    // A registry call brings the catalog and .terraform/ into the shape: not kept.
    expect(again.calls("b")).toBeUndefined();
    const stub = stubModule(join(dir, "envs/a"), calls!, dir);
    expect(stub.calls.map((c) => [c.name, c.source, c.location.file, c.location.line])).toEqual([
      ["m", "../../modules/m", "envs/a/main.tf", 1],
      ["n", "./n", "envs/a/main.tf", 5],
    ]);
    expect(stub.files).toEqual([]);
    await second.save();

    // "unused" was not looked up by the second run: gone.
    const third = await cacheIn(dir, state);
    expect(new CallGraph(third).calls("unused")).toBeUndefined();
    expect(new CallGraph(third).calls("a")).toHaveLength(2);

    // A value of another shape under a key (written by an older keygate, say) is not taken for calls.
    third.record("calls").set("odd", [["m", "registry/x/aws", "main.tf", 1, 1, 1, 1]]);
    third.record("calls").set("odder", "m");
    await third.save();
    const fourth = await cacheIn(dir, state);
    expect(new CallGraph(fourth).calls("odd")).toBeUndefined();
    expect(new CallGraph(fourth).calls("odder")).toBeUndefined();
  });

  it("keeps directory summaries by git tree id: how many module files, and the calls; only local calls, only well-formed values", async () => {
    const dir = await writeTree({
      "envs/a/main.tf": 'module "m" {\n  source = "../../modules/m"\n}\n',
      "envs/b/main.tf": 'module "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "5.0.0"\n}\n',
    });
    const state = await writeTree({});
    const module = async (path: string) => {
      const read = await readSourceFile(join(dir, path), dir);
      if (!read.ok) throw new Error("unreadable");
      return buildModule(join(dir, path, ".."), [read.source]);
    };
    const keyA = CallGraph.treeKey(join(dir, "envs/a"), ID_A);
    // Another tree id, or another directory with that id: another key.
    expect(CallGraph.treeKey(join(dir, "envs/a"), ID_B)).not.toBe(keyA);
    expect(CallGraph.treeKey(join(dir, "envs/b"), ID_A)).not.toBe(keyA);
    const first = await cacheIn(dir, state);
    const graph = new CallGraph(first);
    graph.rememberSummary(keyA, 3, await module("envs/a/main.tf"));
    graph.rememberSummary("b", 1, await module("envs/b/main.tf"));
    graph.rememberSummary("empty", 0, await module("envs/a/main.tf"));
    first.record("calls").set("odd", [2, "m"]);
    first.record("calls").set("odder", [0, []]);
    await first.save();
    const again = new CallGraph(await cacheIn(dir, state));
    expect(again.summary(keyA)).toEqual({ files: 3, calls: [["m", "../../modules/m", "envs/a/main.tf", 1, 1, 3, 2]] });
    for (const key of ["b", "empty", "odd", "odder"]) expect(again.summary(key), key).toBeUndefined();
    // A summary is not a blob-id entry, nor the other way round.
    expect(again.calls(keyA)).toBeUndefined();
  });
});

describe("resolveLocal", () => {
  it("resolves a local module source from its module's directory exactly as path.resolve does", () => {
    const dirs = [
      "/",
      "/repo",
      "/repo/envs/a",
      "/repo/envs/a/",
      "/repo//envs/./a",
      "/repo/envs/../modules/m",
      "/a b/c",
    ];
    const sources = [
      "./",
      ".",
      "./m",
      "./m/",
      "../m",
      "../../modules/m",
      "../../../../../../x",
      "./a//b/./c/../d",
      "../",
      "..",
      "./.hidden/x",
      "./x y",
      "./a\\b",
    ];
    for (const dir of dirs)
      for (const source of sources) expect(resolveLocal(dir, source), `${dir} + ${source}`).toBe(resolve(dir, source));
  });
});
