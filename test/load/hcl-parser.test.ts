import { describe, expect, it } from "vitest";
import { parseHclNative } from "../../src/load/hcl-json.js";
import { compare, reference, VALID } from "./hcl-differential.js";

// keygate's parser against hcl2json on hand-written fragments (see hcl-differential.ts); the sweeps
// over whole corpora are in hcl-parser-corpus.test.ts (e2e tier).

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
