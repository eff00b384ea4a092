import { globbySync } from "globby";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { expect } from "vitest";
import { parseHclNative } from "../../src/load/hcl-json.js";

// The native parser must agree with hcl2json on every input it accepts, and must never accept an
// input hcl2json rejects. Declining (undefined) is always allowed, but should be rare. Hand-written
// fragments are checked in hcl-parser.test.ts (unit tier); the sweeps over the repository's
// Terraform files, a generated monorepo and mutants of both in hcl-parser-corpus.test.ts (e2e).

export const ROOT = join(import.meta.dirname, "..", "..");

export type Outcome = "accepted" | "declined" | "rejected";

/** hcl2json's JSON for `text`, or undefined where it rejects it. */
export async function reference(text: string): Promise<string | undefined> {
  try {
    return JSON.stringify(await parse("keygate-input.tf", text));
  } catch {
    return undefined;
  }
}

/** Runs both parsers on `text`, asserts they agree, and says how the native parser fared. */
export async function compare(text: string): Promise<Outcome> {
  const native = parseHclNative(text);
  const expected = await reference(text);
  if (native === undefined) return expected === undefined ? "rejected" : "declined";
  expect(expected, `native parser accepted input that hcl2json rejects:\n${text}`).toBeDefined();
  expect(JSON.stringify(native), `output differs for:\n${text}`).toBe(expected);
  return "accepted";
}

/** Every Terraform file of the repository's examples and tests. */
export const corpusFiles = globbySync(["examples/**/*.{tf,tofu,tfvars}", "test/**/*.{tf,tofu,tfvars}"], {
  cwd: ROOT,
  absolute: true,
  ignore: ["**/node_modules/**"],
});

/** Valid fragments hcl2json accepts; the native parser must produce the same JSON for each. */
export const VALID: [string, string][] = [
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
