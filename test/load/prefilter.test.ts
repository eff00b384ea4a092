import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseHclFile } from "../../src/load/hcl-parser.js";
import { ParseCache } from "../../src/load/parse-cache.js";
import { skimHcl, skimHclPlain } from "../../src/load/hcl-skim.js";
import { looksWellFormed, skeletonOf } from "../../src/load/prefilter.js";
import { loadSettings } from "../../src/load/config.js";
import { loadPolicies } from "../../src/policies/catalog.js";
import { scan, type ScanResult } from "../../src/scan.js";
import { TODAY, writeTree } from "../support/scan-fixture.js";

import { generateMonorepo } from "../../scripts/bench/generate-monorepo.mjs";

const ROOT = join(import.meta.dirname, "..", "..");

/** Every Terraform tree the tests know: examples (input-error ones too), CLI cases, plan scenarios. */
function corpora(): { cwd: string; paths: string[]; name: string }[] {
  const dirs = (base: string) =>
    readdirSync(join(ROOT, base))
      .filter((d) => statSync(join(ROOT, base, d)).isDirectory())
      .map((d) => join(ROOT, base, d));
  return [
    ...dirs("examples")
      .filter((d) => !d.endsWith("/ci"))
      .map((d) => ({ cwd: join(ROOT, "examples"), paths: [d.slice(join(ROOT, "examples").length + 1)], name: d })),
    ...dirs("examples-input-errors").map((d) => ({
      cwd: join(ROOT, "examples-input-errors"),
      paths: [d.slice(join(ROOT, "examples-input-errors").length + 1)],
      name: d,
    })),
    ...dirs("test/cli/cases").map((d) => ({ cwd: d, paths: ["."], name: d })),
    ...dirs("test/fixtures/plans/scenarios").map((d) => ({ cwd: d, paths: ["."], name: d })),
  ].map((c) => ({ ...c, name: c.name.slice(ROOT.length + 1) }));
}

async function scanWith(
  cwd: string,
  paths: string[],
  options: { prefilter?: boolean; cache?: ParseCache } = {},
): Promise<ScanResult> {
  const policies = loadPolicies();
  const settings = await loadSettings(policies, cwd);
  return scan({ paths, cwd, settings, policies, today: TODAY, ...options });
}

/** A report with nothing that depends on how it was computed. */
const comparable = (r: ScanResult) => ({
  findings: r.findings,
  errors: r.errors,
  warnings: r.warnings,
  files: r.files,
});

describe("the prefilter never changes a verdict", () => {
  it.each(corpora().map((c) => [c.name, c] as const))(
    "%s: identical reports with and without it",
    async (_name, corpus) => {
      const skip = corpus.name.endsWith("invalid-config");
      if (skip) return; // its config is invalid on purpose: loadSettings throws either way
      const on = await scanWith(corpus.cwd, corpus.paths);
      const off = await scanWith(corpus.cwd, corpus.paths, { prefilter: false });
      expect(comparable(on)).toEqual(comparable(off));
    },
  );

  it("on a generated monorepo: identical reports, every planted pair found", async () => {
    const dir = await writeTree({});
    generateMonorepo(dir, { files: 600, violations: 6 });
    const on = await scanWith(dir, ["."]);
    const off = await scanWith(dir, ["."], { prefilter: false });
    expect(on.findings).toHaveLength(6);
    expect(comparable(on)).toEqual(comparable(off));
  });

  it("still reports a broken file that cannot matter, when its structure is broken", async () => {
    const dir = await writeTree({
      "app/main.tf": 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n',
      "app/dns.tf": 'resource "aws_route53_record" "www" {\n  name = "www"\n}\n',
    });
    const result = await scanWith(dir, ["."]);
    expect(result.errors.map((e) => `${e.file}:${e.line}`)).toEqual(["app/main.tf:1"]);
  });
});

describe("looksWellFormed", () => {
  const files = corpora().flatMap((c) => c.paths.map((p) => join(c.cwd, p)));
  const tfFiles: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(tf|tofu)$/.test(e)) tfFiles.push(p);
    }
  };
  files.forEach(walk);

  it("passes every well-formed Terraform file the tests have", () => {
    const wellFormed = tfFiles.filter((f) => !/broken|parse-error|text-output|binary|latin1/.test(f));
    expect(wellFormed.length).toBeGreaterThan(40);
    for (const file of wellFormed) expect(looksWellFormed(readFileSync(file, "utf8")), file).toBe(true);
  });

  it.each([
    ["a missing closing brace", 'resource "a" "b" {\n  x = 1\n'],
    ["an extra closing brace", 'resource "a" "b" {\n  x = 1\n}\n}\n'],
    ["mismatched brackets", "locals {\n  x = [1, 2}\n}\n"],
    ["an unterminated string", 'resource "a" "b" {\n  x = "abc\n}\n'],
    ["an unterminated heredoc", 'resource "a" "b" {\n  x = <<EOT\nhello\n}\n'],
    ["an unterminated block comment", '/* never closed\nresource "a" "b" {}\n'],
    ["a merge-conflict marker", 'resource "a" "b" {\n<<<<<<< HEAD\n  x = 1\n=======\n  x = 2\n>>>>>>> main\n}\n'],
    // Read as the lexer reads heredocs: blanks after the marker make it no heredoc (HCL: "Invalid multi-line string").
    ["a heredoc introducer with blanks after its marker", 'locals {\n  x = <<EOF  \n  a "\nEOF\n}\n'],
    // Read by the lexer and the template reader the parser uses:
    ["half a merge conflict", 'resource "a" "b" {\n  x = 1\n=======\n  x = 2\n}\n'],
    ["an unclosed template directive", 'locals {\n  x = "%{ if var.on }on"\n}\n'],
    ["an invalid escape", 'locals {\n  x = "a\\qb"\n}\n'],
    ["a character HCL does not know", "locals {\n  x = 1 & 2\n}\n"],
    ["a brace closed inside an interpolation", 'locals {\n  x = "${ { a = 1 }"\n}\n'],
    // Parsed, and refused there (see nesting.ts).
    ["brackets nested deeper than keygate reads", `locals {\n  x = ${"[".repeat(256)}1${"]".repeat(256)}\n}\n`],
    ["templates nested deeper than keygate reads", `locals {\n  x = ${'"${'.repeat(257)}1${'}"'.repeat(257)}\n}\n`],
  ])("fails %s", (_name, text) => {
    expect(looksWellFormed(text)).toBe(false);
  });

  it.each([
    [
      "braces inside strings and interpolations",
      'locals {\n  a = "{ ${jsonencode({ k = "}" })} }"\n  b = "$${not}"\n}\n',
    ],
    ["braces inside comments and heredocs", '# {\n// [\nlocals {\n  p = <<-EOT\n    { "a": [ }\n    EOT\n}\n'],
    [
      "a heredoc closed by an indented marker on a CRLF line",
      'locals {\r\n  p = <<-EOT\r\n    { "a": [ }\r\n    EOT\r\n}\r\n',
    ],
    ["a heredoc at the top level", 'x = <<EOT\n  { [ (\nEOT\nresource "a" "b" {}\n'],
    ["a heredoc inside an interpolation", 'locals {\n  x = "${trimspace(<<EOT\n  }\nEOT\n)}"\n}\n'],
    // Letters beyond the Unicode blocks keygate's parser checks (hcl2json reads the file).
    ["a name in CJK letters", "locals {\n  最大 = 1\n}\n"],
    ["brackets nested as deep as keygate reads", `locals {\n  x = ${"[".repeat(255)}1${"]".repeat(255)}\n}\n`],
  ])("passes %s", (_name, text) => {
    expect(looksWellFormed(text)).toBe(true);
  });

  it("passes every file of a generated monorepo, as the parser does", () => {
    const dir = mkdtempSync(join(tmpdir(), "keygate-skim-"));
    try {
      generateMonorepo(dir, { files: 400, violations: 2 });
      const tf: string[] = [];
      const walkDir = (d: string) => {
        for (const e of readdirSync(d)) {
          const p = join(d, e);
          if (statSync(p).isDirectory()) walkDir(p);
          else if (e.endsWith(".tf")) tf.push(readFileSync(p, "utf8"));
        }
      };
      walkDir(dir);
      expect(tf.length).toBeGreaterThan(300);
      for (const text of tf) {
        expect(parseHclFile(text)).toBeDefined();
        expect(looksWellFormed(text)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("skeletonOf", () => {
  it("lists resource and data blocks with their header positions", () => {
    const { body, outline } = skeletonOf(
      '# r\nresource "aws_s3_bucket" "a" {\n}\n\n  data "aws_vpc" "main" {\n}\nresource "aws_s3_bucket" "a" {}\n',
    )!;
    expect(body.attributes).toEqual([]);
    expect(body.blocks.map((b) => [b.type, ...b.labels, b.body])).toEqual([
      ["resource", "aws_s3_bucket", "a", { attributes: [], blocks: [] }],
      ["data", "aws_vpc", "main", { attributes: [], blocks: [] }],
      ["resource", "aws_s3_bucket", "a", { attributes: [], blocks: [] }],
    ]);
    expect(
      outline.blocks.map((b) => `${b.keyword} ${b.labels.join(".")} ${b.header.start.line}:${b.header.start.column}`),
    ).toEqual(["resource aws_s3_bucket.a 2:1", "data aws_vpc.main 5:3", "resource aws_s3_bucket.a 7:1"]);
  });

  it.each([
    ["one label", 'resource "aws_s3_bucket" {\n}\n'],
    ["its brace on the next line (an error HCL reports)", 'resource "aws_s3_bucket" "a"\n{\n}\n'],
    ["a label with an interpolation", 'resource "aws_s3_bucket" "${a}" {\n}\n'],
    ["a label with an escape", 'resource "aws_s3_bucket" "a\\"b" {\n}\n'],
  ])("leaves a file to the parser when a header has %s", (_name, text) => {
    expect(looksWellFormed(text)).toBe(true);
    expect(skeletonOf(text)).toBeNull();
  });

  it("reads headers after a byte order mark, CRLF lines and comments", () => {
    const { body } = skeletonOf('\ufeffresource "a" "b" {\r\n}\r\n/* c\n */\n# d\ndata "c" "d" {}\r\n')!;
    expect(body.blocks.map((b) => `${b.type} ${b.labels.join(".")}`)).toEqual(["resource a.b", "data c.d"]);
  });
});

describe("skimHclPlain", () => {
  /** What the survey keeps of a skim, taken from the skim that lists the headers. */
  const listed = (text: string) => {
    const { wellFormed, headers } = skimHcl(text, { headers: true });
    return { wellFormed, plainHeaders: wellFormed && headers !== undefined };
  };
  const samples = [
    'resource "a" "b" {\n}\ndata "c" "d" {}\n',
    '\ufeffresource "a" "b" {\r\n}\r\n',
    'resource "aws_s3_bucket" {\n}\n',
    'resource "a" "b"\n{\n}\nresource "c" "d" {}\n',
    'resource "a" "${b}" {\n}\n',
    'resource "a" "b\\"c" {\n}\n',
    'resource "a" "b" {\n  resource "c" "d" {}\n}\n',
    'locals {\n  x = <<EOT\nresource "a" "b" {\nEOT\n}\nresource "c" "d" {}\n',
    '  data "a" "b" { x = 1 }\nresource "c" "d" { y = [1, {}] }\n',
    'resource "a" "b" {\n  x = 1\n',
    'resource a "b" {\n}\n',
    'resource "a" "b" "c" {\n}\n',
    "resource\n",
    'x = 1 resource "a" "b" {}\n',
  ];

  it("says what listing the headers would (whether the file looks well formed, whether every header is plain)", () => {
    const dir = mkdtempSync(join(tmpdir(), "keygate-skim-"));
    try {
      generateMonorepo(dir, { files: 300, violations: 2 });
      const texts = [...samples];
      const walk = (d: string) => {
        for (const e of readdirSync(d)) {
          const p = join(d, e);
          if (statSync(p).isDirectory()) walk(p);
          else if (/\.(tf|tofu)$/.test(e)) texts.push(readFileSync(p, "utf8"));
        }
      };
      walk(dir);
      for (const c of corpora()) for (const p of c.paths) walk(join(c.cwd, p));
      const kinds = new Set<string>();
      for (const text of texts) {
        const plain = skimHclPlain(text);
        expect(plain, text).toEqual(listed(text));
        expect(plain.wellFormed, text).toBe(looksWellFormed(text));
        kinds.add(`${plain.wellFormed} ${plain.plainHeaders}`);
      }
      // Each answer is met: the comparison is not only of files where both are trivially the same.
      expect([...kinds].sort()).toEqual(["false false", "true false", "true true"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("makes a skeleton that lists the headers when first looked at, as a skim that lists them gives", () => {
    for (const text of samples) {
      const skeleton = skeletonOf(text);
      const { headers } = skimHcl(text, { headers: true });
      if (!skeleton) continue;
      expect(skeleton.body.blocks.map((b) => [b.type, ...b.labels, b.start, b.headerEnd])).toEqual(
        headers!.map((h) => [h.keyword, h.type, h.name, h.start, h.end]),
      );
    }
  });
});

describe("the parse cache", () => {
  it("keeps hcl2json's results, gives the same reports warm as cold, and ignores a corrupt cache", async () => {
    const dir = await writeTree({});
    generateMonorepo(dir, { files: 200, violations: 3 });
    // A name in CJK letters (beyond the Unicode blocks keygate's lexer checks): the native parser leaves this file to hcl2json, whose result is kept.
    await writeFile(join(dir, "stacks/team0/env0/limits.tf"), "locals {\n  最大 = 1e3\n}\n");
    const cacheDir = await writeTree({});
    const scope = { cwd: dir, policies: ["KG001"] };
    const cold = new ParseCache(cacheDir, scope);
    const first = await scanWith(dir, ["."], { cache: cold });
    expect(statSync(cold.file).size).toBeGreaterThan(100);
    const warm = new ParseCache(cacheDir, scope);
    const second = await scanWith(dir, ["."], { cache: warm });
    expect(comparable(second)).toEqual(comparable(first));

    await mkdir(cacheDir, { recursive: true });
    await writeFile(cold.file, "this is not a cache");
    const corrupt = new ParseCache(cacheDir, scope);
    const third = await scanWith(dir, ["."], { cache: corrupt });
    expect(comparable(third)).toEqual(comparable(first));
  });
});

describe("the cache in a git work tree", () => {
  const git = (dir: string, ...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, stdio: "pipe" });

  async function committedMonorepo(): Promise<string> {
    const dir = await writeTree({});
    generateMonorepo(dir, { files: 300, violations: 3 });
    // A suppressed pair, and a suppression comment that suppresses nothing (a warning): comments are read from skeletons too.
    await writeFile(
      join(dir, "stacks/team0/env4/vendor.tf"),
      'resource "aws_iam_user" "vendor" {\n  name = "vendor-sync"\n}\n\n# keygate:ignore KG001 -- vendor sync needs a key at creation, approved in SEC-142\nresource "aws_iam_access_key" "vendor" {\n  user = aws_iam_user.vendor.name\n}\n',
    );
    await writeFile(
      join(dir, "stacks/team0/env2/notes.tf"),
      '# keygate:ignore KG001 -- stale\nresource "aws_sqs_queue" "q" {\n  name = "q"\n}\n',
    );
    git(dir, "init", "-q");
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "generated");
    return dir;
  }

  async function coldThenWarm(
    dir: string,
    change: () => void | Promise<void>,
  ): Promise<{ warm: ScanResult; fresh: ScanResult; hits: number }> {
    const cacheDir = await writeTree({});
    const scope = { cwd: dir, policies: ["KG001"] };
    await scanWith(dir, ["."], { cache: new ParseCache(cacheDir, scope) });
    await change();
    const cache = new ParseCache(cacheDir, scope);
    const warm = await scanWith(dir, ["."], { cache });
    const fresh = await scanWith(dir, ["."]);
    return { warm, fresh, hits: cache.factHits };
  }

  it("does not survey again files whose content git and the cache know, and gives the same report", async () => {
    const dir = await committedMonorepo();
    const { warm, fresh, hits } = await coldThenWarm(dir, () => {});
    expect(hits).toBeGreaterThan(200);
    expect(warm.findings.filter((f) => !f.suppressed)).toHaveLength(3);
    expect(warm.findings.filter((f) => f.suppressed)).toHaveLength(1);
    expect(warm.warnings.map((w) => w.file)).toContain("stacks/team0/env2/notes.tf");
    expect(comparable(warm)).toEqual(comparable(fresh));
  });

  it("reads what changed since: a modified file, a new untracked file, a file git is told to assume unchanged", async () => {
    const dir = await committedMonorepo();
    // Files of resources only, in stacks without IAM: what the cache would otherwise skip.
    const unrelated = (stack: string) =>
      `${stack}/${readdirSync(join(dir, stack)).find((f) => /^(network|storage|compute|dns|queues)_\d+\.tf$/.test(f))!}`;
    const [modified, hidden] = [unrelated("stacks/team0/env1"), unrelated("stacks/team0/env3")];
    const { warm, fresh } = await coldThenWarm(dir, async () => {
      await writeFile(join(dir, modified), 'resource "aws_sqs_queue" "q" {\n  name = "q"\n');
      await writeFile(
        join(dir, "stacks/team0/env2/late.tf"),
        'resource "aws_iam_user" "late" {\n  name = "late"\n}\n\nresource "aws_iam_access_key" "late" {\n  user = aws_iam_user.late.name\n}\n',
      );
      git(dir, "update-index", "--assume-unchanged", hidden);
      await writeFile(join(dir, hidden), 'resource "aws_sqs_queue" "r" {\n  name = "r\n}\n');
    });
    expect(warm.findings.filter((f) => !f.suppressed)).toHaveLength(4);
    expect([...new Set(warm.errors.map((e) => e.file))].sort()).toEqual([modified, hidden].sort());
    expect(comparable(warm)).toEqual(comparable(fresh));
  });
});
