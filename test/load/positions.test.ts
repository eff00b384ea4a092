import { describe, expect, it } from "vitest";
import { utf16Column } from "../../src/load/positions.js";
import { decodeText } from "../../src/load/read.js";
import { parseHcl } from "../../src/load/terraform-syntax.js";
import { scanTree } from "../support/scan-fixture.js";

// Reports count columns in UTF-16 code units (docs/reports.md; SARIF's columnKind utf16CodeUnits).
// keygate's tree is ranged in them; hcl2json's diagnostics count characters as HCL does (grapheme
// clusters) and are converted.

const USER = 'resource "aws_iam_user" "u" {\n  name = "d\u00e9ploy-\u{1F680}"\n}\n';

describe("columns on lines with non-ASCII text", () => {
  it("a finding's block after a comment with é and an emoji on its line", async () => {
    const result = await scanTree({
      "main.tf": `${USER}/* \u00e9\u{1F680} */ resource "aws_iam_access_key" "k" { # \u00e9\n  user = aws_iam_user.u.name\n}\n`,
    });
    expect(result.errors).toEqual([]);
    const [finding] = result.findings;
    // `/* é🚀 */ ` is 10 UTF-16 code units (🚀 is two), 9 characters, 13 bytes.
    expect(finding!.location).toMatchObject({ line: 4, column: 11, endLine: 6, endColumn: 2 });
  });

  it.each([
    ["a precomposed é (one code unit, one character)", "\u00e9", 11],
    ["a decomposed é (two code units, one character)", "e\u0301", 12],
    ["an emoji (two code units, one character)", "\u{1F680}", 12],
    ["a flag (four code units, one character)", "\u{1F1EB}\u{1F1F7}", 14],
  ])("a syntax error hcl2json words, after %s", async (_name, text, column) => {
    const result = await parseHcl(`locals {\n  a = "${text}" ]\n}\n`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]).toMatchObject({ line: 2, column });
  });

  it("a byte that is not UTF-8, after an é and an emoji on its line", () => {
    const bytes = Buffer.concat([
      Buffer.from('locals {\n  a = "\u00e9\u{1F680}" # '),
      Buffer.from([0xff]),
      Buffer.from("\n}\n"),
    ]);
    // `  a = "é🚀" # ` is 14 UTF-16 code units (17 bytes).
    expect(decodeText(bytes)).toMatchObject({ ok: false, line: 2, column: 15 });
  });

  it("utf16Column: HCL's character columns to code units, ASCII lines untouched", () => {
    const text = "ab\n\u{1F680}x\u00e9e\u0301y\n";
    expect(utf16Column(text, 1, 2)).toBe(2);
    expect(utf16Column(text, 2, 1)).toBe(1);
    expect(utf16Column(text, 2, 2)).toBe(3);
    expect(utf16Column(text, 2, 5)).toBe(7);
    // Past the line's end (HCL's end of line), and on a line that does not exist: unchanged past what is known.
    expect(utf16Column(text, 2, 7)).toBe(9);
    expect(utf16Column(text, 9, 4)).toBe(4);
  });
});
