import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { ParseCache, writeSignedFile } from "../../src/load/parse-cache.js";
import type { ParsedHcl } from "../../src/load/parse-pool.js";
import { writeTree } from "../support/scan-fixture.js";

const WORDS = ["module", "variable"];
const body = (name: string): ParsedHcl => ({
  result: {
    ok: true,
    body: {
      attributes: [],
      blocks: [
        {
          type: "resource",
          labels: ["t", name],
          start: 0,
          end: 20,
          headerEnd: 18,
          body: { attributes: [], blocks: [] },
        },
      ],
    },
  },
});

async function cacheIn(): Promise<{ open: () => Promise<ParseCache>; keyFile: string }> {
  const dir = await writeTree({});
  const state = await writeTree({});
  const scope = { cwd: "/repository", policies: ["KG001"], keyFile: join(state, "key") };
  return {
    keyFile: scope.keyFile,
    open: async () => {
      const cache = new ParseCache(dir, scope);
      await cache.load();
      return cache;
    },
  };
}

describe("the parse cache's file", () => {
  it("keeps entries, facts and file metadata from one run to the next, and only what a run used", async () => {
    const { open } = await cacheIn();
    const first = await open();
    first.set("blob:a", body("a"));
    first.set("blob:b", body("b"));
    first.setFacts("a", { wellFormed: true, skeleton: "plain", mentions: 2 }, WORDS);
    await first.save();
    const second = await open();
    expect(second.get("blob:a")).toEqual(body("a"));
    expect(second.get("blob:c")).toBeUndefined();
    expect(second.facts("a", WORDS)).toEqual({ wellFormed: true, skeleton: "plain", mentions: 2 });
    // Facts taken with other words are not these.
    expect(second.facts("a", ["module"])).toBeUndefined();
    await second.save();
    // blob:b was not used by the second run: it is gone; blob:a, read from the file and not changed, is kept as it was.
    const third = await open();
    expect(third.get("blob:a")).toEqual(body("a"));
    expect(third.get("blob:b")).toBeUndefined();
  });

  it("keeps everything it holds, used or not, for a run that retains it all, and what the run added", async () => {
    const { open } = await cacheIn();
    const first = await open();
    first.set("blob:a", body("a"));
    first.setFacts("a", { wellFormed: true, skeleton: "plain", mentions: 2 }, WORDS);
    first.vouch("/repository/a.tf", { size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1, dev: 1 }, "a", 10_000);
    first.record("calls").set("envs/a", ["modules/x"]);
    await first.save();
    const second = await open();
    second.retainAll();
    second.set("blob:b", body("b"));
    second.record("calls").set("envs/b", ["modules/y"]);
    await second.save();
    const third = await open();
    expect(third.get("blob:a")).toEqual(body("a"));
    expect(third.get("blob:b")).toEqual(body("b"));
    expect(third.facts("a", WORDS)).toEqual({ wellFormed: true, skeleton: "plain", mentions: 2 });
    expect(third.vouched("/repository/a.tf", { size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1, dev: 1 })).toBe("a");
    expect(third.record("calls").get("envs/a")).toEqual(["modules/x"]);
    expect(third.record("calls").get("envs/b")).toEqual(["modules/y"]);
    // Without retainAll, what a run did not use goes as before.
    const fourth = await open();
    expect(fourth.get("blob:a")).toEqual(body("a"));
    await fourth.save();
    expect((await open()).get("blob:b")).toBeUndefined();
    // A run that retains all and adds nothing leaves the file as it is.
    const fifth = await open();
    fifth.retainAll();
    const bytes = readFileSync(fifth.file);
    await fifth.save();
    expect(readFileSync(fifth.file).equals(bytes)).toBe(true);
    expect((await open()).get("blob:a")).toEqual(body("a"));
  });

  it("keeps other parts' records, key by key, and drops what a run did not use", async () => {
    const { open } = await cacheIn();
    const first = await open();
    first.record("calls").set("envs/a", ["modules/x"]);
    first.record("calls").set("envs/b", ["modules/y"]);
    first.set("blob:a", body("a"));
    await first.save();
    const second = await open();
    expect(second.record("calls").get("envs/a")).toEqual(["modules/x"]);
    expect(second.record("other").get("envs/a")).toBeUndefined();
    // A parse result kept unread (its content known unchanged) stays, as it was.
    second.keep("a");
    await second.save();
    const third = await open();
    expect(third.get("blob:a")).toEqual(body("a"));
    expect(third.record("calls").get("envs/a")).toEqual(["modules/x"]);
    expect(third.record("calls").get("envs/b")).toBeUndefined();
  });

  it("drops a record whole when asked, even from a run that keeps everything; what a run set is its latest value", async () => {
    const { open } = await cacheIn();
    const first = await open();
    first.record("walk:a").set("k", "a");
    first.record("walk:b").set("k", "b");
    first.record("calls").set("envs/a", ["modules/x"]);
    expect(first.record("calls").get("envs/a")).toBeUndefined();
    expect(first.record("calls").latest("envs/a")).toEqual(["modules/x"]);
    await first.save();
    const second = await open();
    second.retainAll();
    expect(second.record("calls").latest("envs/a")).toEqual(["modules/x"]);
    second.dropRecord("walk:a");
    expect(second.record("walk:a").get("k")).toBeUndefined();
    await second.save();
    const third = await open();
    expect(third.record("walk:a").get("k")).toBeUndefined();
    expect(third.record("walk:b").get("k")).toBe("b");
    expect(third.record("calls").get("envs/a")).toEqual(["modules/x"]);
    // Dropping what the file does not hold changes nothing.
    third.retainAll();
    third.dropRecord("walk:z");
    const bytes = readFileSync(third.file);
    await third.save();
    expect(readFileSync(third.file).equals(bytes)).toBe(true);
  });

  it("a file changed by a single byte is not read at all, and one of another format is ignored", async () => {
    const { open } = await cacheIn();
    const first = await open();
    first.record("calls").set("envs/a", ["modules/x"]);
    first.set("blob:a", body("a"));
    await first.save();
    const bytes = readFileSync(first.file);
    const flipped = Buffer.from(bytes);
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 3) ^ 1, flipped.length - 3);
    writeFileSync(first.file, flipped);
    const tampered = await open();
    expect(tampered.notes.join("\n")).toMatch(/signature does not verify/);
    expect(tampered.get("blob:a")).toBeUndefined();
    expect(tampered.record("calls").get("envs/a")).toBeUndefined();
    writeFileSync(first.file, Buffer.concat([Buffer.from("keygate-cache-v2\n"), bytes.subarray(17)]));
    const foreign = await open();
    expect(foreign.notes).toEqual([]);
    expect(foreign.get("blob:a")).toBeUndefined();
  });

  it("takes no malformed fact or metadata section or value from the file, though it no longer copies them out when it reads it", async () => {
    const { open, keyFile } = await cacheIn();
    const first = await open();
    const metadata = { size: 1, mtimeMs: 1, ctimeMs: 1, ino: 1, dev: 1 };
    first.setFacts("a", { wellFormed: true, skeleton: "plain", mentions: 2 }, WORDS);
    first.setFacts("b", { wellFormed: true, skeleton: "plain", mentions: 1 }, WORDS);
    first.setFacts("c", { wellFormed: true, skeleton: "plain", mentions: 1 }, WORDS);
    first.vouch("/repository/a.tf", metadata, "a", 10_000);
    await first.save();
    // The file rewritten (and signed again): facts whose values are no packed numbers beside a good one, and a
    // metadata section whose keys do not fit where it says they end.
    const magic = Buffer.from("keygate-cache-v3\n");
    const payload = readFileSync(first.file).subarray(magic.length + 32);
    const length = payload.readUInt32LE(0);
    const header = deserialize(payload.subarray(4, 4 + length)) as { sections: Map<string, [number, number]> };
    const data = payload.subarray(4 + length);
    const facts = deserialize(data.subarray(...extent(header.sections.get("facts")!))) as {
      keys: string;
      values: Float64Array;
    };
    const stats = deserialize(data.subarray(...extent(header.sections.get("metadata")!))) as { keys: string };
    expect(facts.keys).toBe("abc");
    facts.values[1] = Number.NaN;
    facts.values[2] = 0.5;
    stats.keys += "x";
    const extra = [serialize(facts), serialize(stats)];
    header.sections.set("facts", [data.length, extra[0]!.length]);
    header.sections.set("metadata", [data.length + extra[0]!.length, extra[1]!.length]);
    const rewritten = serialize(header);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(rewritten.length);
    await writeSignedFile(first.file, keyFile, magic, Buffer.concat([size, rewritten, data, ...extra]));
    const second = await open();
    expect(second.facts("a", WORDS)).toEqual({ wellFormed: true, skeleton: "plain", mentions: 2 });
    expect(second.facts("b", WORDS)).toBeUndefined();
    expect(second.facts("c", WORDS)).toBeUndefined();
    expect(second.facts("d", WORDS)).toBeUndefined();
    expect(second.vouched("/repository/a.tf", metadata)).toBeUndefined();
    // Retained whole, the good entries are kept and the malformed ones dropped.
    second.retainAll();
    second.set("blob:new", body("new"));
    await second.save();
    const third = await open();
    expect(third.facts("a", WORDS)).toEqual({ wellFormed: true, skeleton: "plain", mentions: 2 });
    expect(third.facts("b", WORDS)).toBeUndefined();
    const kept = readFileSync(third.file).subarray(magic.length + 32);
    const keptHeader = deserialize(kept.subarray(4, 4 + kept.readUInt32LE(0))) as typeof header;
    const keptData = kept.subarray(4 + kept.readUInt32LE(0));
    const keptFacts = deserialize(keptData.subarray(...extent(keptHeader.sections.get("facts")!))) as {
      keys: string;
    };
    expect(keptFacts.keys).toBe("a");
    // A broken section alone makes a run that uses nothing new write the file again, without it.
    const broken = Buffer.concat([size, rewritten, data, ...extra]);
    await writeSignedFile(first.file, keyFile, magic, broken);
    const signed = readFileSync(first.file);
    const fourth = await open();
    expect(fourth.facts("a", WORDS)).toBeDefined();
    await fourth.save();
    expect(readFileSync(first.file).equals(signed)).toBe(false);
    expect((await open()).facts("a", WORDS)).toEqual({ wellFormed: true, skeleton: "plain", mentions: 2 });
  });

  it("finds facts by key among many, looked up one by one or in bulk", async () => {
    const { open } = await cacheIn();
    const first = await open();
    const keys = Array.from({ length: 1000 }, (_, i) => `${(i * 7919) % 1000}`.padStart(4, "k"));
    for (const [i, key] of keys.entries())
      first.setFacts(key, { wellFormed: i % 2 === 0, skeleton: "none", mentions: i }, WORDS);
    await first.save();
    const second = await open();
    // More than a few hundred lookups switch to a map: both ways give the same answers.
    for (const [i, key] of [...keys.entries(), ...keys.entries()])
      expect(second.facts(key, WORDS)).toEqual({ wellFormed: i % 2 === 0, skeleton: "none", mentions: i });
    expect(second.facts("zzzz", WORDS)).toBeUndefined();
    expect(second.facts("", WORDS)).toBeUndefined();
  });
});

/** A section's [start, end) in the data region, from its [offset, length]. */
function extent([offset, length]: [number, number]): [number, number] {
  return [offset, offset + length];
}
