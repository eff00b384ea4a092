import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { globbySync } from "globby";
import { afterAll, describe, expect, it } from "vitest";
import { parseHclNative } from "../../src/load/hcl-json.js";

// mulberry32, so that every run writes the same trees and tries the same mutants.
import { generateMonorepo, random } from "../../scripts/bench/generate-monorepo.mjs";

// The native parser must agree with hcl2json on every input it accepts, and must never accept an
// input hcl2json rejects. Declining (undefined) is always allowed, but should be rare.

const ROOT = join(import.meta.dirname, "..", "..");

type Outcome = "accepted" | "declined" | "rejected";

async function reference(text: string): Promise<string | undefined> {
  try {
    return JSON.stringify(await parse("keygate-input.tf", text));
  } catch {
    return undefined;
  }
}

/** Runs both parsers on `text`, asserts they agree, and says how the native parser fared. */
async function compare(text: string): Promise<Outcome> {
  const native = parseHclNative(text);
  const expected = await reference(text);
  if (native === undefined) return expected === undefined ? "rejected" : "declined";
  expect(expected, `native parser accepted input that hcl2json rejects:\n${text}`).toBeDefined();
  expect(JSON.stringify(native), `output differs for:\n${text}`).toBe(expected);
  return "accepted";
}

const corpusFiles = globbySync(["examples/**/*.{tf,tofu,tfvars}", "test/**/*.{tf,tofu,tfvars}"], {
  cwd: ROOT,
  absolute: true,
  ignore: ["**/node_modules/**"],
});

describe("the repository's Terraform files", () => {
  it("finds a corpus to compare", () => {
    expect(corpusFiles.length).toBeGreaterThan(50);
  });

  it.each(corpusFiles.map((file) => [relative(ROOT, file), file] as const))("%s", async (_name, file) => {
    const outcome = await compare(readFileSync(file, "utf8"));
    expect(outcome).not.toBe("declined");
  });
});

describe("a generated monorepo", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ["mixed resources", { files: 400 }],
    ["IAM only", { files: 200, allIam: true }],
  ] as const)("%s: every file is accepted and identical", async (_name, options) => {
    const dir = mkdtempSync(join(tmpdir(), "keygate-hcl-parser-"));
    dirs.push(dir);
    generateMonorepo(dir, options);
    const files = globbySync("**/*.tf", { cwd: dir, absolute: true });
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) expect(await compare(readFileSync(file, "utf8"))).toBe("accepted");
  });
});

/** Valid fragments hcl2json accepts; the native parser must produce the same JSON for each. */
const VALID: [string, string][] = [
  ["empty file", ""],
  ["comments only", "# a comment\n// another\n/* and a\n   block comment */\n"],
  ["newlines only", "\n\n\n"],
  ["no trailing newline", 'resource "aws_iam_user" "deploy" {\n  name = "deploy"\n}'],
  ["attribute at EOF without newline", 'name = "deploy"'],
  ["trailing comment without newline", "enabled = true # keep"],
  [
    "CRLF line endings",
    'resource "aws_iam_user" "u" {\r\n  name = "ci"\r\n  tags = {\r\n    Team = "platform"\r\n  }\r\n}\r\n',
  ],
  ["CRLF multi-line expression", "locals {\r\n  names = concat(\r\n    var.a,\r\n    var.b,\r\n  )\r\n}\r\n"],
  ["CRLF heredoc", 'policy = <<EOT\r\n{"Version": "2012-10-17"}\r\nEOT\r\n'],
  ["tabs for indentation", 'resource "aws_iam_user" "u" {\n\tname = "ci"\n}\n'],
  [
    "literals",
    "port = 8080\nratio = 0.25\nbig = 12345678901234567890\nzero = 007\nneg = -1\nneg_frac = -0.5\nyes = true\nno = !true\nnothing = null\n",
  ],
  ["unary on a non-literal", 'a = -var.x\nb = !var.enabled\nc = -(1)\nd = --1\ne = -"1"\n'],
  [
    "identifier labels and nested blocks",
    'provider aws {\n  region = "eu-west-1"\n  assume_role {\n    role_arn = var.role\n  }\n}\n',
  ],
  [
    "repeated blocks append",
    'resource "aws_iam_user" "a" {}\nresource "aws_iam_user" "b" {}\nresource "aws_iam_user" "a" {\n  name = "again"\n}\nlocals {\n  x = 1\n}\nlocals {\n  y = 2\n}\n',
  ],
  ["blocks with different label depths under different keys", 'a "x" {}\na "y" "z" {}\n'],
  ["attribute overwrites a block of the same name", "b {\n  a = 1\n  a {}\n}\n"],
  [
    "one-line blocks",
    'resource "aws_iam_access_key" "k" {\n  user = aws_iam_user.u.name\n  lifecycle { prevent_destroy = true }\n  timeouts {}\n}\n',
  ],
  ["label escapes", 'resource "x\\ty" "$${z}" {}\n'],
  [
    "dynamic block",
    'resource "aws_security_group" "sg" {\n  dynamic "ingress" {\n    for_each = var.rules\n    content {\n      from_port = ingress.value.from\n      cidr_blocks = [for c in ingress.value.cidrs : c if c != ""]\n    }\n  }\n}\n',
  ],
  [
    "traversals and splats",
    'a = aws_instance.web.0.id\nb = var.list[*].id\nc = var.list.*.id\nd = var.map["key"].value[0]\ne = var.list[*]\nf = var.list.*\ng = data.x.y[count.index].z\n',
  ],
  [
    "function calls",
    'a = lower(var.name)\nb = format("%s-%s", var.a, var.b)\nc = merge(var.tags, { Name = "x" })\nd = concat(var.a...)\ne = f()\nf = provider::aws::arn_parse(var.arn)\n',
  ],
  ["multi-line function call with trailing comma", 'tags = merge(\n  var.tags,\n  {\n    Name = "x"\n  },\n)\n'],
  [
    "operators",
    "count = var.enabled && length(var.users) > 0 ? 1 : 0\nsum = 1 + 2 * 3 - 4 / 2 % 3\ncmp = a == b || c != d && !e\nrange = x >= 1 && x <= 10 || x < 0 || x > 100\n",
  ],
  ["conditional across lines in parentheses", "a = (\n  var.enabled\n  ? 1\n  : 0\n)\n"],
  ["binary expression across lines in a tuple", "a = [1 +\n 2]\n"],
  [
    "for expressions",
    'a = [for k, v in var.map : upper(v) if k != "skip"]\nb = {for u in var.users : u.name => u...}\nc = {for k, v in var.map : k => v if v != null}\n',
  ],
  ["tuples", 'a = []\nb = [1, "two", true, null, -3, var.x]\nc = [\n  "a",\n  "b",\n]\nd = [[1, 2], [3]]\n'],
  [
    "objects",
    'a = {}\nb = { x = 1, y = "two" }\nc = {\n  "quoted key" = 1\n  colon: 2\n  (var.key) = 3\n  var.k.x = 4\n  6 = 5\n  true = 6\n  null = 7\n  "${var.interp}" = 8\n}\nd = { x = 1, x = 2 }\n',
  ],
  ["object keys of every kind", 'a = {x[0] = 1, x[y] = 2, f(x) = 3, -1 = 4, x.* = 5, "$${b}" = 6, "a${b}" = 7}\n'],
  [
    "sorted keys, byte-wise",
    'a = { b = 1, B = 2, a = 3, "é" = 4, "z" = 5, "10" = 6, "9" = 7, "_" = 8, "😀" = 9, "\\uffee" = 10 }\n',
  ],
  ["quoted strings with escapes", 'a = "tab\\there \\"quoted\\" back\\\\slash \\u00e9 \\U0001F600 \\r\\n"\n'],
  ["escaped template sequences", 'a = "$${literal} %%{literal} 100% $ $$ %%"\nb = "$$${var.x}"\nc = "\\u0024{x}"\n'],
  [
    "interpolations",
    'a = "${var.prefix}-user"\nb = "${var.x}"\nc = "${1}"\nd = "${[1]}"\ne = "${"lit"}"\nf = "x ${true} ${1} ${1.50} ${-1} ${"q"} ${null}"\ng = "${null}"\nh = "${ var.spaced }"\n',
  ],
  [
    "nested quotes inside interpolation",
    'name = "${lookup(var.names, "web", "default")}-${element(split(",", var.csv), 0)}"\n',
  ],
  ["template inside template", 'a = "a${"b${var.c}"}"\nb = "a${"$${x}"}"\n'],
  [
    "conditional interpolation",
    'a = "${var.a ? var.b : var.c}"\nb = "x${var.a ? "b" : ""}"\nc = "x${var.a ? 1 : null}"\n',
  ],
  [
    "if directive",
    'greeting = "Hello, %{ if var.name != "" }${var.name}%{ else }stranger%{ endif }!"\nb = "x%{if a}b%{endif}"\nc = "%{if a}%{endif}"\nd = "%{if a}$${x}%{endif}"\n',
  ],
  ["for directive", 'a = "%{ for k, v in var.m }${k}=${v},%{ endfor }"\nb = "%{for v in var.l}${v}%{endfor}"\n'],
  ["strip markers in a quoted string", 'a = "  ${~ var.x ~}  y"\nb = "${var.x~} "\nc = "${1~} "\n'],
  ["heredoc", 'policy = <<EOT\n{\n  "Version": "2012-10-17",\n  "Resource": "${aws_s3_bucket.b.arn}/*"\n}\nEOT\n'],
  [
    "indented heredoc",
    'resource "aws_iam_policy" "p" {\n  policy = <<-EOT\n    {\n      "Version": "2012-10-17"\n\n      "Id": "${var.id}"\n    }\n  EOT\n}\n',
  ],
  ["indented heredoc with tabs and blank lines", "a = <<-EOT\n\thi\n  there\n\n  EOT\n"],
  ["indented heredoc starting with an interpolation", "a = <<-EOT\n${var.x}\n  y\n  EOT\n"],
  ["empty heredoc", "a = <<EOT\nEOT\n"],
  ["heredoc closing marker with surrounding spaces", "a = <<EOT\nhi\n  EOT  \n"],
  ["heredoc with escaped sequences", "a = <<EOT\n$${x} %%{y} 50% $\nEOT\n"],
  [
    "heredoc with directives and strip markers",
    "hosts = <<EOT\n%{ for name, ip in var.hosts ~}\n${name} ${ip}\n%{ endfor ~}\n%{ if var.extra }\nextra\n%{ endif }\nEOT\n",
  ],
  ["heredoc strip markers stop at the line", "a = <<EOT\n  ${x~}   \n   foo\n  bar   ${~y}\nEOT\n"],
  ["indented heredoc with a strip marker", "a = <<-EOT\n    x\n  ${~y}\n  EOT\n"],
  [
    "heredocs inside function calls",
    'user_data = base64encode(<<-EOT\n  #!/bin/bash\n  echo "${var.name}"\nEOT\n)\npolicy = jsonencode(merge(local.base, { doc = trimspace(<<EOT\nx\nEOT\n) }))\n',
  ],
  ["heredoc in a tuple and an object", 'a = [<<EOT\none\nEOT\n, "two"]\nb = {\n  k = <<EOT\nv\nEOT\n}\n'],
  ["heredoc as part of a wrapped expression", 'a = [join("", ["x"]) + <<EOT\nfoo\n  EOT  \n]\n'],
  [
    "unicode identifiers and strings",
    'ключ = "значение"\nlocals {\n  ñ = "Zugriff für Ümlaut — 日本語 😀"\n}\na = { ñ = 1 }\n',
  ],
  ["NUL in a string", 'a = "x\\u0000y"\n'],
  ["multi-line block comment before a newline", "a = 1 /* c\n */\nb = 2\n"],
  ["comments inside expressions", 'a = [\n  1, # one\n  2, // two\n  /* three */ 3,\n]\nb = "${var.x # why\n}"\n'],
  ["keywords as names", "a = true(1)\nb = for\nc = { for_each = 1, in = 2, if = 3 }\n"],
  ["identifiers with dashes", "a = my-var.x\nb = a - b\nc = a-b\nd = 1-2\n"],
  ["legacy number traversal", "a = 1.5.x\n"],
  // Divergences the differential fuzzing found, closed:
  [
    "string literals in NFC (a decomposed é, written out and escaped)",
    'a = "e\u0301"\nb = "\\u0065\\u0301-${x}"\nc = <<EOT\ne\u0301\nEOT\nd = { "e\u0301" = 1 }\n',
  ],
  [
    "a lone ${null} as the body of %{if}",
    'a = "%{if x}${null}%{endif}"\nb = "a%{if x}a%{else}${null}%{endif}"\nc = "%{if x}%{if y}${~null}%{endif}%{endif}"\n',
  ],
  [
    "a heredoc line ending in $ or % and one whitespace byte before ${~ / %{~",
    "a = <<EOT\nab$ \n${~x}\nEOT\nb = <<EOT\nab%\t\r\n%{~if x}y%{endif}\nEOT\nc = <<EOT\n$$ \n${~x}${~x}\nEOT\nd = <<EOT\nab$  \n${~x}\nEOT\n",
  ],
  ["numbers with exponents inside expressions", "a = [1e3 + x, 2.5E-1 * y]\nb = f(1e+2)\n"],
];

/** Inputs hcl2json rejects; the native parser must return undefined for each. */
const INVALID: [string, string][] = [
  ["two attributes on one line", "a = 1 b = 2\n"],
  ["attribute redefined", "a = 1\na = 2\n"],
  ["comment between attributes on one line", "a = 1 /* c */ b = 2\n"],
  ["two blocks on one line", "a {}  b {}\n"],
  ["one-line block with two attributes", "a { b = 1, c = 2 }\n"],
  ["one-line block left open", "a { b = 1\n}\n"],
  ["block header split over lines", 'resource "a"\n"b" {}\n'],
  ["quoted attribute name", '"a" = 1\n'],
  ["labelled then unlabelled block", 'resource "a" "b" {}\nresource "a" {}\n'],
  ["unlabelled then labelled block", 'a {}\na "x" {}\n'],
  ["invalid escape", 'a = "\\q"\n'],
  ["escaped dollar", 'a = "\\$"\n'],
  ["short unicode escape", 'a = "\\u12"\n'],
  ["surrogate escape", 'a = "\\uD800"\n'],
  ["newline in a quoted string", 'a = "x\ny"\n'],
  ["interpolation in a label", 'resource "a" "${var.x}" {}\n'],
  ["unterminated heredoc at EOF", "a = <<EOT\nhi\nEOT"],
  ["unclosed block", 'resource "a" "b" {\n  x = 1\n'],
  ["operator at the end of a line", "a = 1 +\n 2\n"],
  ["operator at the end of a line in an object", "a = {b = 1 +\n 2}\n"],
  ["object items without separator", "a = {b = 1 c = 2}\n"],
  ["chained legacy index", "a = x.0.1\n"],
  ["traversal continued on the next line", "a = x\n.y\n"],
  ["empty for", "a = [for]\n"],
  ["tuple for with key", "a = [for k, v in x : k => v]\n"],
  ["object for without key", "a = {for v in x : v}\n"],
  ["unbalanced directive", 'a = "%{ if x }y"\n'],
  ["unknown directive", 'a = "%{ while x }y%{ endwhile }"\n'],
  ["not on a number", "a = !1\n"],
  ["minus on a bool", "a = -true\n"],
  ["minus on null", "a = -null\n"],
  ["invalid number", "a = 1..2\n"],
  ["single-quoted string", "a = 'x'\n"],
  ["semicolon", "a = 1;\n"],
  ["lone carriage return", "a = 1\rb = 2\n"],
  ["curly quotes", "a = \u201cx\u201d\n"],
  ["a lone ${null} as the body of %{for}", 'a = "%{for v in x}${null}%{endfor}"\n'],
  ["identifier letters newer than Unicode 9 (U+0560)", "a = \u0560b\n"],
  ["identifier letters newer than Unicode 9 (U+0588)", "a = x\u0588\n"],
  ["identifier letters newer than Unicode 9 (U+05EF)", "a = \u05efb\n"],
  ["identifier letters newer than Unicode 9 (U+07FD)", "a = x\u07fd\n"],
];

describe("hand-written fragments", () => {
  it.each(VALID)("accepts %s identically", async (_name, text) => {
    expect(await compare(text)).toBe("accepted");
  });

  it.each(INVALID)("declines %s", async (_name, text) => {
    expect(parseHclNative(text)).toBeUndefined();
    expect(await reference(text)).toBeUndefined();
  });

  it("declines a BOM and lone surrogates rather than guess how hcl2json encodes them", () => {
    expect(parseHclNative('\ufeffa = "x"\n')).toBeUndefined();
    expect(parseHclNative('a = "\ud800"\n')).toBeUndefined();
  });
});

const INSERTIONS = [
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  '"',
  "=",
  ",",
  ".",
  ":",
  "?",
  "$",
  "%",
  "~",
  "\n",
  "#",
  "/*",
  "*/",
  "<<EOF\n",
  "${",
  "%{",
  "\\",
  "<<-EOT\n",
  "EOT\n",
  "~}",
  "\r\n",
  "-",
  "!",
  "...",
  "=>",
  "for ",
  " if ",
];

function mutate(text: string, rand: () => number): string {
  const lineAround = (at: number): [number, number] => {
    const start = text.lastIndexOf("\n", at - 1) + 1;
    const end = text.indexOf("\n", at);
    return [start, end < 0 ? text.length : end + 1];
  };
  const count = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < count; i++) {
    const at = Math.floor(rand() * (text.length + 1));
    switch (Math.floor(rand() * 6)) {
      case 0:
        text = text.slice(0, at) + text.slice(at + 1);
        break;
      case 1: {
        const [start, end] = lineAround(at);
        text = text.slice(0, start) + text.slice(end);
        break;
      }
      case 2: {
        const [start, end] = lineAround(at);
        text = text.slice(0, end) + text.slice(start, end) + text.slice(end);
        break;
      }
      case 3:
      case 4:
        text = text.slice(0, at) + INSERTIONS[Math.floor(rand() * INSERTIONS.length)]! + text.slice(at);
        break;
      default:
        if (at + 1 < text.length) text = text.slice(0, at) + text[at + 1]! + text[at]! + text.slice(at + 2);
    }
  }
  return text;
}

describe("mutation fuzz", () => {
  it("never accepts what hcl2json rejects, and agrees whenever it accepts", async () => {
    const seeds = [...corpusFiles.map((file) => readFileSync(file, "utf8")), ...VALID.map(([, text]) => text)].filter(
      (text) => text.length < 20_000,
    );
    const rand = random(20240611);
    const tally: Record<Outcome, number> = { accepted: 0, declined: 0, rejected: 0 };
    for (let i = 0; i < 3000; i++) {
      const mutant = mutate(seeds[Math.floor(rand() * seeds.length)]!, rand);
      tally[await compare(mutant)]++;
    }
    // Both kinds of mutant must be well represented for the comparison to mean anything.
    expect(tally.accepted).toBeGreaterThan(500);
    expect(tally.rejected).toBeGreaterThan(500);
    expect(tally.declined).toBeLessThan(0.05 * (tally.accepted + tally.declined));
  });
});
