import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ParseCache } from "../../src/load/parse-cache.js";
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

async function cacheIn(): Promise<{ open: () => Promise<ParseCache> }> {
  const dir = await writeTree({});
  const state = await writeTree({});
  const scope = { cwd: "/repository", policies: ["KG001"], keyFile: join(state, "key") };
  return {
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
});
