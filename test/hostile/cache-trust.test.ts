import { readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { blobIdOf } from "../../src/load/git.js";
import { ParseCache, type FileMetadata } from "../../src/load/parse-cache.js";
import { runCli, writeTree } from "../support/scan-fixture.js";
import { git, PAIR } from "./support.js";

/** Every prefilter word (as many as there are) mentioned by none: a file that "cannot matter". */
const NOTHING = { wellFormed: true, skeleton: "plain" as const, mentions: 0 };

async function repositoryWithPair(): Promise<{ dir: string; cache: string; state: string }> {
  const dir = await writeTree({ "main.tf": PAIR, "queue.tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n' });
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "pair");
  return { dir, cache: await writeTree({}), state: await writeTree({}) };
}

/** Metadata as fstat gives it, for ParseCache.vouch/vouched (only these fields are read). */
const metadata = (size: number, mtimeMs: number, ctimeMs: number, ino = 7, dev = 1): FileMetadata => ({
  size,
  mtimeMs,
  ctimeMs,
  ino,
  dev,
});

describe("the cache is a hint", () => {
  it("vouches for a file's blob id only while its size, times, inode and device are what they were, and not for a file changed seconds ago", async () => {
    const dir = await writeTree({});
    const state = await writeTree({});
    const scope = { cwd: dir, policies: ["KG001"], keyFile: join(state, "key") };
    const now = 1_800_000_000_000;
    const cache = new ParseCache(dir, scope);
    cache.vouch("/r/old.tf", metadata(10, now - 60_000, now - 60_000), "a".repeat(40), now);
    cache.vouch("/r/racy.tf", metadata(10, now - 60_000, now - 1_000), "b".repeat(40), now);
    await cache.save();
    const later = new ParseCache(dir, scope);
    await later.load();
    expect(later.vouched("/r/old.tf", metadata(10, now - 60_000, now - 60_000))).toBe("a".repeat(40));
    expect(later.vouched("/r/racy.tf", metadata(10, now - 60_000, now - 1_000))).toBeUndefined();
    for (const changed of [
      metadata(11, now - 60_000, now - 60_000),
      metadata(10, now - 59_999, now - 60_000),
      metadata(10, now - 60_000, now - 10),
      metadata(10, now - 60_000, now - 60_000, 8),
      metadata(10, now - 60_000, now - 60_000, 7, 2),
    ])
      expect(later.vouched("/r/old.tf", changed)).toBeUndefined();
    expect(later.vouched("/r/other.tf", metadata(10, now - 60_000, now - 60_000))).toBeUndefined();
  });

  it("a file not read because its metadata vouched for it is read again once a write changed it, whatever git's index says", async () => {
    const { dir, cache, state } = await repositoryWithPair();
    writeFileSync(join(dir, "main.tf"), PAIR.replace(/aws_iam_/g, "aws_xyz_"));
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "no pair");
    git(dir, "config", "core.checkStat", "minimal");
    git(dir, "config", "core.trustctime", "false");
    // Files changed in the last seconds are never vouched for by their metadata (see ParseCache.vouch).
    await new Promise((done) => setTimeout(done, 3_200));
    const env = { XDG_STATE_HOME: state };
    const args = [".", "--cache-location", cache, "--debug", "-f", "json"];
    // Learns the facts; then checks the blob id by reading, and keeps the metadata; then needs no reading.
    for (let i = 0; i < 2; i++) expect((await runCli(args, dir, env)).code).toBe(0);
    const vouched = await runCli(args, dir, env);
    expect(vouched.code).toBe(0);
    // The files left to git's comparison with its index (see scan-verdicts.ts), whatever core.checkStat and core.trustctime say.
    expect(vouched.stderr).toContain(
      "main.tf: unchanged since an earlier run (git finds it as its index says, and the index keeps the size and times it had when keygate last checked its git blob id)",
    );
    const before = statSync(join(dir, "main.tf"));
    const pair = PAIR.replace('name = "u"', 'name = "v"');
    expect(Buffer.byteLength(pair)).toBe(before.size);
    writeFileSync(join(dir, "main.tf"), pair);
    utimesSync(join(dir, "main.tf"), before.atime, before.mtime);
    const run = await runCli(args, dir, env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings.map((f: { resource: string }) => f.resource)).toEqual([
      "aws_iam_access_key.k",
    ]);
  });

  it("a cache written with another key (a shared --cache-location, a restored CI cache) is ignored with a note", async () => {
    const { dir, cache, state } = await repositoryWithPair();
    const attacker = await writeTree({});
    // The attacker's cache says of main.tf's content that it mentions nothing, so that it is never parsed.
    const forged = new ParseCache(cache, { cwd: dir, policies: ["KG001"], keyFile: join(attacker, "key") });
    const words = (await import("../../src/load/prefilter.js")).prefilterFor(
      (await import("../../src/policies/catalog.js")).loadPolicies(),
    ).words;
    for (const file of ["main.tf", "queue.tf"])
      forged.setFacts(blobIdOf(readFileSync(join(dir, file), "utf8")), NOTHING, words);
    await forged.save();
    const env = { XDG_STATE_HOME: state };
    const run = await runCli([".", "--cache-location", cache], dir, env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^keygate: note: the cache .* was not written by keygate under this account \(its signature does not verify\): ignored, and replaced\n$/,
    );
    // Replaced by one of this account's: the next run trusts it, and says nothing.
    const again = await runCli([".", "--cache-location", cache], dir, env);
    expect(again).toMatchObject({ code: 1, stderr: "" });
  });

  it("an index that lies about a file's content (stat unchanged, content changed) does not make the cache's facts apply", async () => {
    const { dir, cache, state } = await repositoryWithPair();
    // A benign file whose facts the cache learns; then the same number of bytes with a pair, times kept.
    writeFileSync(join(dir, "main.tf"), PAIR.replace(/aws_iam_/g, "aws_xyz_"));
    // Well in the past, so that git's index entry is not "racily clean" (which git would re-check).
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(join(dir, "main.tf"), past, past);
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "no pair");
    git(dir, "config", "core.checkStat", "minimal");
    git(dir, "config", "core.trustctime", "false");
    const env = { XDG_STATE_HOME: state };
    expect((await runCli([".", "--cache-location", cache], dir, env)).code).toBe(0);
    const before = statSync(join(dir, "main.tf"));
    const pair = PAIR.replace('name = "u"', 'name = "v"');
    expect(Buffer.byteLength(pair)).toBe(before.size);
    writeFileSync(join(dir, "main.tf"), pair);
    utimesSync(join(dir, "main.tf"), before.atime, before.mtime);
    expect(git(dir, "ls-files", "--modified")).toBe("");
    const run = await runCli([".", "--cache-location", cache, "-f", "json"], dir, env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).findings.map((f: { resource: string }) => f.resource)).toEqual([
      "aws_iam_access_key.k",
    ]);
  });
});
