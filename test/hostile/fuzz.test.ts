import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, writeTree } from "../support/scan-fixture.js";
import { bin, STACK_TRACE, type BinRun } from "./support.js";

/**
 * Generated input, seeded (the same cases on every run; KEYGATE_FUZZ_SEED=N explores others):
 * random Terraform configurations with and without user/key pairs, written plainly and again with
 * noise (comments full of random bytes, odd spacing, CRLF line endings, unrelated resources,
 * blocks in another order), and mutants with random bytes flipped, inserted, deleted or cut off.
 * Through the built bin, in batches so that the time stays bounded (a few dozen runs at most):
 * the exit code is 0, 1 or 2, nothing prints a stack trace or an internal error, no run hangs
 * (each is killed after 60 s, which the test sees), an exit 2 comes with one clear line per
 * problem, and the noisy configuration gets the verdict of the plain one.
 */
const SEED = Number(process.env.KEYGATE_FUZZ_SEED ?? 16_18);
const CONFIGURATIONS = 24;
const MUTANTS = 48;

/** mulberry32: a small, well-known seeded generator (deterministic across Node versions). */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

/** A block of a configuration and whether it makes a pair (an access key for a user declared with it). */
interface Block {
  text: string;
  /** The key's address when this block is a key that makes a pair. */
  pair?: string;
}

/** A random configuration: users, keys for them (by reference, through a local, switched off) or for users declared elsewhere, and other resources. */
function configuration(r: Random, index: number): Block[] {
  const blocks: Block[] = [];
  const users = r.int(4);
  for (let u = 0; u < users; u++)
    blocks.push({ text: `resource "aws_iam_user" "u${u}" {\n  name = "svc-${index}-${u}"\n  path = "/system/"\n}\n` });
  const keys = r.int(4);
  for (let k = 0; k < keys; k++) {
    const address = `aws_iam_access_key.k${k}`;
    const route = users ? r.pick(["reference", "local", "off", "elsewhere"] as const) : "elsewhere";
    const user = r.int(Math.max(users, 1));
    if (route === "reference")
      blocks.push({
        text: `resource "aws_iam_access_key" "k${k}" {\n  user = aws_iam_user.u${user}.name\n}\n`,
        pair: address,
      });
    else if (route === "local") {
      blocks.push({ text: `locals {\n  user_${k} = aws_iam_user.u${user}.name\n}\n` });
      blocks.push({ text: `resource "aws_iam_access_key" "k${k}" {\n  user = local.user_${k}\n}\n`, pair: address });
    } else if (route === "off")
      blocks.push({
        text: `resource "aws_iam_access_key" "k${k}" {\n  count = 0\n  user  = aws_iam_user.u${user}.name\n}\n`,
      });
    else blocks.push({ text: `resource "aws_iam_access_key" "k${k}" {\n  user = "someone-created-long-ago"\n}\n` });
  }
  if (r.int(2))
    blocks.push({
      text: `resource "aws_s3_bucket" "logs" {\n  bucket = "logs-${index}"\n  tags = {\n    Team = "platform"\n  }\n}\n`,
    });
  return blocks;
}

/** Text with random bytes, as a comment may hold anything but its own end. */
function junk(r: Random, length: number): string {
  const pieces = [
    "{",
    "}",
    '"',
    "${",
    "%{",
    "<<EOF",
    "\\",
    "=",
    "[",
    "]",
    "\t",
    "é",
    "💥",
    "\u200b",
    "resource",
    "aws_iam_user",
    "aws_iam_access_key",
  ];
  let out = "";
  while (out.length < length) out += r.int(3) ? String.fromCharCode(32 + r.int(95)) : r.pick(pieces);
  return out;
}

/** The same blocks with noise that changes nothing for Terraform. */
function noisy(r: Random, blocks: Block[]): string {
  const order = [...blocks].sort(() => r.next() - 0.5);
  const comment = () =>
    r.pick([
      `# ${junk(r, 20)}\n`,
      `// ${junk(r, 20)}\n`,
      `/* ${junk(r, 30).replace(/\*\//g, "*")}\n${junk(r, 10).replace(/\*\//g, "*")} */\n`,
    ]);
  let text = "";
  for (const block of order) {
    text += r.int(2) ? comment() : "";
    text += "\n".repeat(r.int(3));
    // Spacing around "=" and a comment at the end of the line change nothing.
    text += block.text
      .replace(/ = /g, () => r.pick([" = ", "=", "   =\t"]))
      .replace(/\n(?=[^\n])/g, () => (r.int(4) ? "\n" : ` # ${junk(r, 8).replace(/\n/g, " ")}\n`));
  }
  text += r.int(2) ? comment() : "";
  return r.int(3) ? text : text.replace(/\n/g, "\r\n");
}

/** Random damage: bytes flipped, inserted, deleted, repeated, or the end cut off. */
function mutant(r: Random, text: string): Buffer {
  let bytes = Buffer.from(text);
  for (let m = 1 + r.int(4); m > 0; m--) {
    const at = r.int(bytes.length + 1);
    switch (r.int(6)) {
      case 0:
        if (bytes.length) bytes[Math.min(at, bytes.length - 1)] = r.int(256);
        break;
      case 1:
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from(
            r.pick(["{", "}", '"', "${", "<<EOF\n", "\u0000", "\xff\xfe", "[".repeat(r.int(400)), "=", "\n"]),
            "latin1",
          ),
          bytes.subarray(at),
        ]);
        break;
      case 2:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + r.int(20)))]);
        break;
      case 3:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + r.int(40)), bytes.subarray(at)]);
        break;
      case 4:
        bytes = bytes.subarray(0, at);
        break;
      default:
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(junk(r, 1 + r.int(12))), bytes.subarray(at)]);
    }
  }
  return bytes;
}

/** The invariants every run keeps, whatever its input. */
function expectCleanExit(run: BinRun, what: string, format: "json" | "text" = "json"): void {
  expect(run.signal, `${what}: killed (a hang)`).toBeNull();
  expect([0, 1, 2], `${what}: exit code`).toContain(run.code);
  expect(run.stderr, what).not.toMatch(STACK_TRACE);
  expect(run.stdout, what).not.toMatch(STACK_TRACE);
  expect(run.stderr, what).not.toContain("internal error");
  if (run.code !== 2 || format === "text") return;
  // Exit 2: each problem is one clear line (a JSON report's errors, or one line on stderr).
  if (run.stdout.trim()) {
    const errors = JSON.parse(run.stdout).errors as { file: string; message: string }[];
    expect(errors.length, what).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.message, what).toMatch(/^\S.{9,}$/);
      expect(error.message, what).not.toContain("\n");
    }
  } else expect(run.stderr, what).toMatch(/^keygate: \S[^\n]{9,}\n/);
}

/** The flagged keys of each top-level directory of a JSON report. */
function flaggedByDir(stdout: string): Map<string, string[]> {
  const byDir = new Map<string, string[]>();
  for (const finding of JSON.parse(stdout).findings as { resource: string; location: { file: string } }[]) {
    const dir = finding.location.file.split("/")[0]!;
    byDir.set(dir, [...(byDir.get(dir) ?? []), finding.resource].sort());
  }
  return byDir;
}

describe(`generated input (seed ${SEED})`, () => {
  const r = generator(SEED);
  const cases = Array.from({ length: CONFIGURATIONS }, (_, i) => {
    const blocks = configuration(r, i);
    return {
      blocks,
      plain: blocks.map((b) => b.text).join("\n"),
      noisy: noisy(r, blocks),
      pairs: blocks.flatMap((b) => (b.pair ? [b.pair] : [])).sort(),
    };
  });
  const mutants = Array.from({ length: MUTANTS }, () => mutant(r, r.pick(cases).noisy));

  it(
    "the noisy configuration gets the plain one's verdict, which is the generator's",
    { timeout: 300_000 },
    async () => {
      const files: Record<string, string> = {};
      cases.forEach((c, i) => {
        files[`plain${i}/main.tf`] = c.plain;
        files[`noisy${i}/main.tf`] = c.noisy;
      });
      const dir = await writeTree(files);
      const run = await bin([".", "-f", "json", "--no-cache"], dir, { timeoutMs: 120_000 });
      expectCleanExit(run, "plain and noisy");
      expect(JSON.parse(run.stdout).errors).toEqual([]);
      const flagged = flaggedByDir(run.stdout);
      cases.forEach((c, i) => {
        expect(flagged.get(`plain${i}`) ?? [], `plain${i}:\n${c.plain}`).toEqual(c.pairs);
        expect(flagged.get(`noisy${i}`) ?? [], `noisy${i}:\n${c.noisy}`).toEqual(c.pairs);
      });
      expect(run.code).toBe(cases.some((c) => c.pairs.length) ? 1 : 0);
      // The generator makes both verdicts (not a property that holds only vacuously).
      expect(cases.filter((c) => c.pairs.length).length).toBeGreaterThan(3);
      expect(cases.filter((c) => !c.pairs.length).length).toBeGreaterThan(3);
    },
  );

  it(
    "mutants: exit 0, 1 or 2, no trace, no hang, one clear line per problem; in a batch and one by one, with and without the prefilter",
    { timeout: 600_000 },
    async () => {
      const dir = await writeTree({});
      mutants.forEach((bytes, i) => {
        mkdirSync(join(dir, `m${i}`));
        writeFileSync(join(dir, `m${i}`, "main.tf"), bytes);
      });
      for (const args of [[], ["--no-prefilter"]])
        expectCleanExit(
          await bin([".", "-f", "json", "--no-cache", ...args], dir, { timeoutMs: 120_000 }),
          `batch ${args.join(" ")}`,
        );
      const codes = new Set<number | null>();
      for (let i = 0; i < 8; i++) {
        const run = await bin([`m${i}`, "-f", "json", "--no-cache"], dir);
        expectCleanExit(run, `m${i}: ${JSON.stringify(mutants[i]!.toString("latin1"))}`);
        codes.add(run.code);
        // The text report too: on exit 2 it ends by saying the check is incomplete.
        const text = await bin([`m${i}`, "--no-cache"], dir);
        expectCleanExit(text, `m${i} (text)`, "text");
        if (text.code === 2)
          expect(text.stdout.trimEnd().split("\n").at(-1), `m${i}`).toMatch(/the check is incomplete$/);
      }
      // The mutants reach the error path, not only the happy one.
      expect(codes.has(2)).toBe(true);
    },
  );

  it(
    "mutants in-process: every one ends in a report (never a rejected promise), with the same invariants",
    { timeout: 300_000 },
    async () => {
      const dir = await writeTree({});
      for (const [i, bytes] of mutants.entries()) {
        writeFileSync(join(dir, "main.tf"), bytes);
        const run = await runCli([".", "-f", "json", "--no-cache"], dir);
        expectCleanExit({ ...run, signal: null, ms: 0 }, `in-process m${i}`);
      }
    },
  );
});
